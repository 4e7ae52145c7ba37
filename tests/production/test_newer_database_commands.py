"""Old code put back on a database a newer release upgraded (README, Going back): the ``flask``
commands that read or write the portal's data refuse in one line and write nothing, while the
``db`` commands an operator goes back or looks with still run (``portal.cli.common``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
from sqlalchemy import text

from portal.extensions import db
from tests.production.helpers import core_head, replace_version, row_counts

CHECKOUT = Path(__file__).resolve().parents[2]
NEWER = "f0e1d2c3b4a5"  # a later release's migration, on top of the core's last
SAID = f"upgraded by a newer release (revision {NEWER}, unknown to this code): this command did not run"

#: commands that would write (or read) the portal's rows, with arguments they accept
WRITERS = [
    ["demo"],
    ["school", "create", "NEWER1", "新版本学校"],
    ["district", "create", "NEWERD", "新版本学区"],
    ["user", "create", "newer.teacher", "--school", "NEWER1", "--role", "teacher", "--password", "a-long-password"],
    ["user", "move", "teacher1", "DEMO", "--on", "2026-09-01"],
    ["credits", "repair-away", "--apply", "--as", "district.admin"],
    ["credits", "export-district", "--year", "2026-2027", "--format", "csv", "--output", "/dev/null"],
    ["credits", "check-hours"],
    ["school", "list"],
    ["reminders", "run"],
]


def _stamp_newer(app) -> None:
    replace_version(app, core_head(app), NEWER)


def _versions(app) -> list[str]:
    with app.app_context():
        found = sorted(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
        db.session.remove()
    return found


def test_data_commands_refuse_a_newer_database_in_one_line_and_write_nothing(app):
    """Every command above refuses (exit 1, one ``Error:`` line in Chinese then English, no
    traceback) and no table gains or loses a row; the version the newer release left stays. Before,
    ``flask demo`` loaded the demo school into the newer schema, ``school create`` made a school."""
    _stamp_newer(app)
    with app.app_context():
        before = row_counts()
    runner = app.test_cli_runner()
    for args in WRITERS:
        result = runner.invoke(args=args)
        lines = result.output.strip().splitlines()
        assert result.exit_code == 1, (args, result.output)
        assert len(lines) == 1 and lines[0].startswith("Error: 数据库已被更新的版本升级") and SAID in lines[0], (
            args, result.output)
        assert "Traceback" not in result.output
    with app.app_context():
        assert row_counts() == before
    assert NEWER in _versions(app)


def test_db_commands_and_help_still_run_on_a_newer_database(app, tmp_path):
    """To look and to go back: ``db heads`` and ``db history`` answer, ``db stamp`` moves the
    version (here to the code's own head, as an operator does once the backup is restored… or
    having checked the newer release left nothing this code cannot read), and every group's
    ``--help`` is printed, and ``flask backup`` copies the database as it is (SQLite; on PostgreSQL
    it says pg_dump is the tool); once the version is the code's own the data commands run again."""
    _stamp_newer(app)
    runner = app.test_cli_runner()
    for args in (["db", "heads"], ["db", "history"], ["--help"], ["credits", "--help"], ["user", "move", "--help"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0 and "newer release" not in result.output, (args, result.output)
    assert runner.invoke(args=["school", "list"]).exit_code == 1
    backup = runner.invoke(args=["backup", "--output", str(tmp_path / "before-going-back.db")])
    assert "newer release" not in backup.output, backup.output
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        assert backup.exit_code == 0 and (tmp_path / "before-going-back.db").stat().st_size > 0, backup.output
    replace_version(app, NEWER, core_head(app))  # ``db stamp`` cannot leave a revision it does not know; SQL does
    result = runner.invoke(args=["school", "list"])
    assert result.exit_code == 0, result.output


def test_every_data_command_is_guarded_and_no_db_command_is(app):
    """The check is in one place, the wrapper every command gets once all are registered (a
    plugin's too): each leaf command but the ``db`` group's and the backup carries it."""

    def leaves(group: click.Group, path: tuple[str, ...] = ()):
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from leaves(command, (*path, name))
            else:
                yield (*path, name), command

    found = dict(leaves(app.cli))
    assert len(found) > 30
    for path, command in found.items():
        assert getattr(command.callback, "data_command", None) is (path[0] not in ("db", "backup")), path


def test_the_flask_command_refuses_a_newer_database_as_a_process(app, tmp_path):
    """The command as an operator types it (``flask --app wsgi demo``): exit 1, the one line on
    stderr, nothing written."""
    _stamp_newer(app)
    with app.app_context():
        before = row_counts()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YANXIU_", "SECRET_KEY", "DATABASE_URL"))}
    env.update(YANXIU_INSTANCE_PATH=str(tmp_path / "instance"), DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    run = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "demo"],
                         cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and SAID in lines[0], run.stderr
    with app.app_context():
        assert row_counts() == before


def test_refused_before_the_command_pushes_its_app_context(make_app):
    """``AppGroup`` commands push their app context themselves, inside the callback the check
    wraps: with no context held (``FlaskCliRunner`` outside a test's), the check loads the app as
    the group does. Before, it asked ``current_app`` and ended in "Working outside of application
    context"."""
    app = make_app()
    _stamp_newer(app)
    result = app.test_cli_runner().invoke(args=["school", "list"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert SAID in result.output
