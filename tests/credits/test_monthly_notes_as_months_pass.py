"""Reading notes every month, as the months pass: a month that ends moves the verdict of a
school that asks notes each month and counts its quotas (``quotas_decide``) with no write at
all — nothing is credited, written or changed, only the clock turns. The district's figures
(its schools' rows of teachers by status: ``/api/v1/district/schools``, the dashboard; read
from the stored teacher-year rows and cached per school) must say what the school's summary
says that day, not what it said when the rows were last written.

A month that is over is a period over: a correction does not fill it after the fact. And a
year the district accepts before it is over is judged, and compared on its acceptance, as of
the day it was sent: the months asked are those over then.

Found on the evening of hCD's audit: half an hour into November a teacher who wrote no note in
October was 未达标 on the school's summary and 达标 in the district's figures, until something
else was written in the school."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from portal.errors import Invalid
from portal.extensions import db
from portal.messages import LostQuotas, msg
from portal.models import OwnWriting, School, TeacherYearRow, User
from portal.policy import Actor
from portal.services import access, credits, submissions, teacher_years, tokens, users, writing
from portal.timeutil import parse_iso
from tests.credits.test_reading_notes_per_month import YEAR, _asking, _at
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.support.texts import prose

ONLY_NOTES = {"quotas_decide": True, "required_hours": 0, "reading_notes_chars": 0, "papers_per_year": 0,
              "reflections_per_semester": 0, "books_per_semester": 0}


def _noon(day: str) -> datetime:
    return parse_iso(f"{day}T12:00", "Asia/Shanghai").replace(tzinfo=UTC)


def _summary(school: School) -> dict[str, int]:
    out: dict[str, int] = {}
    for ty in credits.school_summary(school, YEAR):
        out[ty.shown.status] = out.get(ty.shown.status, 0) + 1  # as the school's pages read them
    return out


def _district(client, district_id: int, code: str) -> dict[str, int]:
    token = tokens.issue(db.session.get_one(User, district_id)).token  # a token of that day
    r = client.get(f"/api/v1/district/schools?year={YEAR}", headers={"Authorization": f"Bearer {token}"})
    body = r.get_json()
    assert r.status_code == 200, body
    row = next(r for r in body if r["school"] == code)
    return {k: v for k, v in row["by_status"].items() if v}


def test_the_district_sees_the_month_that_ended_as_the_school_does(app, s1, staff, time_machine):
    _at(time_machine, _noon("2026-09-10"))
    _asking(s1, 1, **ONLY_NOTES)
    writing.add_writing(s1, staff["t1"], "reading_notes", "《九月》", prose(320, "《九月》"))
    db.session.commit()
    district = f.person(None, "district", "district_admin")
    db.session.commit()
    client, token = app.test_client(), district.id
    rows_before = db.session.query(TeacherYearRow).count()
    # 10 September: no month is over, every teacher meets the rule
    assert _summary(s1) == _district(client, token, "S1") == {"met": 6}
    # 15 October: September is over; only t1 wrote in it
    _at(time_machine, _noon("2026-10-15"))
    db.session.expire_all()
    # (the year under way: short so far reads in progress, on the school's pages and the district's)
    assert _summary(s1) == {"met": 1, "in_progress": 5}
    assert _district(client, token, "S1") == {"met": 1, "in_progress": 5}
    # the last evening of October, read by the district (and kept in its cache) ...
    _at(time_machine, parse_iso("2026-10-31T22:00", "Asia/Shanghai").replace(tzinfo=UTC))
    db.session.expire_all()
    assert _district(client, token, "S1") == {"met": 1, "in_progress": 5}
    # ... and half an hour into November in the school's zone (still 31 October in UTC): October
    # is over too, and nobody wrote in it
    _at(time_machine, parse_iso("2026-11-01T00:30", "Asia/Shanghai").replace(tzinfo=UTC))
    db.session.expire_all()
    assert _summary(s1) == {"in_progress": 6}
    assert _district(client, token, "S1") == {"in_progress": 6}
    counts = teacher_years.counts_by_school(YEAR, [db.session.get_one(School, s1.id)])[s1.id]
    assert counts[1] == {"met": 0, "short": 6, "not_recognised": 0, "exempt": 0}
    # reading wrote nothing
    assert db.session.query(TeacherYearRow).count() == rows_before
    # the year over by the school's clock (its cached district figure was of a year under way):
    # short is said now, on the school's pages and in the district's counts alike
    _at(time_machine, _noon("2027-09-15"))
    db.session.expire_all()
    assert _summary(s1) == {"short": 6}
    assert _district(client, token, "S1") == {"short": 6}


def _rows(user_id: int) -> list[tuple]:
    db.session.expire_all()
    pieces = db.session.execute(select(OwnWriting.id, OwnWriting.kind, OwnWriting.title, OwnWriting.text,
                                       OwnWriting.char_count).where(OwnWriting.user_id == user_id)
                                .order_by(OwnWriting.id)).all()
    stored = db.session.execute(select(TeacherYearRow.status, TeacherYearRow.reason)
                                .where(TeacherYearRow.user_id == user_id)).all()
    return [tuple(r) for r in pieces + stored]


def _september_noted(school: School, user: User, time_machine) -> None:
    """The school asks a note of 300 characters a month; the teacher wrote September's; 10 October."""
    _at(time_machine, _noon("2026-09-10"))
    _asking(school, 1, reading_note_chars=300)
    writing.add_writing(school, user, "reading_notes", "《九月》", prose(320, "九"))
    _at(time_machine, _noon("2026-10-10"))


def test_a_correction_fills_no_month_that_is_over(client, s1, staff, time_machine):
    """A month whose notes are asked is a period over once it ends, as a semester is: a note of
    October too short to count (or a reflection of October) cannot be corrected in November into
    October's note — what is written now is November's. Corrections that make it count for no
    month it lacked (words mended, a note that counted grown) stay allowed."""
    t1 = staff["t1"]
    _september_noted(s1, t1, time_machine)
    stub = writing.add_writing(s1, t1, "reading_notes", "《十月》", prose(100, "十"))
    essay = writing.add_writing(s1, t1, "reflection", "十月反思", prose(400, "思"))
    db.session.commit()
    by = access.actor(t1.id, s1.id)
    _at(time_machine, _noon("2026-11-15"))
    db.session.expire_all()
    assert _monthly_of(t1, s1).short == ("2026-10",)
    before = _rows(t1.id)
    for piece, kind, text, field in ((stub, "reading_notes", prose(320, "补"), "text"),
                                     (essay, "reading_notes", prose(400, "思"), "kind")):
        with pytest.raises(Invalid) as refused:
            writing.edit_writing(s1, db.session.get_one(OwnWriting, piece.id), kind, "《十月》", text, by=by)
        db.session.rollback()
        assert set(refused.value.fields) == {field}
        assert refused.value.fields[field] == msg("writing.over_month")
        assert _rows(t1.id) == before
        assert _monthly_of(t1, s1).short == ("2026-10",)
    # the page says why, in Chinese and in English, and changes nothing either
    log_in(client, t1, s1.id)
    for lang, words in (("zh_Hans_CN", "该篇写作的月份已结束"), ("en", "the month it was written in is over")):
        page = client.post(f"/writing/{stub.id}?lang={lang}",
                           data={"kind": "reading_notes", "title": "《十月》", "text": prose(320, "补")})
        assert page.status_code == 422 and words in page.text, lang
        assert _rows(t1.id) == before
    # mending words, and a piece that fills no month, stay correctable
    writing.edit_writing(s1, db.session.get_one(OwnWriting, stub.id), "reading_notes", "《十月》（订正）",
                         prose(120, "十"), by=by)
    writing.edit_writing(s1, db.session.get_one(OwnWriting, essay.id), "reflection", "十月反思", prose(500, "思"),
                         by=by)
    db.session.commit()
    assert _monthly_of(t1, s1).short == ("2026-10",)
    # in its own month a note may still grow to count
    _at(time_machine, _noon("2026-11-20"))
    late = writing.add_writing(s1, t1, "reading_notes", "《十一月》", prose(100, "冬"))
    writing.edit_writing(s1, late, "reading_notes", "《十一月》", prose(320, "冬"), by=by)
    db.session.commit()
    _at(time_machine, _noon("2026-12-02"))
    assert _monthly_of(t1, s1).short == ("2026-10",)


def test_a_correction_leaves_no_month_that_is_over_short(client, s1, staff, time_machine):
    """A trap: in November a teacher shortened October's only note (320 characters, the school
    asks 300) to 120, or made it a reflection: October was short, for good — correcting it back
    is filling October after the fact (``writing.over_month``), and what is written now counts
    for November. Now the correction that leaves a quota of a period over unmet is refused,
    saying what to keep (``writing.over_less``), and nothing changes; words mended, and a note
    whose month holds another that counts, stay correctable; deleting stays."""
    t1 = staff["t1"]
    _september_noted(s1, t1, time_machine)
    october = writing.add_writing(s1, t1, "reading_notes", "《十月》", prose(320, "十"))
    db.session.commit()
    by = access.actor(t1.id, s1.id)
    _at(time_machine, _noon("2026-11-15"))
    db.session.expire_all()
    assert _monthly_of(t1, s1).short == ()
    before = _rows(t1.id)
    for kind, text, field in (("reading_notes", prose(120, "十"), "text"), ("reflection", prose(320, "十"), "kind")):
        with pytest.raises(Invalid) as refused:
            writing.edit_writing(s1, db.session.get_one(OwnWriting, october.id), kind, "《十月》", text, by=by)
        db.session.rollback()
        assert refused.value.fields == {field: msg("writing.over_less", n=320,
                                                   lost=LostQuotas((("notes_monthly", 0, "2026-10"),)))}
        assert _rows(t1.id) == before
        assert _monthly_of(t1, s1).short == ()
    # the page says why and what to do, in Chinese and in English, and changes nothing either
    log_in(client, t1, s1.id)
    for lang, words in (("zh_Hans_CN", "请只订正文字，保留其类型和原有的 320 字"),
                        ("en", "keep its kind and its 320 characters")):
        page = client.post(f"/writing/{october.id}?lang={lang}",
                           data={"kind": "reading_notes", "title": "《十月》", "text": prose(120, "十")})
        assert page.status_code == 422 and words in page.text, lang
        assert _rows(t1.id) == before
    # words mended, the note still counting: corrected
    mended = prose(310, "十")
    writing.edit_writing(s1, db.session.get_one(OwnWriting, october.id), "reading_notes", "《十月》", mended, by=by)
    db.session.commit()
    assert _rows(t1.id)[1][3] == mended
    # another note written in October that counts: this one may be shortened, October holds
    _at(time_machine, _noon("2026-10-20"))
    other = writing.add_writing(s1, t1, "reading_notes", "《十月又一篇》", prose(300, "又"))
    db.session.commit()
    _at(time_machine, _noon("2026-11-16"))
    writing.edit_writing(s1, db.session.get_one(OwnWriting, october.id), "reading_notes", "《十月》",
                         prose(100, "十"), by=by)
    db.session.commit()
    assert _monthly_of(t1, s1).short == ()
    with pytest.raises(Invalid):  # ... but not the last that holds it
        writing.edit_writing(s1, db.session.get_one(OwnWriting, other.id), "reading_notes", "《十月又一篇》",
                             prose(299, "又"), by=by)
    db.session.rollback()
    writing.delete_writing(s1, db.session.get_one(OwnWriting, other.id), by=by)  # deleting stays
    db.session.commit()
    assert _monthly_of(t1, s1).short == ("2026-10",)


def test_a_correction_leaves_no_semester_that_is_over_short(s1, staff, time_machine):
    """The same for a semester: in March the first semester's one book (a note of 320 characters,
    the school asks 300) shortened to 100 would leave the semester's books short for good (a
    piece of a semester over may not grow back: ``writing.over_more``). Refused; nothing changes."""
    t1 = staff["t1"]
    _at(time_machine, _noon("2026-10-10"))
    _asking(s1, 0, **{**ONLY_NOTES, "books_per_semester": 1, "reading_note_chars": 300})
    book = writing.add_writing(s1, t1, "reading_notes", "《给教师的建议》", prose(320, "书"))
    db.session.commit()
    by = access.actor(t1.id, s1.id)
    _at(time_machine, _noon("2027-03-10"))
    db.session.expire_all()
    before = _rows(t1.id)
    with pytest.raises(Invalid) as refused:
        writing.edit_writing(s1, db.session.get_one(OwnWriting, book.id), "reading_notes", "《给教师的建议》",
                             prose(100, "书"), by=by)
    db.session.rollback()
    assert refused.value.fields == {"text": msg("writing.over_less", n=320, lost=LostQuotas((("books", 1, ""),)))}
    assert _rows(t1.id) == before
    books = [q for q in credits.teacher_year(t1, s1, YEAR).facts.quotas if q.key == "books" and q.semester == 1]
    assert [q.met for q in books] == [True]


def _monthly_of(user: User, school: School):
    db.session.expire_all()
    facts = credits.teacher_year(user, school, YEAR).facts
    return next(q for q in facts.quotas if q.key == "notes_monthly")


def test_a_year_accepted_before_its_end_keeps_the_verdicts_the_district_saw(s1, staff, time_machine):
    """The district may accept a year before it is over. The school sent it on 15 December,
    every teacher with a note in each of September, October and November: 6 met, as the
    district read it. On acceptance the kept rows were judged with every month of the year
    asked — December to July, not over, not written — and the locked year said 6 short. An
    accepted year asks the months that were over when it was sent."""
    teachers, sub, reviewer = _sent_on_15_december(s1, staff, time_machine)
    assert (sub.met, sub.short) == (len(teachers), 0)
    _at(time_machine, _noon("2026-12-20"))  # accepted a few days later, in the same month
    submissions.decide(sub.id, True, by=reviewer, district_id=s1.district_id)
    db.session.commit()
    db.session.expire_all()
    school = db.session.get_one(School, s1.id)
    assert _summary(school) == {"met": len(teachers)}
    assert teacher_years.counts_by_school(YEAR, [school])[s1.id][1]["met"] == len(teachers)
    q = _monthly_of(teachers[0], school)
    assert (q.done, q.target, q.short) == (3, 3, ())
    _at(time_machine, _noon("2027-03-15"))  # months pass: the accepted year stays as accepted
    db.session.expire_all()
    assert _summary(db.session.get_one(School, s1.id)) == {"met": len(teachers)}
    assert _monthly_of(teachers[0], school) == q


def test_a_month_ending_between_sending_and_accepting_changes_no_figure(s1, staff, time_machine):
    """Sent on 15 December, read by the district on 5 January: December ended meanwhile and
    nobody wrote in it, but nothing was written, credited or changed — the clock turned. The
    acceptance refused it as changed since it was sent ("submission.changed"), and the school had
    to send it again. The year is compared as it will be kept: its months asked those over when
    it was sent (a change of the rules since is still a change)."""
    teachers, sub, reviewer = _sent_on_15_december(s1, staff, time_machine)
    _at(time_machine, _noon("2027-01-05"))
    db.session.expire_all()
    assert submissions.changed_since(sub) == 0
    done = submissions.decide(sub.id, True, by=reviewer, district_id=s1.district_id)
    db.session.commit()
    assert done.status == "accepted"
    assert _summary(db.session.get_one(School, s1.id)) == {"met": len(teachers)}


def test_a_rule_changed_since_sending_is_still_a_change(s1, staff, time_machine):
    _at(time_machine, _noon("2026-12-15"))
    _asking(s1, 1, **ONLY_NOTES)
    sub = submissions.submit(s1, YEAR, by=access.actor(staff["admin"].id, s1.id))
    assert submissions.changed_since(sub) == 0
    _asking(s1, 1, required_hours=10)  # every teacher is short of it
    assert submissions.changed_since(sub) == 6


def _sent_on_15_december(s1: School, staff: dict[str, User], time_machine) -> tuple[list[User], Any, Actor]:
    """The school asks a note a month and counts it; on 15 December every teacher has one in each
    of September, October and November, and the admin sends the year: the teachers, the
    submission and a district reviewer to decide it."""
    from tests.credits.test_reading_notes_per_month import MID_DECEMBER, _note

    _at(time_machine, MID_DECEMBER)
    _asking(s1, 1, **ONLY_NOTES)
    teachers = [person for key, person in staff.items() if key != "admin"]
    for t in teachers:
        for m in (9, 10, 11):
            _note(s1, t, f"《{t.username}的{m}月》", m)
    teacher_years.refresh_people(s1.id)  # the notes' days were set after they were written
    db.session.commit()
    reviewer = users.create_user("qu.shenhe", f.PASSWORD, "区审核员", None, ["district_reviewer"],
                                 district_id=s1.district_id)
    sub = submissions.submit(s1, YEAR, by=access.actor(staff["admin"].id, s1.id))
    return teachers, sub, Actor.of(reviewer.id, ["district_reviewer"])
