"""Long exports as jobs: the district ledger workbook written by the real worker with its
progress in the database, downloadable only by the person who asked, and deleted after its
time (then 410)."""

from __future__ import annotations

import errno
import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import CreditEntry, ExportJob, School
from portal.services import export_jobs
from portal.timeutil import current_school_year, utcnow
from tests.reach.conftest import queued_config, wait_for
from tests.reach.helpers import school, user
from tests.support.sessions import log_in


def test_the_worker_writes_the_ledger_workbook_for_the_one_who_asked(make_app, tmp_path):
    from portal import jobs

    app = make_app(demo=True, **queued_config(tmp_path))
    with app.app_context():
        year = current_school_year()
        lines = db.session.execute(select(func.count(CreditEntry.id)).join(School, School.id == CreditEntry.school_id)
                                   .where(CreditEntry.school_year == year, School.district_id == school().district_id)
                                   ).scalar_one()  # the district's own lines (another district has its own)
        district = log_in(app.test_client(), user("district"))
        other = log_in(app.test_client(), user("admin"))
    r = district.post("/district/export-job", data={"year": year, "ledger": "1"})
    assert r.status_code == 302
    page_url = r.headers["Location"]
    job_id = int(page_url.rstrip("/").split("/")[-1])
    page = district.get(page_url).get_data(as_text=True)
    assert 'data-status="queued"' in page and 'data-testid="export-progress"' in page
    assert district.get(f"/exports/{job_id}/file").status_code == 404  # not ready
    with jobs.running_worker(app):
        wait_for(lambda: district.get(f"/exports/{job_id}.json").get_json()["status"] == "done")
    state = district.get(f"/exports/{job_id}.json").get_json()
    assert state["percent"] == 100 and state["done_rows"] == lines and state["ready"]
    download = district.get(state["url"])
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.get_data()), read_only=True).worksheets[0]
    assert len(list(sheet.iter_rows(values_only=True))) == lines + 1  # the header and every line
    assert other.get(f"/exports/{job_id}").status_code == 404  # nobody else
    assert other.get(f"/exports/{job_id}/file").status_code == 404
    assert other.post("/district/export-job", data={"year": year, "ledger": "1"}).status_code == 403
    with app.app_context():
        assert export_jobs.remove_expired(utcnow()) == 0
        # this one and the demo's written ledger workbook (portal.demo_exports)
        assert export_jobs.remove_expired(utcnow() + timedelta(hours=25)) == 2
        row = db.session.get(ExportJob, job_id)
        assert row.status == "expired" and not (export_jobs.folder() / row.stored_name).exists()
    assert district.get(f"/exports/{job_id}/file").status_code == 410
    assert district.get("/exports/99999999999").status_code == 404


def test_an_export_failing_every_try_is_queued_again_then_failed_for_good(make_app, tmp_path, monkeypatch):
    """A try that raises while tries are left puts the export back to "queued" (the page keeps
    waiting); the last one marks it "failed", and the page says it will not be tried again,
    instead of promising a retry and asking the server every two seconds for good, and why."""
    from portal import jobs

    tries: list[bool] = []  # each try: is it the last?
    states: list[str] = []  # the states the tries wrote, in order
    progress = export_jobs._progress

    def broken_writer(*args, **kwargs):
        tries.append(jobs.last_try())
        raise OSError(errno.ENOSPC, "No space left on device")

    def recorded(job, **values):
        if "status" in values:
            states.append(values["status"])
        return progress(job, **values)

    def claimed(job, total):
        states.append("running")
        return claim(job, total)

    claim = export_jobs._claim
    app = make_app(demo=True, **queued_config(tmp_path))  # first: the demo's template writes an export
    monkeypatch.setattr(export_jobs, "_write", broken_writer)
    monkeypatch.setattr(export_jobs, "_progress", recorded)
    monkeypatch.setattr(export_jobs, "_claim", claimed)
    with app.app_context():
        year = current_school_year()
        district = log_in(app.test_client(), user("district"))
    r = district.post("/district/export-job", data={"year": year, "ledger": "1"})
    job_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    with jobs.running_worker(app):
        wait_for(lambda: district.get(f"/exports/{job_id}.json").get_json()["status"] == "failed")
    assert tries == [False, False, True]  # the first try and huey's two retries (exports.run: retries=2)
    assert states == ["running", "queued", "running", "queued", "running", "failed"]
    page = district.get(f"/exports/{job_id}").get_data(as_text=True)
    assert 'data-status="failed"' in page and "不会再自动重试" in page
    assert "原因：<span data-export-reason>写入文件时服务器磁盘已满。<" in page  # why, in words
    with app.app_context():
        row = db.session.get(ExportJob, job_id)
        assert row.stored_name is None and row.failure == "export.failed_disk_full"


def test_a_file_made_before_they_left_is_not_theirs_after_nor_are_the_schools_pages(make_app, tmp_path):
    """Probe: the reviewer asked for the school's summary as a job and it was made; then the
    admin ended their roles (they still teach at another school). Their signed-in session opens
    none of the school's pages any more, nor the file made while they were there; the other
    school's pages still open."""
    from portal.services import access, staff
    from tests.support import factories as f

    app = make_app(demo=True, **queued_config(tmp_path))
    with app.app_context():
        demo, reviewer = school(), user("reviewer")
        year = current_school_year()
        job = export_jobs.request_export(reviewer.id, access.actor(reviewer.id, demo.id), export_jobs.SCHOOL_SUMMARY,
                                         year, "zh", school=demo, asked_in=demo.id)
        job_id = job.id
        export_jobs.run(job_id)
        other = f.school("LEFT-B", types=("lecture",))
        f.person(other, "reviewer", "teacher")
        client = log_in(app.test_client(), reviewer, demo.id)
    assert client.get(f"/exports/{job_id}/file").status_code == 200
    assert client.get(f"/reports/summary?year={year}").status_code == 200
    with app.app_context():
        staff.deactivate(school(), user("reviewer").id, by=access.actor(user("admin").id, school().id))
    assert client.get(f"/exports/{job_id}/file").status_code == 404
    assert client.get(f"/exports/{job_id}").status_code == 404
    assert client.get(f"/reports/summary?year={year}").status_code == 403  # now in LEFT-B: a teacher there
    page = client.get("/").get_data(as_text=True)
    assert "LEFT-B" in page or "测试学校LEFT-B" in page


def test_an_export_run_twice_at_once_is_written_once(make_app, tmp_path):
    """The job may run twice at once (queued after its commit and by the outbox's sweep): the
    try that finds it running already leaves it to the other. It wrote a second file, and the
    first one's, its name no longer in the row, stayed past its time (nothing deletes it)."""
    from portal.services import access

    app = make_app(demo=True, **queued_config(tmp_path))
    with app.app_context():
        demo, reviewer = school(), user("reviewer")
        job = export_jobs.request_export(reviewer.id, access.actor(reviewer.id, demo.id), export_jobs.SCHOOL_SUMMARY,
                                         current_school_year(), "zh", school=demo, asked_in=demo.id)
        job_id = job.id
        files = set(export_jobs.folder().iterdir())  # (the folder is the instance's)
        assert export_jobs._claim(job_id, 0)  # the first try, writing it now
        assert not export_jobs._claim(job_id, 0)
        export_jobs.run(job_id)  # the second
        assert set(export_jobs.folder().iterdir()) == files
        db.session.commit()  # (its read ends: the tries write on connections of their own)
        assert db.session.get(ExportJob, job_id).status == "running"
        export_jobs._progress(job_id, status="queued")  # a try failed with tries left: the next one writes it
        export_jobs.run(job_id)
        db.session.commit()  # (its read ends: the tries write on connections of their own)
        row = db.session.get(ExportJob, job_id)
        assert row.status == "done" and set(export_jobs.folder().iterdir()) - files == {export_jobs.folder() / row.stored_name}


def test_an_export_file_is_the_portals_alone_while_it_is_written(make_app, tmp_path, monkeypatch):
    """The file is created readable by the portal only, not given ``0600`` once written: in a
    folder the operator made for exports (``0755``), a local user who opened it while it was
    written (``0644`` by the umask) kept reading every teacher's hours through that handle."""
    import os
    import stat

    from portal import jobs

    seen: list[int] = []

    def writer(kind, fmt, rows, target, *args):
        with open(target, "wb") as out:  # as the CSV branch and openpyxl open it
            seen.append(stat.S_IMODE(os.stat(target).st_mode))
            out.write(b"rows")
        return 1

    shared = tmp_path / "shared-exports"  # not the app's own tmp_path/exports: the demo's file is copied there
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    old_umask = os.umask(0o022)
    try:
        app = make_app(demo=True, EXPORT_FOLDER=str(shared), **queued_config(tmp_path))
        # patched once the app is made: the first demo app of a test process builds the demo's
        # template, whose ledger export (``demo_exports``) the stand-in wrote too (seen twice,
        # and the template's file "rows" for every later test of the process)
        monkeypatch.setattr(export_jobs, "_write", writer)
        with app.app_context():
            district = log_in(app.test_client(), user("district"))
        r = district.post("/district/export-job", data={"year": current_school_year(), "ledger": "1"})
        job_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
        with jobs.running_worker(app):
            wait_for(lambda: district.get(f"/exports/{job_id}.json").get_json()["status"] == "done")
    finally:
        os.umask(old_umask)
    assert seen == [0o600]
    (written,) = shared.iterdir()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


def test_why_an_export_failed_is_said_by_what_stopped_it():
    """The reason its page shows (``export_jobs.failure_of``): the disk full, another error of the
    file system, or anything else (logged with its trace for the administrator)."""
    assert export_jobs.failure_of(OSError(errno.ENOSPC, "No space left on device")) == "export.failed_disk_full"
    assert export_jobs.failure_of(PermissionError(errno.EACCES, "Permission denied")) == "export.failed_storage"
    assert export_jobs.failure_of(ValueError("a cell too long")) == "export.failed_error"
