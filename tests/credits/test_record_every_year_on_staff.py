"""A teacher reads the same answer for a year on every page. The 成长档案 listed the current year
and the years with something of theirs counted, so teacher1's 2025—2026 (no hours, no absence)
was absent from it while the school's 学时汇总表 and the 学时证明 (``record.pdf?year=``) called
that year 未达标 — and the record page ignored ``?year=``. Now it lists every year the school
assessed (holds anything of) while they were on its teaching staff at the year's end, with the
summary's figures; ``?year=`` shows that year alone, says so of a year not on the record, and
refuses a value no calendar holds with the message every year field gives."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import School, User
from portal.services import credits, tokens
from portal.timeutil import current_school_year
from tests.web.conftest import login

DEMO_TEACHER = "teacher1"


def _demo(site) -> tuple[School, User, str, str]:
    school = db.session.execute(db.select(School).where(School.code == "DEMO")).scalar_one()
    teacher = db.session.execute(db.select(User).where(User.username == DEMO_TEACHER)).scalar_one()
    now = current_school_year(school.timezone)
    start = int(now[:4])
    return school, teacher, now, f"{start - 1}-{start}"


def _status(html: str, year: str) -> str | None:
    found = re.search(rf'data-testid="record-status-{year}" data-status="([^"]*)"', html)
    return found[1] if found else None


def test_the_record_lists_a_past_year_the_summary_assesses_with_nothing_of_theirs(make_app):
    site = make_app(demo=True)
    with site.app_context():
        school, teacher, now, last = _demo(site)
        row = next(r for r in credits.school_summary(school, last) if r.user.id == teacher.id)
        assert row.facts.total_hours == 0 and row.assessment.status == "short"  # on the summary: 0 h, 未达标
        years = credits.record_years(teacher, school)
        assert years[:2] == [now, last]
        # every year listed is one its summary assesses them for, with the same figures
        for year, ty in zip(years, (y.summary for y in credits.teacher_record(teacher, school)), strict=True):
            on_summary = {r.user.id: r for r in credits.school_summary(school, year)}
            assert (on_summary[teacher.id].facts, on_summary[teacher.id].assessment) == (ty.facts, ty.assessment)
        teacher_id = teacher.id
        token = tokens.issue(teacher).token
        db.session.commit()
    client = site.test_client()
    login(client, DEMO_TEACHER)
    page = client.get(f"/teachers/{teacher_id}/record").get_data(as_text=True)
    assert _status(page, last) == "short"
    assert re.search(rf'data-testid="record-total-{last}">0<', page)
    assert f"record.pdf?year={last}" in page  # its 学时证明, which says 未达标 too
    api = client.get(f"/api/v1/users/{teacher_id}/credits?year={last}", headers={"Authorization": f"Bearer {token}"})
    assert (api.get_json()["status"], api.get_json()["total_hours"]) == ("short", 0)
    assert client.get(f"/teachers/{teacher_id}/record.pdf?year={last}").status_code == 200


def _as_the_teacher(make_app) -> tuple[FlaskClient, int, str, str]:
    """A client logged in as the demo's teacher, their id, the current year and the last one."""
    site = make_app(demo=True)
    with site.app_context():
        _school, teacher, now, last = _demo(site)
        teacher_id = teacher.id
    client = site.test_client()
    login(client, DEMO_TEACHER)
    return client, teacher_id, now, last


def test_the_record_shows_the_year_asked_for(make_app):
    client, teacher_id, now, last = _as_the_teacher(make_app)
    whole = client.get(f"/teachers/{teacher_id}/record").get_data(as_text=True)
    assert f'data-year="{now}"' in whole and f'data-year="{last}"' in whole
    assert 'data-testid="record-one-year"' not in whole and 'data-testid="record-year-not-on"' not in whole

    one = client.get(f"/teachers/{teacher_id}/record?year={last}").get_data(as_text=True)
    assert re.findall(r'<section class="record-year" data-year="([^"]+)"', one) == [last]
    assert _status(one, last) == _status(whole, last)
    said = re.sub(r"<[^>]+>|\s+", "", re.search(r'data-testid="record-one-year">(.*?)</p>', one, re.S)[1])
    assert said == f"仅显示{last.replace('-', '—')}学年。全部学年"
    assert f'href="/teachers/{teacher_id}/record"' in one  # back to every year

    english = client.get(f"/teachers/{teacher_id}/record?year={last}&lang=en").get_data(as_text=True)
    assert f"Only the {last.replace('-', '–')} school year is shown." in english and "All school years" in english


def test_a_year_not_on_the_record_is_said_and_a_bad_one_refused(make_app):
    client, teacher_id, now, _last = _as_the_teacher(make_app)
    long_ago = "2019-2020"  # the demo school holds nothing of it
    r = client.get(f"/teachers/{teacher_id}/record?year={long_ago}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200
    note = re.search(r'data-testid="record-year-not-on">(.*?)</p>', page, re.S)
    assert note and note[1].startswith("2019—2020学年不在") and "成长档案" in note[1]
    assert f'data-year="{now}"' in page and f'data-year="{long_ago}"' not in page  # the whole record below
    for bad in ("2025", "2025-2027", "abc", "2025-2026x"):
        r = client.get(f"/teachers/{teacher_id}/record?year={bad}")
        text = r.get_data(as_text=True)
        assert r.status_code == 422, bad
        assert "学年" in text and 'data-year="' not in text, bad  # the year field's message, no record
    # empty is the default: the whole record
    assert f'data-year="{now}"' in client.get(f"/teachers/{teacher_id}/record?year=").get_data(as_text=True)
