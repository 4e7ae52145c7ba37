"""the teacher's year: a teacher's own writing (reading notes, papers, reflections) for the quotas

A row changes what the teacher home and the school summary show, so it raises the school's
data stamp like every other such table (see 3b9d0c4e2f61).

Revision ID: a15e0f7c2d31
Revises: a7e3f1c2d9b8
Create Date: 2026-12-01 13:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = "a15e0f7c2d31"
down_revision = "a7e3f1c2d9b8"
branch_labels = None
depends_on = None

EVENTS = ("INSERT", "UPDATE", "DELETE")


def _stamp() -> str:
    if op.get_bind().dialect.name == "postgresql":
        return "floor(random() * 4611686018427387903)::bigint"
    return "(random() & 4611686018427387903)"


def upgrade():
    op.create_table(
        "own_writing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("char_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_own_writing_school_year_user", "own_writing", ["school_id", "school_year", "user_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in EVENTS:
            rows = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}[event]
            where = " OR ".join(f"id = {r}.school_id" for r in rows)
            op.execute(
                f"CREATE TRIGGER data_version_own_writing_{event.lower()} AFTER {event} ON own_writing "
                f"BEGIN UPDATE school SET data_version = {_stamp()} WHERE {where}; END"
            )
    elif dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION data_version_own_writing() RETURNS trigger AS $$
            BEGIN
                IF TG_OP <> 'INSERT' THEN PERFORM data_version_stamp(OLD.school_id); END IF;
                IF TG_OP <> 'DELETE' THEN PERFORM data_version_stamp(NEW.school_id); END IF;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER data_version_own_writing AFTER INSERT OR UPDATE OR DELETE ON own_writing "
            "FOR EACH ROW EXECUTE FUNCTION data_version_own_writing()"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS data_version_own_writing ON own_writing")
        op.execute("DROP FUNCTION IF EXISTS data_version_own_writing()")
    op.drop_index("ix_own_writing_school_year_user", table_name="own_writing")
    op.drop_table("own_writing")
