"""a correction request raises its school's data stamp, as every table a cached part shows does

The admin's to-do list (a cached part of the home) counts the requests waiting; the service
raised the stamp by hand, so a row written another way (SQL, a later service) left the list
stale. The triggers of ``portal.stamp_triggers`` (as ``a15e0f7c2d31``'s for ``own_writing``).

Revision ID: f1a7c3e9b2d4
Revises: e9c2a4f7b1d3
Create Date: 2026-12-07 16:00:00
"""
from alembic import op

from portal import stamp_triggers

revision = "f1a7c3e9b2d4"
down_revision = "e9c2a4f7b1d3"
branch_labels = None
depends_on = None


def upgrade():
    stamp_triggers.create(op, "correction_request")


def downgrade():
    stamp_triggers.drop(op, "correction_request")
