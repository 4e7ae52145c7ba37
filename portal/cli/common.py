from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from portal.errors import DomainError
from portal.messages import msg, operator_line, shown


def refuse(code: str, /, **params: Any) -> NoReturn:
    """Stop the command with the catalogue message ``code``, in English (shells and logs)."""
    raise click.ClickException(msg(code, **params).english)


def fail(exc: DomainError) -> None:
    """Print a domain error clearly and exit 1, as ``click.ClickException`` does (nothing was changed).

    The headline and the field messages are both English, as :func:`refuse`'s are."""
    detail = ""
    fields = exc.to_dict("en").get("fields")
    if fields:
        detail = "\n" + "\n".join(f"  {k}: {v}" for k, v in fields.items())
    raise click.ClickException(f"{exc.message}{detail}")


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


def refuse_newer_database() -> None:
    """Stop the command (nothing has run) when the database was upgraded by a newer release. The
    app is the command's: the one in context, else the one its group loads (a command that pushes
    its context itself, ``AppGroup``'s, has none yet here)."""
    from flask import current_app, has_app_context
    from flask.cli import ScriptInfo

    from portal.database import migration_state

    app = current_app if has_app_context() else (
        click.get_current_context().ensure_object(ScriptInfo).load_app())
    newer = migration_state(app)[1]
    if newer:
        raise click.ClickException(operator_line(msg("cli.newer_database", revisions=", ".join(newer))))


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
                    raise click.BadParameter(problem.english, param_hint=f"'{name}'")
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
