"""What waits on the job queue, as a test asks it after running the real worker."""

from __future__ import annotations

from huey import Huey
from huey.api import PeriodicTask


def waiting_jobs(huey: Huey) -> list[str]:
    """The names of the jobs waiting on ``huey``'s queue, not counting those its scheduler put
    there: a worker's scheduler queues the periodic jobs as their minute comes (the outbox's
    sweep every minute), so a worker that ran across a minute's turn may leave one waiting
    that no test step queued."""
    return [task.name for task in huey.pending() if not isinstance(task, PeriodicTask)]
