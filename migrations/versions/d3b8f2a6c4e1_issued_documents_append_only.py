"""append-only: the issued documents (what each verification code certified) like the ledger

A printed document's row holds the snapshot ``/verify/<code>`` shows and compares with today's
year: changed or deleted, the page would vouch for figures the paper never printed (or an
altered paper would match). The ORM refuses updates and deletes of these rows
(``ledger.APPEND_ONLY``); these triggers make the database refuse them too, whoever connects,
and on PostgreSQL ``TRUNCATE`` (also through ``TRUNCATE school CASCADE``), with the function and
the error of revisions ``7c1e5a90b3d2`` and ``5d8a2f61c0e4``. Nothing about the rows changes:
documents printed before keep their snapshot as it was.

Revision ID: d3b8f2a6c4e1
Revises: d2b6f8a4c1e7
Create Date: 2026-12-05 23:20:00
"""
from alembic import op

from portal import append_only_triggers

revision = "d3b8f2a6c4e1"
down_revision = "d2b6f8a4c1e7"
branch_labels = None
depends_on = None

TABLE = "issued_document"


def upgrade():
    append_only_triggers.create(op, TABLE)


def downgrade():
    append_only_triggers.drop(op, TABLE)
