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


def test_production_serves_no_database_behind_its_migrations(app, tmp_path):
    """The server's start in production (gunicorn, ``wsgi.py``) on a database one migration behind
    the code (the core's last one undone: upgraded code, ``flask db upgrade`` forgotten) says so in
    one line and stops; at the code's heads nothing is pending. Before, it served pages without
    what the migration brings, and nothing told the operator. ``flask run`` in production refuses
    alike (before, it served: only gunicorn's start was checked)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade

    from portal.database import pending_migrations

    assert pending_migrations(app) == []
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    core = next(r for r in script.get_revisions("heads") if isinstance(r.down_revision, str) and not r.branch_labels)
    db.session.remove()
    downgrade(revision=core.down_revision)
    assert pending_migrations(app) == [core.revision]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YANXIU_", "SECRET_KEY", "DATABASE_URL"))}
    env.update(YANXIU_ENV="production", SECRET_KEY="x" * 40, YANXIU_PUBLIC_URL="https://yanxiu.example.edu.cn",
               YANXIU_INSTANCE_PATH=str(tmp_path / "instance"), DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    bin_dir = Path(sys.executable).parent
    # gunicorn with its own control socket off (other servers keep theirs), and ``flask run``, which
    # an operator may start in production too: each refuses before it serves
    for server in ([str(bin_dir / "gunicorn"), "--workers", "2", "--bind", "127.0.0.1:0", "--no-control-socket", "wsgi:app"],
                   [str(bin_dir / "flask"), "--app", "wsgi", "run", "--port", "0"]):
        try:
            run = subprocess.run(server, cwd=Path(__file__).resolve().parents[2], env=env,
                                 capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired as served:
            pytest.fail(f"{server[0]} served on a database behind its migrations: {served.stderr!r}")
        assert run.returncode != 0 and "Traceback" not in run.stderr, (server, run.stderr)
        errors = [line for line in run.stderr.splitlines() if line.startswith("Error: ")]
        assert errors and all(core.revision in line and "flask --app wsgi db upgrade" in line for line in errors), run.stderr
        if server[0].endswith("gunicorn"):
            assert "App failed to load" in run.stderr, run.stderr
