"""jobs written with the change they are about: ``outbox_job``

A service committed its change, then put the job about it on the queue (a review decision's
notifications, a district decision's, an export asked for). When that queue write failed, the
change stood and the job was lost: nobody was told, the export waited forever. The job is now
written in the change's transaction and deleted once queued; what is left is queued by the
worker's sweep (``portal.outbox``).

Revision ID: a9d4f2c6e8b1
Revises: f1c7a3e9b250
Create Date: 2026-12-05 15:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = "a9d4f2c6e8b1"
down_revision = "f1c7a3e9b250"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_job",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_outbox_job_created_at", "outbox_job", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_job_created_at", table_name="outbox_job")
    op.drop_table("outbox_job")
