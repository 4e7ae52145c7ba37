"""The outbox (``portal.outbox``): a job is written with the change it is about, queued after the
commit, and queued by the worker's sweep when the queue could not take it then.

The queue's failure is real: another process holds the SQLite queue file's write lock past its
busy timeout (as the queue's own writers would, or a backup copying it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal import jobs, outbox
from portal.database import after_commit, write_transaction
from portal.extensions import db
from portal.models import ExportJob, OutboxJob, School, TransitionLog
from portal.services import notifications
from portal.timeutil import current_school_year, utcnow
from tests.reach.conftest import queued_config, wait_for
from tests.reach.helpers import activity, no_quiet_hours, notes, school, user
from tests.support.sessions import log_in
from workflows.definition import Phase


@pytest.fixture
def queued_app(make_app, tmp_path, smtp) -> Iterator[Flask]:
    """``queued_app`` (``tests/reach/conftest.py``) whose queue writes wait 1 s, not 5, for a
    locked file: each refused write of these tests costs that wait."""
    app = make_app(demo=True, **queued_config(tmp_path, smtp.port), JOBS_SQLITE_TIMEOUT=1)
    with app.app_context():
        yield app


@contextmanager
def queue_locked(app: Flask) -> Iterator[None]:
    """Another process writing the queue's file: every queue write meanwhile fails ("locked")."""
    holder = sqlite3.connect(app.config["JOBS_SQLITE_PATH"], isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def waiting() -> list[OutboxJob]:
    db.session.commit()
    return list(db.session.execute(select(OutboxJob).order_by(OutboxJob.id)).scalars())


def test_a_decision_made_while_the_queue_is_locked_is_made_and_its_people_told_later(queued_app, smtp):
    """Before: the transition committed, then queueing its notifications raised; the reviewer got
    a server error for a decision that was made, and nobody was ever told of it. Now the request
    reports the decision, the job waits in the outbox, and the worker's sweep queues it."""
    no_quiet_hours()
    notifications.save_setting(user("teacher2").id, "wang@school.test", list(notifications.KINDS))
    act = activity("lecture", Phase.AWAITING_REVIEW)
    huey = jobs.queue(queued_app).huey
    huey.flush()
    client = log_in(queued_app.test_client(), user("reviewer"), school().id)
    with queue_locked(queued_app):
        response = client.post(f"/activities/{act.id}/trigger", data={"trigger": "return", "comment": "补充听课记录"})
    assert response.status_code == 302  # the decision stands and the reviewer is told so
    assert db.session.execute(select(TransitionLog.trigger).where(TransitionLog.activity_id == act.id)
                              .order_by(TransitionLog.id.desc())).scalars().first() == "return"
    [row] = waiting()
    row_id = row.id
    assert row.name == "notifications.review_decision" and huey.pending_count() == 0
    assert outbox.sweep(utcnow()) == []  # still the request's own to queue: the sweep waits a minute
    assert outbox.sweep(utcnow() + outbox.GRACE + timedelta(seconds=1)) == [row_id]
    assert waiting() == [] and huey.pending_count() == 1
    with jobs.running_worker(queued_app):
        wait_for(lambda: smtp.inbox.to("wang@school.test"))
    [note] = notes("returned", "teacher2")
    assert note.params["comment"] == "补充听课记录" and len(smtp.inbox.to("wang@school.test")) == 1


def test_an_export_asked_for_while_the_queue_is_locked_is_written_all_the_same(queued_app):
    """Before: the export's row was committed "queued" and the queue write raised: the page
    waited for ever for a job nobody would run."""
    year = current_school_year()
    huey = jobs.queue(queued_app).huey
    huey.flush()
    district = log_in(queued_app.test_client(), user("district"))
    with queue_locked(queued_app):
        r = district.post("/district/export-job", data={"year": year, "ledger": "1"})
    assert r.status_code == 302
    job_id = int(r.headers["Location"].rstrip("/").split("/")[-1])
    assert [row.args for row in waiting()] == [[job_id]]
    outbox.sweep(utcnow() + outbox.GRACE + timedelta(seconds=1))
    with jobs.running_worker(queued_app):
        wait_for(lambda: district.get(f"/exports/{job_id}.json").get_json()["status"] == "done")
    assert waiting() == []


def test_the_job_is_queued_at_the_commit_and_its_row_deleted(queued_app):
    huey = jobs.queue(queued_app).huey
    huey.flush()
    user_id = user("district").id
    with write_transaction() as s:
        row = ExportJob(user_id=user_id, school_id=None, kind="ledger", year=current_school_year(), lang="zh_CN",
                        total_rows=0, params={}, download_name="x.xlsx", status="queued", done_rows=0,
                        created_at=utcnow())
        s.add(row)
        s.flush()
        outbox.enqueue_on_commit("exports.run", row.id)
        assert huey.pending_count() == 0  # not before the commit: the worker would not find the row
    assert huey.pending_count() == 1 and waiting() == []


def test_a_write_rolled_back_queues_nothing_and_leaves_no_row(queued_app):
    huey = jobs.queue(queued_app).huey
    huey.flush()
    before = db.session.execute(select(func.count(ExportJob.id))).scalar_one()
    with pytest.raises(RuntimeError, match="refused"), write_transaction() as s:
        row = ExportJob(user_id=user("district").id, school_id=None, kind="ledger", year=current_school_year(),
                        lang="zh_CN", total_rows=0, params={}, download_name="x.xlsx", status="queued", done_rows=0,
                        created_at=utcnow())
        s.add(row)
        s.flush()
        outbox.enqueue_on_commit("exports.run", row.id)
        raise RuntimeError("refused")
    assert waiting() == [] and huey.pending_count() == 0
    assert db.session.execute(select(func.count(ExportJob.id))).scalar_one() == before
    with write_transaction():  # the next write does not run what the rolled-back one left
        db.session.get_one(School, school().id)
    assert huey.pending_count() == 0


def test_an_unknown_job_fails_the_change_not_the_worker(queued_app):
    name = school().name
    with pytest.raises(KeyError, match="no job"), write_transaction():
        school().name = "改了名的学校"
        outbox.enqueue_on_commit("notifications.no_such_job", 1)
    db.session.expire_all()
    assert school().name == name and waiting() == []


def test_after_commit_belongs_in_a_write_transaction(queued_app):
    with pytest.raises(RuntimeError, match="write_transaction"):
        after_commit(lambda: None)


def test_a_row_whose_job_is_gone_is_dropped_by_the_sweep(queued_app):
    """A plugin's job queued with a change, then the plugin removed: nothing could ever run it."""
    with write_transaction() as s:
        s.add(OutboxJob(name="removed_plugin.job", args=[1], created_at=utcnow() - timedelta(hours=1)))
    [row_id] = [row.id for row in waiting()]
    assert outbox.sweep(utcnow()) == [row_id] and waiting() == []


def test_the_sweep_stops_while_the_queue_is_failing(queued_app, caplog, monkeypatch):
    """Before: with the queue's file locked, the sweep tried each of its 500 oldest rows, each
    write waiting out the 5 s busy timeout — 40 minutes of a worker thread every minute, and 500
    tracebacks. It stops after a few failures in a row now; the rows wait for the next sweep.
    (Two in a row here, not the portal's three: each costs the test a busy timeout, 1 s here.)"""
    monkeypatch.setattr(outbox, "GIVE_UP_AFTER", 2)
    with write_transaction() as s:
        for n in range(outbox.GIVE_UP_AFTER + 4):
            s.add(OutboxJob(name="notifications.review_decision", args=[n], created_at=utcnow() - timedelta(hours=1)))
    rows = [row.id for row in waiting()]
    with queue_locked(queued_app), caplog.at_level("WARNING", logger="portal.outbox"):
        assert outbox.sweep(utcnow()) == []
    tries = [r for r in caplog.records if "not queued" in r.getMessage()]
    assert len(tries) == outbox.GIVE_UP_AFTER
    assert any("2 times in a row; 4 jobs left for the next sweep" in r.getMessage() for r in caplog.records)
    assert [row.id for row in waiting()] == rows
    assert sorted(outbox.sweep(utcnow())) == rows and waiting() == []  # the queue back: all of them


def test_rows_that_fail_on_their_own_do_not_hold_up_the_rows_behind_them(queued_app, monkeypatch):
    """Before: three rows whose queue write failed each time (while the queue took every other
    job) were the oldest, so every sweep tried them first, counted three failures in a row and
    stopped: the rows behind them were never queued. A row now counts its failures and the sweep
    tries those that failed least first; the three are still kept, and tried again after them."""
    with write_transaction() as s:
        for n in range(outbox.GIVE_UP_AFTER + 3):
            s.add(OutboxJob(name="notifications.review_decision", args=[n], created_at=utcnow() - timedelta(hours=1)))
    rows = [row.id for row in waiting()]
    bad, good = rows[: outbox.GIVE_UP_AFTER], rows[outbox.GIVE_UP_AFTER :]
    real = jobs.enqueue

    def enqueue(name: str, *args: object, **kwargs: object) -> None:
        if args and args[0] in range(outbox.GIVE_UP_AFTER):
            raise RuntimeError("this job's message is refused")
        real(name, *args, **kwargs)

    monkeypatch.setattr(jobs, "enqueue", enqueue)
    assert outbox.sweep(utcnow()) == []  # the queue failed three times in a row: it stops
    assert [(row.id, row.failures) for row in waiting()] == [(i, 1) for i in bad] + [(i, 0) for i in good]
    assert outbox.sweep(utcnow()) == good
    assert [(row.id, row.failures) for row in waiting()] == [(i, 2) for i in bad]
    monkeypatch.setattr(jobs, "enqueue", real)
    assert outbox.sweep(utcnow()) == bad and waiting() == []  # taken at last


def test_the_admin_is_told_when_no_worker_runs(queued_app, time_machine):
    """The worker writes that it runs at every minute's sweep, in the queue's own storage (shared
    with the web processes); the school admin's plugins page says, from it, whether it ran within
    the last 3 minutes — never, or since when not. Before, no page said the worker was not running."""
    admin = log_in(queued_app.test_client(), user("admin"), school().id)

    def page() -> str:
        r = admin.get("/admin/plugins?lang=en")
        assert r.status_code == 200
        return r.get_data(as_text=True)

    assert 'data-testid="worker-late"' in page() and "No background worker has run yet." in page()
    outbox.sweep_job()  # as the worker's scheduler runs it, every minute
    assert 'data-testid="worker-seen"' in page() and 'data-testid="worker-late"' not in page()
    time_machine.move_to(datetime.now(UTC) + timedelta(minutes=4), tick=False)
    late = page()
    assert 'data-testid="worker-late"' in late and "The background worker has not run since" in late
    assert "后台任务进程自" in admin.get("/admin/plugins?lang=zh").get_data(as_text=True)
