"""The district's pages at 100 and 1,000 schools (issue 16): do they stay flat in the number of
schools? Not a test: nothing here is asserted on time.

    python tests/support/pg_server.py --keep-data /tmp/yanxiu-bench/pgdata -- \\
        sh -c 'python bench/district_bench.py --postgres "$YANXIU_TEST_DATABASE_URL"'
    python bench/district_bench.py --schools 20,200          # SQLite files in --data-dir

For each size it builds (once; kept on the server and reused, as ``bench/load/run.py`` does)
``--schools`` generated schools × 100 teachers × 1 school year (``bench/datagen.py``), every
school having submitted its year (``bench.run.find_targets``), and measures in process, for
the district dashboard, the submissions queue and the district's school table:

- the SQL statements of one request (warm-up first);
- cold (page cache off: every request computes everything, as the first look after a change
  does): median wall time and median CPU time of this process per request over ``--n``;
- warm (page cache on, after a first request): the same.

CPU time is this process's (``time.process_time``): the PostgreSQL server's work is not in it,
the other users of a shared machine are not either. The 1-minute load average is printed with
each size. The last table gives the cost at the largest size over the smallest.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    Store,
    build_database,
    client_of,
    find_targets,
    machine,
    make_app,
    open_store,
    statements_per_page,
)

PAGES = ("district dashboard", "submissions queue", "district")


def timed(app, targets, page: str, n: int) -> tuple[float, float]:
    """Median wall and CPU seconds of one request of ``page`` (after one not counted)."""
    who, url = targets.url(page)
    client = client_of(app, who)
    walls, cpus = [], []
    for i in range(n + 1):
        with app.app_context():
            w, c = time.perf_counter(), time.process_time()
            response = client.get(url)
            w, c = time.perf_counter() - w, time.process_time() - c
        if response.status_code != 200:
            raise RuntimeError(f"{page}: {response.status_code}")
        if i:
            walls.append(w)
            cpus.append(c)
    return median(walls), median(cpus)


def measure(store: Store, schools: int, instance: Path, n: int) -> dict[str, dict[str, float]]:
    name = f"load_s{schools}_t100_y1"  # the load benchmark's data: one generated database serves both
    marker = store.folder / f"{name}{'-pg' if store.postgres else ''}.json"  # build_database's
    kept = store.exists(name) and marker.exists()
    info = build_database(store, name, schools, 100, 1, instance)
    uri = store.uri(name)
    cold_app, warm_app = make_app(uri, instance, cache=False), make_app(uri, instance, cache=True)
    targets = find_targets(warm_app)
    counts = statements_per_page(cold_app, targets, PAGES)
    load = os.getloadavg()
    print(f"\n{schools:,} schools ({info['rows'].get('user_account', 0):,} users; "
          f"{'kept from an earlier run' if kept else 'generated in ' + str(info['seconds']) + ' s'}); "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    print("| page | statements | cold ms | cold CPU ms | warm ms | warm CPU ms |")
    print("|---|---:|---:|---:|---:|---:|")
    out: dict[str, dict[str, float]] = {}
    for page in PAGES:
        cold = timed(cold_app, targets, page, n)
        warm = timed(warm_app, targets, page, n)
        out[page] = {"statements": counts[page], "cold": cold[0], "cold_cpu": cold[1], "warm": warm[0],
                     "warm_cpu": warm[1]}
        print(f"| {page} | {counts[page]} | {cold[0] * 1000:.1f} | {cold[1] * 1000:.1f} | "
              f"{warm[0] * 1000:.1f} | {warm[1] * 1000:.1f} |", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for app in (cold_app, warm_app):
        with app.app_context():
            from portal.extensions import db

            db.session.remove()
            db.engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", metavar="URL", help="postgresql://user@host:port/any (default: SQLite files)")
    ap.add_argument("--schools", default="100,1000", help="sizes, smallest first (default 100,1000)")
    ap.add_argument("--n", type=int, default=20, help="requests measured per page and mode (default 20)")
    ap.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "yanxiu-bench"))
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.schools.split(",")]
    data = Path(args.data_dir)
    store, instance = open_store(data, args.postgres)
    print(f"machine: {machine()}; data on {store.describe()}")
    results = {size: measure(store, size, instance, args.n) for size in sizes}
    small, large = results[sizes[0]], results[sizes[-1]]
    if len(sizes) > 1:
        print(f"\ncost at {sizes[-1] // sizes[0]}× schools ({sizes[-1]:,} over {sizes[0]:,}):")
        print("| page | statements | cold | cold CPU | warm | warm CPU |")
        print("|---|---|---:|---:|---:|---:|")
        for page in PAGES:
            a, b = small[page], large[page]
            same = "same" if a["statements"] == b["statements"] else f"{a['statements']} → {b['statements']}"
            print(f"| {page} | {same} | " + " | ".join(
                f"{b[k] / a[k]:.2f}×" for k in ("cold", "cold_cpu", "warm", "warm_cpu")) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
