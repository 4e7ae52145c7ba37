"""whether a notification's delivery was put on the queue: ``notification.queued_at``

A job wrote its notifications, then queued their delivery; one whose queueing failed (the
queue's file locked past its timeout, the worker killed between the two) was retried, found the
notifications written and queued nothing: they stayed in the app and no email was ever sent.
``queued_at`` is set once the delivery is on the queue; a run that finds a notification written
but not queued queues it (``portal.services.notifications.notify_many``). The notifications
there are were queued when they were written, as far as anyone can know: they get their
``created_at``, so none is delivered again.

Revision ID: b5e1d7c3a9f2
Revises: c2f6a8e4d1b9
Create Date: 2026-12-05 13:55:00
"""
import sqlalchemy as sa
from alembic import op

revision = "b5e1d7c3a9f2"
down_revision = "c2f6a8e4d1b9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notification", sa.Column("queued_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE notification SET queued_at = created_at")


def downgrade() -> None:
    op.drop_column("notification", "queued_at")  # in place on SQLite: a copy loses triggers
