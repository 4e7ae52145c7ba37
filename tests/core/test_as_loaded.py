"""``portal.database.as_loaded``: an object made from plain columns is in the session exactly
as if a query had loaded it, and the login query built on it (``access.user_with_schools``)
gives what the ORM gives, including in a session that holds the rows already."""

from __future__ import annotations

from sqlalchemy import event, inspect, select, update

from portal.database import as_loaded, loaded_columns, read_rows
from portal.extensions import db
from portal.models import School, User
from portal.services import access


def _statements_during(fn) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def _fresh_id(demo) -> int:
    """The demo school's id, with a session that holds nothing yet (as a request's)."""
    school_id = demo.id
    db.session.remove()
    return school_id


def _values(model, ident: int) -> tuple:
    return tuple(read_rows(select(*loaded_columns(model)).where(model.id == ident)).one())


def test_an_object_from_columns_is_persistent_clean_and_equal_to_the_orms(app, demo):
    school_id = _fresh_id(demo)
    school = as_loaded(School, _values(School, school_id))
    assert school is not None and inspect(school).persistent
    assert not db.session.dirty and not db.session.new
    assert _statements_during(db.session.flush) == []  # nothing to write
    loaded = {attr.key: getattr(school, attr.key) for attr in inspect(School).column_attrs}
    assert db.session.get(School, school_id) is school  # the identity map has it: no second copy
    db.session.expunge(school)
    fresh = db.session.get(School, school_id)
    assert fresh is not school
    assert loaded == {attr.key: getattr(fresh, attr.key) for attr in inspect(School).column_attrs}


def test_a_change_to_it_is_written_as_an_update_of_that_column(app, demo):
    school_id = _fresh_id(demo)
    school = as_loaded(School, _values(School, school_id))
    school.name = "改过名的学校"
    statements = _statements_during(db.session.flush)
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE SCHOOL")]
    assert len(updates) == 1 and "name" in updates[0] and "code" not in updates[0]
    db.session.commit()
    db.session.remove()
    assert db.session.get(School, school_id).name == "改过名的学校"


def test_none_when_the_session_holds_the_row_already(app, demo):
    school_id = _fresh_id(demo)
    held = db.session.get(School, school_id)
    assert as_loaded(School, _values(School, school_id)) is None
    assert db.session.get(School, school_id) is held


def test_the_login_query_gives_what_the_orm_gives(app, demo):
    user_ids = db.session.scalars(select(User.id).order_by(User.id)).all()
    assert len(user_ids) > 5
    for uid in user_ids:
        db.session.remove()
        user, schools, district, unread = access.user_with_schools(uid)
        ours = (user.id, user.get_id(), [(s.id, s.data_version, roles) for s, roles in schools], district, unread)
        assert inspect(user).persistent and all(inspect(s).persistent for s, _r in schools)
        db.session.remove()
        user, schools, district, unread = access._user_with_schools_orm(uid)
        assert ours == (user.id, user.get_id(), [(s.id, s.data_version, roles) for s, roles in schools],
                        district, unread)
    db.session.remove()
    assert access.user_with_schools(10**9) == (None, [], None, 0)


def test_a_session_holding_the_school_gets_its_stamp_as_the_database_has_it(app, demo):
    """The page cache is keyed on the school's data stamp: a session that read the school
    before (a test's held context, a worker) must not keep an old one."""
    teacher = db.session.scalar(select(User).where(User.username == "teacher1"))
    held = db.session.get(School, demo.id)
    old = held.data_version
    db.session.execute(update(School).where(School.id == demo.id).values(data_version=old + 1),
                       execution_options={"synchronize_session": False})  # behind the ORM's back
    assert held.data_version == old
    _user, schools, _district, _unread = access.user_with_schools(teacher.id)
    assert [s for s, _roles in schools] == [held]
    assert held.data_version == old + 1
    db.session.rollback()
