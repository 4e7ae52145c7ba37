"""The background queue: jobs run on huey's real consumer, retried when they raise; the
``flask worker`` command is that consumer; bad queue settings stop start-up clearly."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest

from portal import jobs
from portal.config import BadConfiguration
from portal.database import SQLITE_FILE_MODE
from tests.reach.conftest import periodic_due, queued_config, wait_for

ROOT = Path(__file__).resolve().parents[2]


def test_a_job_runs_on_the_real_worker_in_an_app_context(make_app, tmp_path):
    app = make_app(**queued_config(tmp_path))
    seen: list[str] = []
    done = threading.Event()

    def record(word: str) -> None:
        from flask import current_app

        seen.append(f"{word}:{current_app.name}")
        done.set()

    jobs.register(app, jobs.JobSpec("test.record", record))
    with app.app_context():
        jobs.enqueue("test.record", "hello")
        assert seen == []  # queued, not run by the caller
        assert jobs.queue(app).huey.pending_count() == 1
    with jobs.running_worker(app):
        wait_for(done.is_set)
    assert seen == ["hello:portal"]


def test_a_job_that_raises_is_retried_until_it_succeeds(make_app, tmp_path):
    app = make_app(**queued_config(tmp_path))
    attempts: list[int] = []

    def flaky() -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("server down")

    jobs.register(app, jobs.JobSpec("test.flaky", flaky, retries=5, retry_delay=0))
    with app.app_context():
        jobs.enqueue("test.flaky")
    with jobs.running_worker(app):
        wait_for(lambda: len(attempts) >= 3)
    assert len(attempts) == 3  # two failures, then success: no fourth run


def test_immediate_mode_runs_the_job_in_the_caller(make_app):
    app = make_app(JOBS_IMMEDIATE=True)
    seen: list[int] = []
    jobs.register(app, jobs.JobSpec("test.now", lambda n: seen.append(n)))
    with app.app_context():
        jobs.enqueue("test.now", 7)
    assert seen == [7]


def test_every_declared_job_and_the_periodic_reminders_are_registered(make_app, tmp_path):
    app = make_app(**queued_config(tmp_path))
    names = set(jobs.queue(app).tasks)
    assert {"notifications.deliver", "notifications.review_decision", "reminders.hourly", "reminders.daily"} <= names
    assert periodic_due(app, datetime(2026, 12, 1, 5, 7)) == ["reminders.hourly"]
    assert periodic_due(app, datetime(2026, 12, 1, 0, 17)) == ["reminders.daily"]
    assert periodic_due(app, datetime(2026, 12, 1, 5, 8)) == []


def test_the_sqlite_queue_file_is_private_like_the_database(make_app, tmp_path):
    """Queued jobs carry their arguments (people's ids, notification texts): ``instance/jobs.db``
    gets the database file's mode, not the umask's, and an older world-readable one is narrowed."""
    path = Path(queued_config(tmp_path)["JOBS_SQLITE_PATH"])
    old = os.umask(0o022)  # the usual umask, which would leave the file readable by everyone
    try:
        app = make_app(**queued_config(tmp_path))
        jobs.register(app, jobs.JobSpec("test.mode", lambda n: None))
        with app.app_context():
            jobs.enqueue("test.mode", 1)  # the queue written to: its -wal and -shm files exist too
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if name.exists():
                assert stat.S_IMODE(name.stat().st_mode) == SQLITE_FILE_MODE, (name, oct(name.stat().st_mode))
        assert stat.S_IMODE(path.stat().st_mode) == SQLITE_FILE_MODE
        os.chmod(path, 0o644)
        make_app(**queued_config(tmp_path))
        assert stat.S_IMODE(path.stat().st_mode) == SQLITE_FILE_MODE
    finally:
        os.umask(old)


@pytest.mark.parametrize("setting", [{"JOBS_STORAGE": "rabbit"}, {"JOBS_STORAGE": "redis"}])
def test_an_unusable_queue_setting_stops_start_up_with_a_clear_message(make_app, setting):
    with pytest.raises(BadConfiguration, match="JOBS_"):
        make_app(JOBS_IMMEDIATE=False, **setting)


def test_flask_worker_runs_queued_jobs_and_stops_on_sigint(make_app, tmp_path):
    """The command `make run` and systemd start: a separate process, the same SQLite queue."""
    app = make_app(demo=True, **queued_config(tmp_path))
    instance = tmp_path / "instance"
    instance.mkdir()
    marker = tmp_path / "marker.txt"
    (instance / "config.py").write_text(
        f"SQLALCHEMY_DATABASE_URI = {app.config['SQLALCHEMY_DATABASE_URI']!r}\n"
        f"JOBS_SQLITE_PATH = {app.config['JOBS_SQLITE_PATH']!r}\n"
        f"CACHE_DIR = {str(tmp_path / 'cache')!r}\n"
    )
    with app.app_context():
        from sqlalchemy import select

        from portal.extensions import db
        from portal.models import User
        from portal.services.notifications import NewNotification, notify_many

        teacher = db.session.execute(select(User).where(User.username == "teacher1")).scalar_one()
        ids = notify_many([NewNotification(teacher.id, "credited", "worker-test", {"title": "T"})])
        assert jobs.queue(app).huey.pending_count() == 1
    env = {**os.environ, "YANXIU_INSTANCE_PATH": str(instance), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--workers", "1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        with app.app_context():
            wait_for(lambda: jobs.queue(app).huey.pending_count() == 0, timeout=60)
            from portal.services.delivery import delivered

            assert delivered(ids[0]) == {}  # no email configured, no plugin: nothing to send
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    marker.write_text(out)
    assert "worker: 1 threads" in out and "notifications.deliver" in out
    assert proc.returncode == 0, out
