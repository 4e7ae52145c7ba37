"""Any export above ``EXPORT_JOB_THRESHOLD`` rows (one SQL COUNT) runs as a job with the
progress page; at or below it, it stays a direct download. Each export on both sides of a small
test threshold; the jobs run on the real worker and give the same file a direct export gives."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import event

from portal import jobs
from portal.config import BadConfiguration
from portal.extensions import db
from portal.services import export_jobs
from portal.timeutil import current_school_year
from tests.reach.conftest import queued_config, wait_for
from tests.reach.helpers import school, user
from tests.support.sessions import log_in


@pytest.fixture
def app(make_app, tmp_path):
    app = make_app(demo=True, **queued_config(tmp_path))
    with app.app_context():
        yield app


def _both_sides(app, client, url: str, rows: int) -> str:
    """Direct at a threshold of ``rows``; a job (303 to its page) at ``rows - 1``. Returns the
    job's page URL."""
    app.config["EXPORT_JOB_THRESHOLD"] = rows
    direct = client.get(url)
    assert direct.status_code == 200, (url, direct.status_code)
    app.config["EXPORT_JOB_THRESHOLD"] = rows - 1
    queued = client.get(url)
    assert queued.status_code == 303 and "/exports/" in queued.headers["Location"], (url, queued.status_code)
    return queued.headers["Location"]


def _done(client, page: str) -> bytes:
    job_id = int(page.rstrip("/").split("/")[-1])
    wait_for(lambda: client.get(f"/exports/{job_id}.json").get_json()["status"] == "done")
    state = client.get(f"/exports/{job_id}.json").get_json()
    assert state["ready"] and state["percent"] == 100
    return client.get(state["url"]).get_data()


def test_each_export_is_direct_at_the_threshold_and_a_job_above_it(app):
    year = current_school_year()
    demo = school()
    district_id = int(demo.district_id)
    admin = log_in(app.test_client(), user("admin"), demo.id)
    district = log_in(app.test_client(), user("district"))
    teachers = export_jobs.count_rows("school_summary", year, school_id=demo.id)
    district_teachers = export_jobs.count_rows("district_summary", year, district_id=district_id)
    lines = export_jobs.count_rows("district_ledger", year, district_id=district_id)
    submitted = export_jobs.count_rows("district_submitted", year, district_id=district_id)
    assert min(teachers, district_teachers, lines, submitted) > 1
    pages = {
        "summary.xlsx": _both_sides(app, admin, f"/reports/summary.xlsx?year={year}", teachers),
        "summary.csv": _both_sides(app, admin, f"/reports/summary.csv?year={year}", teachers),
        "school-by-district.xlsx": _both_sides(app, district, f"/reports/summary.xlsx?year={year}&school=DEMO",
                                               teachers),
        "district.csv": _both_sides(app, district, f"/district/export.csv?year={year}", district_teachers),
        "ledger.csv": _both_sides(app, district, f"/district/export.csv?year={year}&ledger=1", lines),
        "ledger.xlsx": _both_sides(app, district, f"/district/export.xlsx?year={year}&ledger=1", lines),
        "submitted.xlsx": _both_sides(app, district, f"/district/submitted.xlsx?year={year}", submitted),
        "submitted.csv": _both_sides(app, district, f"/district/submitted.csv?year={year}", submitted),
    }
    app.config["EXPORT_JOB_THRESHOLD"] = 10**9  # the direct downloads to compare with
    direct_ledger = district.get(f"/district/export.csv?year={year}&ledger=1").get_data()
    with jobs.running_worker(app):
        files = {name: _done(admin if name.startswith("summary.") else district, page) for name, page in pages.items()}
    ledger = list(csv.reader(io.StringIO(files["ledger.csv"].decode("utf-8-sig"))))
    assert len(ledger) == lines + 1 and files["ledger.csv"] == direct_ledger  # the same file either way
    sheet = load_workbook(io.BytesIO(files["ledger.xlsx"]), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == lines + 1
    for name in ("summary.xlsx", "school-by-district.xlsx"):
        summary = load_workbook(io.BytesIO(files[name]), read_only=True).worksheets[0]
        assert len(list(summary.iter_rows(values_only=True))) == teachers + 1
    assert len(list(csv.reader(io.StringIO(files["summary.csv"].decode("utf-8-sig"))))) == teachers + 1
    assert len(list(csv.reader(io.StringIO(files["submitted.csv"].decode("utf-8-sig"))))) == submitted + 1
    book = load_workbook(io.BytesIO(files["submitted.xlsx"]), read_only=True)
    assert len(book.worksheets) >= 2  # a summary and a sheet per submitting school
    # a job's file is the asker's, in the school they asked in
    job_id = int(pages["summary.xlsx"].rstrip("/").split("/")[-1])
    assert district.get(f"/exports/{job_id}").status_code == 404
    assert log_in(app.test_client(), user("teacher1"), demo.id).get(f"/exports/{job_id}").status_code == 404


def test_counting_is_one_statement_whatever_the_rows(app):
    year = current_school_year()
    school_id, district_id = school().id, int(school().district_id)
    db.session.commit()
    seen: list[str] = []
    listen = lambda *a: seen.append(a[2])  # noqa: E731 - (conn, cursor, statement, …)
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        for kind in export_jobs.KINDS:
            seen.clear()
            export_jobs.count_rows(kind, year, school_id=school_id, district_id=district_id)
            reads = [q for q in seen if q.startswith("SELECT")]
            # one statement counts the rows, whatever their number; besides it at most one reads
            # the schools' time zones (when each school's year is over), from the school table alone
            zones = [q for q in reads if re.search(r"\bFROM school\b", q) and "JOIN" not in q and "timezone" in q]
            assert len(reads) - len(zones) == 1 and len(zones) <= 1, (kind, seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def test_a_bad_threshold_is_refused_with_a_clear_message(app):
    app.config["EXPORT_JOB_THRESHOLD"] = "many"
    with pytest.raises(BadConfiguration, match="EXPORT_JOB_THRESHOLD"):
        export_jobs.threshold()
    app.config["EXPORT_JOB_THRESHOLD"] = "20_000"  # as written in instance/config.py or the environment
    assert export_jobs.threshold() == 20000


def test_the_api_answers_202_with_the_job_above_the_threshold_and_the_file_when_done(app):
    from portal.services import tokens

    year = current_school_year()
    demo = school()
    teachers = export_jobs.count_rows("school_summary", year, school_id=demo.id)
    submitted = export_jobs.count_rows("district_submitted", year, district_id=int(demo.district_id))
    admin_h = {"Authorization": f"Bearer {tokens.issue(user('admin')).token}", "X-School": "DEMO"}
    district_h = {"Authorization": f"Bearer {tokens.issue(user('district')).token}"}
    teacher_h = {"Authorization": f"Bearer {tokens.issue(user('teacher1')).token}", "X-School": "DEMO"}
    db.session.commit()
    client = app.test_client()
    app.config["EXPORT_JOB_THRESHOLD"] = teachers
    direct = client.get(f"/api/v1/reports/credits?year={year}&format=csv", headers=admin_h)
    assert direct.status_code == 200 and direct.mimetype == "text/csv"
    app.config["EXPORT_JOB_THRESHOLD"] = teachers - 1
    r = client.get(f"/api/v1/reports/credits?year={year}&format=xlsx", headers=admin_h)
    assert r.status_code == 202, r.get_data(as_text=True)[:300]
    job = r.get_json()
    assert job["status"] == "queued" and job["ready"] is False and "file_url" not in job
    assert client.get(job["state_url"] + "/file", headers=admin_h).status_code == 409  # not ready
    assert client.get(job["state_url"], headers=teacher_h).status_code == 404  # someone else's
    assert client.get(job["state_url"], headers=district_h).status_code == 404
    app.config["EXPORT_JOB_THRESHOLD"] = submitted - 1
    queued = client.get(f"/api/v1/district/submitted?year={year}&format=csv", headers=district_h)
    assert queued.status_code == 202
    with jobs.running_worker(app):
        wait_for(lambda: client.get(job["state_url"], headers=admin_h).get_json()["status"] == "done")
        wait_for(lambda: client.get(queued.get_json()["state_url"], headers=district_h).get_json()["ready"])
    state = client.get(job["state_url"], headers=admin_h).get_json()
    assert state["percent"] == 100 and state["file_url"] == job["state_url"] + "/file"
    book = client.get(state["file_url"], headers=admin_h)
    assert book.status_code == 200 and book.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(book.get_data()), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == teachers + 1
    lines = client.get(queued.get_json()["state_url"] + "/file", headers=district_h)
    assert lines.mimetype == "text/csv"
    assert len(list(csv.reader(io.StringIO(lines.get_data().decode("utf-8-sig"))))) == submitted + 1
    assert client.get("/api/v1/exports/99999999999", headers=admin_h).status_code == 404


def test_district_staff_fetch_the_school_summary_job_the_api_gave_them(app):
    """District staff ask for a school of their district by its code (``X-School``), holding no
    role of the school's own: the API answered 202 with a ``state_url`` that then said 404 to
    the very person who asked, and the file could never be fetched."""
    from portal.services import tokens

    year = current_school_year()
    teachers = export_jobs.count_rows("school_summary", year, school_id=school().id)
    district_h = {"Authorization": f"Bearer {tokens.issue(user('district')).token}", "X-School": "DEMO"}
    teacher_h = {"Authorization": f"Bearer {tokens.issue(user('teacher1')).token}", "X-School": "DEMO"}
    db.session.commit()
    client = app.test_client()
    app.config["EXPORT_JOB_THRESHOLD"] = teachers - 1
    r = client.get(f"/api/v1/reports/credits?year={year}&format=csv", headers=district_h)
    assert r.status_code == 202, r.get_data(as_text=True)[:300]
    state_url = r.get_json()["state_url"]
    assert client.get(state_url, headers=district_h).status_code == 200
    assert client.get(state_url, headers=teacher_h).status_code == 404  # someone else's
    with jobs.running_worker(app):
        wait_for(lambda: client.get(state_url, headers=district_h).get_json()["ready"])
    rows = client.get(state_url + "/file", headers=district_h)
    assert rows.status_code == 200 and rows.mimetype == "text/csv"
    assert len(list(csv.reader(io.StringIO(rows.get_data().decode("utf-8-sig"))))) == teachers + 1
