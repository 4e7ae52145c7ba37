"""correction requests: one who may not change their own row of attendance, or cancel an activity,
asks the school's admins to (``portal.services.corrections``)

Revision ID: e9c2a4f7b1d3
Revises: d3f7b1c9e5a2
Create Date: 2026-12-07 14:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "e9c2a4f7b1d3"
down_revision = "d3f7b1c9e5a2"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "correction_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("school_id", sa.Integer(), sa.ForeignKey("school.id"), nullable=False),
        sa.Column("activity_id", sa.Integer(), sa.ForeignKey("activity.id"), nullable=False),
        sa.Column("requester_id", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("wanted", sa.String(100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_by", sa.Integer(), sa.ForeignKey("user_account.id"), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_correction_request_activity_id", "correction_request", ["activity_id"])
    op.create_index("ix_correction_request_requester_id", "correction_request", ["requester_id"])
    op.create_index("ix_correction_school_status", "correction_request", ["school_id", "status"])
    op.create_index("ix_correction_open_once", "correction_request", ["activity_id", "requester_id", "kind"],
                    unique=True, sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_table("correction_request")
