"""Real parts for the reach tests: a local SMTP server (aiosmtpd), the real huey worker, and
an app whose jobs go through a real queue (SQLite storage) instead of running at once."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from flask import Flask

from portal import jobs
from tests.support.smtp import SmtpServer, running_smtp


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp() as server:
        yield server


def wait_for(check: Callable[[], object], timeout: float = 20.0) -> object:
    """Poll ``check`` until it answers something truthy (the worker runs in other threads);
    fails the test after ``timeout`` seconds. Not a timing assertion: only a bound on waiting."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {check}")
        time.sleep(0.05)


def queued_config(tmp_path: Path, smtp_port: int | None = None) -> dict:
    cfg: dict = {
        "JOBS_IMMEDIATE": False,
        "JOBS_STORAGE": "sqlite",
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.db"),
        "JOBS_RETRY_DELAY": 0,
        "PUBLIC_URL": "https://yanxiu.test",
    }
    if smtp_port is not None:
        cfg.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_port, MAIL_TIMEOUT=3)
    return cfg


def periodic_due(app: Flask, at: datetime) -> list[str]:
    """The periodic jobs due at ``at`` besides the outbox's sweep (``portal.outbox``), which is
    due every minute."""
    names = [t.name for t in jobs.queue(app).huey.read_periodic(at)]
    assert "outbox.sweep" in names
    return sorted(set(names) - {"outbox.sweep"})


@pytest.fixture
def queued_app(make_app, tmp_path, smtp) -> Iterator[Flask]:
    """The demo school on an app whose jobs go through a real SQLite queue, and whose email
    goes to the local SMTP server; the test starts the worker when it wants it to run."""
    app = make_app(demo=True, **queued_config(tmp_path, smtp.port))
    with app.app_context():
        yield app


@pytest.fixture
def worker(queued_app) -> Iterator[object]:
    with jobs.running_worker(queued_app) as consumer:
        yield consumer
