"""The test apps' engines share one dialect and compiled cache per test process
(``portal.testing.share_compiled_statements``, issue 13, BENCHMARKS.md round 42): a statement
that one app's engine compiled is found compiled by the next app's engine, which still reads
its own database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.engine.default import CACHE_HIT, CACHE_MISS

from portal.extensions import db
from portal.models import School, User
from portal.services import users
from portal.testing import share_compiled_statements


def _count_users(app: Any) -> tuple[int, Any]:
    # a shape of its own (the label), so no other test of this process compiled it before
    statement = select(func.count(User.id), literal("compiled once per process").label("shape"))
    with app.app_context():
        result = db.session.connection().execute(statement)
        hit = result.context.cache_hit
        count = result.one()[0]
        db.session.rollback()
    return count, hit


def test_the_next_apps_engine_finds_what_the_first_compiled_and_reads_its_own_rows(make_app):
    first = make_app(demo=True)
    with first.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        users.create_user("once01", "password-123", "教师甲", school, ["teacher"])
        db.session.commit()
    first_count, first_hit = _count_users(first)
    share_compiled_statements(first)  # as the fixtures do when an app is done: its engine has connected

    second = make_app(demo=True)
    second_count, second_hit = _count_users(second)

    assert (first_hit, second_hit) == (CACHE_MISS, CACHE_HIT)  # old fixtures: a miss in each app
    assert second_count == first_count - 1  # its own database: the demo, without the first's extra user
