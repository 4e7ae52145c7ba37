"""reading club: handwritten reading notes

The plugin's own branch: it starts from nothing (``down_revision = None``), carries the
branch label ``reading_club`` and depends on the core schema, whose ``activity`` and
``user_account`` tables it refers to.

Revision ID: rc01_reading_club_note
Revises:
Create Date: 2026-11-23 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "rc01_reading_club_note"
down_revision = None
branch_labels = ("reading_club",)
depends_on = "1456b1ddd087"  # the core schema


def upgrade():
    op.create_table(
        "reading_club_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("book", sa.String(length=200), nullable=False),
        sa.Column("char_count", sa.Integer(), nullable=False),
        sa.Column("read_on", sa.Date(), nullable=False),
        sa.Column("logged_by", sa.Integer(), nullable=False),
        sa.Column("logged_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activity.id"], name="fk_reading_club_note_activity_id_activity", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], name="fk_reading_club_note_user_id_user_account"),
        sa.ForeignKeyConstraint(
            ["logged_by"], ["user_account.id"], name="fk_reading_club_note_logged_by_user_account"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reading_club_note"),
    )
    op.create_index("ix_reading_club_note_activity_id", "reading_club_note", ["activity_id"])


def downgrade():
    op.drop_index("ix_reading_club_note_activity_id", table_name="reading_club_note")
    op.drop_table("reading_club_note")
