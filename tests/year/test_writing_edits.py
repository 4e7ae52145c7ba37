"""A teacher corrects or deletes their own writing (no activity's): only its author, never in
a year the district accepted; bad input changes nothing; the quotas follow at once, on the
page and in the API."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.database import write_transaction
from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.models import OwnWriting, TeacherYearRow
from portal.policy import SYSTEM
from portal.services import access, credits, schools, submissions, teacher_years, writing
from portal.services.activities import TEXT_MAX
from portal.timeutil import current_school_year
from tests.district.conftest import prepared, world  # noqa: F401 (fixtures)
from tests.support import factories as f
from tests.support.at_once import at_once
from tests.support.sessions import log_in
from tests.support.texts import prose


def _notes_done(user, school) -> int:
    facts = credits.teacher_year(user, school, current_school_year(school.timezone)).facts
    return next(q.done for q in facts.quotas if q.key == "reading_notes")


def _row(piece_id: int) -> tuple:
    p = db.session.get(OwnWriting, piece_id)
    db.session.refresh(p)
    return (p.kind, p.title, p.text, p.char_count, p.updated_at)


@pytest.fixture
def school(app):
    s = f.school("W1")
    return s, f.staff(s)


def test_author_corrects_and_deletes_and_quotas_follow(school):
    s, staff = school
    t1 = staff["t1"]
    who = access.actor(t1.id, s.id)
    piece = writing.add_writing(s, t1, "reading_notes", "《给教师的建议》", prose(6200, "读"))
    assert _notes_done(t1, s) == 6200
    edited = writing.edit_writing(s, writing.own_piece(s, piece.id, who), "reading_notes", "《给教师的建议》（修订）",
                                  prose(8000, "读"), by=who)
    assert edited.char_count == 8000 and edited.updated_at is not None and _notes_done(t1, s) == 8000
    writing.edit_writing(s, piece, "paper", "大单元教学初探", prose(3000, "论"), by=who)  # the kind was wrong
    assert _notes_done(t1, s) == 0
    facts = credits.teacher_year(t1, s, current_school_year(s.timezone)).facts
    assert next(q.done for q in facts.quotas if q.key == "paper") == 1
    writing.delete_writing(s, piece, by=who)
    assert db.session.get(OwnWriting, piece.id) is None  # deleted for good
    assert next(q.done for q in credits.teacher_year(t1, s, current_school_year(s.timezone)).facts.quotas
                if q.key == "paper") == 0


def test_the_stored_year_row_follows_when_quotas_decide(school):
    s, staff = school
    t1 = staff["t1"]
    who = access.actor(t1.id, s.id)
    schools.update_rules(s, {"quotas_decide": True, "required_hours": 0, "papers_per_year": 0,
                             "reflections_per_semester": 0, "books_per_semester": 0}, by=SYSTEM)  # notes only
    year = current_school_year(s.timezone)
    piece = writing.add_writing(s, t1, "reading_notes", "书", prose(10000, "读"))

    def stored_reason() -> str:
        return db.session.execute(select(TeacherYearRow.reason).where(
            TeacherYearRow.user_id == t1.id, TeacherYearRow.school_year == year)).scalar_one()

    assert stored_reason() == ""  # met
    writing.edit_writing(s, piece, "reading_notes", "书", prose(100, "读"), by=who)
    assert stored_reason() == "quota_reading_notes"  # in the same transaction as the correction


@pytest.mark.parametrize(
    ("kind", "title", "text", "field"),
    [
        ("reading_notes", "书", "", "text"),
        ("reading_notes", "书", "   \n ", "text"),
        ("reading_notes", "书", "读" * (TEXT_MAX + 1), "text"),
        ("reading_notes", "书" * 201, "读书", "title"),
        ("reading_notes", "", "读书", "title"),
        ("diary", "书", "读书", "kind"),
        ("reading_notes", "书", "读\x00书", "text"),
    ],
)
def test_bad_corrections_change_nothing(school, kind, title, text, field):
    s, staff = school
    t1 = staff["t1"]
    piece = writing.add_writing(s, t1, "reading_notes", "书", "读书笔记")
    before = _row(piece.id)
    with pytest.raises(Invalid) as info:
        writing.edit_writing(s, piece, kind, title, text, by=access.actor(t1.id, s.id))
    db.session.rollback()
    assert field in info.value.fields and _row(piece.id) == before


def test_nobody_else_finds_a_piece(school):
    s, staff = school
    piece = writing.add_writing(s, staff["t1"], "reading_notes", "书", "读书笔记")
    for other in (staff["t2"], staff["admin"], staff["reviewer"]):
        with pytest.raises(NotFound):
            writing.own_piece(s, piece.id, access.actor(other.id, s.id))
    for bad in (0, -1, 2**40, "1", None, True):
        with pytest.raises(NotFound):
            writing.own_piece(s, bad, access.actor(staff["t1"].id, s.id))
    other_school = f.school("W2")
    with pytest.raises(NotFound):
        writing.own_piece(other_school, piece.id, access.actor(staff["t1"].id, other_school.id))


def test_a_locked_year_refuses_corrections_and_deletion(world, client):  # noqa: F811
    from portal.policy import Actor
    from tests.district.conftest import YEAR

    s1, t1 = world.s1, world.staff["t1"]
    who = access.actor(t1.id, s1.id)
    piece = writing.add_writing(s1, t1, "reading_notes", "书", "读书笔记")
    sub = submissions.submit(s1, YEAR, by=access.actor(world.staff["admin"].id, s1.id))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    before = _row(piece.id)
    for change in (lambda: writing.edit_writing(s1, piece, "paper", "论文", "论" * 10, by=who),
                   lambda: writing.delete_writing(s1, piece, by=who),
                   lambda: writing.add_writing(s1, t1, "reading_notes", "书", "又一篇")):
        with pytest.raises(Conflict) as info:
            change()
        assert info.value.msg.code == "year.locked"
        db.session.rollback()
    assert _row(piece.id) == before
    assert db.session.scalar(select(func.count()).select_from(OwnWriting)) == 1
    log_in(client, t1, s1.id)
    page = client.get("/writing").text
    assert 'data-testid="writing-locked"' in page and f'data-testid="writing-edit-{piece.id}"' not in page
    r = client.post(f"/writing/{piece.id}", data={"kind": "paper", "title": "论文", "text": "论" * 10})
    assert r.status_code == 409 and "锁定" in r.text and _row(piece.id) == before
    r = client.post(f"/writing/{piece.id}/delete", follow_redirects=True)
    assert r.status_code == 200 and _row(piece.id) == before
    api = client.put(f"/api/v1/me/writing/{piece.id}", json={"kind": "paper", "title": "论文", "text": "论"},
                     headers={"Authorization": "Bearer " + client.post("/api/v1/auth/token", json={
                         "username": t1.username, "password": f.PASSWORD}).get_json()["token"], "X-School": s1.code})
    assert api.status_code == 409 and api.get_json()["error"] == "conflict" and _row(piece.id) == before


def test_pages_correct_and_delete(app, client, school):
    s, staff = school
    t1, t2 = staff["t1"], staff["t2"]
    piece = writing.add_writing(s, t1, "reading_notes", "书", prose(500, "读"))
    pid = piece.id
    log_in(client, t2, s.id)
    assert client.get(f"/writing/{pid}").status_code == 404  # another person's: not found
    assert client.post(f"/writing/{pid}/delete").status_code == 404
    log_in(client, t1, s.id)
    page = client.get("/writing").text
    assert f'data-testid="writing-edit-{pid}"' in page and f'data-testid="writing-delete-{pid}"' in page
    form = client.get(f"/writing/{pid}")
    assert form.status_code == 200 and prose(500, "读") in form.text and "修改文字" in form.text
    bad = client.post(f"/writing/{pid}", data={"kind": "reading_notes", "title": "书", "text": ""})
    assert bad.status_code == 422 and 'data-testid="writing-error"' in bad.text
    assert "Invalid" not in bad.text and _row(pid)[2] == prose(500, "读")
    nul = client.post(f"/writing/{pid}", data={"kind": "reading_notes", "title": "书\x00", "text": "读书"})
    assert nul.status_code in (400, 422) and _row(pid)[1] == "书"
    wrong = client.post(f"/writing/{pid}", data={"kind": "diary", "title": "书", "text": "读书"})
    assert wrong.status_code == 422 and _row(pid)[0] == "reading_notes"
    ok = client.post(f"/writing/{pid}", data={"kind": "reading_notes", "title": "书（改）", "text": prose(700, "读")})
    assert ok.status_code == 302 and _row(pid)[1:4] == ("书（改）", prose(700, "读"), 700)
    page = client.get("/writing?lang=en").text
    assert 'data-testid="writing-edited"' in page and "700 of 10,000 characters" in page
    assert client.post(f"/writing/{pid}/delete").status_code == 302
    assert db.session.get(OwnWriting, pid) is None
    assert "0 of 10,000 characters" in client.get("/writing?lang=en").text


def test_api_correct_and_delete(app, client, school):
    s, staff = school
    t1 = staff["t1"]
    piece = writing.add_writing(s, t1, "reading_notes", "书", prose(500, "读"))

    def auth(username):
        token = client.post("/api/v1/auth/token", json={"username": username, "password": f.PASSWORD}).get_json()
        return {"Authorization": f"Bearer {token['token']}", "X-School": s.code}

    mine, theirs = auth(t1.username), auth(staff["t2"].username)
    url = f"/api/v1/me/writing/{piece.id}"
    body = {"kind": "reading_notes", "title": "书", "text": prose(900, "读")}
    assert client.put(url, json=body, headers=theirs).status_code == 404
    assert client.delete(url, headers=theirs).status_code == 404
    assert client.put("/api/v1/me/writing/999999", json=body, headers=mine).status_code == 404
    for bad in ({**body, "text": ""}, {**body, "text": "读" * (TEXT_MAX + 1)}, {**body, "kind": "diary"},
                {**body, "title": "书" * 201}, {**body, "extra": 1}, {"kind": "reading_notes"},
                {**body, "title": "书\x00"}, {**body, "text": "读\x00"}):  # PostgreSQL refuses NUL: never reaches it
        r = client.put(url, json=bad, headers=mine)
        assert r.status_code == 422, bad
    blank = client.put(url, json={**body, "text": "  \n "}, headers=mine)
    assert blank.status_code == 422 and blank.get_json()["fields"]["text"] == "write the text or attach a file"
    rules = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/me/writing/{piece_id}"]["put"]
    assert {r["field"] for r in rules["x-data-rules"]} == {"title", "text"}
    assert _row(piece.id)[2] == prose(500, "读")
    r = client.put(url, json=body, headers={**mine, "Accept-Language": "zh"})
    assert r.status_code == 200 and r.get_json()["char_count"] == 900 and r.get_json()["updated_at"]
    got = client.get("/api/v1/me/writing", headers=mine).get_json()
    assert next(q["done"] for q in got["quotas"] if q["key"] == "reading_notes") == 900
    gone = client.delete(url, headers=mine)  # nothing of a period over lost: said as nothing
    assert gone.status_code == 200 and gone.get_json() == {"id": int(url.rsplit("/", 1)[1]), "lost": [], "message": None}
    assert client.delete(url, headers=mine).status_code == 404
    got = client.get("/api/v1/me/writing", headers=mine).get_json()
    assert got["writing"] == [] and next(q["done"] for q in got["quotas"] if q["key"] == "reading_notes") == 0
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"put", "delete"} <= set(doc["paths"]["/api/v1/me/writing/{piece_id}"])


def test_a_file_replaces_the_text(app, client, school):
    import io

    s, staff = school
    t1 = staff["t1"]
    piece = writing.add_writing(s, t1, "paper", "初稿", "论" * 10)
    log_in(client, t1, s.id)
    url = f"/writing/{piece.id}"
    bad = client.post(url, data={"kind": "paper", "title": "定稿", "file": (io.BytesIO("论".encode()), "paper.docx")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and _row(piece.id)[1:4] == ("初稿", "论" * 10, 10)
    both = client.post(url, data={"kind": "paper", "title": "定稿", "text": "又写",
                                  "file": (io.BytesIO("论".encode()), "paper.txt")}, content_type="multipart/form-data")
    assert both.status_code == 422 and _row(piece.id)[1] == "初稿"
    not_utf8 = client.post(url, data={"kind": "paper", "title": "定稿",
                                      "file": (io.BytesIO(b"\xff\xfe\x80 not text"), "paper.txt")},
                           content_type="multipart/form-data")
    assert not_utf8.status_code == 422 and _row(piece.id)[1] == "初稿"
    ok = client.post(url, data={"kind": "paper", "title": "定稿", "file": (io.BytesIO((prose(3000, "论")).encode()), "p.txt")},
                     content_type="multipart/form-data")
    assert ok.status_code == 302 and _row(piece.id)[1:4] == ("定稿", prose(3000, "论"), 3000)
    facts = credits.teacher_year(t1, s, current_school_year(s.timezone)).facts
    assert next(q.done for q in facts.quotas if q.key == "paper") == 1


def _reflections_done(user, school) -> int:
    facts = credits.teacher_year(user, school, current_school_year(school.timezone)).facts
    return sum(q.done for q in facts.quotas if q.key == "reflections")


def test_one_piece_counts_once(app, client, school):
    """Attack: own writing is reviewed by nobody, so the same reflection added five times (or a
    double-clicked submit) met "5 reflections a semester", and the same reading notes typed in
    twice counted twice. A text already in the teacher's record this year (own writing, or
    written evidence of an activity) is now refused, on adding and on correcting; other
    teachers may of course write the same words."""
    s, staff = school
    t1, t2 = staff["t1"], staff["t2"]
    text = "今天的阅读课上，学生提问比预想的多，我应当留出更多讨论的时间。"
    first = writing.add_writing(s, t1, "reflection", "", text)
    n = db.session.scalar(select(func.count()).select_from(OwnWriting))
    for again in (text, f"  {text}\n"):
        with pytest.raises(Invalid) as err:
            writing.add_writing(s, t1, "reflection", "", again)
        assert err.value.fields["text"].code == "writing.duplicate"
    with pytest.raises(Invalid):  # the same words as reading notes: counted once, as what they are
        writing.add_writing(s, t1, "reading_notes", "《给教师的建议》", text)
    assert db.session.scalar(select(func.count()).select_from(OwnWriting)) == n
    assert _reflections_done(t1, s) == 1
    other = writing.add_writing(s, t1, "reflection", "", "单元整体教学需要先理清大概念，再设计学习任务。")
    with pytest.raises(Invalid):  # correcting a piece into a copy of another
        writing.edit_writing(s, other, "reflection", "", text, by=access.actor(t1.id, s.id))
    writing.edit_writing(s, first, "reflection", "反思", text, by=access.actor(t1.id, s.id))  # its own text: fine
    writing.add_writing(s, t2, "reflection", "", text)  # someone else's record
    act = f.plan(s, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "阅读"})
    from portal.services import activities

    activities.add_evidence(act, t1, t1.id, "reading_notes", "《论语》", text="学而时习之，不亦说乎。" + prose(180, "论语"))
    with pytest.raises(Invalid):  # reading notes handed in at an activity, typed in again
        writing.add_writing(s, t1, "reading_notes", "《论语》", "学而时习之，不亦说乎。" + prose(180, "论语"))
    log_in(client, t1, s.id)
    token = client.post("/api/v1/auth/token", json={"username": t1.username, "password": f.PASSWORD}).get_json()
    r = client.post("/api/v1/me/writing", json={"kind": "reflection", "title": "", "text": text},
                    headers={"Authorization": f"Bearer {token['token']}", "X-School": s.code, "Accept-Language": "en"})
    assert r.status_code == 422 and r.get_json()["fields"]["text"].startswith("this text is already in your record")
    assert _reflections_done(t1, s) == 2


def test_a_double_click_saves_one_piece(app, school, monkeypatch):
    """Attack (or a double-click): the same reflection sent twice at the same moment; each
    looked for the text before the other was written, and both were saved. The look is made
    inside the write, one piece of a teacher at a time (PostgreSQL when
    ``YANXIU_TEST_DATABASE_URL`` is set)."""
    import time

    from portal.models import School, User

    s, staff = school
    real = writing._require_new_text

    def slow(*args, **kwargs):
        real(*args, **kwargs)
        time.sleep(0.05)

    monkeypatch.setattr(writing, "_require_new_text", slow)
    school_id, user_id = s.id, staff["t1"].id
    db.session.commit()
    db.session.remove()

    def send():
        writing.add_writing(db.session.get(School, school_id), db.session.get(User, user_id), "reflection", "",
                            "今天的阅读课上，学生提问比预想的多。")

    assert at_once(app, 3, send, Invalid) == [201, 422, 422]
    assert db.session.scalar(select(func.count()).select_from(OwnWriting).where(OwnWriting.user_id == user_id)) == 1


def test_padding_does_not_make_a_new_piece(school):
    """Attack: the same reflection sent again with a space, a comma or a zero-width character
    inside it (or in full-width letters) was a different text, and met one more of the five
    reflections a semester. Texts are compared by the characters that count (``textcount``):
    spacing, punctuation, invisible characters and letter case do not make a new piece, nor do
    words added round it (the piece is held whole: ``quotas._holds``)."""
    s, staff = school
    t1 = staff["t1"]
    text = "今天的阅读课上，学生提问比预想的多，我应当留出更多讨论的时间。PBL 2"
    writing.add_writing(s, t1, "reflection", "", text)
    n = db.session.scalar(select(func.count()).select_from(OwnWriting))
    for padded in (
        text.replace("，", " ，  "),
        text.replace("，", ""),
        text.replace("阅读", "阅\u200b读"),
        text.replace("。", "！！！") + "\u3000",
        text.replace("PBL", "ｐｂｌ"),
    ):
        with pytest.raises(Invalid) as err:
            writing.add_writing(s, t1, "reflection", "", padded)
        assert err.value.fields["text"].code == "writing.duplicate"
    assert db.session.scalar(select(func.count()).select_from(OwnWriting)) == n
    assert _reflections_done(t1, s) == 1
    for longer in (text + "下次先分组。", "前言" + text):  # words added round it: the same piece held whole
        with pytest.raises(Invalid) as err:
            writing.add_writing(s, t1, "reflection", "", longer)
        assert err.value.fields["text"].code == "writing.repeats"
    near = (  # third attack: near-copies are the piece again too
        text.replace("阅读", "语文"),  # a word changed
        text[20:] + text[:20],  # its parts moved round
        text[3:16],  # a stretch of it alone (13 characters)
    )
    for copy in near:
        with pytest.raises(Invalid) as err:
            writing.add_writing(s, t1, "reflection", "", copy)
        assert err.value.fields["text"].code == "writing.repeats", copy
    writing.add_writing(s, t1, "reflection", "", "下次先分组，再请每组派代表说一说讨论的结果。")  # a new piece
    # another reflection quoting a sentence of the first is a piece of its own
    writing.add_writing(s, t1, "reflection", "", "上周我写过：学生提问比预想的多。这周我把讨论时间延长到十五分钟，"
                                                  "又请每个小组先写下问题再发言，课堂节奏明显更从容了，后进生也开口了。")


def test_a_text_of_nothing_that_counts_is_refused(school):
    """Attack: a reflection is counted as a piece, not by length, so five "texts" of only
    punctuation, spaces or zero-width characters (0 characters counted) met "5 reflections a
    semester". A text with no character that counts is refused, on adding and correcting."""
    s, staff = school
    t1 = staff["t1"]
    piece = writing.add_writing(s, t1, "reflection", "", "课堂上学生很投入。")
    before = _row(piece.id)
    n = db.session.scalar(select(func.count()).select_from(OwnWriting))
    for empty in ("。", "……！？", "\u200b\u200b\u200b", " \u3000 ，", "\u2060\ufeff-"):
        with pytest.raises(Invalid) as err:
            writing.add_writing(s, t1, "reflection", "", empty)
        assert err.value.fields["text"].code == "writing.no_characters"
        with pytest.raises(Invalid):
            writing.edit_writing(s, piece, "reflection", "", empty, by=access.actor(t1.id, s.id))
    assert db.session.scalar(select(func.count()).select_from(OwnWriting)) == n
    assert _row(piece.id) == before
    assert _reflections_done(t1, s) == 1


def test_own_writing_handed_in_again_as_evidence_counts_once(school):
    """Attack: the other way round from ``test_one_piece_counts_once``: a reflection typed in
    as own writing, then handed in word for word (or with a space added) as the written
    evidence of an activity, counted twice towards "5 reflections a semester". Written
    evidence that repeats a piece of the teacher's own writing of the year is refused, and
    nothing is saved; other evidence, and the same words from another teacher, are taken."""
    from portal.models import Evidence
    from portal.services import activities

    s, staff = school
    t1, t2 = staff["t1"], staff["t2"]
    text = "公开课后我发现提问的梯度不够，后进生几乎没有发言的机会。"
    writing.add_writing(s, t1, "reflection", "", text)
    act = f.plan(s, staff["organizer"], "lecture", [(t1, "attendee"), (t2, "attendee")], {"topic": "提问"})
    n = db.session.scalar(select(func.count()).select_from(Evidence))
    for again in (text, text.replace("，", " , ")):
        with pytest.raises(Invalid) as err:
            activities.add_evidence(act, t1, t1.id, "reflection", "听课反思", text=again)
        assert err.value.fields["text"].code == "writing.duplicate"
    with pytest.raises(Invalid):  # added for the teacher by the organizer: the same record
        activities.add_evidence(act, staff["organizer"], t1.id, "reflection", "听课反思", text=text)
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == n
    assert _reflections_done(t1, s) == 1
    activities.add_evidence(act, t1, t1.id, "reflection", "听课反思", text="下次提问要分层，先让后进生回答。")
    activities.add_evidence(act, t2, t2.id, "reflection", "听课反思", text=text)
    assert _reflections_done(t1, s) == 2


def test_writing_cannot_be_filed_into_another_year(app, client, school):
    """Attack (found holding): backdating a piece into last year or the other semester, or
    moving it there by correcting it. The API refuses a school year or semester in the body;
    the page takes none (it files the piece under today, in the school's time); a correction
    keeps the piece's year and semester."""
    s, staff = school
    t1 = staff["t1"]
    year = current_school_year(s.timezone)
    last = f"{int(year[:4]) - 1}-{int(year[:4])}"
    token = client.post("/api/v1/auth/token", json={"username": t1.username, "password": f.PASSWORD}).get_json()
    mine = {"Authorization": f"Bearer {token['token']}", "X-School": s.code}
    body = {"kind": "reflection", "title": "", "text": "去年的一节课，我至今记得学生的提问。"}
    for extra in ({"school_year": last}, {"semester": 2}, {"created_at": "2020-01-01T00:00:00Z"}):
        assert client.post("/api/v1/me/writing", json={**body, **extra}, headers=mine).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(OwnWriting)) == 0
    log_in(client, t1, s.id)
    client.post("/writing", data={**body, "school_year": last, "semester": "2", "year": last})
    piece = db.session.execute(select(OwnWriting)).scalar_one()
    assert piece.school_year == year
    filed = (piece.school_year, piece.semester)
    r = client.put(f"/api/v1/me/writing/{piece.id}", json={**body, "school_year": last}, headers=mine)
    assert r.status_code == 422
    writing.edit_writing(s, piece, "reflection", "", body["text"] + "补记。", by=access.actor(t1.id, s.id))
    db.session.refresh(piece)
    assert (piece.school_year, piece.semester) == filed


def test_written_evidence_of_nothing_that_counts_is_refused(school):
    """Attack: as ``test_a_text_of_nothing_that_counts_is_refused``, at an activity: a
    "reflection" handed in as evidence of only punctuation or zero-width characters counted as
    one of the semester's reflections. Written evidence (a kind the quotas count) typed in
    needs a character that counts; nothing is saved."""
    from portal.models import Evidence
    from portal.services import activities

    s, staff = school
    t1 = staff["t1"]
    act = f.plan(s, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "提问"})
    n = db.session.scalar(select(func.count()).select_from(Evidence))
    for empty in ("。", "\u200b\u200b", "……！？"):
        for kind in ("reflection", "reading_notes", "paper"):
            with pytest.raises(Invalid) as err:
                activities.add_evidence(act, t1, t1.id, kind, "听课反思", text=empty)
            assert err.value.fields["text"].code == "writing.no_characters"
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == n
    assert _reflections_done(t1, s) == 0


def test_a_files_words_with_a_direction_control_are_refused_on_the_file_field(school):
    """Review: a .txt of a reading note holding U+202E passed no request guard (its words are
    read from the file), was saved, and its edit form could then never be saved back."""
    s, t1 = school[0], school[1]["t1"]
    before = db.session.execute(select(func.count()).select_from(OwnWriting)).scalar_one()
    text = prose(300, "读") + "\u202e时学03定认已"
    with pytest.raises(Invalid) as err:
        writing.add_writing(s, t1, "reading_notes", "读书笔记", None, "笔记.txt", text.encode())
    assert err.value.fields["file"].code == "guard.bidi"
    assert db.session.execute(select(func.count()).select_from(OwnWriting)).scalar_one() == before
    writing.add_writing(s, t1, "reading_notes", "读书笔记", None, "笔记.txt", (prose(300, "读") + "\u200e").encode())  # a mark


def test_a_piece_of_a_semester_over_counts_no_more_by_correcting_it(school):
    """Attack: a piece cannot be filed into last year (the test above), but correcting last
    year's short reading note into 10,000 characters written today filled last year's quota all
    the same, and so did turning a note into a reflection of a semester that was over. Once its
    semester is over (the school's time), a correction may mend words, never count more: the
    kind is kept and the characters do not grow. Deleting stays (it counts less)."""
    s, staff = school
    t1 = staff["t1"]
    who = access.actor(t1.id, s.id)
    year = current_school_year(s.timezone)
    last = f"{int(year[:4]) - 1}-{int(year[:4])}"
    short = prose(800, "读")
    piece = writing.add_writing(s, t1, "reading_notes", "《给教师的建议》", short)
    with write_transaction():
        piece.school_year, piece.semester = last, 2  # written last year, before the rule
    teacher_years.refresh(s, last, [t1.id])
    for kind, text, field in (("reading_notes", prose(10000, "读"), "text"), ("reflection", short, "kind")):
        with pytest.raises(Invalid) as refused:
            writing.edit_writing(s, writing.own_piece(s, piece.id, who), kind, "《给教师的建议》", text, by=who)
        assert "学期已结束" in refused.value.to_dict("zh_Hans_CN")["fields"][field]
        assert _row(piece.id)[:4] == ("reading_notes", "《给教师的建议》", short, 800)
    mended = short[:-2] + "。"  # a slip put right: no more characters
    writing.edit_writing(s, piece, "reading_notes", "《给教师的建议》（修订）", mended, by=who)
    assert _row(piece.id)[1:3] == ("《给教师的建议》（修订）", mended)
    writing.delete_writing(s, piece, by=who)
    assert db.session.get(OwnWriting, piece.id) is None
