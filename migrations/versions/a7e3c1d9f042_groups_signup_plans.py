"""teaching groups, sign-up with a waiting list, personal development plans

The new tables raise their school's data stamp like the others (revision ``3b9d0c4e2f61``):
the teacher home shows the plan, the activity page the sign-up, the summary the groups.

Revision ID: a7e3c1d9f042
Revises: a15e0f7c2d31
Create Date: 2026-12-01 12:40:00
"""
import sqlalchemy as sa
from alembic import op

import portal.models.types
from portal import stamp_triggers

revision = "a7e3c1d9f042"
down_revision = "a15e0f7c2d31"
branch_labels = None
depends_on = None

HOURS = portal.models.types.HoursType(precision=8, scale=1, asdecimal=False)
SCHOOL_OF = {
    "teaching_group": "R.school_id",
    "teaching_group_member": "(SELECT g.school_id FROM teaching_group g WHERE g.id = R.group_id)",
    "signup_window": "(SELECT a.school_id FROM activity a WHERE a.id = R.activity_id)",
    "signup": "(SELECT a.school_id FROM activity a WHERE a.id = R.activity_id)",
    "development_plan": "R.school_id",
}


def upgrade():
    op.create_table(
        "teaching_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["leader_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "name"),
    )
    op.create_index(op.f("ix_teaching_group_school_id"), "teaching_group", ["school_id"], unique=False)
    op.create_table(
        "teaching_group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["teaching_group.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("group_id", "user_id"),
    )
    op.create_index(op.f("ix_teaching_group_member_user_id"), "teaching_group_member", ["user_id"], unique=False)
    op.create_table(
        "signup_window",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activity.id"]),
        sa.ForeignKeyConstraint(["confirmed_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("activity_id"),
    )
    op.create_table(
        "signup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["activity_id"], ["activity.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("activity_id", "user_id"),
    )
    op.create_index("ix_signup_activity_status", "signup", ["activity_id", "status", "signed_at"], unique=False)
    op.create_index(op.f("ix_signup_user_id"), "signup", ["user_id"], unique=False)
    op.create_table(
        "development_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("goals", sa.Text(), nullable=False),
        sa.Column("studies", sa.Text(), nullable=False),
        sa.Column("target_hours", HOURS, nullable=False),
        sa.Column("type_targets", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["decided_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "user_id", "school_year"),
    )
    op.create_index(
        "ix_plan_school_year_status", "development_plan", ["school_id", "school_year", "status"], unique=False
    )
    op.create_index(op.f("ix_development_plan_user_id"), "development_plan", ["user_id"], unique=False)
    for table, school in SCHOOL_OF.items():  # data_version_stamp() comes from 3b9d0c4e2f61
        stamp_triggers.create(op, table, school)


def downgrade():
    for table in SCHOOL_OF:
        stamp_triggers.drop(op, table)
    op.drop_index(op.f("ix_development_plan_user_id"), table_name="development_plan")
    op.drop_index("ix_plan_school_year_status", table_name="development_plan")
    op.drop_table("development_plan")
    op.drop_index(op.f("ix_signup_user_id"), table_name="signup")
    op.drop_index("ix_signup_activity_status", table_name="signup")
    op.drop_table("signup")
    op.drop_table("signup_window")
    op.drop_index(op.f("ix_teaching_group_member_user_id"), table_name="teaching_group_member")
    op.drop_table("teaching_group_member")
    op.drop_index(op.f("ix_teaching_group_school_id"), table_name="teaching_group")
    op.drop_table("teaching_group")
