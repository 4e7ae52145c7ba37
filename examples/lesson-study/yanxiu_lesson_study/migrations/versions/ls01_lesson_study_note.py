"""lesson study: observation notes

The plugin's own branch: it starts from nothing (``down_revision = None``), carries the branch
label ``lesson_study`` and depends on the core schema (``activity``, ``user_account``).

Revision ID: ls01_lesson_study_note
Revises:
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "ls01_lesson_study_note"
down_revision = None
branch_labels = ("lesson_study",)
depends_on = "1456b1ddd087"  # the core schema


def upgrade():
    op.create_table(
        "lesson_study_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activity.id"], name="fk_lesson_study_note_activity_id_activity", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name="fk_lesson_study_note_user_id_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_lesson_study_note"),
    )
    op.create_index("ix_lesson_study_note_activity_id", "lesson_study_note", ["activity_id"])


def downgrade():
    op.drop_index("ix_lesson_study_note_activity_id", table_name="lesson_study_note")
    op.drop_table("lesson_study_note")
