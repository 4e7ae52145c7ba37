"""``flask backup --output FILE``: a consistent copy of the SQLite database.

Uses SQLite's online backup API, so the copy is a consistent snapshot even while the
portal is serving and writing. PostgreSQL is backed up with its own tools (``pg_dump``).
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import with_appcontext

from portal.cli.common import any_schema, give_name, said, usable_output
from portal.database import SQLITE_COMPANIONS, SQLITE_FILE_MODE
from portal.extensions import db
from portal.messages import msg


class BackupRefused(click.ClickException):
    """The database cannot be backed up by this command (not SQLite, or a bad target)."""

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(said(msg(code, **params)))


def sqlite_database_path() -> Path:
    """The file of the app's SQLite database; refuses for other databases."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise BackupRefused("backup.not_sqlite", backend=url.get_backend_name())
    if url.database in (None, "", ":memory:"):
        raise BackupRefused("backup.in_memory")
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy ``source`` to ``target`` with the online backup API; returns the number of pages."""
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            pages = dst.execute("PRAGMA page_count").fetchone()[0]
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupRefused("backup.integrity", check=str(check))
            return int(pages)
        finally:
            dst.close()
    finally:
        src.close()


@click.command("backup")
@click.option("--output", "-o", "output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write the copy to (must not exist yet).")
@with_appcontext
@any_schema
def backup_command(output: Path) -> None:
    """Write a consistent copy of the SQLite database to FILE (safe while the portal runs)."""
    source = sqlite_database_path()
    if not source.exists():
        raise BackupRefused("backup.no_database_file", path=str(source))
    output = output.expanduser()
    usable_output(output)
    if output.exists() or output.is_symlink():  # a link is not followed: it may point anywhere
        raise BackupRefused("backup.exists", output=str(output))
    output = output.parent.resolve() / output.name
    live = str(source.resolve())
    if str(output) in {live + suffix for suffix in SQLITE_COMPANIONS}:  # its -wal, -shm and -journal too
        raise BackupRefused("backup.onto_itself")
    if not output.parent.is_dir():
        raise BackupRefused("backup.no_directory", path=str(output.parent))
    # a new file of its own (a fixed OUTPUT.partial made beforehand by someone else was written
    # into, readable by them), as private as the database
    tmp = output.with_name(f".{output.name}.{secrets.token_hex(8)}.partial")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE))
    try:
        pages = backup_sqlite(source, tmp)
        give_name(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    click.echo(f"backup written to {output} ({pages} pages, {output.stat().st_size} bytes)")


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
