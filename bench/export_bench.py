"""Benchmark of the district exports (not a test: nothing here is asserted on time).

    /tmp/venv0/bin/python bench/export_bench.py                  # 100k and 1,000,000 rows, SQLite
    /tmp/venv0/bin/python bench/export_bench.py --rows 100000    # one size only
    DATABASE_URL=postgresql://… python bench/export_bench.py --rows 100000   # PostgreSQL (empties it!)
    python bench/export_bench.py --rows 1000000 --workdir DIR --fill-only     # fill now …
    python bench/export_bench.py --rows 1000000 --workdir DIR --engine xlsxwriter --once  # … measure later

For each size it fills a fresh database with that many credit-ledger rows (bulk inserts through
SQLAlchemy Core: schools of 100 teachers, one entry per teacher and activity), then writes
the district ledger export (one line per ledger row) and the district summary (one line per
teacher) as CSV and XLSX, and reports the wall time, the time to the first byte (CSV: the
first chunk a streamed response would send), the CPU time of the process (the machine may be
shared: wall time then says more about the others), the 1-minute load average after, and the
peak memory growth of the process while exporting (peak RSS from /proc, reset before each
export; tracemalloc where that is unavailable).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

TEACHERS_PER_SCHOOL = 100
YEAR = "2026-2027"


def _rss_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class PeakMemory:
    """Peak memory growth (MiB) during a block: peak RSS via /proc, else tracemalloc."""

    def __enter__(self) -> PeakMemory:
        self.proc = False
        try:
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            self.proc = _rss_kib("VmHWM") is not None
        except OSError:
            pass
        if self.proc:
            self.base = _rss_kib("VmRSS") or 0
        else:
            tracemalloc.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.proc:
            self.growth_mib = ((_rss_kib("VmHWM") or 0) - self.base) / 1024
        else:
            self.growth_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()


def fill(db, rows: int) -> None:
    """``rows`` ledger rows: rows/100/100 schools × 100 activities × 100 teachers (at least one school)."""
    from portal.models import Activity, CreditEntry, Membership, School, User

    activities_per_school = 100
    per_school = TEACHERS_PER_SCHOOL * activities_per_school
    n_schools = max(1, -(-rows // per_school))
    now = datetime(2026, 11, 1)
    conn = db.session.connection()
    conn.execute(insert(School), [
        {"id": s + 1, "code": f"B{s + 1:04d}", "name": f"基准学校{s + 1}", "timezone": "Asia/Shanghai", "rules": {},
         "created_at": now} for s in range(n_schools)])
    users = [{"id": 1, "username": "bench-admin", "username_key": "bench-admin",
              "display_name": "基准管理员", "password_hash": "", "active": True,
              "session_version": 1, "created_at": now}]
    members = []
    for s in range(n_schools):
        for t in range(TEACHERS_PER_SCHOOL):
            uid = 2 + s * TEACHERS_PER_SCHOOL + t
            users.append({"id": uid, "username": f"b{s + 1}t{t + 1}", "username_key": f"b{s + 1}t{t + 1}",
                          "display_name": f"教师{s + 1}-{t + 1}",
                          "password_hash": "", "active": True, "session_version": 1, "gender": "F" if t % 2 else "M",
                          "birth_date": date(1980 + t % 20, 1 + t % 12, 1), "created_at": now})
            members.append({"user_id": uid, "school_id": s + 1, "role": "teacher", "active": True})
    conn.execute(insert(User), users)
    conn.execute(insert(Membership), members)
    acts = []
    for s in range(n_schools):
        for a in range(activities_per_school):
            acts.append({"id": s * activities_per_school + a + 1, "school_id": s + 1, "type_key": "lecture",
                         "title": f"讲座{a + 1}", "organizer_id": 1, "starts_at": now, "ends_at": now, "hours": 2,
                         "school_year": YEAR, "semester": 1, "state": "credited", "version": 1, "credit_round": 1,
                         "details": {}, "location": "", "created_at": now, "updated_at": now})
    conn.execute(insert(Activity), acts)
    batch: list[dict] = []
    written = 0
    for s in range(n_schools):
        for a in range(activities_per_school):
            for t in range(TEACHERS_PER_SCHOOL):
                if written >= rows:
                    break
                batch.append({"school_id": s + 1, "user_id": 2 + s * TEACHERS_PER_SCHOOL + t,
                              "activity_id": s * activities_per_school + a + 1, "type_key": "lecture",
                              "role": "attendee", "school_year": YEAR, "semester": 1, "hours": 2, "kind": "credit",
                              "round": 1, "reason": "", "created_by": 1, "created_at": now})
                written += 1
                if len(batch) == 50_000:
                    conn.execute(insert(CreditEntry), batch)
                    batch.clear()
    if batch:
        conn.execute(insert(CreditEntry), batch)
    db.session.commit()


def measure(name: str, run) -> None:
    """Wall time, CPU time of this process (user + system: what the export itself cost, whatever
    else shares the machine), time to the first byte and peak memory growth."""
    first: list[float] = []
    start = time.perf_counter()
    cpu = time.process_time()
    with PeakMemory() as mem:
        rows = run(lambda: first or first.append(time.perf_counter() - start))
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu
    ttfb = f"{first[0] * 1000:8.1f} ms" if first else "   (at end)"
    print(f"  {name:<42} rows {rows:>9,}  time {total:7.2f} s  cpu {cpu:7.2f} s  first byte {ttfb}  "
          f"peak +{mem.growth_mib:7.1f} MiB  load {os.getloadavg()[0]:.2f}", flush=True)


XLSX_DEFAULT = ["xlsxwriter-cells", "xlsxwriter"]  # before and after the whole-row writer
ENGINES = {"openpyxl": "openpyxl write-only", "xlsxwriter-cells": "XlsxWriter, cell by cell",
           "xlsxwriter": "XlsxWriter, whole rows"}


def run_size(
    rows: int, workdir: Path, once: bool = False, engines: list[str] | None = None, fill_only: bool = False
) -> None:
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.reports import exports

    url = os.environ.get("DATABASE_URL")
    uri = None if url else f"sqlite:///{workdir / f'bench-{rows}.db'}"
    config = {"SECRET_KEY": "bench-secret-key-0123456789"}
    if uri:
        config["SQLALCHEMY_DATABASE_URI"] = uri
    app = create_app(config)
    with app.app_context():
        if url:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()
        from sqlalchemy import func, select

        from portal.models import CreditEntry

        if not url and db.session.scalar(select(func.count(CreditEntry.id))) == rows:
            print(f"{rows:,} ledger rows on {db.engine.dialect.name}: filled before (--workdir)", flush=True)
        else:
            t0 = time.perf_counter()
            fill(db, rows)
            print(f"{rows:,} ledger rows on {db.engine.dialect.name}: filled in {time.perf_counter() - t0:.1f} s",
                  flush=True)
        db.session.remove()
        if fill_only:
            db.engine.dispose()
            return

        def csv_to(path: Path, ledger: bool):
            def run(on_first):
                n = 0
                with path.open("wb") as fh:
                    for chunk in exports.stream_district_csv(YEAR, ledger=ledger):
                        on_first()
                        n += chunk.count(b"\n")
                        fh.write(chunk)
                db.session.remove()
                return n - 1

            return run

        def xlsx_to(path: Path, ledger: bool, engine: str | None = None):
            def run(_on_first):
                n = exports.district_xlsx(YEAR, str(path), ledger=ledger, engine=engine)
                db.session.remove()
                return n

            return run

        measure("ledger CSV", csv_to(workdir / "ledger.csv", True))
        # the XLSX writers side by side, twice in the order A B B A (the CPU may be shared)
        chosen = list(dict.fromkeys(engines or XLSX_DEFAULT))
        for engine in chosen if once else chosen + chosen[::-1]:
            measure(f"ledger XLSX ({ENGINES[engine]})", xlsx_to(workdir / f"ledger-{engine}.xlsx", True, engine))
        measure("summary CSV (per teacher)", csv_to(workdir / "summary.csv", False))
        measure("summary XLSX (per teacher)", xlsx_to(workdir / "summary.xlsx", False))
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="ledger rows (repeatable); default 100k and 1M")
    parser.add_argument("--once", action="store_true", help="each XLSX writer once (default: twice, A B B A)")
    parser.add_argument("--engine", action="append", choices=sorted(ENGINES),
                        help="XLSX writer to measure (repeatable; default: XlsxWriter cell by cell and whole rows)")
    parser.add_argument("--workdir", help="keep the SQLite databases here and reuse a filled one "
                        "(fill ahead of time, measure later)")
    parser.add_argument("--fill-only", action="store_true", help="fill the databases of --workdir, measure nothing")
    args = parser.parse_args()
    if args.fill_only and not args.workdir:
        parser.error("--fill-only needs --workdir")
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="yanxiu-bench-") as tmp:
        for rows in args.rows or [100_000, 1_000_000]:
            run_size(rows, Path(args.workdir or tmp), args.once, args.engine, args.fill_only)


if __name__ == "__main__":
    main()
