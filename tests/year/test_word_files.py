"""A Word ``.docx`` file is the piece its words are, as a ``.txt`` file is (``portal.file_text``):
handed in as the teacher's own writing or as an activity's written evidence, it counts the
characters of its body (paragraphs and tables, as Word's 字数 does) towards the quotas, is
compared by its words with every piece of the year, and a file that is not a Word document,
or unpacks to far more than it weighs, is refused with a clear message and changes nothing."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document

from portal import file_text
from portal.errors import Invalid
from portal.extensions import db
from portal.models import OwnWriting
from portal.services import activities, writing
from portal.textcount import chinese_count
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.year.helpers import evidence_count, lectures, quota_done

LINES = ("读《给教师的建议》第五章：提问要有梯度。", "课堂上我试着先问基础题，再问开放题。")
CELL = "后进生发言次数"


def _docx(*lines: str, cell: str = CELL, author: str = "") -> bytes:
    doc = Document()
    doc.core_properties.author = author  # another author: other bytes, the same words
    for line in lines:
        doc.add_paragraph(line)
    doc.add_table(rows=1, cols=1).cell(0, 0).text = cell
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


WORDS = chinese_count("".join(LINES) + CELL)


@pytest.fixture
def school(app):
    s = f.school("F1")
    return s, f.staff(s)


def _refused(field: str, code: str, action) -> None:
    with pytest.raises(Invalid) as err:
        action()
    assert err.value.fields[field].code == code, err.value.fields


def test_a_word_file_counts_its_words_through_both_doors(app, school):
    """Teacher: reading notes written in Word count what Word shows, as own writing and as an
    activity's evidence (they counted 0 as evidence and were refused as own writing)."""
    s, staff = school
    t1, t2 = staff["t1"], staff["t2"]
    (act,) = lectures(s, staff["organizer"], [t1], n=1)
    ev = activities.add_evidence(act, t1, t1.id, "reading_notes", "给教师的建议", filename="读书笔记.docx",
                                 data=_docx(*LINES))
    piece = writing.add_writing(s, t2, "reading_notes", "给教师的建议", filename="读书笔记.DOCX", data=_docx(*LINES))
    assert WORDS > 0 and ev.char_count == piece.char_count == WORDS
    assert CELL in piece.text and LINES[0] in piece.text  # the piece keeps its words, tables too
    assert quota_done(t1, s, "reading_notes") == quota_done(t2, s, "reading_notes") == WORDS


def test_a_word_file_is_the_piece_its_words_are(app, school):
    """Attack: the same notes handed in again as a Word file saved once more (other bytes), or
    typed, or as a .txt: each counted one more piece. Refused on its words, nothing saved."""
    s, staff = school
    t1 = staff["t1"]
    a, b = lectures(s, staff["organizer"], [t1])
    writing.add_writing(s, t1, "reflection", "", filename="反思.docx", data=_docx(*LINES))
    db.session.commit()
    again = _docx(*LINES, author="又存了一次")
    n = evidence_count()
    _refused("file", "writing.duplicate", lambda: activities.add_evidence(
        a, t1, t1.id, "reflection", "", filename="反思2.docx", data=again))
    _refused("text", "writing.duplicate", lambda: activities.add_evidence(
        b, t1, t1.id, "reflection", "", text="\n".join((*LINES, CELL))))
    _refused("file", "writing.duplicate", lambda: writing.add_writing(
        s, t1, "reflection", "", filename="r.txt", data=" ".join((*LINES, CELL)).encode()))
    assert evidence_count() == n and quota_done(t1, s, "reflections") == 1
    # and the other way round: typed first, then the same words as a Word file
    writing.add_writing(s, t1, "reflection", "", text="第二篇反思：小组合作要有分工。")
    _refused("file", "writing.duplicate", lambda: activities.add_evidence(
        a, t1, t1.id, "reflection", "", filename="二.docx", data=_docx("第二篇反思：", "小组合作要有分工", cell="")))


def _bomb() -> bytes:
    """A .docx-named ZIP of a few kilobytes that unpacks to more than the portal reads."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"\0" * (file_text.DOCX_UNPACKED_MAX + 1))
    return out.getvalue()


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", _bomb()], ids=["broken", "unpacks-too-far"])
def test_a_word_file_that_cannot_be_read_is_refused_as_writing(app, school, data):
    """Bad input: a renamed file or a ZIP bomb named .docx is refused as writing with a clear
    message (on the page in Chinese), nothing written or kept; as an attachment, whose words
    nobody counts, it is a file like any other."""
    s, staff = school
    t1 = staff["t1"]
    (act,) = lectures(s, staff["organizer"], [t1], n=1)
    n, pieces = evidence_count(), db.session.query(OwnWriting).count()
    _refused("file", "writing.file_unreadable", lambda: writing.add_writing(
        s, t1, "paper", "论文", filename="论文.docx", data=data))
    _refused("file", "writing.file_unreadable", lambda: activities.add_evidence(
        act, t1, t1.id, "reading_notes", "笔记", filename="笔记.docx", data=data))
    assert evidence_count() == n and db.session.query(OwnWriting).count() == pieces
    client = log_in(app.test_client(), t1, s.id)
    r = client.post("/writing", data={"kind": "paper", "title": "论文", "file": (io.BytesIO(data), "论文.docx")},
                    content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "无法读取该 Word 文件" in page and "cannot be read" not in page
    ev = activities.add_evidence(act, t1, t1.id, "attachment", "附件", filename="附件.docx", data=data)
    assert ev.char_count == 0


def _paragraphs_file(paragraphs: int, text: str = "读") -> bytes:
    """A Word file whose body is ``paragraphs`` paragraphs of one run each (written as a stream:
    some kilobytes that unpack to megabytes)."""
    template = zipfile.ZipFile(io.BytesIO(_docx(cell="")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in template.infolist():
            part = template.read(info.filename)
            if info.filename != "word/document.xml":
                z.writestr(info.filename, part)
                continue
            head, _, tail = part.decode().partition("<w:body>")
            with z.open(info.filename, "w") as body:
                body.write(f"{head}<w:body>".encode())
                line = f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode()
                for start in range(0, paragraphs, 10_000):
                    body.write(line * min(10_000, paragraphs - start))
                body.write(tail[tail.index("<w:sectPr"):].encode())
    return out.getvalue()


def test_a_word_file_of_more_elements_than_the_portal_reads_is_refused(app, school, monkeypatch):
    """Bad input: a body of more elements than :data:`file_text.DOCX_ELEMENTS_MAX` (a small upload
    of millions of empty paragraphs) is refused as a file that cannot be read, nothing written;
    one within it is read whole."""
    s, staff = school
    monkeypatch.setattr(file_text, "DOCX_ELEMENTS_MAX", 3_000)
    assert file_text.words_of("笔记.docx", _paragraphs_file(900)) == "\n".join("读" * 900)
    pieces = db.session.query(OwnWriting).count()
    _refused("file", "writing.file_unreadable", lambda: writing.add_writing(
        s, staff["t1"], "paper", "论文", filename="论文.docx", data=_paragraphs_file(1_100)))
    assert db.session.query(OwnWriting).count() == pieces


READ_IN_A_CHILD = """
import re, sys
from portal import file_text


def peak_mb():  # this process's own peak (ru_maxrss starts at the parent's size)
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) // 1024


data = open(sys.argv[1], "rb").read()
before = peak_mb()
try:
    words = str(len(file_text.words_of("笔记.docx", data)))
except file_text.Unreadable:
    words = "unreadable"
print(words, peak_mb() - before)
"""


@pytest.mark.parametrize(("paragraphs", "read"), [(150_000, str(2 * 150_000 - 1)), (3_000_000, "unreadable")],
                         ids=["within-the-bound", "millions-of-paragraphs"])
def test_a_word_file_is_read_in_little_memory(tmp_path: Path, paragraphs, read):
    """A 200 KB upload whose body unpacked to 60 MB of one-character paragraphs took 1.2 GB of a
    web worker to read (python-docx built the whole tree; the bound on what the parts unpack to
    let it through). The body is now read as a stream, each element dropped once its words are
    taken: reading it grows the process by a few megabytes (measured in a child process)."""
    path = tmp_path / "many.docx"
    path.write_bytes(_paragraphs_file(paragraphs))
    assert path.stat().st_size < 400_000  # what an upload may be, many times over
    done = subprocess.run([sys.executable, "-c", READ_IN_A_CHILD, str(path)], capture_output=True, text=True,
                          check=True)
    words, grown_mb = done.stdout.split()
    assert words == read and int(grown_mb) < 40, done.stdout


def test_the_writing_form_offers_word_files(app, school):
    s, staff = school
    client = log_in(app.test_client(), staff["t1"], s.id)
    page = client.get("/writing").get_data(as_text=True)
    assert 'accept=".docx,.txt"' in page and "Word（.docx）" in page
    r = client.post("/writing", data={"kind": "reading_notes", "title": "给教师的建议",
                                      "file": (io.BytesIO(_docx(*LINES)), "笔记.docx")},
                    content_type="multipart/form-data", follow_redirects=True)
    assert r.status_code == 200 and quota_done(staff["t1"], s, "reading_notes") == WORDS
    r = client.post("/writing", data={"kind": "paper", "title": "论文", "file": (io.BytesIO(b"%PDF-1.4"), "论文.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "请上传 Word（.docx）或 .txt 文件" in r.get_data(as_text=True)


@pytest.mark.parametrize(("name", "data", "code"), [
    ("空.docx", _docx(cell=""), "writing.no_characters"),
    ("标点.txt", "。……！？".encode(), "writing.no_characters"),
    ("长.docx", _docx("字" * 100_001, cell=""), "at_most_chars"),
], ids=["empty-word-file", "punctuation-txt", "too-long-word-file"])
def test_what_is_wrong_with_a_files_words_is_told_on_the_file(app, school, name, data, code):
    """Bad input: a file whose words are none, or too many, is refused on the file's field (the
    form's text box was empty: the error stood under it), as an activity's evidence refuses it;
    nothing is written."""
    s, staff = school
    pieces = db.session.query(OwnWriting).count()
    _refused("file", code, lambda: writing.add_writing(s, staff["t1"], "paper", "论文", filename=name, data=data))
    assert db.session.query(OwnWriting).count() == pieces


def test_the_edit_page_names_the_text_files_it_takes(app, school):
    """The correction page said "a Word .docx or UTF-8 .txt file" while a GB18030 (GBK) .txt is
    taken too (``file_text.decode_text``): it names both encodings, in Chinese and in English."""
    s, staff = school
    piece = writing.add_writing(s, staff["t1"], "reflection", "", text="第二篇反思：小组合作要有分工。")
    db.session.commit()
    client = log_in(app.test_client(), staff["t1"], s.id)
    zh = client.get(f"/writing/{piece.id}?lang=zh_Hans_CN").get_data(as_text=True)
    assert ".txt 文件（UTF-8 或 GB18030 编码）" in zh
    en = client.get(f"/writing/{piece.id}?lang=en").get_data(as_text=True)
    assert "a .txt file (UTF-8 or GB18030)" in en and "UTF-8 .txt" not in en
