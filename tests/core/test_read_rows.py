"""``portal.database.read_rows``: plain-row queries on the session's own connection and
transaction, seeing what the session added before them (autoflush), as ``Session.execute``."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.database import read_rows
from portal.extensions import db
from portal.models import School, SchoolActivityType


def test_a_query_sees_what_was_added_before_it_in_the_same_transaction(app):
    count = select(func.count()).select_from(School)
    before = read_rows(count).scalar_one()
    school = School(code="ROWS1", name="行读测试学校")
    db.session.add(school)  # not flushed: read_rows flushes first, as the session would
    assert read_rows(count).scalar_one() == before + 1
    db.session.add(SchoolActivityType(school_id=school.id, type_key="lecture", enabled=False, settings={}))
    rows = read_rows(
        select(SchoolActivityType.type_key, SchoolActivityType.enabled).where(SchoolActivityType.school_id == school.id)
    ).all()
    assert [tuple(r) for r in rows] == [("lecture", False)]
    db.session.rollback()  # the same transaction: nothing of it stays
    assert read_rows(count).scalar_one() == before


def test_with_autoflush_off_it_reads_only_what_is_written(app):
    count = select(func.count()).select_from(School)
    before = read_rows(count).scalar_one()
    with db.session.no_autoflush:
        db.session.add(School(code="ROWS2", name="不自动写入"))
        assert read_rows(count).scalar_one() == before
    db.session.rollback()
