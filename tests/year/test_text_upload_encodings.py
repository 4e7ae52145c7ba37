"""One decoding rule for the text a school uploads (``file_text.decode_text``): UTF-8 with or
without a byte-order mark, else GB18030 (what Notepad and Excel save on a Chinese Windows), else a
clear refusal. Evidence ``.txt``, own writing and roster imports take the same files."""

from __future__ import annotations

import pytest

from portal import file_text
from portal.errors import Invalid
from portal.services import activities, writing
from portal.services import staff as staff_service
from portal.textcount import chinese_count
from tests.support import factories as f

NOTES = "读《给教师的建议》第3章：让我重新看待后进生。"
NOT_TEXT = b"\x80\xff\xfe\x00binary"  # neither UTF-8 nor GB18030


@pytest.fixture
def school(app):
    s = f.school("F1")
    return s, f.staff(s)


@pytest.mark.parametrize("data", [NOTES.encode("utf-8"), ("\ufeff" + NOTES).encode("utf-8"), NOTES.encode("gb18030"),
                                  NOTES.encode("gbk")])
def test_utf8_with_or_without_bom_and_gb18030_read_the_same(data):
    assert file_text.decode_text(data) == NOTES


def test_neither_is_refused():
    with pytest.raises(file_text.Unreadable):
        file_text.decode_text(NOT_TEXT)


def test_a_gbk_txt_is_handed_in_as_evidence_and_as_own_writing_alike(app, school):
    """Notepad on a Chinese Windows saves GBK: as evidence it was refused ('text file is not UTF-8')
    while the roster import took the same encoding. Now it counts, and is kept as UTF-8 — the
    charset it is served with."""
    s, staff = school
    t1, t2 = staff["t1"], staff["t2"]
    act = f.plan(s, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "读书"})
    data = NOTES.encode("gb18030")
    ev = activities.add_evidence(act, t1, t1.id, "reading_notes", "给教师的建议", filename="notes.txt", data=data)
    piece = writing.add_writing(s, t2, "reading_notes", "给教师的建议", filename="notes.txt", data=data)
    assert ev.char_count == piece.char_count == chinese_count(NOTES) > 0
    path = activities.evidence_path(ev)
    assert path is not None and path.read_bytes().decode("utf-8") == NOTES


def test_bytes_that_are_not_text_are_refused_everywhere_with_the_same_words(app, school):
    s, staff = school
    t1 = staff["t1"]
    act = f.plan(s, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "读书"})
    with pytest.raises(Invalid) as as_evidence:
        activities.add_evidence(act, t1, t1.id, "reading_notes", "笔记", filename="a.txt", data=NOT_TEXT.replace(b"\x00", b""))
    with pytest.raises(Invalid) as as_writing:
        writing.add_writing(s, t1, "reading_notes", "笔记", filename="a.txt", data=NOT_TEXT.replace(b"\x00", b""))
    with pytest.raises(Invalid) as as_roster:
        staff_service._read_table("名册.csv", NOT_TEXT)
    assert str(as_evidence.value.fields["file"]) == str(as_writing.value.fields["file"]) == str(
        as_roster.value.fields["file"])
