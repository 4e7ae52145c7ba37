"""``bench/backup_bench.py``: the README's backup and restore of the test's own database (on
SQLite ``flask backup``; on PostgreSQL ``pg_dump`` and ``pg_restore``), and its comparison of
the copy, which must see a changed row."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench import backup_bench
from bench.run import Store
from portal.extensions import db


def test_the_readme_backup_gives_an_equal_copy(make_app, tmp_path, capsys):
    app = make_app(demo=True)
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        args = ["--sqlite", str(url.database)]
    else:
        server = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        args = ["--postgres", server, "--database", str(url.database), "--jobs", "1"]
    assert backup_bench.main([*args, "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "the copy is equal in every table" in out
    assert "COPY DIFFERS" not in out
    assert not list(tmp_path.glob("*.dump")) and not list(tmp_path.glob("*.backup.db*"))  # nothing left behind
    if url.get_backend_name() == "sqlite":  # nor beside the original (its -wal and -shm)
        assert sorted(p.name for p in Path(str(url.database)).parent.glob(Path(str(url.database)).name + "*")) == [
            Path(str(url.database)).name]


def test_the_comparison_sees_one_changed_row(make_app, tmp_path):
    app = make_app(demo=True)
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        path = tmp_path / "original.db"
        shutil.copy(str(url.database), path)

        def digests() -> dict[str, tuple[int, str]]:
            return backup_bench.sqlite_digests(path)

        def change() -> None:
            with contextlib.closing(sqlite3.connect(path)) as conn, conn:
                conn.execute("UPDATE school SET name = name || 'x'")
    else:
        store = Store(tmp_path, url.set(database="postgres").render_as_string(hide_password=False))
        libpq = backup_bench.libpq_url(store, str(url.database))

        def digests() -> dict[str, tuple[int, str]]:
            return backup_bench.table_digests(libpq)

        def change() -> None:
            with app.app_context():
                db.session.execute(text("UPDATE school SET name = name || 'x'"))
                db.session.commit()

    before = digests()
    change()
    after = digests()
    assert sorted(t for t in before if before[t] != after[t]) == ["school"]
    assert before["school"][0] == after["school"][0]  # the same count: only the checksum tells


@pytest.mark.parametrize(
    "args",
    [[], ["--sqlite", "/no/such/file.db"], ["--sqlite", "wsgi.py", "--jobs", "0"],
     ["--sqlite", "wsgi.py", "--postgres", "postgresql://x@localhost/y"],
     ["--postgres", "postgresql://nobody@127.0.0.1:1/none"], ["--postgres", "not a url"]],
)
def test_bad_arguments_are_refused(args, capsys):
    with pytest.raises(SystemExit) as stopped:
        backup_bench.main(args)
    assert stopped.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_database_the_server_does_not_have_is_refused(make_app, tmp_path, capsys):
    """On the PostgreSQL pass: the test's own server, asked for a database it does not have.
    On the SQLite pass the same refusal comes from a file that is not there (above)."""
    url = make_url(make_app().config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        args, says = ["--sqlite", str(tmp_path / "none.db")], "no file"
    else:
        server = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        args, says = ["--postgres", server, "--database", "no_such_database"], "no database 'no_such_database'"
    with pytest.raises(SystemExit) as stopped:
        backup_bench.main([*args, "--workdir", str(tmp_path)])
    assert stopped.value.code == 2
    assert says in capsys.readouterr().err
