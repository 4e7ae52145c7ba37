"""Who is on a school year's 学时汇总表: its active teachers and anyone with something of theirs
that the year's figures count — the rule the teacher's 成长档案 lists their years by.

A teacher who left the school was on a year's summary only if they had been credited that
year, while their record listed every year with an unexcused absence, an exemption or writing
(with "不予认定", "免于考核", "未达标"): the school's summary, its exports, its printed form and
/verify, the API and the district's counts left them out, so the school's count of teachers
"not recognised" was too low. Now each surface lists them with their record's status; someone
who left with nothing there is on none of the years that were not over when they left, and an
active teacher is as before. A year over before they left stays theirs (an admin taking a
teacher off today does not shrink last year's list: ``test_left_after_the_year.py``)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime

import pytest
from flask import Flask
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import School, User
from portal.services import access, activities, credits, exemptions, teacher_years, tokens, writing
from portal.services import staff as staff_service
from portal.timeutil import current_school_year
from tests.credits.conftest import build_school_and_staff
from tests.credits.helpers import PAST_STARTS, TEXT, credited, login, rows_are_a_rebuild, staff_and
from tests.credits.test_same_figures_everywhere import pdf_lines, verification_code
from tests.support import factories as f
from tests.support.prepared import prepared_by
from tests.support.texts import prose

PAST = "2025-2026"  # PAST_STARTS[0] falls in it
#: the words of each status in the Chinese exports, as an auditor reads them
WORDS = {"met": "达标", "short": "未达标", "not_recognised": "不予认定", "exempt": "免于考核",
         "in_progress": "进行中（学年结束时评定）"}  # a year under way, short so far (assessment.so_far)


def _build() -> dict:
    """S1 and its staff, t7 (active) and a district admin. In 2025-2026 a lecture credited t7
    6 h while t1 was absent 6 h without leave (over the limit of 5: no hours for t1); t2 was
    exempted (借调). This year t3 filed reading notes of their own. Then t1, t2, t3 left the
    school, and so did t4, who never had anything there."""
    facts = build_school_and_staff()
    s1 = db.session.get_one(School, facts["s1"])
    staff = f.people_of(facts["staff"])
    admin = staff["admin"]
    t1, t2, t3, t4 = staff["t1"], staff["t2"], staff["t3"], staff["t4"]
    t7 = f.person(s1, "t7", "teacher", name="吴嘉宁")
    district = f.person(None, "district", "district_admin")
    credited(s1, staff, "lecture", [(t1, "attendee"), (t7, "attendee")], hours="6", start=PAST_STARTS[0],
             attended={t1.id: "0"}, absent={t1.id: "6"}, title="往年讲座")
    exemptions.set_exemption(s1, admin, t2.id, PAST, "借调")
    writing.add_writing(s1, t3, "reading_notes", "《给教师的建议》", prose(600, "读"))
    for leaver in (t1, t2, t3, t4):
        staff_service.deactivate(s1, leaver.id, by=access.actor(admin.id, s1.id))
    return {**facts, "t7": t7.id, "district": district.id}


prepared = prepared_by(_build)


@pytest.fixture
def people(s1, staff, make_app, prepared) -> dict[str, User]:
    return staff_and(staff, make_app.facts(prepared), "t7", "district")


def _record_status(teacher: User, school: School, year: str) -> str:
    """The status the teacher's own 成长档案 shows for ``year`` (which must be on it)."""
    found = {y.school_year: y.summary.shown.status for y in credits.teacher_record(teacher, school)}
    assert year in found, (teacher.username, sorted(found))
    return found[year]


def _statuses_shown(app: Flask, school: School, people: dict[str, User], year: str) -> dict[str, dict[str, str]]:
    """Each surface's teachers of the school's ``year`` with their status (username → status):
    the service, the stored rows, the summary page, CSV, XLSX, the API; and, without statuses,
    the printed 学时汇总表's /verify page (its teachers' ids) and the district's counts."""
    shown: dict[str, dict[str, str]] = {
        "service": {ty.user.username: ty.shown.status for ty in credits.school_summary(school, year)},
    }
    stored = teacher_years.summary_rows(school, year)
    assert stored is not None, "the year has stored rows"
    shown["stored rows"] = {row.user.username: row.shown.status for row in stored}
    status_of = {word: status for status, word in WORDS.items()}
    client = login(app.test_client(), people["admin"], school)
    page = client.get(f"/reports/summary?year={year}&lang=zh_Hans_CN").get_data(as_text=True)
    shown["summary page"] = {
        user: page.split(f'data-testid="status-{user}" data-status="', 1)[1].split('"', 1)[0]
        for user in {u.username for u in db.session.execute(db.select(User)).scalars()}
        if f'data-testid="status-{user}"' in page
    }
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/summary.csv?year={year}").data.decode("utf-8-sig"))))
    at = rows[0].index("考核结果")
    shown["summary.csv"] = {r[0]: status_of[r[at]] for r in rows[1:]}
    sheet = load_workbook(io.BytesIO(client.get(f"/reports/summary.xlsx?year={year}").data)).worksheets[0]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    shown["summary.xlsx"] = {str(r[0]): status_of[str(r[at])] for r in cells[1:]}
    token = tokens.issue(people["admin"]).token
    body = app.test_client().get(f"/api/v1/reports/credits?year={year}",
                                 headers={"Authorization": f"Bearer {token}"}).get_json()
    shown["API"] = {t["username"]: t["status"] for t in body["teachers"]}
    # the printed form lists its teachers, and /verify shows each one's hours
    code = verification_code(pdf_lines(client.get(f"/reports/summary.pdf?year={year}").data))
    verify = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-testid="verify-unchanged"' in verify
    names = {u.id: u.username for u in db.session.execute(db.select(User)).scalars()}
    shown["/verify"] = {name: "" for uid, name in names.items() if f'data-testid="verify-hours-{uid}"' in verify}
    return shown


def _district_counts(app: Flask, people: dict[str, User], code: str, year: str) -> dict:
    token = tokens.issue(people["district"]).token
    body = app.test_client().get(f"/api/v1/district/schools?year={year}",
                                 headers={"Authorization": f"Bearer {token}"}).get_json()
    return next(row for row in body if row["school"] == code)


@pytest.mark.parametrize(
    ("who", "year", "status"),
    [
        ("t1", PAST, "not_recognised"),  # only an unexcused absence
        ("t2", PAST, "exempt"),  # only an exemption
        ("t3", None, "in_progress"),  # only their own writing (this year, under way: short so far)
    ],
)
def test_a_teacher_who_left_is_on_the_summary_of_a_year_their_record_shows(app, s1, people, who, year, status):
    year = year or current_school_year(s1.timezone)
    teacher = people[who]
    assert _record_status(teacher, s1, year) == status
    shown = _statuses_shown(app, s1, people, year)
    for surface, statuses in shown.items():
        assert teacher.username in statuses, surface
        if surface != "/verify":
            assert statuses[teacher.username] == status, surface
    # every surface lists the same people, each with the status of their year (on their record)
    listed = set(shown["service"])
    assert all(set(statuses) == listed for statuses in shown.values()), shown
    for username, got in shown["service"].items():
        person = db.session.execute(db.select(User).where(User.username == username)).scalar_one()
        assert got == credits.teacher_year(person, s1, year).shown.status, username
    counts = _district_counts(app, people, s1.code, year)
    assert counts["teachers"] == len(listed)
    # the district counts them as the school's pages read them (a year under way: nobody short yet)
    verdicts = Counter(ty.shown.status for ty in credits.school_summary(s1, year))
    assert {k: v for k, v in counts["by_status"].items() if v} == dict(verdicts)


def test_who_left_with_nothing_is_not_on_that_year_and_an_active_teacher_is_as_before(app, s1, people):
    """They all left this year: last year, over before, lists them all (t3 and t4 with 0 h); this
    year lists t3 for their writing, not t4, who had nothing here."""
    now = current_school_year(s1.timezone)
    for year, listed in ((PAST, {"org", "rev", "t1", "t2", "t3", "t4", "t7"}), (now, {"org", "rev", "t3", "t7"})):
        for surface, statuses in _statuses_shown(app, s1, people, year).items():
            assert set(statuses) == listed, (year, surface)
        assert _district_counts(app, people, s1.code, year)["teachers"] == len(listed)
    t7 = {ty.user.username: ty for ty in credits.school_summary(s1, PAST)}["t7"]
    assert (t7.facts.total_hours, t7.assessment.status) == (6, "short")
    t4 = {ty.user.username: ty for ty in credits.school_summary(s1, PAST)}["t4"]
    assert (t4.facts.total_hours, t4.assessment.status) == (0, "short")
    # nothing of t4's counts in either year, but last year's summary assesses them (they taught
    # here when it was over): their record lists it with the summary's figures; this year's
    # summary leaves them out, and so does their record (test_a_leaver_with_nothing_this_year…)
    record = credits.teacher_record(people["t4"], s1)
    assert [y.school_year for y in record] == [PAST]
    assert (record[0].summary.facts, record[0].summary.assessment) == (t4.facts, t4.assessment)


def test_a_leaver_with_nothing_this_year_has_not_this_year_on_their_record(app, s1, people):
    """Review: t4 left this year with nothing of theirs in it; this year's summary leaves them out
    while their 成长档案 listed this year (0 h, 进行中) and its 学时证明 printed it — a year that is
    not theirs here. Now the record ends with their last year on the staff: the page says this
    year is not on it, the 学时证明 of it is refused (409) and the API assesses nothing of it; an
    active teacher with nothing this year (t7) keeps it."""
    now = current_school_year(s1.timezone)
    assert "t4" not in {ty.user.username for ty in credits.school_summary(s1, now)}
    assert [y.school_year for y in credits.teacher_record(people["t4"], s1)] == [PAST]
    assert [y.school_year for y in credits.teacher_record(people["t7"], s1)] == [now, PAST]
    client = login(app.test_client(), people["admin"], s1)
    t4 = people["t4"].id
    page = client.get(f"/teachers/{t4}/record?year={now}&lang=zh_Hans_CN").get_data(as_text=True)
    assert 'data-testid="record-year-not-on"' in page and f'data-year="{now}"' not in page
    refused = client.get(f"/teachers/{t4}/record.pdf?year={now}&lang=zh_Hans_CN")
    assert refused.status_code == 409 and refused.mimetype != "application/pdf"
    assert "不在该教师在本校的成长档案中" in refused.get_data(as_text=True)
    token = tokens.issue(people["admin"]).token
    for who, off in ((t4, True), (people["t7"].id, False)):
        body = app.test_client().get(f"/api/v1/users/{who}/credits?year={now}",
                                     headers={"Authorization": f"Bearer {token}"}).get_json()
        assert body["not_on_record"] is off and (body["status"] is None) is off, body


def test_the_stored_rows_of_those_who_left_are_what_a_rebuild_computes(app, s1, people):
    now = current_school_year(s1.timezone)
    rows_are_a_rebuild(s1, (PAST, now))
    before = teacher_years.stored()
    assert {(year, uid) for _s, year, uid, *_ in before} >= {
        (PAST, people["t1"].id), (PAST, people["t2"].id), (now, people["t3"].id)}
    teacher_years.rebuild()
    assert teacher_years.stored() == before


def test_a_year_with_only_writing_is_one_the_rebuild_computes(app, s1, people, monkeypatch):
    """Writing alone puts a teacher on a year (and so writes its rows): the rebuild computes
    that year too, instead of leaving its rows as they were."""
    monkeypatch.setattr(writing, "utcnow", lambda: datetime(2024, 10, 15, 2, 0))  # 2024-2025, semester 1
    writing.add_writing(s1, people["t7"], "reading_notes", "《教育漫话》", prose(600, "读"))
    assert "2024-2025" in teacher_years.data_years()
    assert "t7" in {row.user.username for row in teacher_years.summary_rows(s1, "2024-2025") or []}
    before = teacher_years.stored("2024-2025")
    teacher_years.rebuild()
    assert teacher_years.stored("2024-2025") == before


def test_a_confirmation_after_they_left_writes_the_row_of_the_absence_it_makes_count(app, s1, people):
    """t8 was absent 6 h without leave (over the limit of 5) from a lecture held this year, then left; the reviewer
    approves it afterwards (the absence counts from then on): the same transaction writes t8's
    row — "not recognised" — as a rebuild would, and the district counts it."""
    now = current_school_year(s1.timezone)
    t8 = f.person(s1, "t8", "teacher", name="郑文博")
    act = credited(s1, people, "lecture", [(people["t7"], "attendee"), (t8, "attendee")], hours="6",
                   attended={t8.id: "0"}, absent={t8.id: "6"}, until="held")
    staff_service.deactivate(s1, t8.id, by=access.actor(people["admin"].id, s1.id))
    assert "t8" not in {row.user.username for row in teacher_years.summary_rows(s1, now) or []}
    f.fire(act, people["reviewer"], "approve", "材料齐全")
    stored = {row.user.username: row.assessment.status for row in teacher_years.summary_rows(s1, now) or []}
    assert stored["t8"] == _record_status(t8, s1, now) == "not_recognised"
    rows_are_a_rebuild(s1, (now,))
    counts = _district_counts(app, people, s1.code, now)
    assert counts["teachers"] == len(stored) and counts["by_status"]["not_recognised"] == 1


def test_written_evidence_handed_in_for_one_who_left_writes_their_row(app, s1, people):
    """The organiser files t8's reflection on a lecture after t8 left (all they did there this
    year): the same transaction writes t8's row, as a rebuild would."""
    now = current_school_year(s1.timezone)
    t8 = f.person(s1, "t8", "teacher", name="郑文博")
    act = credited(s1, people, "lecture", [(people["t7"], "attendee"), (t8, "attendee")], hours="2", until="held")
    staff_service.deactivate(s1, t8.id, by=access.actor(people["admin"].id, s1.id))
    activities.add_evidence(act, people["organizer"], t8.id, "reflection", "听课反思", text=TEXT)
    stored = {row.user.username: row.assessment.status for row in teacher_years.summary_rows(s1, now) or []}
    assert stored["t8"] == "short" and _record_status(t8, s1, now) == "in_progress"  # the record: under way
    rows_are_a_rebuild(s1, (now,))


def test_who_left_is_marked_alike_on_the_page_its_exports_and_the_api(app, s1, people):
    """The summary page marks a teacher who left 已离校 beside their name; its CSV, XLSX and
    printed form say so in the note after the year's reason, and the API's row has
    ``left_school`` — for the leavers only."""
    client = login(app.test_client(), people["admin"], s1)
    page = client.get(f"/reports/summary?year={PAST}&lang=zh_Hans_CN").get_data(as_text=True)
    leavers = {"t1", "t2", "t3", "t4"}  # all left after last year: it lists them all
    marked_on_page = {user for user in ("org", "rev", "t1", "t2", "t3", "t4", "t7")
                      if 'data-testid="left-school"' in page.split(f'data-testid="status-{user}"', 1)[0].rsplit("<tr", 1)[1]}
    assert marked_on_page == leavers
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/summary.csv?year={PAST}").data.decode("utf-8-sig"))))
    note = rows[0].index("说明")
    notes = {r[0]: r[note] for r in rows[1:]}
    assert notes == {"org": "", "rev": "", "t7": "", "t1": "第一学期未请假缺席累计达到不予认定标准；已离校",
                     "t2": "借调；已离校", "t3": "已离校", "t4": "已离校"}
    # the year's reason first (t2's exemption reason as written)
    sheet = load_workbook(io.BytesIO(client.get(f"/reports/summary.xlsx?year={PAST}&lang=en").data)).worksheets[0]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    at = cells[0].index("Note")
    assert {str(r[0]) for r in cells[1:] if "Left the school" in str(r[at] or "")} == leavers
    for who, marked in (("t1", True), ("t7", False)):  # their record, as the school reads it
        record = client.get(f"/teachers/{people[who].id}/record?lang=zh_Hans_CN").get_data(as_text=True)
        assert ('data-testid="left-school"' in record) is marked, who
    printed = [line for line in pdf_lines(client.get(f"/reports/summary.pdf?year={PAST}").data) if "已离校" in line]
    assert len(printed) == 4 and all(people[who].display_name in "".join(printed) for who in leavers)
    token = tokens.issue(people["admin"]).token
    body = app.test_client().get(f"/api/v1/reports/credits?year={PAST}",
                                 headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {t["username"] for t in body["teachers"] if t["left_school"]} == leavers
    assert all(isinstance(t["left_school"], bool) for t in body["teachers"])
