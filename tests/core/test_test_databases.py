"""The tests' own databases: whatever a test changed is gone for the next test of the same process.

On PostgreSQL a test's database is lent again after a reset (``tests/support/pg_reset.py``) rather
than copied anew; on SQLite each test gets a new copy of the template's file. Either way the next
test starts from exactly the template's rows and sequences, and from its own upload folder. Each
test here plays two tests in a row with two ``AppMaker`` (what the ``make_app`` fixture is) on the
session's templates.
"""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, text

from portal.extensions import db
from portal.models import School
from portal.services import users
from tests.conftest import AppMaker, Templates


def _contents(uri: str) -> dict[str, object]:
    """Every table's rows (as text, sorted) and every sequence's state, of the database at ``uri``."""
    engine = create_engine(uri)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                tables = conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'table'")).all()
                return {t: sorted(map(tuple, conn.execute(text(f'SELECT * FROM "{t}"')).all())) for t in tables}
            tables = conn.scalars(text("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'")).all()
            found: dict[str, object] = {
                t: conn.scalar(text(f"SELECT md5(coalesce(string_agg(r::text, E'\\n' ORDER BY r::text), '')) FROM {t} r"))
                for t in tables}
            for seq in conn.scalars(text("SELECT quote_ident(sequencename) FROM pg_sequences")).all():
                found[seq] = tuple(conn.execute(text(f"SELECT last_value, is_called FROM {seq}")).one())
            return found
    finally:
        engine.dispose()


def _template_uri(templates: Templates) -> str:
    where = templates.get("demo").uri
    return templates.pg_uri(where) if templates.pg is not None else f"sqlite:///{where}"


def _change_everything(app: Flask) -> None:
    """A row inserted (and its sequence advanced), one updated, one deleted, a sequence advanced on
    its own, an upload file written."""
    with app.app_context():
        school = db.session.query(School).order_by(School.id).first()
        users.create_user("reset.check", "password-123", "重置检查", school, ["teacher"])
        db.session.execute(text("UPDATE user_account SET display_name = '改过的名字' WHERE id = "
                                "(SELECT min(id) FROM user_account)"))
        db.session.execute(text("DELETE FROM membership WHERE id = (SELECT max(id) FROM membership)"))
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("SELECT nextval(pg_get_serial_sequence('school', 'id'))"))
        db.session.commit()
        (Path(app.config["UPLOAD_FOLDER"]) / "left-behind.txt").write_text("留下的文件")
        db.session.remove()


def test_what_a_test_changed_is_gone_for_the_next_test(templates, tmp_path):
    before = _contents(_template_uri(templates))
    first = AppMaker(templates, tmp_path / "first")
    app = first(demo=True)
    _change_everything(app)
    changed = _contents(app.config["SQLALCHEMY_DATABASE_URI"])
    assert changed != before  # the changes were made (and the comparison sees them)
    assert (tmp_path / "first" / "uploads" / "left-behind.txt").exists()
    first.close()

    second = AppMaker(templates, tmp_path / "second")
    try:
        again = second(demo=True)
        if templates.pg is not None and templates.reusable():  # the same database, put back
            assert again.config["SQLALCHEMY_DATABASE_URI"] == app.config["SQLALCHEMY_DATABASE_URI"]
        assert _contents(again.config["SQLALCHEMY_DATABASE_URI"]) == before
        assert not (tmp_path / "second" / "uploads" / "left-behind.txt").exists()
        assert sorted(p.name for p in (tmp_path / "second" / "uploads").rglob("*")) == sorted(
            p.name for p in templates.get("demo").uploads.rglob("*"))
    finally:
        second.close()


def test_a_connection_left_open_by_a_thread_does_not_keep_its_changes(templates, tmp_path):
    """A live server's thread may still hold a connection, mid-transaction, when its test ends."""
    before = _contents(_template_uri(templates))
    first = AppMaker(templates, tmp_path / "first")
    app = first(demo=True)
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with app.app_context():
            conn = db.engine.connect()
            conn.execute(text("UPDATE user_account SET display_name = '未提交' WHERE id = "
                              "(SELECT max(id) FROM user_account)"))
            holding.set()
            done.wait(30)

    _change_everything(app)
    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert holding.wait(30)
    first.close()  # the thread's connection is still checked out
    second = AppMaker(templates, tmp_path / "second")
    try:
        assert _contents(second(demo=True).config["SQLALCHEMY_DATABASE_URI"]) == before
    finally:
        done.set()
        thread.join(30)
        second.close()


def test_a_change_of_schema_gets_a_new_copy(templates, tmp_path):
    """What a reset cannot put back (here a trigger disabled) is not lent again."""
    before = _contents(_template_uri(templates))
    first = AppMaker(templates, tmp_path / "first")
    app = first(demo=True)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ALTER TABLE credit_entry DISABLE TRIGGER USER"))
            db.session.commit()
        db.session.remove()
    first.close()
    second = AppMaker(templates, tmp_path / "second")
    try:
        again = second(demo=True)
        with again.app_context():
            if db.engine.dialect.name == "postgresql":
                disabled = db.session.scalar(text(
                    "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'credit_entry'::regclass AND tgenabled = 'D'"))
                assert disabled == 0
        assert _contents(again.config["SQLALCHEMY_DATABASE_URI"]) == before
    finally:
        second.close()
