"""school data version: a new random stamp on every change a school's pages show

Cached pages (teacher home, school summary) are keyed on ``school.data_version``. Triggers,
not application code, raise it, so no write path can forget to: the ORM, Core bulk inserts,
the CLI, a plugin or a console session all invalidate alike. ``user_account`` raises the
version of every school the user belongs to, and only for the columns pages show (a login
or a password change does not empty a school's cache).

Revision ID: 3b9d0c4e2f61
Revises: 78e6ab0c9588
Create Date: 2026-11-22 16:45:00
"""
import sqlalchemy as sa
from alembic import op

from portal import stamp_triggers

revision = "3b9d0c4e2f61"
down_revision = "78e6ab0c9588"
branch_labels = None
depends_on = None

# table → the school(s) a row belongs to, with ``R`` standing for NEW or OLD
SCHOOL_OF = {
    "school_activity_type": "R.school_id",
    "activity": "R.school_id",
    "participation": "(SELECT a.school_id FROM activity a WHERE a.id = R.activity_id)",
    "evidence": "(SELECT a.school_id FROM activity a WHERE a.id = R.activity_id)",
    "credit_entry": "R.school_id",
    "exemption": "R.school_id",
    "membership": "R.school_id",
}
USER_COLUMNS = ("username", "display_name", "active", "gender", "birth_date")  # what pages and assessment read
SCHOOL_COLUMNS = ("code", "name", "timezone", "rules")


def _stamp() -> str:
    return stamp_triggers.random_stamp(op.get_bind().dialect.name)


def _bump(where: str) -> str:
    return f"UPDATE school SET data_version = {_stamp()} WHERE {where};"


def _user_schools(r: str) -> str:
    return f"id IN (SELECT m.school_id FROM membership m WHERE m.user_id = {r}.id)"


def upgrade():
    op.add_column("school", sa.Column("data_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False))
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_up()
    elif dialect == "postgresql":
        _postgres_up()


def _sqlite_up():
    for table, school in SCHOOL_OF.items():
        stamp_triggers.create(op, table, school)
    op.execute(
        f"CREATE TRIGGER data_version_user_account_update AFTER UPDATE OF {', '.join(USER_COLUMNS)} "
        f"ON user_account BEGIN {_bump(_user_schools('NEW'))} END"
    )
    op.execute(
        f"CREATE TRIGGER data_version_school_update AFTER UPDATE OF {', '.join(SCHOOL_COLUMNS)} "
        f"ON school BEGIN {_bump('id = NEW.id')} END"
    )


def _postgres_up():
    # Once per transaction and school: PostgreSQL keeps every version of a row updated in an
    # open transaction, so stamping per row would make a bulk insert quadratic. Readers only
    # see committed data, so one new stamp per writing transaction is enough.
    op.execute(
        f"""
        CREATE FUNCTION data_version_stamp(sid bigint) RETURNS void AS $$
        BEGIN
            IF sid IS NULL OR current_setting('yanxiu.stamped_' || sid, true) = '1' THEN
                RETURN;
            END IF;
            UPDATE school SET data_version = {_stamp()} WHERE id = sid;
            PERFORM set_config('yanxiu.stamped_' || sid, '1', true);
        END;
        $$ LANGUAGE plpgsql
        """
    )
    for table, school in SCHOOL_OF.items():
        stamp_triggers.create(op, table, school)
    op.execute(
        """
        CREATE FUNCTION data_version_user_account() RETURNS trigger AS $$
        BEGIN
            PERFORM data_version_stamp(m.school_id) FROM membership m WHERE m.user_id = NEW.id;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        f"CREATE TRIGGER data_version_user_account AFTER UPDATE OF {', '.join(USER_COLUMNS)} ON user_account "
        "FOR EACH ROW EXECUTE FUNCTION data_version_user_account()"
    )
    op.execute(
        f"""
        CREATE FUNCTION data_version_school() RETURNS trigger AS $$
        BEGIN
            NEW.data_version := {_stamp()};
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        f"CREATE TRIGGER data_version_school BEFORE UPDATE OF {', '.join(SCHOOL_COLUMNS)} ON school "
        "FOR EACH ROW EXECUTE FUNCTION data_version_school()"
    )


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in SCHOOL_OF:
        stamp_triggers.drop(op, table)
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS data_version_user_account_update")
        op.execute("DROP TRIGGER IF EXISTS data_version_school_update")
    elif dialect == "postgresql":
        for table in ("user_account", "school"):
            op.execute(f"DROP TRIGGER IF EXISTS data_version_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS data_version_{table}()")
        op.execute("DROP FUNCTION IF EXISTS data_version_stamp(bigint)")
    op.drop_column("school", "data_version")  # in place on SQLite: a copy loses triggers
