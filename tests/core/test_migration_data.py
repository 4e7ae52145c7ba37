"""What the data migrations leave, on a database with the DEMO school in it: the type totals
summed again as the code at head sums them (revision ``d2b6f8a4c1e7``), and an upgrade that
fails halfway through a data migration leaves the database whole at a revision, ready to upgrade
again (PostgreSQL: the run is one transaction; SQLite: each revision is one)."""

from __future__ import annotations

import json

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from portal.extensions import db
from portal.services import teacher_years
from tests.core.test_migration_round_trip import contents, triggers
from tests.support.texts import prose

BEFORE_TOTALS = "c5f2a8d4e1b7"  # the revision before the type totals left out years not recognised


def _stored_rows() -> list[dict]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT school_id, school_year, by_type, status FROM teacher_year")).mappings()
        return [{**r, "by_type": json.loads(r["by_type"]) if isinstance(r["by_type"], str) else r["by_type"]}
                for r in rows]


def test_the_type_totals_stored_before_leave_out_the_years_not_recognised(app, demo):
    db.session.remove()
    downgrade(revision=BEFORE_TOTALS)
    with db.engine.begin() as conn:
        # a teacher's year with hours, not recognised (seed 004), in a year not closed; its
        # school's totals summed over every row, as revision b3f8d2a61c47 and the upkeep did
        row = conn.execute(text(
            "SELECT t.school_id, t.school_year, t.user_id FROM teacher_year t WHERE t.total_hours > 0"
            " AND NOT EXISTS (SELECT 1 FROM year_lock l WHERE l.school_id = t.school_id"
            " AND l.school_year = t.school_year) ORDER BY t.school_year, t.user_id")).first()
        assert row is not None, "the demo stores a teacher-year row with hours"
        school_id, year, user_id = row
        conn.execute(text("UPDATE teacher_year SET status = 'not_recognised' WHERE school_id = :s"
                          " AND school_year = :y AND user_id = :u"), {"s": school_id, "y": year, "u": user_id})
    every = [dict(r, status="met") for r in _stored_rows() if (r["school_id"], r["school_year"]) == (school_id, year)]
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM school_year_type_hours WHERE school_id = :s AND school_year = :y"),
                     {"s": school_id, "y": year})
        for total in teacher_years.type_hours_rows(every):
            conn.execute(text("INSERT INTO school_year_type_hours (school_id, school_year, type_key, hours)"
                              " VALUES (:school_id, :school_year, :type_key, :hours)"), {**total, "hours": float(total["hours"])})
    before = teacher_years.stored_type_hours(year)
    db.session.remove()  # no read transaction left open across the upgrade
    upgrade()
    after = teacher_years.stored_type_hours()
    assert after == [(r["school_id"], r["school_year"], r["type_key"], r["hours"])
                     for r in teacher_years.type_hours_rows(_stored_rows())]
    assert teacher_years.stored_type_hours(year) != before  # the teacher's hours left the totals


def _fail_on_update(table: str) -> None:
    """A trigger refusing every update of ``table``: a statement failing in a migration's middle."""
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("CREATE FUNCTION test_fail() RETURNS trigger AS $$ BEGIN "
                              "RAISE EXCEPTION 'refused by the test'; END; $$ LANGUAGE plpgsql"))
            conn.execute(text(f"CREATE TRIGGER test_fail BEFORE UPDATE ON {table} "
                              "FOR EACH ROW EXECUTE FUNCTION test_fail()"))
        else:
            conn.execute(text(f"CREATE TRIGGER test_fail BEFORE UPDATE ON {table} "
                              "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"))


def _drop_failure(table: str) -> None:
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text(f"DROP TRIGGER test_fail ON {table}"))
            conn.execute(text("DROP FUNCTION test_fail()"))
        else:
            conn.execute(text("DROP TRIGGER test_fail"))


def _version() -> str:
    with db.engine.connect() as conn:
        return ",".join(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def test_an_upgrade_failing_halfway_leaves_the_database_whole(app, demo):
    """``b5e1d7c3a9f2`` adds ``notification.queued_at`` and then fills it; the fill fails. Run
    from the revision before ``c2f6a8e4d1b9`` (triggers only): PostgreSQL rolls the whole run
    back, SQLite keeps ``c2f6a8e4d1b9`` (committed) and nothing of ``b5e1d7c3a9f2``."""
    db.session.remove()
    downgrade(revision="f3a7c1e9d5b2")
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM notification")).scalar_one() > 0
    _fail_on_update("notification")
    rows, had = contents(), triggers()
    with pytest.raises(Exception, match="refused by the test"):
        upgrade()
    postgres = db.engine.dialect.name == "postgresql"
    assert ("f3a7c1e9d5b2" if postgres else "c2f6a8e4d1b9") in _version().split(",")  # and the plugins' heads
    assert "queued_at" not in {c["name"] for c in inspect(db.engine).get_columns("notification")}
    assert contents() == rows
    assert had <= triggers()
    _drop_failure("notification")
    upgrade()  # nothing half done stands in the way
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notification WHERE queued_at IS NULL")).scalar_one() == 0


def test_the_schools_and_district_staff_there_move_into_the_default_district(app, demo):
    """``a7d3c9e15b20`` on a deployment of before districts: every school, and every district
    admin (a role of no school), belongs to the ``DEFAULT`` district at head; school roles to none."""
    from portal.models import District, Membership, School
    from portal.models.user import DISTRICT_ROLES

    db.session.remove()
    downgrade(revision="a7e3c1d9f042")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM membership WHERE school_id IS NULL"
                                 " AND role = 'district_admin'")).scalar_one() > 0
        schools = conn.execute(text("SELECT count(*) FROM school")).scalar_one()
    upgrade()
    default = db.session.execute(select(District).where(District.code == "DEFAULT")).scalar_one()
    assert [s.district_id for s in db.session.execute(select(School)).scalars()] == [default.id] * schools
    for m in db.session.execute(select(Membership)).scalars():
        assert m.district_id == (default.id if m.role in DISTRICT_ROLES and m.school_id is None else None), m


def test_the_stored_teacher_year_rows_after_the_upgrade_are_a_rebuild(app, demo):
    """From before the revisions that change who is on a school year (``b7d2e9f4a1c3`` on: the
    demo's leaver, its last year's exemption) to head: the rows they keep, and the type totals,
    are what the code at head computes. (From before the staff log, ``c4e8a2d6f150``, a
    downgrade would have dropped the log those revisions read.)"""
    from portal.models import School
    from tests.credits.helpers import rows_are_a_rebuild

    db.session.remove()
    downgrade(revision="a9c4e2f7d310")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM teacher_year")).scalar_one() > 0
    upgrade()
    years = tuple(teacher_years.data_years())
    for school in db.session.execute(select(School)).scalars():
        rows_are_a_rebuild(school, years)


def test_the_rows_of_a_year_with_writing_on_a_cancelled_activity_are_removed(app, demo):
    """Revision ``e7c4a2f9b1d6``: a reflection handed in for an activity cancelled since counted
    in the rows stored before it; the rows of its school year (not closed) are removed whole
    (pages compute them; a rebuild stores them again), the other years' stay."""
    db.session.remove()
    downgrade(revision="d3b8f2a6c4e1")
    with db.engine.begin() as conn:
        found = conn.execute(text(
            "SELECT a.id, a.school_id, a.school_year, p.user_id FROM activity a"
            " JOIN participation p ON p.activity_id = a.id WHERE a.state = 'cancelled'"
            " AND EXISTS (SELECT 1 FROM teacher_year t WHERE t.school_id = a.school_id AND t.school_year = a.school_year)"
            " AND NOT EXISTS (SELECT 1 FROM year_lock l WHERE l.school_id = a.school_id"
            " AND l.school_year = a.school_year) ORDER BY a.id")).first()
        assert found is not None, "the demo stores rows of a year with a cancelled activity"
        activity_id, school_id, year, user_id = found
        conn.execute(text(
            "INSERT INTO evidence (activity_id, user_id, kind, title, text, char_count, size, uploaded_by, uploaded_at)"
            " VALUES (:a, :u, 'reflection', '反思', :t, 300, 0, :u, CURRENT_TIMESTAMP)"),
            {"a": activity_id, "u": user_id, "t": prose(300, "migration")})
        kept = conn.execute(text("SELECT count(*) FROM teacher_year WHERE NOT (school_id = :s AND school_year = :y)"),
                            {"s": school_id, "y": year}).scalar_one()
    db.session.remove()
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM teacher_year WHERE school_id = :s AND school_year = :y"),
                            {"s": school_id, "y": year}).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM teacher_year WHERE NOT (school_id = :s AND school_year = :y)"),
                            {"s": school_id, "y": year}).scalar_one() == kept


def test_a_plan_written_before_its_writers_were_kept_keeps_its_last_writer(app, demo):
    """Revision ``f5c1d7a3e9b4``: each school plan stored before brings its one known writer (its
    ``updated_by`` at ``updated_at``) into ``school_plan_writer``, so it stays involved."""
    db.session.remove()
    downgrade(revision="e8b2c4f6a1d3")
    with db.engine.connect() as conn:
        plans = {tuple(r) for r in conn.execute(text("SELECT id, updated_by FROM school_plan"))}
    assert plans, "the demo stores school plans"
    upgrade()
    with db.engine.connect() as conn:
        kept = [tuple(r) for r in conn.execute(text("SELECT plan_id, user_id FROM school_plan_writer"))]
    assert sorted(kept) == sorted(plans)


def test_the_rows_of_a_school_that_required_no_hours_are_removed(app, demo):
    """Revision ``d3f7b1c9e5a2``: a school that stored 0 required hours (before a year had to ask
    something) had rows calling its teachers "met" for nothing; the rows of its years not closed
    are removed whole (pages compute them by the rule's reading: 0.5 hours), a closed year's and
    the other schools' stay. No rule is rewritten."""
    db.session.remove()
    downgrade(revision="a9e4c2d7f1b6")
    with db.engine.begin() as conn:
        school_id, rules = conn.execute(text("SELECT id, rules FROM school WHERE code = 'DEMO'")).one()
        rules = {**(json.loads(rules) if isinstance(rules, str) else rules or {}), "required_hours": 0}
        conn.execute(text("UPDATE school SET rules = :r WHERE id = :s"), {"r": json.dumps(rules), "s": school_id})
        open_years = "school_id = :s AND NOT EXISTS (SELECT 1 FROM year_lock l WHERE l.school_id = :s" \
                     " AND l.school_year = teacher_year.school_year AND l.semester = 0)"
        assert conn.execute(text(f"SELECT count(*) FROM teacher_year WHERE {open_years}"), {"s": school_id}).scalar_one()
        kept = conn.execute(text(f"SELECT count(*) FROM teacher_year WHERE NOT ({open_years})"),
                            {"s": school_id}).scalar_one()
    db.session.remove()
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text(f"SELECT count(*) FROM teacher_year WHERE {open_years}"), {"s": school_id}).scalar_one() == 0
        assert conn.execute(text(f"SELECT count(*) FROM teacher_year WHERE NOT ({open_years})"),
                            {"s": school_id}).scalar_one() == kept
        stored = conn.execute(text("SELECT rules FROM school WHERE id = :s"), {"s": school_id}).scalar_one()
    assert (json.loads(stored) if isinstance(stored, str) else stored)["required_hours"] == 0
