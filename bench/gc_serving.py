"""The garbage collector on the served pages: how many collections of each generation a page
sets off, what they cost, the process's memory over thousands of requests, and paired thread
CPU per page under two collector thresholds (BENCHMARKS.md, round 44).

    python bench/gc_serving.py census                       # the app's own setting
    python bench/gc_serving.py census --threshold 700,10,10 # Python's default
    python bench/gc_serving.py rss --threshold 700,10,10 --n 4000
    python bench/gc_serving.py paired --threshold 700,10,10 --against 20000,10,10 --rounds 20

The app is built as ``bench/profile_pages.py`` builds it (the 1× data of ``bench/run.py``,
page cache off, the test client), then settled as a served one is (``portal.settle_for_serving``:
the built app frozen, the setting ``GC_THRESHOLD`` applied); ``--threshold`` replaces the
setting's thresholds afterwards. Collections are timed with ``gc.callbacks`` in thread CPU.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.profile_pages import prepare  # noqa: E402
from bench.run import client_of  # noqa: E402

PAGES = ("teacher home", "review queue", "school summary", "activity page", "activities list")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class Collections:
    """Counts and times (thread CPU) the collector's passes per generation."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.cpu = [0.0, 0.0, 0.0]
        self.collected = 0
        self._began = 0.0
        gc.callbacks.append(self)

    def reset(self) -> None:
        self.count, self.cpu, self.collected = [0, 0, 0], [0.0, 0.0, 0.0], 0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._began = time.thread_time()
            return
        generation = info["generation"]
        self.count[generation] += 1
        self.cpu[generation] += time.thread_time() - self._began
        self.collected += info["collected"]


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE / 2**20


def served_app(data_dir: Path, threshold: tuple[int, ...] | None):
    from portal import settle_for_serving

    app, targets = prepare(data_dir)
    clients = {}
    for page in PAGES:
        who, url = targets.url(page)
        clients[page] = (client_of(app, who), url)
    settle_for_serving(app)
    if threshold:
        gc.set_threshold(*threshold)
    return app, clients


def get(app, clients, page: str, n: int) -> None:
    client, url = clients[page]
    for _ in range(n):
        with app.app_context():
            response = client.get(url)
        assert response.status_code == 200, (page, response.status_code)


def census(app, clients, pages, n: int) -> None:
    seen = Collections()
    print(f"thresholds {gc.get_threshold()}, frozen {gc.get_freeze_count():,}, rss {rss_mib():.1f} MiB", flush=True)
    for page in pages:
        get(app, clients, page, 30)
        seen.reset()
        began = time.thread_time()
        get(app, clients, page, n)
        cpu = (time.thread_time() - began) / n * 1e6
        per = [c / n for c in seen.count]
        cost = [t / n * 1e6 for t in seen.cpu]
        each = [t / c * 1e6 if c else 0.0 for t, c in zip(seen.cpu, seen.count, strict=True)]
        print(f"{page:16s} {cpu:7.0f} µs/req | collections/req gen0 {per[0]:.3f} gen1 {per[1]:.4f} "
              f"gen2 {per[2]:.4f} | µs/req {cost[0]:.1f} {cost[1]:.1f} {cost[2]:.1f} "
              f"(sum {sum(cost):.1f}, {sum(cost) / cpu:.1%}) | µs each {each[0]:.0f} {each[1]:.0f} "
              f"{each[2]:.0f} | collected/req {seen.collected / n:.1f} | rss {rss_mib():.1f}", flush=True)


def rss(app, clients, n: int, every: int) -> None:
    seen = Collections()
    print(f"thresholds {gc.get_threshold()}, rss at start {rss_mib():.1f} MiB", flush=True)
    done = 0
    while done < n:
        for page in PAGES:
            get(app, clients, page, every // len(PAGES))
            done += every // len(PAGES)
        print(f"{done:6d} requests: rss {rss_mib():6.1f} MiB, gc counts {gc.get_count()}, "
              f"collections {seen.count}, collected {seen.collected}", flush=True)
    left = gc.collect()
    print(f"a full collection at the end found {left} unreachable objects; rss {rss_mib():.1f} MiB; "
          f"peak (ru_maxrss) {__import__('resource').getrusage(0).ru_maxrss / 1024:.1f} MiB", flush=True)


def serve(app, clients) -> None:
    """Answers ``<page> <n>`` lines on stdin with the thread CPU (µs) per request."""
    print("ready", flush=True)
    for line in sys.stdin:
        page, n = line.rsplit(" ", 1)
        began = time.thread_time()
        get(app, clients, page, int(n))
        print((time.thread_time() - began) / int(n) * 1e6, flush=True)


def paired(args) -> None:
    def child(threshold: str, data_dir: str):
        cmd = [sys.executable, __file__, "serve", "--threshold", threshold, "--data-dir", data_dir]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert proc.stdout and proc.stdout.readline().strip() == "ready"
        return proc

    a = child(args.threshold, args.data_dir)
    b = child(args.against, args.data_dir_b or args.data_dir)

    def run(proc, page: str, n: int) -> float:
        proc.stdin.write(f"{page} {n}\n")
        proc.stdin.flush()
        return float(proc.stdout.readline())

    print(f"A {args.threshold} vs B {args.against}, load {os.getloadavg()}", flush=True)
    for page in args.page or PAGES:
        run(a, page, 30), run(b, page, 30)
        xs, ys = [], []
        for r in range(args.rounds):
            if r % 2 == 0:
                xs.append(run(a, page, args.n)), ys.append(run(b, page, args.n))
            else:
                ys.append(run(b, page, args.n)), xs.append(run(a, page, args.n))
        ratios = [y / x for x, y in zip(xs, ys, strict=True)]
        print(f"{page:16s} A {min(xs):6.0f}/{statistics.median(xs):6.0f}  B {min(ys):6.0f}/{statistics.median(ys):6.0f} "
              f"µs (min/median)  B/A per pair median {statistics.median(ratios):.3f}, of the sums {sum(ys) / sum(xs):.3f} "
              f"(pairs {args.rounds}, load {os.getloadavg()[0]:.1f})", flush=True)
    for proc in (a, b):
        proc.stdin.close()
        proc.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("census", "rss", "paired", "serve"))
    ap.add_argument("--threshold", help="gen0,gen1,gen2 set after settling (default: the app's GC_THRESHOLD)")
    ap.add_argument("--against", default="700,10,10", help="paired: B's thresholds")
    ap.add_argument("--page", action="append", choices=PAGES)
    ap.add_argument("--n", type=int, default=1000, help="requests per page (census), in all (rss), per block (paired)")
    ap.add_argument("--every", type=int, default=250, help="rss: requests between samples")
    ap.add_argument("--rounds", type=int, default=20, help="paired: blocks per page")
    ap.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "yanxiu-profile"))
    ap.add_argument("--data-dir-b", help="paired: B's own copy of the data")
    args = ap.parse_args(argv)
    if args.mode == "paired":
        paired(args)
        return 0
    threshold = tuple(int(x) for x in args.threshold.split(",")) if args.threshold else None
    app, clients = served_app(Path(args.data_dir), threshold)
    if args.mode == "census":
        census(app, clients, args.page or PAGES, args.n)
    elif args.mode == "rss":
        rss(app, clients, args.n, args.every)
    else:
        serve(app, clients)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
