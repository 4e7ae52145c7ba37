"""an index in the activity list's order: a school's activities by start, newest first

The activity list (``overview.activities_page``) reads a school's activities newest first
(``starts_at`` then ``id``, descending) twenty at a time. With only the school's other indexes
the database read all of the school's activities and sorted them for every page (SQLite: "USE
TEMP B-TREE FOR ORDER BY"); ``(school_id, starts_at, id)`` gives them in that order, so a page
reads its twenty rows and stops, however many years of activities the school keeps.

Revision ID: b7e3a9c5d1f2
Revises: b5d1e8c3a7f2
Create Date: 2026-12-06 10:25:00
"""
from alembic import op

revision = "b7e3a9c5d1f2"
down_revision = "b5d1e8c3a7f2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_activity_school_starts", "activity", ["school_id", "starts_at", "id"])


def downgrade():
    op.drop_index("ix_activity_school_starts", table_name="activity")
