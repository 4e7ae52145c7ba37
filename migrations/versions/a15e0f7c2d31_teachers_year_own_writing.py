"""the teacher's year: a teacher's own writing (reading notes, papers, reflections) for the quotas

A row changes what the teacher home and the school summary show, so it raises the school's
data stamp like every other such table (see 3b9d0c4e2f61; the triggers of
``portal.stamp_triggers``).

Revision ID: a15e0f7c2d31
Revises: a7e3f1c2d9b8
Create Date: 2026-12-01 13:05:00
"""
import sqlalchemy as sa
from alembic import op

from portal import stamp_triggers

revision = "a15e0f7c2d31"
down_revision = "a7e3f1c2d9b8"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "own_writing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("char_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_own_writing_school_year_user", "own_writing", ["school_id", "school_year", "user_id"])
    stamp_triggers.create(op, "own_writing")


def downgrade():
    stamp_triggers.drop(op, "own_writing")
    op.drop_index("ix_own_writing_school_year_user", table_name="own_writing")
    op.drop_table("own_writing")
