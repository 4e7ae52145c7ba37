"""an export that failed says why: ``export_job.failure``

A failed export's page said only that it failed and would not be tried again. The worker now
stores why its last try failed, as a message code (the server's disk full, the file not
stored, an error logged for the administrator), and the page says it in words.

Revision ID: d4a9e2c7b1f5
Revises: b7e3a9c5d1f2
Create Date: 2026-12-06 13:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "d4a9e2c7b1f5"
down_revision = "b7e3a9c5d1f2"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("export_job", sa.Column("failure", sa.String(length=40), nullable=True))


def downgrade():
    op.drop_column("export_job", "failure")  # in place on SQLite: a copy loses triggers
