"""staff changes: the audit log of a person's roles and teaching groups changed by a school admin

Revision ID: c4e8a2d6f150
Revises: c4e8a2d6f913
Create Date: 2026-12-01 15:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "c4e8a2d6f150"
down_revision = "c4e8a2d6f913"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=True),
        sa.Column("what", sa.String(length=16), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["changed_by"], ["user_account.id"], name=op.f("fk_staff_change_changed_by_user_account")),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], name=op.f("fk_staff_change_school_id_school")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name=op.f("fk_staff_change_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_change")),
    )
    op.create_index("ix_staff_change_school_time", "staff_change", ["school_id", "created_at"], unique=False)
    op.create_index(op.f("ix_staff_change_user_id"), "staff_change", ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_staff_change_user_id"), table_name="staff_change")
    op.drop_index("ix_staff_change_school_time", table_name="staff_change")
    op.drop_table("staff_change")
