"""a mentorship's details keep no ``term`` any more

The mentorship form's free ``term`` field was removed (the pairing's term is the semester its
dates fall in, which every activity is filed and shown under). Pairings planned before kept
``details["term"]``: a value never checked against the dates (the demo and the tests said
semester 1 on semester-2 dates) that the API's ``details`` still showed as if it were current.
It is taken out of every mentorship's details here, once, so no reader — the API, the plugin's
plan checks and guards, a page for a type no longer loaded — has to know to leave it out; the
activity's ``semester`` is the record of its term. Irreversible: the removed values were
duplicates at best and contradictions at worst, and are not brought back.

Revision ID: e8b2c4f6a1d3
Revises: d4a9e2c7b1f5
Create Date: 2026-12-06 16:40:00
"""
import json

import sqlalchemy as sa
from alembic import op

revision = "e8b2c4f6a1d3"
down_revision = "d4a9e2c7b1f5"
branch_labels = None
depends_on = None

TYPE_KEY, DROPPED = "mentorship", "term"
BATCH = 1000


def upgrade():
    bind = op.get_bind()
    activity = sa.table("activity", sa.column("id", sa.Integer), sa.column("type_key", sa.String),
                        sa.column("details", sa.JSON))
    rows = bind.execute(sa.select(activity.c.id, activity.c.details).where(activity.c.type_key == TYPE_KEY)).all()
    changed = []
    for act_id, details in rows:
        if isinstance(details, str):  # a driver that hands JSON back as text
            details = json.loads(details)
        if isinstance(details, dict) and DROPPED in details:
            changed.append({"b_id": act_id, "b_details": {k: v for k, v in details.items() if k != DROPPED}})
    update = (sa.update(activity).where(activity.c.id == sa.bindparam("b_id"))
              .values(details=sa.bindparam("b_details", type_=sa.JSON)))
    for start in range(0, len(changed), BATCH):
        bind.execute(update, changed[start:start + BATCH])


def downgrade():
    pass  # the removed terms are not brought back (see the docstring)
