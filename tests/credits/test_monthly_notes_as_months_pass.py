"""Reading notes every month, as the months pass: a month that ends moves the verdict of a
school that asks notes each month and counts its quotas (``quotas_decide``) with no write at
all — nothing is credited, written or changed, only the clock turns. The district's figures
(its schools' rows of teachers by status: ``/api/v1/district/schools``, the dashboard; read
from the stored teacher-year rows and cached per school) must say what the school's summary
says that day, not what it said when the rows were last written.

Found on the evening of hCD's audit: on 15 November a teacher who wrote no note in October was
未达标 on the school's summary and 达标 in the district's figures, until something else was
written in the school."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.extensions import db
from portal.models import School, TeacherYearRow, User
from portal.services import credits, teacher_years, tokens, writing
from portal.timeutil import parse_iso
from tests.credits.test_reading_notes_per_month import YEAR, _asking, _at
from tests.support import factories as f
from tests.support.texts import prose

ONLY_NOTES = {"quotas_decide": True, "required_hours": 0, "reading_notes_chars": 0, "papers_per_year": 0,
              "reflections_per_semester": 0, "books_per_semester": 0}


def _noon(day: str) -> datetime:
    return parse_iso(f"{day}T12:00", "Asia/Shanghai").replace(tzinfo=UTC)


def _summary(school: School) -> dict[str, int]:
    out: dict[str, int] = {}
    for ty in credits.school_summary(school, YEAR):
        out[ty.assessment.status] = out.get(ty.assessment.status, 0) + 1
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
    assert _summary(s1) == {"met": 1, "short": 5}
    assert _district(client, token, "S1") == {"met": 1, "short": 5}
    # the last evening of October, read by the district (and kept in its cache) ...
    _at(time_machine, parse_iso("2026-10-31T22:00", "Asia/Shanghai").replace(tzinfo=UTC))
    db.session.expire_all()
    assert _district(client, token, "S1") == {"met": 1, "short": 5}
    # ... and half an hour into November in the school's zone (still 31 October in UTC): October
    # is over too, and nobody wrote in it
    _at(time_machine, parse_iso("2026-11-01T00:30", "Asia/Shanghai").replace(tzinfo=UTC))
    db.session.expire_all()
    assert _summary(s1) == {"short": 6}
    assert _district(client, token, "S1") == {"short": 6}
    counts = teacher_years.counts_by_school(YEAR, [db.session.get_one(School, s1.id)])[s1.id]
    assert counts[1] == {"met": 0, "short": 6, "not_recognised": 0, "exempt": 0}
    # reading wrote nothing
    assert db.session.query(TeacherYearRow).count() == rows_before
