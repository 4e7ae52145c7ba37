"""A database without the tables or columns the code reads — ``flask db upgrade`` not run yet,
or not since an upgrade of the portal — is said to be so: a command prints what to run (exit
1, no traceback), a page says the portal is not ready (503, in the viewer's language). Before,
both showed the driver's error."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.database import schema_missing
from portal.extensions import db


@pytest.mark.parametrize("sql", ["SELECT * FROM no_such_table", "SELECT no_such_column FROM school"])
def test_a_missing_table_or_column_is_told_apart(app, sql):
    with pytest.raises(DBAPIError) as info:
        db.session.execute(text(sql))
    db.session.rollback()
    assert schema_missing(info.value)


def test_other_database_errors_are_not(app):
    with pytest.raises(DBAPIError) as info:
        db.session.execute(text("SELEC 1"))
    db.session.rollback()
    assert not schema_missing(info.value)


@pytest.fixture
def bare(make_app, tmp_path):
    """An app on a database file no migration has run on."""
    return make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'bare.db'}")


def test_a_command_says_to_run_the_upgrade(bare):
    r = bare.test_cli_runner().invoke(args=["credits", "rebuild-year-rows"])
    assert r.exit_code == 1
    assert "run 'flask db upgrade' first" in r.output and "Traceback" not in r.output, r.output


def test_the_upgrade_itself_is_not_told_to_upgrade(bare):
    r = bare.test_cli_runner().invoke(args=["db", "current"])
    assert r.exit_code == 0 and "flask db upgrade" not in r.output, r.output


def test_a_page_says_the_portal_is_not_ready(bare):
    r = bare.test_client().post("/login", data={"username": "t1", "password": "x"},
                                headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 503
    page = r.get_data(as_text=True)
    assert "平台的数据库尚未为此版本建立或升级" in page and "sqlite" not in page.lower(), page[-2000:]
