"""``make bench-backup``: how long the README's backup and restore take at a district's size.

The README tells an operator to back PostgreSQL up with ``pg_dump --format=custom`` and to
restore with ``pg_restore --no-owner``, and to restore now and then. This runs exactly those
commands on a generated database (by default the 1,000-school one ``make bench-load`` keeps on
its private server), restores the dump into a new database, checks that every table has the
same rows there (count and an order-free checksum of each table's rows) and the same
migration, and prints the times and the dump's size. The restored database is dropped.

With ``--sqlite FILE`` it runs the README's SQLite backup instead (``flask backup``, SQLite's
online backup API) on that file and checks the copy the same way.

    python bench/backup_bench.py --postgres URL [--database load_s1000_t100_y1] [--jobs 2]
    python bench/backup_bench.py --sqlite /tmp/yanxiu-bench/s100_t100_y2.db
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy.exc import ArgumentError, DBAPIError  # noqa: E402

from bench.run import Store  # noqa: E402
from portal.database import SQLITE_COMPANIONS  # noqa: E402
from tests.support.pg_server import find_bin  # noqa: E402

Digests = dict[str, tuple[int, str]]  # table → (rows, checksum)
Step = tuple[str, float, int | None]  # what was run, seconds, bytes written (if a file)


def libpq_url(store: Store, name: str) -> str:
    """The database's URL as PostgreSQL's own tools take it (no SQLAlchemy driver name)."""
    return store.uri(name).replace("postgresql+psycopg://", "postgresql://", 1)


def table_digests(url: str) -> Digests:
    """Every table of the public schema: its row count and a checksum of its rows' text that
    does not depend on the order they are stored in."""
    import psycopg
    from psycopg import sql

    out: Digests = {}
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )]
        for table in tables:
            # the sum of each row's hash (60 bits of its md5): order-free, in constant memory
            row = conn.execute(sql.SQL(
                "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint), 0) FROM {} t"
            ).format(sql.Identifier(table))).fetchone()
            assert row is not None
            out[table] = (int(row[0]), str(row[1]))
    return out


def sqlite_digests(path: Path) -> Digests:
    """As :func:`table_digests`, for an SQLite file (each table's rows hashed in sorted order)."""
    # SQLite's text of a row is Python's repr here; the two kinds are never compared
    import hashlib
    import sqlite3

    out: Digests = {}
    # a connection that only reads; not ``mode=ro``, which cannot remove the -wal and -shm
    # files it makes beside a database in WAL mode
    with contextlib.closing(sqlite3.connect(path)) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )]
        for table in tables:
            rows = sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{table}"'))
            out[table] = (len(rows), hashlib.md5("\n".join(rows).encode()).hexdigest())
    return out


def run(cmd: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def compare(read: Callable[[], tuple[Digests, Digests]]) -> tuple[Digests, Digests, Step]:
    started = time.perf_counter()
    before, after = read()
    return before, after, ("compare every table (count and checksum of its rows)", time.perf_counter() - started, None)


def report(title: str, size: int, steps: list[Step], before: Digests, after: Digests) -> int:
    """Print the steps as a Markdown table; 1 if the copy differs from the original."""
    mib = 1024 * 1024
    print(f"database {title}: {size / mib:,.0f} MiB, {len(before)} tables, {sum(n for n, _ in before.values()):,} rows")
    print("| step | time | size |")
    print("|---|---:|---:|")
    for what, seconds, written in steps:
        print(f"| {what} | {seconds:.1f} s | {'' if written is None else f'{written / mib:,.0f} MiB'} |")
    differ = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
    if differ:
        print(f"COPY DIFFERS in {len(differ)} tables: {', '.join(differ)}")
        return 1
    print(f"the copy is equal in every table ({len(before)} tables, alembic_version included)")
    return 0


def sqlite_backup(source: Path, workdir: Path) -> int:
    """``flask backup`` of ``source`` (the README's command), timed, and the copy compared."""
    target = workdir / f"{source.stem}.backup.db"
    target.unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{source}", "YANXIU_INSTANCE_PATH": str(workdir / "instance")}
    try:
        backup_s = run([sys.executable, "-m", "flask", "--app", "wsgi", "backup", "--output", str(target)], env)
        steps: list[Step] = [("`flask backup` (online backup API)", backup_s, target.stat().st_size)]
        before, after, step = compare(lambda: (sqlite_digests(source), sqlite_digests(target)))
    finally:
        for suffix in SQLITE_COMPANIONS:
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    return report(f"{source.name} on SQLite", source.stat().st_size, [*steps, step], before, after)


def postgres_backup(store: Store, database: str, jobs: int, workdir: Path) -> int:
    """``pg_dump`` of ``database``, ``pg_restore`` of the dump into a new one, both timed, and
    the restored copy compared; the dump and the copy are removed."""
    target = f"{database}_restored"
    dump = workdir / f"{database}.dump"
    source_url, target_url = libpq_url(store, database), libpq_url(store, target)
    try:
        dump_s = run([find_bin("pg_dump"), "--format=custom", "--file", str(dump), source_url])
        store.drop(target)
        store.create(target)
        restore_s = run([find_bin("pg_restore"), "--no-owner", "--jobs", str(jobs), "--dbname", target_url, str(dump)])
        steps: list[Step] = [
            ("`pg_dump --format=custom`", dump_s, dump.stat().st_size),
            (f"`pg_restore --no-owner --jobs {jobs}` into a new database", restore_s, None),
        ]
        before, after, step = compare(lambda: (table_digests(source_url), table_digests(target_url)))
    finally:
        dump.unlink(missing_ok=True)
        store.drop(target)
    return report(f"{database} on {store.describe()}", store.size(database), [*steps, step], before, after)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--postgres", metavar="URL", help="postgresql://user@host:port/any")
    where.add_argument("--sqlite", metavar="FILE", type=Path, help="an SQLite database file")
    ap.add_argument("--database", default="load_s1000_t100_y1",
                    help="the database to back up (default: the one make bench-load keeps)")
    ap.add_argument("--jobs", type=int, default=2, help="pg_restore --jobs (default 2)")
    ap.add_argument("--workdir", default=tempfile.gettempdir(), help="where the dump file is written")
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    workdir = Path(args.workdir)
    if args.sqlite is not None:
        if not args.sqlite.is_file():
            ap.error(f"no file {args.sqlite}")
        return sqlite_backup(args.sqlite.resolve(), workdir)
    store = Store(workdir, args.postgres)
    try:
        found = store.exists(args.database)
    except (ArgumentError, DBAPIError) as exc:  # a URL it cannot use, a server it cannot reach
        ap.error(f"cannot use the server of --postgres: {str(exc).splitlines()[0]}")
    if not found:
        ap.error(f"no database {args.database!r} on that server: run make bench-load first, or name one")
    return postgres_backup(store, args.database, args.jobs, workdir)


if __name__ == "__main__":
    raise SystemExit(main())
