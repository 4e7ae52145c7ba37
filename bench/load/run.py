"""``make bench-load``: a district's morning with Locust against gunicorn on PostgreSQL.

Builds (once) a database of ``--schools`` generated schools × 100 teachers × 1 school year on
the PostgreSQL server of ``--postgres`` (``make bench-load`` starts a private one), serves it
with gunicorn (``--workers`` × ``--threads``, gthread, as ``make serve`` does), and for each
user count of ``--users`` runs ``bench/load/locustfile.py`` headless for ``--run-time``
seconds. Each run acts on a fresh slice of schools (``bench/load/plan.py``), so writes that
an earlier run made (approvals, credits) do not leave a later one without work. Prints, per
run, requests/s and p50/p95/p99 per page, the error count, and how many review decisions
reached the database; the highest rate whose overall p95 is ≤ 250 ms with no error is named.

The generated database is kept on the server (and, with ``make bench-load``, the server's data
directory too: ``tests/support/pg_server.py --keep-data``), so a later run starts at once; it
remembers which slices of schools earlier runs acted on and starts after them (``--plan-offset``
overrides; ``--rebuild`` generates the data again). gunicorn keeps idle client connections
open for ``--keep-alive`` seconds (75, longer than a Locust user's pause: its default of 2 s
closed connections that a user was about to reuse).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import build_database, make_app, open_store, serve  # noqa: E402
from bench.server_watch import TreeReport, Watch, postmaster_pid  # noqa: E402

P95_GOAL_MS = 250
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def locust(
    host: str, plan: Path, users: int, spawn_rate: float, run_time: int, out: Path
) -> tuple[list[dict], float, float | None]:
    """One headless Locust run: the rows of its ``_stats.csv`` (one per page, then
    Aggregated), the seconds measured, and when the measuring began (``time.time()`` of the
    moment every user had logged in; ``None`` if that moment never came)."""
    prefix = out / f"u{users}"
    cmd = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "-u", str(users), "-r", str(spawn_rate), "--run-time", f"{run_time}s", "--stop-timeout", "10",
        "--host", f"http://{host}", "--csv", str(prefix), "--loglevel", "WARNING",
    ]
    # Locust exits 1 when a request failed: the failures are in the figures, not a crash.
    env = {**os.environ, "YANXIU_LOAD_PLAN": str(plan), "YANXIU_LOAD_MARK": str(prefix) + ".mark"}
    started = time.time()
    proc = subprocess.run(cmd, env=env, cwd=ROOT)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"locust stopped with {proc.returncode}")
    with open(f"{prefix}_stats.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    mark = Path(f"{prefix}.mark")
    since = float(mark.read_text()) if mark.exists() else None
    measured = started + run_time - since if since is not None else 0.0
    return rows, measured, since


def decisions_since(app, since: datetime) -> dict[str, int]:
    """Transitions the run's reviewers got through (the rest were refused by a guard)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import TransitionLog

    with app.app_context():
        rows = db.session.execute(
            select(TransitionLog.trigger, func.count()).where(TransitionLog.created_at >= since)
            .group_by(TransitionLog.trigger)
        ).all()
        db.session.remove()
        return {trigger: n for trigger, n in rows}


def table(users: int, rows: list[dict], wall: float, decisions: dict[str, int]) -> str:
    lines = [
        f"**{users} users** ({wall:.0f} s measured, after every login; review decisions written: "
        + (", ".join(f"{k} {v}" for k, v in sorted(decisions.items())) or "none") + ")",
        "",
        "| page | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if not int(r["Request Count"]):
            continue  # the login pages: every login was before the statistics were reset
        lines.append(
            f"| {r['Name'] if r['Name'] != 'Aggregated' else '**all**'} | {int(r['Request Count']):,} | "
            f"{r['Failure Count']} | {float(r['Requests/s']):.1f} | {r['50%']} | {r['95%']} | {r['99%']} |"
        )
    return "\n".join(lines)


def database_pid(app) -> int | None:
    """PostgreSQL's postmaster, when the server runs on this machine and says where its files are."""
    from sqlalchemy import text

    from portal.extensions import db

    with app.app_context():
        try:
            folder = db.session.execute(text("SHOW data_directory")).scalar_one()
        except Exception:  # not allowed to read the setting: no database figures
            folder = None
        finally:
            db.session.remove()
    return postmaster_pid(folder) if folder else None


def resources(used: dict[str, TreeReport], requests: int, after_logins: bool) -> str:
    """What the run cost the host: memory of the web server's processes (gunicorn's master and
    workers), and CPU per request of the web server and of the database since the logins
    (``after_logins`` false: the logins never all finished, and their CPU is counted too)."""
    web = used["gunicorn"]
    lines = [
        f"gunicorn ({web.processes} processes): largest process {web.largest_start_mib:.0f} MiB at the start, "
        f"{web.largest_peak_mib:.0f} MiB at its peak; all together {web.total_peak_mib:.0f} MiB at the peak",
    ]
    for label, report in used.items():
        per = f"{1000 * report.cpu_s / requests:.1f} ms" if requests else "–"
        when = "after the logins" if after_logins else "logins included"
        lines.append(f"{label}: {report.cpu_s:.1f} s of CPU {when}, {per} per request")
    return "\n".join(lines)


class UsedSlices:
    """How many generated schools (in plan order) load runs on a kept database have acted on."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def next(self) -> int:
        try:
            return int(json.loads(self.path.read_text())["next"])
        except (OSError, ValueError, KeyError, TypeError):
            return 0

    def mark(self, end: int) -> None:
        self.path.write_text(json.dumps({"next": max(end, self.next())}))

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", required=True, metavar="URL", help="postgresql://user@host:port/any")
    ap.add_argument("--schools", type=int, default=1000, help="generated schools (default 1000)")
    ap.add_argument("--users", default="60,120,180,240", help="Locust user counts, one run each (default 60,120,180,240)")
    ap.add_argument("--run-time", type=int, default=90, help="seconds per run, logins included (default 90)")
    ap.add_argument("--spawn-rate", type=float, default=10, help="users started per second (default 10)")
    ap.add_argument("--plan-schools", type=int, default=20, help="schools whose people one run uses (default 20)")
    ap.add_argument("--plan-offset", type=int, default=None,
                    help="schools to pass over before the first run's slice (default: those earlier runs on "
                    "the kept database acted on)")
    ap.add_argument("--rebuild", action="store_true", help="generate the database again even if one is kept")
    ap.add_argument("--keep-alive", type=int, default=75,
                    help="seconds gunicorn keeps an idle connection open (default 75)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "yanxiu-bench"))
    args = ap.parse_args(argv)
    counts = [int(n) for n in args.users.split(",")]

    data = Path(args.data_dir)
    store, instance = open_store(data, args.postgres)
    name = f"load_s{args.schools}_t100_y1"
    used = UsedSlices(data / f"{name}-slices.json")
    if args.rebuild:
        store.drop(name)
    kept = store.exists(name) and not args.rebuild
    offset = args.plan_offset if args.plan_offset is not None else (used.next() if kept else 0)
    if offset + args.plan_schools * len(counts) > args.schools:
        ap.error(f"--plan-schools × runs from school {offset} is more than --schools"
                 + (" (earlier runs used the rest: --rebuild)" if kept and args.plan_offset is None else ""))
    print(f"data: {args.schools} schools × 100 teachers × 1 year on {store.describe()}"
          f"{' (kept: reused)' if kept else ''}; runs act on schools from no. {offset + 1} …", file=sys.stderr)
    info = build_database(store, name, args.schools, 100, 1, instance)
    if not kept:
        used.reset()
    print(f"data: {json.dumps(info)}", file=sys.stderr)
    uri = store.uri(name)
    app = make_app(uri, instance)
    if kept:  # a database kept from an older checkout gets this one's migrations
        from flask_migrate import upgrade

        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory, revision="heads")
    out = data / f"load-{datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True)
    from bench.load.plan import write_plan

    reports = []
    best: tuple[float, int] | None = None
    with serve(uri, instance, args.workers, args.threads, keep_alive=args.keep_alive) as served:
        host = served.host
        roots = {"gunicorn": served.pid}
        pg = database_pid(app)
        if pg is not None:
            roots["postgresql"] = pg
        idle = Watch(roots).start().stop()["gunicorn"]
        print(f"gunicorn answered its first request {served.start_s:.2f} s after it was started; "
              f"{idle.processes} processes, {idle.total_peak_mib:.0f} MiB together, the largest {idle.largest_peak_mib:.0f} MiB",
              flush=True)
        for i, users in enumerate(counts):
            plan = out / f"plan-u{users}.json"
            start = offset + i * args.plan_schools
            with app.app_context():
                write_plan(plan, start, args.plan_schools)
            used.mark(start + args.plan_schools)
            load = os.getloadavg()
            since = datetime.utcnow()
            watch = Watch(roots).start()
            rows, wall, measuring_since = locust(host, plan, users, args.spawn_rate, args.run_time, out)
            used_by = watch.stop(measuring_since)
            total = next(r for r in rows if r["Name"] == "Aggregated")
            report = table(users, rows, wall, decisions_since(app, since))
            report += "\n\n" + resources(used_by, int(total["Request Count"]), measuring_since is not None)
            report += f"\n\nload average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
            reports.append(report)
            print(report + "\n", flush=True)
            if int(total["Failure Count"]) == 0 and float(total["95%"]) <= P95_GOAL_MS:
                rate = float(total["Requests/s"])
                best = max(best or (0.0, 0), (rate, users))
    print(f"data: {json.dumps(info)}")
    if best:
        print(f"highest rate with p95 ≤ {P95_GOAL_MS} ms and no error: {best[0]:.1f} req/s ({best[1]} users)")
    else:
        print(f"no run had p95 ≤ {P95_GOAL_MS} ms with no error")
    print(f"Locust CSV files: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
