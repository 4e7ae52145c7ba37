"""A file handed in as a piece of writing counts once in a teacher's year, as a typed text does
(``quotas.require_new_piece``): the same scan, photo, PDF or .txt file handed in under a written
kind at two activities, or as own writing and again as evidence, is one piece; a .txt file is
the piece its words are."""

from __future__ import annotations

import io
import os
from datetime import datetime

import pytest

from portal.errors import Invalid
from portal.extensions import db
from portal.services import access, activities, writing
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.year.helpers import evidence_count, lectures, quota_done, reflection_at_three_activities_at_once

PDF = b"%PDF-1.4\n% a scanned handwritten reflection\n" + bytes(range(256)) * 4
PHOTO = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(200))
WORDS = "公开课后我发现提问的梯度不够，后进生几乎没有发言的机会。"


@pytest.fixture
def school(app):
    s = f.school("F1")
    return s, f.staff(s)




def _stored_files(app) -> int:
    folder = app.config["UPLOAD_FOLDER"]
    return len(os.listdir(folder)) if os.path.isdir(folder) else 0



def _refused(field: str, code: str, action) -> None:
    with pytest.raises(Invalid) as err:
        action()
    assert err.value.fields[field].code == code, err.value.fields


def test_the_same_file_at_two_activities_counts_once(app, school):
    """Attack: a teacher hands in one scanned reflection (a PDF, a photo) at activity A, then the
    same file at activity B, or at A again, or as reading notes: each counted one more of
    "5 reflections a semester". Refused on the file, nothing saved (nor kept in the folder);
    the organizer handing it in for the teacher is refused the same; another teacher may hand
    in the same file (a shared template), and a file the quotas do not count is not compared."""
    s, staff = school
    t1, t2, org = staff["t1"], staff["t2"], staff["organizer"]
    a, b = lectures(s, org, [t1, t2])
    activities.add_evidence(a, t1, t1.id, "reflection", "听课反思", filename="反思.pdf", data=PDF)
    activities.add_evidence(a, t1, t1.id, "reflection", "", filename="photo.jpg", data=PHOTO)
    n, files = evidence_count(), _stored_files(app)
    for act in (b, a):
        for kind in ("reflection", "reading_notes"):
            _refused("file", "writing.duplicate_file", lambda act=act, kind=kind: activities.add_evidence(
                act, t1, t1.id, kind, "再交一次", filename="again.pdf", data=PDF))
        _refused("file", "writing.duplicate_file", lambda act=act: activities.add_evidence(
            act, t1, t1.id, "reflection", "", filename="IMG_0002.JPG", data=PHOTO))
    _refused("file", "writing.duplicate_file", lambda: activities.add_evidence(  # the organizer, for the teacher
        b, org, t1.id, "reflection", "听课反思", filename="反思.pdf", data=PDF))
    _refused("file", "writing.duplicate_file", lambda: activities.add_evidence(  # new words, the same file
        b, t1, t1.id, "reflection", "听课反思", text=WORDS + "下次提问要分层。", filename="反思.pdf", data=PDF))
    assert evidence_count() == n and _stored_files(app) == files
    assert quota_done(t1, s, "reflections") == 2
    activities.add_evidence(b, t1, t1.id, "reflection", "", filename="p.pdf", data=PDF + b"\n% page 2")  # another file
    activities.add_evidence(b, org, t2.id, "reflection", "听课反思", filename="反思.pdf", data=PDF)  # another teacher
    activities.add_evidence(b, t1, t1.id, "evaluation", "评课稿", filename="反思.pdf", data=PDF)  # not counted writing
    assert quota_done(t1, s, "reflections") == 3 and quota_done(t2, s, "reflections") == 1


def test_a_txt_file_is_the_piece_its_words_are(app, school):
    """Attack: a reflection typed as own writing, then handed in as a .txt file at an activity
    (or the other way round, or the .txt file twice as own writing): the file counted as one
    more reflection. A .txt file's words are compared as a typed text's are (spacing,
    punctuation, a byte order mark make no new piece): refused on the file, or on the text
    when the text is typed after the file."""
    s, staff = school
    t1, org = staff["t1"], staff["organizer"]
    a, b = lectures(s, org, [t1])
    writing.add_writing(s, t1, "reflection", "", WORDS)
    spaced = ("\ufeff" + WORDS.replace("，", " ， ") + "\n").encode()
    _refused("file", "writing.duplicate", lambda: activities.add_evidence(
        a, t1, t1.id, "reflection", "反思", filename="反思.txt", data=spaced))
    _refused("file", "writing.duplicate", lambda: writing.add_writing(
        s, t1, "reflection", "", filename="反思.txt", data=spaced))
    other = "听评课以后，我把小组讨论的时间从五分钟延长到十分钟，效果很好。"
    activities.add_evidence(a, t1, t1.id, "reflection", "反思", filename="讨论.txt", data=other.encode())
    for act in (a, b):  # the same words again: as a file, or typed
        _refused("file", "writing.duplicate", lambda act=act: activities.add_evidence(
            act, t1, t1.id, "reflection", "反思", filename="讨论(1).TXT", data=("\ufeff" + other).encode()))
        _refused("text", "writing.duplicate", lambda act=act: activities.add_evidence(
            act, t1, t1.id, "reflection", "反思", text=other + "  "))
    _refused("text", "writing.duplicate", lambda: writing.add_writing(s, t1, "reflection", "", other))
    _refused("file", "writing.duplicate", lambda: writing.add_writing(
        s, t1, "reflection", "", filename="讨论.txt", data=other.encode()))
    assert quota_done(t1, s, "reflections") == 2
    # a PDF is not read as words: a PDF that happens to be ASCII is not the typed text it holds
    activities.add_evidence(b, t1, t1.id, "reflection", "", filename="x.pdf", data=b"%PDF-1.4 " + WORDS.encode())
    assert quota_done(t1, s, "reflections") == 3


def test_own_writing_from_a_file_counts_once_and_is_not_compared_with_itself(app, school):
    """The same .txt file twice as own writing is one piece; correcting a piece with the file it
    came from (its own words) is no repeat; a file of a piece handed in as evidence is refused
    as own writing."""
    s, staff = school
    t1 = staff["t1"]
    (a,) = lectures(s, staff["organizer"], [t1], n=1)
    data = WORDS.encode()
    piece = writing.add_writing(s, t1, "reflection", "", filename="r.txt", data=data)
    _refused("file", "writing.duplicate", lambda: writing.add_writing(s, t1, "reflection", "", filename="r.txt",
                                                                      data=data))
    who = access.actor(t1.id, s.id)
    writing.edit_writing(s, piece, "reflection", "公开课反思", filename="r.txt", data=data, by=who)
    writing.edit_writing(s, piece, "reflection", "公开课反思", WORDS + "。", by=who)
    assert quota_done(t1, s, "reflections") == 1
    activities.add_evidence(a, t1, t1.id, "reflection", "", filename="讨论.txt", data="分组讨论的反思。".encode())
    _refused("file", "writing.duplicate", lambda: writing.edit_writing(
        s, piece, "reflection", "公开课反思", filename="x.txt", data="分组讨论的反思".encode(), by=who))
    assert quota_done(t1, s, "reflections") == 2


def test_other_schools_and_years_are_other_records(app, school):
    """The rule is the year's record of one teacher in one school: the same file handed in in
    another school the teacher is on the staff of, or in another school year, is taken."""
    s, staff = school
    t1 = staff["t1"]
    (here,) = lectures(s, staff["organizer"], [t1], n=1)
    activities.add_evidence(here, t1, t1.id, "reflection", "反思", filename="反思.pdf", data=PDF)
    (last_year,) = lectures(s, staff["organizer"], [t1], n=1, start=datetime(2025, 10, 15, 14, 0))
    activities.add_evidence(last_year, t1, t1.id, "reflection", "反思", filename="反思.pdf", data=PDF)
    other = f.school("F2")
    f.person(other, t1.username, "teacher")
    org2 = f.person(other, "f2org", "organizer", "teacher")
    (there,) = lectures(other, org2, [t1], n=1)
    activities.add_evidence(there, t1, t1.id, "reflection", "反思", filename="反思.pdf", data=PDF)
    assert quota_done(t1, s, "reflections") == 1 and quota_done(t1, other, "reflections") == 1


def test_the_pages_and_the_api_refuse_it(app, client, school):
    """The evidence form and the own-writing form show the refusal on the file, in Chinese; the
    API answers 422 with the file's message; nothing is saved."""
    s, staff = school
    t1 = staff["t1"]
    a, b = lectures(s, staff["organizer"], [t1])
    activities.add_evidence(a, t1, t1.id, "reflection", "听课反思", filename="反思.pdf", data=PDF)
    activities.add_evidence(a, t1, t1.id, "reflection", "读书反思", filename="读书.txt", data=WORDS.encode())
    db.session.commit()
    n, files = evidence_count(), _stored_files(app)
    log_in(client, t1, s.id)
    r = client.post(f"/activities/{b.id}/evidence", data={
        "kind": "reflection", "title": "反思", "file": (io.BytesIO(PDF), "反思.pdf")}, content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "这个文件已在您的记录中（“听课反思”）" in page and "already in your record" not in page
    r = client.post("/writing", data={"kind": "reflection", "title": "",
                                      "file": (io.BytesIO(WORDS.encode()), "r.txt")}, content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "这段文字已在您的记录中（“读书反思”）" in page and "already in your record" not in page
    token = client.post("/api/v1/auth/token", json={"username": t1.username, "password": f.PASSWORD}).get_json()
    r = client.post(f"/api/v1/activities/{b.id}/evidence", data={
        "kind": "reflection", "title": "反思", "file": (io.BytesIO(PDF), "again.pdf")}, content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {token['token']}", "X-School": s.code, "Accept-Language": "en"})
    assert r.status_code == 422 and r.get_json()["fields"]["file"].startswith("this file is already in your record")
    assert evidence_count() == n and _stored_files(app) == files and quota_done(t1, s, "reflections") == 2


def test_a_file_handed_in_at_two_activities_at_once_saves_one(app, school):
    """Attack: the same scan sent to three activities at the same moment, each request looking
    for it before the others wrote it. The look is made inside the write, one piece of a teacher
    at a time (PostgreSQL when ``YANXIU_TEST_DATABASE_URL`` is set)."""
    s, staff = school
    assert reflection_at_three_activities_at_once(app, s, staff["organizer"], staff["t1"],
                                                  filename="scan.jpg", data=PHOTO) == 1
    assert _stored_files(app) == 1


def test_a_txt_file_of_nothing_that_counts_is_refused(app, school):
    """Attack: a .txt file of only punctuation or spaces handed in as a reflection counted as a
    piece, where the same typed text is refused (``writing.no_characters``); each such file
    with other bytes ("。", "。。", …) was one more reflection. A scan cannot be read, a .txt
    file can: refused on the file, nothing saved."""
    s, staff = school
    t1 = staff["t1"]
    (a,) = lectures(s, staff["organizer"], [t1], n=1)
    for empty in ("。", "\u200b \n", "……！？"):
        _refused("file", "writing.no_characters", lambda empty=empty: activities.add_evidence(
            a, t1, t1.id, "reflection", "反思", filename="r.txt", data=empty.encode()))
    assert evidence_count() == 0 and _stored_files(app) == 0 and quota_done(t1, s, "reflections") == 0
    activities.add_evidence(a, t1, t1.id, "evaluation", "评课", filename="r.txt", data="。".encode())  # not writing
