"""correction requests left open by older code are closed as the services close them

Until ``corrections.activity_moved_on`` the step that credits or cancels an activity left its open
correction requests open: they waited on the admins' list and to-do count until an admin opened
one, when it closed as moved on. Requests open in a semester the district has accepted close as
locked only when an admin closes them, and those of a school year that is over (a year before the
last: ``activities.year_over_refusal``, where no row changes any more) waited for ever. Each open
request is closed here as ``corrections.closes_as`` would close it — moved on (its activity's
state credited or closed, as the installed workflows say), locked (a lock of its semester or of
the year), year over (by its school's calendar today) — by nobody (``closed_by`` empty, as a step
closes them), at this moment, its asker, reason and day kept: the admins' and the requesters'
lists, and the audit log's 更正申请 view, say why it closed. Its asker is not sent a notice:
the request is months old, and their list says it. The requests still to be handled stay open.

Downgrade leaves them closed: the older code reads the three statuses as closed.

Revision ID: c3e8a5f1b7d9
Revises: b8e2d4f6a1c3
Create Date: 2026-12-07 20:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context

from portal.timeutil import school_year_after, school_year_of, to_local, utcnow, zone_of
from workflows.definition import CORE, Phase

revision = "c3e8a5f1b7d9"
down_revision = "b8e2d4f6a1c3"
branch_labels = None
depends_on = None

WHOLE_YEAR = 0  # ``district.WHOLE_YEAR`` when this revision was written: a lock of the whole year
MOVED_ON_PHASES = (Phase.CREDITED, Phase.CLOSED)  # ``corrections.MOVED_ON_PHASES``


def _phase(type_key: str, state: str) -> Phase:
    """The phase of ``state`` as the installed types say (``registry().phase``: a state of no
    installed type counts as closed), else as the core's workflow says."""
    types = current_app.extensions.get("yanxiu.registry") if has_app_context() else None
    return types.phase(type_key, state) if types is not None else CORE.phase(state)


def closes_as(row, accepted: set[int], now) -> str | None:
    """What the open request on this activity closes as (``corrections.closes_as``), or None."""
    if _phase(row.type_key, row.state) in MOVED_ON_PHASES:
        return "moved_on"
    if WHOLE_YEAR in accepted or row.semester in accepted or (row.semester == WHOLE_YEAR and {1, 2} <= accepted):
        return "locked"
    this_year = school_year_of(to_local(now, zone_of(row)).date())
    if row.school_year < school_year_after(this_year, -1):  # before ``policy.first_year_to_date``
        return "year_over"
    return None


def upgrade():
    conn = op.get_bind()
    now = utcnow()
    rows = conn.execute(sa.text(
        "SELECT r.id, a.type_key, a.state, a.school_id, a.school_year, a.semester, s.timezone"
        " FROM correction_request r JOIN activity a ON a.id = r.activity_id JOIN school s ON s.id = a.school_id"
        " WHERE r.status = 'open' ORDER BY r.id")).all()
    locks: dict[tuple[int, str], set[int]] = {}
    for school_id, year, semester in conn.execute(sa.text(
            "SELECT school_id, school_year, semester FROM year_lock ORDER BY school_id, school_year, semester")):
        locks.setdefault((school_id, year), set()).add(semester)
    closing = [(row.id, status) for row in rows
               if (status := closes_as(row, locks.get((row.school_id, row.school_year), set()), now)) is not None]
    close = sa.text("UPDATE correction_request SET status = :status, closed_at = :at"
                    " WHERE id = :id AND status = 'open'")
    for request_id, status in closing:
        conn.execute(close, {"id": request_id, "status": status, "at": now})


def downgrade():
    pass
