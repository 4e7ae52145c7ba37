from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask

from portal.errors import DomainError
from portal.messages import msg, operator_line, shown


def said(message: Any) -> str:
    """The one rule of the words a ``flask`` command refuses with: as the start-up refusals are
    (:func:`portal.messages.operator_line`), in Chinese then English on one line — whatever
    ``--lang`` a command takes (that is its output's language: column headings, a diagram) and
    whatever the environment's locale. The operator of a Chinese school or district reads the
    Chinese; a log read elsewhere, a search for the words or a bug report, the English; and the
    refusal may be of the very argument that would choose a language. Every refusal of the
    portal's own passes here: :func:`refuse` (the catalogue's), :func:`fail` (a service's), a
    text argument no column stores, a newer database, the backup's, the worker's. Click's own
    usage errors (a missing argument, an unknown option, a value not among the choices) stay as
    click prints them, in English under the command's ``Usage:`` line: click has no Chinese, and
    they name its options as typed. A command's report on what it did or found (``submitted …``,
    ``check-hours``' lines) is its output, in English as its scripts read it, not a refusal."""
    return operator_line(message)


def refuse(code: str, /, **params: Any) -> NoReturn:
    """Stop the command with the catalogue message ``code`` (:func:`said`), exit 1."""
    raise click.ClickException(said(msg(code, **params)))


def fail(exc: DomainError) -> NoReturn:
    """Print a domain error clearly and exit 1, as ``click.ClickException`` does (nothing was changed):
    its headline, then a line for each field it names, each :func:`said`."""
    fields = exc.extra.get("fields") or {}
    detail = "".join(f"\n  {name}: {said(problem)}" for name, problem in fields.items())
    raise click.ClickException(f"{said(exc)}{detail}")


def give_name(written: Path, target: Path) -> None:
    """Give the finished file ``written`` (in ``target``'s folder) the name ``target`` — never
    over a file there, even one made since it was checked free (the database, an earlier copy):
    a hard link fails where the name is taken, where a rename would replace it. ``written``
    keeps its own name too; the caller removes it."""
    try:
        os.link(written, target)
    except FileExistsError:
        refuse("backup.exists", output=str(target))
    except OSError:  # a filesystem without hard links (FAT, some network shares): checked, then renamed
        if target.exists() or target.is_symlink():
            refuse("backup.exists", output=str(target))
        os.replace(written, target)


def usable_output(output: str | os.PathLike[str]) -> None:
    """Stop the command in one line (``cli.output_unusable``) at an output file name the system
    refuses to look at — a name or a folder of it too long (``ENAMETOOLONG``), a folder on the way
    that may not be entered — before the command's own checks of it (``Path.exists``,
    ``is_dir``) raise that as a traceback. A name that is free, or under a missing folder, is left
    to them."""
    try:
        os.lstat(output)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as exc:
        refuse("cli.output_unusable", output=shown(os.fspath(output)), reason=exc.strerror or type(exc).__name__)


def guard_text_arguments(group: click.Group, data_command: bool = True, top: bool = True) -> None:
    """Every command of ``group`` (and of its groups: the core's, Flask's, a plugin's) refuses a
    text argument no column can store, as the web's input guard refuses it: a NUL, or an
    unpaired surrogate, which is what Python makes of argument bytes that are not UTF-8
    (``--comment $'bad\\xff'`` ended in a database traceback). Nothing runs, exit 2.

    And a command run on a database without the tables or columns it reads (``flask db
    upgrade`` not run yet) says so (``db.upgrade_first``, exit 1) instead of the driver's
    traceback — not the ``db`` commands', whose own failures are the migrations'. A database
    that cannot be reached (a server down, a wrong password) is one line too, for every command
    (``db.unreachable``, exit 1).

    And on a database a newer release upgraded (:func:`portal.database.migration_state`: old code
    put back without the backup), every command but the ``db`` ones refuses before it runs, in
    one line (``cli.newer_database``, exit 1): it could read rows the newer schema means otherwise
    and write rows it does not expect. The ``db`` commands (``current``, ``heads``, ``history``,
    ``stamp``, ``downgrade`` …) still run, to look and to go back, and so do those marked
    :func:`any_schema` (``flask backup``: a copy of the newer database before going back);
    ``--help`` runs no command."""
    for command in list(group.commands.values()):
        data = data_command and not (top and command.name == "db") and not getattr(command.callback, "any_schema", False)
        if isinstance(command, click.Group):
            guard_text_arguments(command, data, top=False)
        if command.callback is not None and not getattr(command.callback, "text_guarded", False):
            command.callback = _guarded(command.callback, data)


def any_schema(callback: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a command that reads no rows of the portal's and writes none, so runs on a database of
    any release (:func:`guard_text_arguments`): the backup, a copy of the database as it is."""
    callback.any_schema = True  # type: ignore[attr-defined]
    return callback


def refuse_newer_database(app: Flask | None = None, code: str = "cli.newer_database") -> None:
    """Stop the command (nothing has run) when the database was upgraded by a newer release, in
    the words of ``code``. The app is ``app``, else the command's: the one in context, else the one
    its group loads (a command that pushes its context itself, ``AppGroup``'s, has none yet here)."""
    from flask import current_app, has_app_context
    from flask.cli import ScriptInfo

    from portal.database import migration_state

    if app is None:
        app = current_app if has_app_context() else (
            click.get_current_context().ensure_object(ScriptInfo).load_app())
    newer = migration_state(app)[1]
    if newer:
        raise click.ClickException(said(msg(code, revisions=", ".join(newer))))


def guard_flask_commands(app: Flask) -> None:
    """Flask's own ``flask run`` and ``flask shell`` refuse a database a newer release upgraded, as
    gunicorn's start (``wsgi.py``) and the portal's commands (:func:`guard_text_arguments`) do:
    the development server would serve it, the shell read and write it. They are not the app's
    commands (Flask's group runs them, and loads the app inside them), so the check is made here,
    while the app they load is built (``create_app``), before either serves or opens a prompt (or
    runs ``PYTHONSTARTUP``). ``flask run`` says it as the server's start does
    (``start.newer_database``), ``flask shell`` as a command (``cli.newer_database``); their
    ``--help`` loads no app; ``flask routes`` reads no rows and runs. A database that cannot be
    reached is left to what reads it first, as before (a shell to look into why; a page's error)."""
    from flask.cli import run_command, shell_command
    from sqlalchemy.exc import DBAPIError

    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.command not in (run_command, shell_command):
        return
    try:
        refuse_newer_database(app, "start.newer_database" if ctx.command is run_command else "cli.newer_database")
    except DBAPIError:
        return


def _guarded(callback: Callable[..., Any], data_command: bool) -> Callable[..., Any]:
    from sqlalchemy.exc import DBAPIError

    from portal.database import schema_missing, unreachable
    from portal.input_guard import text_problem

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        for name, value in kwargs.items():
            for text in value if isinstance(value, (list, tuple)) else (value,):
                problem = text_problem(text) if isinstance(text, str) else None
                if problem is not None:
                    raise click.BadParameter(said(problem), param_hint=f"'{name}'")
        try:
            if data_command:
                refuse_newer_database()
            return callback(*args, **kwargs)
        except DBAPIError as exc:
            if data_command and schema_missing(exc):
                refuse("db.upgrade_first")
            if (reason := unreachable(exc)) is not None:
                refuse("db.unreachable", reason=reason)
            raise

    run.text_guarded = True  # type: ignore[attr-defined]
    run.data_command = data_command  # type: ignore[attr-defined]  # refused on a newer database
    return run
