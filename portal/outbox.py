"""Queue a job with the change it is about: written in the same transaction, queued after it.

A service used to commit its change and then put the job on the queue (tell the people a review
decision concerns, run the export just asked for). When that queue write failed (the queue's
file locked past its timeout, Redis away, the process stopped in between), the change stood and
nobody was ever told; the person who made the change saw an error page for a change that was
made. Now :func:`enqueue_on_commit` writes the job into the ``outbox_job`` table inside the
change's :func:`~portal.database.write_transaction`: both are stored or neither. After the commit
the job is put on the queue and its row deleted; if that fails, the page still reports the
change (it was made) and the worker's sweep (:func:`sweep`, every minute) queues every row
older than :data:`GRACE`. A job may so run twice (queued, then its row's delete failed): jobs
are idempotent (``portal.jobs``), as they must be for huey's retries anyway.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from portal import jobs
from portal.database import after_commit, write_transaction
from portal.extensions import db
from portal.models import OutboxJob
from portal.timeutil import utcnow

log = logging.getLogger(__name__)
#: A row younger than this may still be queued by the request that wrote it: the sweep leaves it.
GRACE = timedelta(seconds=60)
SWEEP_BATCH = 500
#: Queue writes failing this many times in a row: the queue is down (each locked write waits out
#: its busy timeout, 5 s), so the rest wait for the next sweep rather than 500 more failures.
GIVE_UP_AFTER = 3


def enqueue_on_commit(name: str, *args: Any) -> None:
    """Queue the job ``name`` with ``args`` (JSON: ids, text) once the write transaction running
    now commits, and never if it rolls back. Called inside the ``with write_transaction()``."""
    if name not in jobs.queue().tasks:
        raise KeyError(f"no job {name!r}")  # a typo fails the change, not the worker a minute later
    row = OutboxJob(name=name, args=list(args), created_at=utcnow())
    session = db.session()
    session.add(row)
    session.flush()
    entry = (row.id, name, list(args))
    after_commit(lambda: send([entry]))


def send(entries: list[tuple[int, str, list[Any]]]) -> list[int]:
    """Put each (row id, job, args) on the queue and delete the rows queued; returns their ids.
    Never raises for the queue or the delete: what is left, the sweep queues later."""
    queued: list[int] = []
    failed: list[int] = []
    failing = 0  # queue writes failed in a row
    for done, (row_id, name, args) in enumerate(entries):
        if failing == GIVE_UP_AFTER:
            log.warning("outbox: the queue failed %s times in a row; %s jobs left for the next sweep",
                        failing, len(entries) - done)
            break
        try:
            jobs.enqueue(name, *args)
        except KeyError:  # the job is gone (its plugin removed): nothing will ever run it
            log.warning("outbox %s: no job %r any more; dropped", row_id, name)
        except Exception:
            log.exception("outbox %s: job %r not queued; the worker's sweep will queue it", row_id, name)
            failing += 1
            failed.append(row_id)
            continue
        failing = 0
        queued.append(row_id)
    if queued or failed:
        try:
            with write_transaction() as s:
                if queued:
                    s.execute(delete(OutboxJob).where(OutboxJob.id.in_(queued)))
                if failed:  # tried after the rows that failed less (:func:`sweep`)
                    s.execute(update(OutboxJob).where(OutboxJob.id.in_(failed))
                              .values(failures=OutboxJob.failures + 1))
        except Exception:  # queued already: queued again by the sweep, and run twice (jobs are idempotent)
            log.exception("outbox %s: queued, but the rows were not deleted (failed: %s)", queued, failed)
    return queued


def sweep(now: datetime) -> list[int]:
    """Queue the jobs whose rows outlived :data:`GRACE`: their request could not queue them. The
    rows whose queue writes failed least go first: a few that fail on their own (each time) would
    otherwise be tried first at every sweep and stop it (:data:`GIVE_UP_AFTER`) before the rest."""
    rows = db.session.execute(
        select(OutboxJob.id, OutboxJob.name, OutboxJob.args)
        .where(OutboxJob.created_at < now - GRACE).order_by(OutboxJob.failures, OutboxJob.id).limit(SWEEP_BATCH)
    ).all()
    db.session.commit()  # the read ends before the queue writes
    return send([(row_id, name, list(args or [])) for row_id, name, args in rows])


@jobs.periodic("outbox.sweep", minute="*")
def sweep_job() -> list[int]:
    now = utcnow()
    jobs.beat(now)  # every minute: the admin's page knows the worker runs
    return sweep(now)
