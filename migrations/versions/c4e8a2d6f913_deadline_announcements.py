"""deadline announcements by the district; what an export job exports

* ``deadline_announcement``: a deadline the district announces (title, date, note, audience:
  the school admins or all staff of its schools), shown on the district dashboard and the school
  admins' home, in calendar feeds, and told by notification when announced and 7 and 1 days
  before.
* ``export_job.params``: the district, the school and the format (XLSX / CSV) of an export run as
  a job (any export above ``EXPORT_JOB_THRESHOLD`` rows).

Revision ID: c4e8a2d6f913
Revises: b3f1e7a9c2d4
Create Date: 2026-12-01 15:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = "c4e8a2d6f913"
down_revision = "b3f1e7a9c2d4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deadline_announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["district.id"],
                                name=op.f("fk_deadline_announcement_district_id_district")),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"],
                                name=op.f("fk_deadline_announcement_created_by_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_announcement")),
    )
    op.create_index("ix_deadline_announcement_district_due", "deadline_announcement", ["district_id", "due_on"])
    op.add_column("export_job", sa.Column("params", sa.JSON(), nullable=True))
    op.add_column("school", sa.Column("district_deadlines", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("school", "district_deadlines")  # in place on SQLite: a copy loses triggers
    op.drop_column("export_job", "params")  # in place on SQLite: a copy loses triggers
    op.drop_index("ix_deadline_announcement_district_due", table_name="deadline_announcement")
    op.drop_table("deadline_announcement")
