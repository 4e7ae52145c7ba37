"""A month's end at the 10× bench data (``bench/run.py``'s 100 schools × 100 teachers × 2 years)
with every school asking reading notes each month and its quotas deciding the year: what one run
of the hourly job ``teacher_years.month_end`` costs, and what the district dashboard costs cold
(page cache off) on the first of a month before and after it. Not a test: nothing is asserted
on time.

    python bench/month_end_bench.py                 # SQLite files in --data-dir
    python tests/support/pg_server.py -- sh -c 'python bench/month_end_bench.py --postgres "$YANXIU_TEST_DATABASE_URL"'

The kept data set is copied (SQLite) or generated under its own name (PostgreSQL) first: the
rules written here do not reach the other benchmarks' data. The clock is moved with
time-machine: the rules are set on 20 December 2026, noon in Beijing; everything else is
measured half an hour into 1 January 2027 there (December is over).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

import time_machine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.district_bench import timed  # noqa: E402
from bench.run import build_database, find_targets, machine, make_app, open_store, statements_per_page  # noqa: E402

RULES_SET = datetime(2026, 12, 20, 4, 0, tzinfo=UTC)  # noon in Beijing
FIRST_OF_MONTH = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 00:30, 1 January 2027 in Beijing
MONTHLY = {"reading_notes_per_month": 2, "quotas_decide": True}
PAGES = ("district dashboard", "district")  # the dashboard; the schools' table (50 a page)


def _counting(app, touched: list[int] | None = None):
    """The statements the app's engine runs (as they run); with ``touched``, the rows each
    INSERT, UPDATE or DELETE wrote (its cursor's rowcount)."""
    from sqlalchemy import event

    from portal.extensions import db

    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA)", statement, re.I):
            seen.append(statement)

    def rows(_conn, cursor, statement, *_args) -> None:
        if touched is not None and re.match(r"\s*(INSERT|UPDATE|DELETE)", statement, re.I) and cursor.rowcount > 0:
            touched.append(cursor.rowcount)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        event.listen(db.engine, "after_cursor_execute", rows)
    return seen


def _district(cold, targets, seen: list[str], n: int) -> dict[str, tuple[int, float, float]]:
    """Statements, median wall and CPU seconds of the district's pages and of every school's
    figures (``overview.district_overview``: what ``/api/v1/district/schools`` returns), cold."""
    from portal.extensions import db
    from portal.services import overview

    out = {page: (statements_per_page(cold, targets, (page,))[page], *timed(cold, targets, page, n))
           for page in PAGES}
    with cold.app_context():
        year = teacher_year_of(cold)
        walls, cpus = [], []
        for i in range(n + 1):
            seen.clear()
            db.session.expire_all()
            w, c = time.perf_counter(), time.process_time()
            overview.district_overview(year)
            w, c = time.perf_counter() - w, time.process_time() - c
            if i:
                walls.append(w)
                cpus.append(c)
        db.session.remove()
    out["every school's figures (the API)"] = (len(seen), median(walls), median(cpus))
    return out


def teacher_year_of(app) -> str:
    from portal.timeutil import current_school_year

    return current_school_year("Asia/Shanghai")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", metavar="URL", help="postgresql://user@host:port/any (default: SQLite files)")
    ap.add_argument("--schools", type=int, default=100)
    ap.add_argument("--teachers", type=int, default=100, help="teachers per school (default 100)")
    ap.add_argument("--years", type=int, default=2, help="school years of history (default 2)")
    ap.add_argument("--n", type=int, default=10, help="dashboard requests measured each time (default 10)")
    ap.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "yanxiu-bench"))
    args = ap.parse_args(argv)
    data = Path(args.data_dir)
    store, instance = open_store(data, args.postgres)
    name = f"s{args.schools}_t{args.teachers}_y{args.years}"
    if store.postgres is None:
        build_database(store, name, args.schools, args.teachers, args.years, instance)
        for tail in ("-wal", "-shm"):  # a last run's journal would be replayed onto the fresh copy
            (data / f"month_end.db{tail}").unlink(missing_ok=True)
        shutil.copyfile(data / f"{name}.db", data / "month_end.db")
        name = "month_end"
    else:
        name = f"month_end_{name}"
        build_database(store, name, args.schools, args.teachers, args.years, instance)
    uri = store.uri(name)
    print(f"machine: {machine()}; data on {store.describe()}; {args.schools} schools × {args.teachers} teachers"
          f" × {args.years} years")

    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import School
    from portal.policy import SYSTEM
    from portal.services import schools, teacher_years

    app, cold = make_app(uri, instance), make_app(uri, instance, cache=False)
    with time_machine.travel(RULES_SET, tick=True), app.app_context():
        t = time.perf_counter()
        for school in db.session.execute(select(School).order_by(School.id)).scalars().all():
            schools.update_rules(school, MONTHLY, by=SYSTEM)
        db.session.commit()
        print(f"rules set on every school (each school's rows refreshed): {time.perf_counter() - t:.1f} s")
        db.session.remove()
    targets = find_targets(app)
    touched: list[int] = []
    seen, seen_cold = _counting(app, touched), _counting(cold)
    with time_machine.travel(FIRST_OF_MONTH, tick=True):
        with app.app_context():
            stale = teacher_years.stale_years()
            db.session.remove()
        print(f"1 January 00:30 in Beijing: {len(stale)} school years stale")
        before = _district(cold, targets, seen_cold, args.n)
        runs = []
        for _ in range(2):
            seen.clear()
            touched.clear()
            with app.app_context():
                w, c = time.perf_counter(), time.process_time()
                done = teacher_years.month_end()
                w, c = time.perf_counter() - w, time.process_time() - c
                db.session.remove()
            runs.append((done, len(seen), sum(touched), w, c))
        after = _district(cold, targets, seen_cold, args.n)
    print("\n| run of the job | school years refreshed | statements | rows written | wall s | CPU s (this process) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, (done, n, rows, w, c) in zip(("first", "second"), runs, strict=True):
        print(f"| {label} | {done} | {n:,} | {rows:,} | {w:.2f} | {c:.2f} |")
    print("\n| cold (page cache off), 1 January 00:30 | statements before → after the job "
          "| median ms before → after | median CPU ms before → after |")
    print("|---|---:|---:|---:|")
    for what in before:
        (n0, w0, c0), (n1, w1, c1) = before[what], after[what]
        print(f"| {what} | {n0} → {n1} | {w0 * 1000:.1f} → {w1 * 1000:.1f} | {c0 * 1000:.1f} → {c1 * 1000:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
