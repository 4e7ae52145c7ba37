"""The writers of a school's annual plan (``school_plan_writer``, revision ``f5c1d7a3e9b4``) are
append-only, as the ledger, the transition log and the issued documents are (revision
``a9e4c2d7f1b6``): a writer row changed or deleted would let one who wrote the plan, then
moved to the district's office, decide it (``school_plans.involved``). The database refuses an
UPDATE or a DELETE on SQLite and PostgreSQL, and a TRUNCATE (also through ``TRUNCATE
school_plan CASCADE``) on PostgreSQL; the ORM refuses them first. Nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from portal.models import SchoolPlanWriter
from portal.services import access, school_plans
from portal.services.ledger import AppendOnlyViolation
from tests.district.conftest import YEAR
from tests.district.test_school_plans import LINES

ROWS = "SELECT id, plan_id, user_id, written_at FROM school_plan_writer ORDER BY id"


def _rows() -> list[tuple]:
    db.session.rollback()  # the test's own transaction ends; its objects are read again
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(ROWS))]


@pytest.fixture
def writers(app, world) -> list[tuple]:
    """S1's plan, saved twice and sent by its admin: three writer rows."""
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    school_plans.save_plan(world.s1, YEAR, "提升作业设计能力", "50", LINES, by=admin)
    school_plans.save_plan(world.s1, YEAR, "提升作业设计与课堂评价能力", "50", LINES, by=admin)
    school_plans.submit_plan(world.s1, YEAR, by=admin)
    db.session.commit()
    rows = _rows()
    assert len(rows) == 3
    return rows


def _statements(other_user: int) -> list[str]:
    common = [f"UPDATE school_plan_writer SET user_id = {other_user}", "DELETE FROM school_plan_writer",
              "DELETE FROM school_plan_writer WHERE id = (SELECT min(id) FROM school_plan_writer)",
              "UPDATE school_plan_writer SET written_at = written_at"]
    if db.engine.dialect.name == "postgresql":
        return [*common, "TRUNCATE school_plan_writer", "TRUNCATE school_plan CASCADE"]
    return common


def test_the_database_refuses_to_change_or_delete_a_plans_writers(app, world, writers):
    for statement in _statements(world.reviewer1.id):
        with db.engine.connect() as conn:
            with pytest.raises(DBAPIError) as refused:
                conn.execute(text(statement))
            conn.rollback()
        assert "school_plan_writer rows are append-only" in str(refused.value), statement
        assert _rows() == writers, statement


def test_the_orm_refuses_them_first(app, world, writers):
    row = db.session.execute(select(SchoolPlanWriter).order_by(SchoolPlanWriter.id)).scalars().first()
    row.user_id = world.reviewer1.id
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
    for statement in (update(SchoolPlanWriter).values(user_id=world.reviewer1.id), delete(SchoolPlanWriter)):
        with pytest.raises(AppendOnlyViolation):
            db.session.execute(statement)
        db.session.rollback()
    assert _rows() == writers


def test_a_plan_still_gains_writers(app, world, writers):
    """Append-only, not frozen: the next save adds its row."""
    school_plans.save_plan(world.s1, "2027-2028", "下一学年", "50", LINES,
                           by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()
    assert _rows()[:3] == writers and len(_rows()) == 4
