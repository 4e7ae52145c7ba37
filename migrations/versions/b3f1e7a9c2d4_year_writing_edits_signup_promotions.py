"""the teacher's year: when a teacher last corrected their own writing, and when a sign-up was
promoted from the waiting list

``own_writing.updated_at``: set when its author corrects a piece (a deleted piece is gone).
``signup.promoted_at``: set when a waiting sign-up is given a freed seat, so the organizer's
list of withdrawals can say who moved up. Rows from before this revision that moved up (a seat
changed after it was signed for) take that change's time.

Revision ID: b3f1e7a9c2d4
Revises: b3e8d1f4a620
Create Date: 2026-12-01 15:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b3f1e7a9c2d4"
down_revision = "b3e8d1f4a620"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("own_writing", sa.Column("updated_at", sa.DateTime(), nullable=True))
    op.add_column("signup", sa.Column("promoted_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE signup SET promoted_at = changed_at WHERE status = 'seat' AND changed_at > signed_at")


def downgrade():
    op.drop_column("signup", "promoted_at")  # in place on SQLite: a copy loses triggers
    op.drop_column("own_writing", "updated_at")  # in place on SQLite: a copy loses triggers
