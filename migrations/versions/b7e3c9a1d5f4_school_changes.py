"""school changes: the audit log of a school's rules and activity types changed by its admins

A school admin could set the year's required hours to 0, or a type's multiplier to its
maximum, and no page said who had done it or when. Each change is now a row of
``school_change``, written in the change's own transaction.

Revision ID: b7e3c9a1d5f4
Revises: a9d4f2c6e8b1
Create Date: 2026-12-05 18:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b7e3c9a1d5f4"
down_revision = "a9d4f2c6e8b1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "school_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["changed_by"], ["user_account.id"], name=op.f("fk_school_change_changed_by_user_account")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_school_change_school_id_school")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_change")),
    )
    op.create_index("ix_school_change_school_time", "school_change", ["school_id", "created_at"], unique=False)


def downgrade():
    op.drop_index("ix_school_change_school_time", table_name="school_change")
    op.drop_table("school_change")
