"""Jobs waiting for their change's commit: the outbox (``portal.outbox``).

A service that changes something and then queues a job about it (notify the people a review
decision concerns, run the export just asked for) writes the job here, in the same transaction
as the change: either both are stored or neither. Once the transaction commits the job is put
on the queue and its row deleted; a row still here a minute later (the queue's write failed,
the process died in between) is queued by the worker's sweep.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import Model
from portal.timeutil import utcnow


class OutboxJob(Model):
    __tablename__ = "outbox_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))  # a job of portal.jobs
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)  # its arguments (JSON: ids, text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    # queue writes that failed for it: the sweep tries the rows that failed least first, so a
    # row that fails on its own does not hold up the ones behind it
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
