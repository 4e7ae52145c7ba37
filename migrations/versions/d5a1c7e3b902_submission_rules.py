"""the rules a submitted school year was judged by: a year the district accepted keeps them

``year_submission.rules`` holds the school's rules (required hours, absence limit and warning,
writing quotas) as they stood when the school submitted the year; while the district has
accepted it, every page, export and API answer judges that year by them, not by rules the school
or district set since. Submissions made before this revision have none (judged by today's).

Revision ID: d5a1c7e3b902
Revises: b3f8d2a61c47
Create Date: 2026-12-02 07:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "d5a1c7e3b902"
down_revision = "b3f8d2a61c47"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("year_submission", sa.Column("rules", sa.JSON(), nullable=True))  # no table copy: triggers stay


def downgrade():
    op.drop_column("year_submission", "rules")
