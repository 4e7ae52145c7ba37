"""schools ordered by the pinyin of their names (``school.name_key``)

Lists of schools (the district's table and dashboard, its exports, the plans) were ordered by
code; a Chinese reader files names by their pinyin. ``school.name_key`` holds the name's pinyin
with tone numbers (``portal.sorting.name_key``), written with the name by the models; this
revision adds it, an index for the district's keyset pages, and fills it for the schools there.

Revision ID: d9f4a2c6e813
Revises: c8e3f1a5b7d2
Create Date: 2026-12-05 06:20:00
"""
import sqlalchemy as sa
from alembic import op

from portal.sorting import name_key

revision = "d9f4a2c6e813"
down_revision = "c8e3f1a5b7d2"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("school", sa.Column("name_key", sa.String(length=120), server_default="0", nullable=False))
    conn = op.get_bind()
    for school_id, name in conn.execute(sa.text("SELECT id, name FROM school")).all():
        conn.execute(sa.text("UPDATE school SET name_key = :k WHERE id = :id"), {"k": name_key(name or ""), "id": school_id})
    op.create_index("ix_school_district_name_key", "school", ["district_id", "name_key", "code"])


def downgrade():
    op.drop_index("ix_school_district_name_key", table_name="school")
    op.drop_column("school", "name_key")  # SQLite drops a column in place (no copy: triggers read the table)
