"""what a declaration's certificate file shows (``evidence.likeness``), read once at upload

A certificate uploaded to a declared training is compared with the teacher's other standing
declarations' certificates by what it shows — a PDF's words, a picture's pixels
(``portal.same_certificate``) — and not only by its bytes. Reading a phone's photo takes a
quarter of a second: stored with the row, it is read once, not again at every later upload
(and not while the write is held). The rows of before are read when their teacher next uploads
a certificate (``activities._read_earlier_certificates``), so this revision only adds the column.

Revision ID: f3a7c1e9d5b2
Revises: e6b2d4f8a3c5
Create Date: 2026-12-05 09:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "f3a7c1e9d5b2"
down_revision = "e6b2d4f8a3c5"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("evidence", sa.Column("likeness", sa.String(length=72), nullable=True))  # no table copy


def downgrade():
    op.drop_column("evidence", "likeness")  # SQLite drops a column in place
