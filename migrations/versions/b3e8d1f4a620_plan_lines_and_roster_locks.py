"""activities planned from a plan line; a locked year freezes rosters and teacher-year rows

* ``activity.plan_line_id``: the school-plan line an activity was planned from (nullable; a
  line removed from a plan that is rewritten leaves the activity unlinked, ``school_plans``).
* Lock triggers, following ``a7d3c9e15b20``: the database refuses adding or removing a
  participant, or changing a participant's role, of an activity of a locked school year (or
  semester); and any write of the stored ``teacher_year`` rows of a school year the district
  accepted whole (a semester lock leaves the year's rows open: the other semester still moves
  them). The services refuse first with ``year.locked``.

Revision ID: b3e8d1f4a620
Revises: a7d3c9e15b20
Create Date: 2026-12-01 15:30:00
"""
import sqlalchemy as sa
from alembic import op

from portal.lock_triggers import either, pg_function, sqlite_raise

revision = "b3e8d1f4a620"
down_revision = "a7d3c9e15b20"
branch_labels = None
depends_on = None

# The activity of a participation ({r}: NEW or OLD) is in a locked school year or semester.
_ROSTER_LOCKED = (
    "EXISTS (SELECT 1 FROM year_lock l JOIN activity a ON a.school_id = l.school_id "
    "AND a.school_year = l.school_year AND l.semester IN (0, a.semester) WHERE a.id = {r}.activity_id)"
)
# The school year of a teacher-year row ({r}) is locked whole.
_YEAR_ROW_LOCKED = (
    "EXISTS (SELECT 1 FROM year_lock l WHERE l.school_id = {r}.school_id AND l.school_year = {r}.school_year "
    "AND l.semester = 0)"
)
SQLITE_TRIGGERS = (
    "year_lock_participation_insert", "year_lock_participation_delete", "year_lock_participation_role",
    "year_lock_teacher_year_insert", "year_lock_teacher_year_update", "year_lock_teacher_year_update_old",
    "year_lock_teacher_year_delete",
)


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":  # in place: copying the table would lose its triggers
        op.execute("ALTER TABLE activity ADD COLUMN plan_line_id INTEGER REFERENCES school_plan_line (id)")
    else:
        op.add_column("activity", sa.Column(
            "plan_line_id", sa.Integer(), sa.ForeignKey("school_plan_line.id"), nullable=True))
    op.create_index("ix_activity_plan_line_id", "activity", ["plan_line_id"], unique=False)
    if dialect == "sqlite":
        _sqlite_triggers()
    elif dialect == "postgresql":
        _postgres_triggers()


def _sqlite_triggers():
    for name, event, condition, what in (
        ("year_lock_participation_insert", "INSERT", _ROSTER_LOCKED.format(r="NEW"), "participant change"),
        ("year_lock_participation_delete", "DELETE", _ROSTER_LOCKED.format(r="OLD"), "participant change"),
        ("year_lock_participation_role", "UPDATE OF role",
         f"NEW.role IS NOT OLD.role AND {_ROSTER_LOCKED.format(r='NEW')}", "participant change"),
        ("year_lock_teacher_year_insert", "INSERT", _YEAR_ROW_LOCKED.format(r="NEW"), "teacher-year change"),
        ("year_lock_teacher_year_update", "UPDATE", _YEAR_ROW_LOCKED.format(r="NEW"), "teacher-year change"),
        ("year_lock_teacher_year_update_old", "UPDATE", _YEAR_ROW_LOCKED.format(r="OLD"), "teacher-year change"),
        ("year_lock_teacher_year_delete", "DELETE", _YEAR_ROW_LOCKED.format(r="OLD"), "teacher-year change"),
    ):
        table = "participation" if "participation" in name else "teacher_year"
        op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {condition} "
                   f"BEGIN {sqlite_raise(what)}; END")


def _postgres_triggers():
    roster = (f"(TG_OP <> 'UPDATE' OR NEW.role IS DISTINCT FROM OLD.role) AND ({either(_ROSTER_LOCKED)})")
    op.execute(pg_function("year_lock_participation", roster, "participant change"))
    op.execute("CREATE TRIGGER year_lock_participation BEFORE INSERT OR DELETE OR UPDATE OF role ON participation "
               "FOR EACH ROW EXECUTE FUNCTION year_lock_participation()")
    op.execute(pg_function("year_lock_teacher_year", either(_YEAR_ROW_LOCKED), "teacher-year change"))
    op.execute("CREATE TRIGGER year_lock_teacher_year BEFORE INSERT OR UPDATE OR DELETE ON teacher_year "
               "FOR EACH ROW EXECUTE FUNCTION year_lock_teacher_year()")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif dialect == "postgresql":
        for name, table in (("year_lock_participation", "participation"), ("year_lock_teacher_year", "teacher_year")):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_index("ix_activity_plan_line_id", table_name="activity")
    if dialect == "sqlite":  # in place (SQLite 3.35+): copying the table would trip its triggers
        op.execute("ALTER TABLE activity DROP COLUMN plan_line_id")
    else:
        op.drop_column("activity", "plan_line_id")
