"""Background jobs on a real queue: huey.

Why huey: its SQLite storage needs nothing installed (one file beside the database, shared by
the web processes and the worker of one machine), its Redis storage serves several machines with
the same code, and it has retries with a delay and periodic (crontab) tasks built in, which is
all the portal asks of a queue: email, reminders and long exports.

Configuration (``portal/config.py``): ``JOBS_STORAGE`` is ``"sqlite"`` (default, file
``JOBS_SQLITE_PATH``, default ``instance/jobs.db``, private like the database file:
:func:`portal.database.private_sqlite_file`), ``"redis"`` (``JOBS_REDIS_URL``) or
``"memory"`` (one process only); ``JOBS_IMMEDIATE`` runs each job at once in the caller (tests
about something else). The worker is ``flask --app wsgi worker`` (``make run`` starts it beside
the web server; one per machine under systemd in production).

A job is a plain function declared with :func:`job` (or :func:`periodic`) in a module listed in
:data:`JOB_MODULES`; it runs inside an app context of the app that queued it, with its own
database session. Jobs must be idempotent: huey retries a job that raised, and a worker may
die half-way. :func:`enqueue` never waits for the job, only for the queue's write.
"""

from __future__ import annotations

import contextvars
import importlib
import logging
import os
import signal
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import click
from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.consumer import Consumer

from portal.config import BadConfiguration
from portal.database import private_sqlite_file
from portal.messages import msg

log = logging.getLogger(__name__)
EXTENSION = "yanxiu.jobs"
#: Modules that declare jobs; imported when the app is made, so every process knows every job.
JOB_MODULES = ("portal.outbox", "portal.services.delivery", "portal.services.reminders", "portal.services.export_jobs",
               "portal.services.district_notices", "portal.services.planner_stats",
               "portal.services.teacher_years", "portal.services.corrections")


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[..., Any]
    retries: int = 0
    retry_delay: int = 0
    schedule: dict[str, str] | None = None  # crontab fields for a periodic job


_SPECS: dict[str, JobSpec] = {}


def job(name: str, *, retries: int = 8, retry_delay: int = 30) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare ``func`` as the job ``name`` (retried ``retries`` times, ``retry_delay`` seconds
    apart, when it raises)."""

    def declare(func: Callable[..., Any]) -> Callable[..., Any]:
        _SPECS[name] = JobSpec(name, func, retries, retry_delay)
        return func

    return declare


def periodic(name: str, **cron: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a periodic job run by the worker's scheduler (``minute="0"``, ``hour="*/1"`` …,
    huey's crontab fields, in UTC)."""

    def declare(func: Callable[..., Any]) -> Callable[..., Any]:
        _SPECS[name] = JobSpec(name, func, retries=2, retry_delay=60, schedule=cron)
        return func

    return declare


@dataclass
class Jobs:
    """The app's queue and its jobs (``app.extensions["yanxiu.jobs"]``)."""

    huey: Huey
    tasks: dict[str, TaskWrapper] = field(default_factory=dict)


def _make_huey(app: Flask) -> Huey:
    cfg = app.config
    kind = str(cfg.get("JOBS_STORAGE") or "sqlite").lower()
    immediate = bool(cfg.get("JOBS_IMMEDIATE"))
    name = str(cfg.get("JOBS_NAME") or "yanxiu")
    if kind == "sqlite":
        path = cfg.get("JOBS_SQLITE_PATH") or os.path.join(app.instance_path, "jobs.db")
        if not immediate:  # (an immediate queue keeps no file)
            private_sqlite_file(str(path))  # queued jobs' arguments: readable like the database, no wider
        try:
            return SqliteHuey(name, filename=str(path), immediate=immediate, utc=True,
                              timeout=float(cfg.get("JOBS_SQLITE_TIMEOUT") or 5))
        except sqlite3.Error as exc:  # a folder that does not exist, no right: every command's traceback
            raise BadConfiguration(msg("start.job_queue_sqlite", path=repr(str(path)), reason=str(exc))) from None
    if kind == "redis":
        url = cfg.get("JOBS_REDIS_URL")
        if not url:
            raise BadConfiguration(msg("start.job_queue_redis"))
        return RedisHuey(name, url=str(url), immediate=immediate, utc=True)
    if kind == "memory":
        return MemoryHuey(name, immediate=immediate, utc=True)
    raise BadConfiguration(msg("start.job_storage", value=repr(kind)))


_LAST_TRY: contextvars.ContextVar[bool] = contextvars.ContextVar("yanxiu_job_last_try", default=True)


def last_try() -> bool:
    """Whether the job running now is on its last try: if it raises, huey will not run it again
    (a job that records its failure says "failed" then, and "queued" while tries are left)."""
    return _LAST_TRY.get()


def _in_context(app: Flask, func: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, task: Any = None, **kwargs: Any) -> Any:
        token = _LAST_TRY.set(task is None or not task.retries)  # huey: the tries left after this one
        try:
            with app.app_context():
                return func(*args, **kwargs)
        finally:
            _LAST_TRY.reset(token)

    run.__name__ = func.__name__
    return run


def init_app(app: Flask) -> None:
    for module in JOB_MODULES:
        importlib.import_module(module)
    huey = _make_huey(app)
    jobs = Jobs(huey)
    for spec in _SPECS.values():
        jobs.tasks[spec.name] = _register(app, huey, spec)
    app.extensions[EXTENSION] = jobs
    app.cli.add_command(worker_command)
    for module in JOB_MODULES:
        register_cli = getattr(importlib.import_module(module), "register", None)
        if register_cli is not None:
            register_cli(app)


def _register(app: Flask, huey: Huey, spec: JobSpec) -> TaskWrapper:
    run = _in_context(app, spec.func)
    override = app.config.get("JOBS_RETRY_DELAY")  # seconds between tries, for every job (tests: short)
    delay = spec.retry_delay if override is None else int(override)
    if spec.schedule is not None:
        return huey.periodic_task(crontab(**spec.schedule), retries=spec.retries, retry_delay=delay,
                                  name=spec.name, context=True)(run)
    return huey.task(retries=spec.retries, retry_delay=delay, name=spec.name, context=True)(run)


def register(app: Flask, spec: JobSpec) -> TaskWrapper:
    """Add a job to a running app's queue (tests and plugins declare theirs with this)."""
    jobs: Jobs = app.extensions[EXTENSION]
    jobs.tasks[spec.name] = _register(app, jobs.huey, spec)
    return jobs.tasks[spec.name]


def queue(app: Flask | None = None) -> Jobs:
    return (app or current_app).extensions[EXTENSION]


#: The worker says it runs by writing this key of the queue's own storage (which the web processes
#: share) every minute (``outbox.sweep``); older than :data:`WORKER_LATE`, the admin is told.
WORKER_SEEN_KEY = "yanxiu.worker_seen"
WORKER_LATE = timedelta(minutes=3)


def beat(now: datetime) -> None:
    """The worker is running (naive UTC ``now``)."""
    queue().huey.put(WORKER_SEEN_KEY, now.isoformat())


def worker_seen() -> datetime | None:
    """When a worker last said it runs (naive UTC), or None if none ever did."""
    value = queue().huey.get(WORKER_SEEN_KEY, peek=True)
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def worker_down(now: datetime) -> bool:
    """Whether no worker runs: none said so within :data:`WORKER_LATE` of ``now`` (naive UTC),
    or none ever did. An immediate queue needs none (its jobs run in the caller). The one
    answer every page that shows or waits on background work asks."""
    if queue().huey.immediate:
        return False
    seen = worker_seen()
    return seen is None or now - seen > WORKER_LATE


def enqueue(name: str, *args: Any, eta: datetime | None = None) -> None:
    """Queue the job ``name``; with ``eta`` (naive UTC), not before then. Never runs it here
    (except in immediate mode)."""
    task = queue().tasks[name]
    if eta is None:
        task(*args)
    else:
        task.schedule(args=args, eta=eta)


@contextmanager
def running_worker(app: Flask, workers: int = 2) -> Iterator[Consumer]:
    """The real huey consumer of ``app``'s queue, in this process (threads) while the block
    runs; stopped gracefully after. Its signal handlers are put back afterwards."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    consumer = queue(app).huey.create_consumer(workers=workers, worker_type="thread", initial_delay=0.05,
                                                backoff=1.2, max_delay=0.2, check_worker_health=False)
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        for sig, handler in saved.items():
            signal.signal(sig, handler)


@click.command("worker")
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="Worker threads (JOBS_WORKERS).")
def worker_command(workers: int | None) -> None:
    """Run the background job worker (email, reminders, exports) until stopped (Ctrl-C, SIGTERM)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    jobs = queue(app)
    if jobs.huey.immediate:
        from portal.cli.common import refuse

        refuse("cli.jobs_immediate")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    count = workers or int(app.config.get("JOBS_WORKERS") or 2)
    consumer = jobs.huey.create_consumer(workers=count, worker_type="thread")
    click.echo(f"worker: {count} threads, jobs: {', '.join(sorted(jobs.tasks))}")
    consumer.run()
