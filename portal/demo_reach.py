"""Demo data for reaching people: the notifications the demo's history would have sent (review
decisions, evidence due, absence), written at once rather than left to a worker."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.extensions import db
from portal.models import School, TransitionLog
from portal.services import reminders


def load(school: School, now: datetime) -> None:
    for log_id in db.session.execute(
        select(TransitionLog.id).where(TransitionLog.school_id == school.id).order_by(TransitionLog.id)
    ).scalars().all():
        reminders.review_decision(log_id)  # idempotent: the queued jobs will find them written
    reminders.remind_evidence(now)
    reminders.remind_absence(now)
