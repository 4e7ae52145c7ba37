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
    run = _flask(app, tmp_path, "--app", "wsgi", "demo")
    assert run.returncode == 1, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and SAID in lines[0], run.stderr
    with app.app_context():
        assert row_counts() == before


def _flask(app, tmp_path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """``flask *args`` as an operator runs it, on the test's database, nothing on its input."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YANXIU_", "SECRET_KEY", "DATABASE_URL"))}
    env.update(YANXIU_INSTANCE_PATH=str(tmp_path / "instance"), DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               PYTHONSTARTUP="")
    return subprocess.run([str(Path(sys.executable).parent / "flask"), *args], cwd=CHECKOUT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)


#: how ``flask run`` says it: gunicorn's words (``start.newer_database``), Chinese then English
SAID_AT_START = f"upgraded by a newer release (revision {NEWER}, unknown to this code): install that release again"


def test_flask_run_and_flask_shell_refuse_a_newer_database_as_gunicorn_and_the_commands_do(app, tmp_path):
    """``flask run`` (the development server) and ``flask shell`` are Flask's commands, not the
    app's: neither was checked, the server served the newer database and the shell opened on it
    (here, with nothing on its input, it ended with exit 0; the server never ended). Now each
    stops before serving or prompting, in one line, Chinese then English: the server in the words
    of gunicorn's start, the shell in the commands' — loaded as ``wsgi`` and as the factory."""
    _stamp_newer(app)
    with app.app_context():
        before = row_counts()
    for args, said in ((("--app", "wsgi", "run", "--port", "0"), SAID_AT_START),
                       (("--app", "portal:create_app", "run", "--port", "0", "--no-reload"), SAID_AT_START),
                       (("--app", "wsgi", "shell"), SAID),
                       (("--app", "portal:create_app", "shell"), SAID)):
        run = _flask(app, tmp_path, *args, timeout=60)
        lines = run.stderr.strip().splitlines()
        assert run.returncode == 1, (args, run.stdout, run.stderr)
        assert len(lines) == 1 and lines[0].startswith("Error: 数据库已被更新的版本升级") and said in lines[0], (
            args, run.stderr)
        assert "Traceback" not in run.stderr and ">>>" not in run.stdout + run.stderr
    with app.app_context():
        assert row_counts() == before
    # their help, and Flask's ``routes`` (no rows read), still answer; the shell runs on the code's own version
    for args in (("--app", "wsgi", "run", "--help"), ("--app", "wsgi", "shell", "--help"), ("--app", "wsgi", "routes")):
        run = _flask(app, tmp_path, *args, timeout=60)
        assert run.returncode == 0 and "newer release" not in run.stdout + run.stderr, (args, run.stderr)
    replace_version(app, NEWER, core_head(app))
    run = _flask(app, tmp_path, "--app", "wsgi", "shell", timeout=60)
    assert run.returncode == 0 and "newer release" not in run.stderr, run.stderr


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


def test_flask_shell_still_opens_on_a_database_it_cannot_reach(app, tmp_path):
    """The check reads the database's version; one that cannot be reached (a server down) is left
    to what reads it first, as before: the shell opens, to look into why (no traceback at start)."""
    unreachable = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://nobody:not-a-password@127.0.0.1:1/none"
    try:
        run = _flask(app, tmp_path, "--app", "wsgi", "shell", timeout=60)
    finally:
        app.config["SQLALCHEMY_DATABASE_URI"] = unreachable
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
