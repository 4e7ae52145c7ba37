"""append-only: the writers of a school's annual plan (``school_plan_writer``) like the ledger

Revision ``f5c1d7a3e9b4`` keeps every writer of a plan so that one who wrote it, then left for
the district's office, is still ``school_plans.involved`` and may not accept or return it. A row
changed or deleted would let that person decide their own plan. The ORM refuses updates and
deletes of these rows (``ledger.APPEND_ONLY``); these triggers make the database refuse them too,
whoever connects, and on PostgreSQL ``TRUNCATE`` (also through ``TRUNCATE school_plan CASCADE``),
with the function and the error of revisions ``7c1e5a90b3d2`` and ``5d8a2f61c0e4``, as
``d3b8f2a6c4e1`` did for the issued documents. Nothing about the rows changes.

Revision ID: a9e4c2d7f1b6
Revises: f5c1d7a3e9b4
Create Date: 2026-12-06 22:00:00
"""
from alembic import op

from portal import append_only_triggers

revision = "a9e4c2d7f1b6"
down_revision = "f5c1d7a3e9b4"
branch_labels = None
depends_on = None

TABLE = "school_plan_writer"


def upgrade():
    append_only_triggers.create(op, TABLE)


def downgrade():
    append_only_triggers.drop(op, TABLE)
