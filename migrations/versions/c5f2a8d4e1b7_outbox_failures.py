"""outbox rows count their failed queue writes: ``outbox_job.failures``

The sweep queued the oldest rows first and gave up after three failed queue writes in a row
(the queue is down). Three rows that each failed on their own at the head of the outbox were
tried first at every sweep, failed, and held up every row behind them for good. A row now
counts its failures and the sweep tries the rows that failed least first.

Revision ID: c5f2a8d4e1b7
Revises: b7e3c9a1d5f4
Create Date: 2026-12-05 20:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "c5f2a8d4e1b7"
down_revision = "b7e3c9a1d5f4"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("outbox_job", sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False))


def downgrade():
    op.drop_column("outbox_job", "failures")  # in place on SQLite: a copy loses triggers
