"""The school summary page reads the stored teacher-year rows (``teacher_years.summary_rows``)
instead of aggregating the ledger again: the same teachers, in the same order, with the same
facts and verdicts as the builder (``credits.school_summary``, which the exports, the PDF and
the API use), and the same page. A year without rows, or one the district accepted whole
(its rows stay as accepted), is computed by the builder as before."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import cache, db
from portal.models import School, TeacherYearRow, YearLock, YearSubmission
from portal.reports.views import CERTIFICATES_FORMS
from portal.services import credits, exemptions, schools, teacher_years, users, verification
from portal.services.access import actor as actor_of
from portal.timeutil import current_school_year
from tests.perf.conftest import login, site

CSRF = re.compile(rb'name="csrf_token" value="[^"]*"')


def _as_shown(rows: list) -> list[tuple]:
    return [(r.user.id, r.user.username, r.user.display_name, r.facts, r.assessment) for r in rows]


def _school(code: str) -> School:
    return db.session.execute(select(School).where(School.code == code)).scalar_one()


def test_stored_rows_give_the_builders_summary(app, generated):
    [code] = generated(teachers=24, years=2, seed=31)
    school = _school(code)
    admin = users.by_username(f"{code.lower()}-t001")
    year = current_school_year()
    # an exemption, a retirement-age teacher's rules, writing quotas that decide the status
    exemptions.set_exemption(school, admin, users.by_username(f"{code.lower()}-t010").id, year, "长期病假")
    schools.update_rules(
        school, {"required_hours": 30, "reflections_per_semester": 2, "quotas_decide": True},
        by=actor_of(admin.id, school.id),
    )
    db.session.commit()
    first = int(year[:4])
    for y in (year, f"{first - 1}-{first}"):
        stored = teacher_years.summary_rows(school, y)
        assert stored is not None, y
        built = credits.school_summary(school, y)
        assert _as_shown(stored) == _as_shown(built), y
    statuses = {r.assessment.status for r in credits.school_summary(school, year)}
    assert {"exempt", "short"} <= statuses, statuses


def test_the_page_is_the_same_from_stored_rows_and_from_the_builder(app, generated):
    [code] = generated(teachers=20, years=1, seed=32)
    s = site(code)
    client = login(app.test_client(), s.admin, s.school.id)
    pages = []
    for lang in ("zh_Hans_CN", "en"):
        with app.app_context():
            cache.clear()
            stored = client.get(f"/reports/summary?lang={lang}")
            db.session.execute(TeacherYearRow.__table__.delete())
            db.session.commit()
            cache.clear()
            built = client.get(f"/reports/summary?lang={lang}")
            teacher_years.rebuild()
            db.session.commit()
        assert stored.status_code == built.status_code == 200
        pages.append(stored.data)
        assert CSRF.sub(b"", stored.data) == CSRF.sub(b"", built.data), lang
    assert pages[0] != pages[1]  # both languages were shown


def test_a_year_without_rows_or_accepted_whole_is_computed(app, generated):
    [code] = generated(teachers=8, years=1, seed=33)
    school = _school(code)
    admin = users.by_username(f"{code.lower()}-t001")
    year = current_school_year()
    assert teacher_years.summary_rows(school, year) is not None
    assert teacher_years.summary_rows(school, "2001-2002") is None  # no rows that year
    sub = YearSubmission(district_id=school.district_id, school_id=school.id, school_year=year, status="accepted",
                         submitted_by=admin.id)
    db.session.add(sub)
    db.session.flush()
    db.session.add(YearLock(school_id=school.id, school_year=year, submission_id=sub.id, locked_by=admin.id))
    db.session.commit()
    assert teacher_years.summary_rows(school, year) is None  # kept as accepted: the builder shows today's


def test_the_kept_certificates_form_gets_each_sessions_token(app, generated):
    [code] = generated(teachers=6, years=1, seed=34)
    school, admin = _school(code), users.by_username(f"{code.lower()}-t001")
    tokens = []
    for _ in range(2):  # two sessions: the second page's form is the one kept from the first
        client = login(app.test_client(), admin, school.id)
        with app.app_context():
            page = client.get("/reports/summary").data
        assert b"yanxiu-csrf-slot" not in page
        form = page[page.index(b'data-testid="certificates-job"'):]
        tokens.append(re.search(rb'name="csrf_token" value="([^"]+)"', form).group(1))
    assert tokens[0] != tokens[1]
    assert app.extensions[CERTIFICATES_FORMS]  # the form was kept, and used for the second


def test_a_printed_summary_is_verified_against_the_stored_rows(app, generated, queries):
    """``/verify`` of a 学时汇总表 (a public page, no login) compares the printed totals with the
    stored teacher-year rows, as the summary page reads them, instead of aggregating the school's
    year again on every look: the same figures as the builder, in the same 2 statements at 8 and at
    32 teachers. A change since the print shows."""
    year = current_school_year()
    counts = []
    for teachers, seed in ((8, 41), (32, 43)):
        [code] = generated(teachers=teachers, years=1, seed=seed)
        school = _school(code)
        rows = credits.school_summary(school, year)
        printed = {"title": school.name, "lines": [
            {"user_id": r.user.id, "name": r.user.display_name, "hours": str(r.facts.total_hours)} for r in rows]}
        issued = verification.issue("summary", school, year, rows[0].user.id, printed)
        doc = verification.find(issued)
        assert doc is not None and teacher_years.summary_rows(school, year) is not None  # the year has rows
        with queries.counting():
            now = verification.current_hours(doc)
        counts.append(queries.count)
        assert now == {r.user.id: r.facts.total_hours for r in rows}
        assert verification.changes(doc) == []
    assert counts[0] == counts[1] <= 2, queries.report()
    # what it compares with is the stored row: emptied behind the services' back, the page says 0 h
    busiest = max(rows, key=lambda r: r.facts.total_hours)
    db.session.execute(
        TeacherYearRow.__table__.update()
        .where(TeacherYearRow.user_id == busiest.user.id, TeacherYearRow.school_year == year)
        .values(by_type={})
    )
    db.session.commit()
    assert [c.now for c in verification.changes(doc)] == [0]
