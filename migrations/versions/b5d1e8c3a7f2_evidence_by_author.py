"""an index of evidence by author and kind

The teacher home's year figures (``credits.teacher_year``) count the teacher's writing of the
year (``quotas``: reading notes, papers, reflections). Without an index whose first column is
the author, SQLite walked every activity of the school's year and probed each one's evidence:
about 0.5 ms of the home's 7 statements on the bench's 1× data (9,366 pieces), 80 % of the
figures' statement. With ``(user_id, kind)`` it reads the teacher's own pieces of those kinds.

Revision ID: b5d1e8c3a7f2
Revises: e7c4a2f9b1d6
Create Date: 2026-12-06 10:30:00
"""
from alembic import op

revision = "b5d1e8c3a7f2"
down_revision = "e7c4a2f9b1d6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_user_kind", ["user_id", "kind"], unique=False)


def downgrade():
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_user_kind")
