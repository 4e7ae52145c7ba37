"""districts as tenants, the year submitted to the district, and locks on accepted years

* ``district``: schools belong to one; district roles (``district_admin``,
  ``district_reviewer``) are memberships with ``district_id``. Existing schools and district
  admins move into a ``DEFAULT`` district.
* ``year_submission`` (frozen figures of a school year, one row per round), ``submission_event``
  (their audit log, append-only like the ledger), ``year_lock`` (an accepted year).
* Lock triggers: the database refuses a ledger row, an attendance change or an exemption change
  of a locked school year, whoever writes it (the app, the CLI, a plugin, a console). The
  services refuse first with a translated message (``year.locked``); these are the backstop.

Revision ID: a7d3c9e15b20
Revises: a7e3c1d9f042
Create Date: 2026-12-01 12:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "a7d3c9e15b20"
down_revision = "a7e3c1d9f042"
branch_labels = None
depends_on = None

LOCKED = "year {year} of school {school} is locked by the district"
# A locked (school, year, semester): semester 0 locks the whole year.
_LEDGER_LOCKED = (
    "EXISTS (SELECT 1 FROM year_lock l WHERE l.school_id = NEW.school_id AND l.school_year = NEW.school_year "
    "AND l.semester IN (0, NEW.semester))"
)
_EXEMPTION_LOCKED = (
    "EXISTS (SELECT 1 FROM year_lock l WHERE l.school_id = {r}.school_id AND l.school_year = {r}.school_year)"
)
_ATTENDANCE_LOCKED = (
    "EXISTS (SELECT 1 FROM year_lock l JOIN activity a ON a.school_id = l.school_id "
    "AND a.school_year = l.school_year AND l.semester IN (0, a.semester) WHERE a.id = NEW.activity_id)"
)
ATTENDANCE_COLUMNS = "attended_hours, absent_hours, excused_hours"


def _add_district_column(table: str) -> None:
    """A nullable ``district_id`` referencing ``district``: SQLite adds such a column (with its
    foreign key) in place, without copying the table and losing its triggers."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN district_id INTEGER REFERENCES district (id)")
    else:
        op.add_column(table, sa.Column("district_id", sa.Integer(), sa.ForeignKey("district.id"), nullable=True))


def upgrade():
    op.create_table(
        "district",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.execute(
        "INSERT INTO district (code, name, settings, created_at) VALUES ('DEFAULT', '默认区', '{}', CURRENT_TIMESTAMP)"
    )
    for table in ("school", "membership"):
        _add_district_column(table)
    op.create_index("ix_school_district_id", "school", ["district_id"], unique=False)
    op.add_column("school", sa.Column("district_rules", sa.JSON(), nullable=True))
    op.create_index("ix_membership_district_id", "membership", ["district_id"], unique=False)
    op.execute("UPDATE school SET district_id = (SELECT MIN(id) FROM district)")
    op.execute(
        "UPDATE membership SET district_id = (SELECT MIN(id) FROM district) "
        "WHERE school_id IS NULL AND role IN ('district_admin', 'district_reviewer')"
    )
    op.create_table(
        "year_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("teachers", sa.Integer(), nullable=False),
        sa.Column("met", sa.Integer(), nullable=False),
        sa.Column("short", sa.Integer(), nullable=False),
        sa.Column("not_recognised", sa.Integer(), nullable=False),
        sa.Column("exempt", sa.Integer(), nullable=False),
        sa.Column("total_hours", sa.Numeric(precision=8, scale=1, asdecimal=False), nullable=False),
        sa.Column("by_type", sa.JSON(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("summary_xlsx", sa.LargeBinary(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("teacher_comments", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["decided_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["district_id"], ["district.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.ForeignKeyConstraint(["submitted_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "school_year", "semester", "round"),
    )
    op.create_index("ix_submission_queue", "year_submission", ["district_id", "status", "submitted_at"], unique=False)
    op.create_index("ix_year_submission_school_id", "year_submission", ["school_id"], unique=False)
    op.create_table(
        "submission_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["district_id"], ["district.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["year_submission.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_submission_event_school", "submission_event", ["school_id", "created_at"], unique=False)
    op.create_index("ix_submission_event_submission_id", "submission_event", ["submission_id"], unique=False)
    op.create_table(
        "year_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("semester", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("locked_by", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["locked_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["year_submission.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "school_year", "semester"),
    )
    op.create_table(
        "school_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("aims", sa.Text(), nullable=False),
        sa.Column("target_hours", sa.Numeric(precision=8, scale=1, asdecimal=False), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["decided_by"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["district_id"], ["district.id"]),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"]),
        sa.ForeignKeyConstraint(["updated_by"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("school_id", "school_year"),
    )
    op.create_index("ix_school_plan_district", "school_plan", ["district_id", "school_year", "status"], unique=False)
    op.create_table(
        "school_plan_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("type_key", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("planned_hours", sa.Numeric(precision=8, scale=1, asdecimal=False), nullable=False),
        sa.Column("responsible", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["school_plan.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_school_plan_line_plan_id", "school_plan_line", ["plan_id"], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _postgres_triggers()


def _sqlite_raise(what: str) -> str:
    return f"SELECT RAISE(ABORT, 'school year locked by the district: {what} refused')"


def _sqlite_triggers():
    op.execute(
        f"CREATE TRIGGER year_lock_credit_entry BEFORE INSERT ON credit_entry WHEN {_LEDGER_LOCKED} "
        f"BEGIN {_sqlite_raise('ledger entry')}; END"
    )
    for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        op.execute(
            f"CREATE TRIGGER year_lock_exemption_{event.lower()} BEFORE {event} ON exemption "
            f"WHEN {_EXEMPTION_LOCKED.format(r=row)} BEGIN {_sqlite_raise('exemption change')}; END"
        )
        if event == "UPDATE":  # the old row's year too: an exemption moved out of a locked year
            op.execute(
                "CREATE TRIGGER year_lock_exemption_update_old BEFORE UPDATE ON exemption "
                f"WHEN {_EXEMPTION_LOCKED.format(r='OLD')} BEGIN {_sqlite_raise('exemption change')}; END"
            )
    op.execute(
        f"CREATE TRIGGER year_lock_attendance BEFORE UPDATE OF {ATTENDANCE_COLUMNS} ON participation "
        f"WHEN {_ATTENDANCE_LOCKED} AND (NEW.attended_hours IS NOT OLD.attended_hours "
        "OR NEW.absent_hours IS NOT OLD.absent_hours OR NEW.excused_hours IS NOT OLD.excused_hours) "
        f"BEGIN {_sqlite_raise('attendance change')}; END"
    )
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER submission_event_no_{event.lower()} BEFORE {event} ON submission_event "
            f"BEGIN SELECT RAISE(ABORT, 'submission_event rows are append-only ({event} refused)'); END"
        )


def _pg_function(name: str, condition: str, what: str, returns: str = "RETURN NEW;") -> None:
    op.execute(
        f"""
        CREATE FUNCTION {name}() RETURNS trigger AS $$
        BEGIN
            IF {condition} THEN
                RAISE EXCEPTION 'school year locked by the district: % refused', '{what}'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            {returns}
        END;
        $$ LANGUAGE plpgsql
        """
    )


def _postgres_triggers():
    _pg_function("year_lock_credit_entry", _LEDGER_LOCKED, "ledger entry")
    op.execute(
        "CREATE TRIGGER year_lock_credit_entry BEFORE INSERT ON credit_entry "
        "FOR EACH ROW EXECUTE FUNCTION year_lock_credit_entry()"
    )
    exemption = (
        f"(TG_OP <> 'DELETE' AND {_EXEMPTION_LOCKED.format(r='NEW')}) "
        f"OR (TG_OP <> 'INSERT' AND {_EXEMPTION_LOCKED.format(r='OLD')})"
    )
    _pg_function("year_lock_exemption", exemption, "exemption change", returns="IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;")
    op.execute(
        "CREATE TRIGGER year_lock_exemption BEFORE INSERT OR UPDATE OR DELETE ON exemption "
        "FOR EACH ROW EXECUTE FUNCTION year_lock_exemption()"
    )
    attendance = (
        "(NEW.attended_hours IS DISTINCT FROM OLD.attended_hours OR NEW.absent_hours IS DISTINCT FROM "
        f"OLD.absent_hours OR NEW.excused_hours IS DISTINCT FROM OLD.excused_hours) AND {_ATTENDANCE_LOCKED}"
    )
    _pg_function("year_lock_attendance", attendance, "attendance change")
    op.execute(
        f"CREATE TRIGGER year_lock_attendance BEFORE UPDATE OF {ATTENDANCE_COLUMNS} ON participation "
        "FOR EACH ROW EXECUTE FUNCTION year_lock_attendance()"
    )
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER submission_event_no_{event.lower()} BEFORE {event} ON submission_event "
            "FOR EACH ROW EXECUTE FUNCTION yanxiu_append_only()"
        )


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("year_lock_credit_entry", "year_lock_exemption_insert", "year_lock_exemption_update",
                     "year_lock_exemption_update_old", "year_lock_exemption_delete", "year_lock_attendance",
                     "submission_event_no_update", "submission_event_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        for name, table in (("year_lock_credit_entry", "credit_entry"), ("year_lock_exemption", "exemption"),
                            ("year_lock_attendance", "participation")):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS submission_event_no_{event} ON submission_event")
    op.drop_index("ix_school_plan_line_plan_id", table_name="school_plan_line")
    op.drop_table("school_plan_line")
    op.drop_index("ix_school_plan_district", table_name="school_plan")
    op.drop_table("school_plan")
    op.drop_table("year_lock")
    op.drop_index("ix_submission_event_submission_id", table_name="submission_event")
    op.drop_index("ix_submission_event_school", table_name="submission_event")
    op.drop_table("submission_event")
    op.drop_index("ix_year_submission_school_id", table_name="year_submission")
    op.drop_index("ix_submission_queue", table_name="year_submission")
    op.drop_table("year_submission")
    op.drop_index("ix_membership_district_id", table_name="membership")
    op.drop_index("ix_school_district_id", table_name="school")
    op.drop_column("school", "district_rules")  # SQLite drops a plain column in place
    for table in ("membership", "school"):
        _drop_district_column(table)
    op.drop_table("district")


def _drop_district_column(table: str) -> None:
    """Drop ``district_id`` (added by :func:`_add_district_column`). SQLite cannot drop a column
    with a foreign key in place, nor copy the table the way Alembic's batch mode does (copy, drop
    the table, rename the copy): the rows of other tables referencing it (activities, roles…)
    would fail their checks. The rows are kept aside, the table dropped and made again as it was
    before the column was added, the rows put back (with the checks deferred to the commit, by
    then met: every id is kept), then its indexes and triggers, which SQLite drops with the table."""
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column(table, "district_id")
        return
    conn = op.get_bind()
    create = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                          {"t": table}).scalar_one()
    added = ", district_id INTEGER REFERENCES district (id)"
    assert added in create, create
    kept = [sql for (sql,) in conn.execute(sa.text(
        "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = :t AND sql IS NOT NULL"
    ), {"t": table})]
    columns = ", ".join(f'"{c}"' for _n, c, *_rest in conn.execute(sa.text(f"PRAGMA table_info({table})"))
                        if c != "district_id")
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute(f"CREATE TEMP TABLE kept_{table} AS SELECT {columns} FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(create.replace(added, ""))
    op.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM kept_{table}")
    op.execute(f"DROP TABLE kept_{table}")
    for sql in kept:
        op.execute(sql)
