"""A fresh worker's first visit to each main page, against its second (issue 19, round 45).

    python bench/first_requests.py --data-dir /tmp/yanxiu-profile            # this tree, 3 processes
    python bench/first_requests.py --tree /tmp/old-checkout --tree .         # trees alternated

Each run is a new process, as a gunicorn worker is after a restart (``--max-requests``, a
deploy): it imports ``bench/wsgi_bench.py`` as gunicorn does (which builds the app and settles
it for serving, ``portal.settle_for_serving``: the templates compiled where the tree does),
with the page cache off (every request renders its page), then asks each page of
``bench/run.py`` twice. Reported per page,
the median over the runs of each tree: the thread CPU of the first and the second request, the
templates Jinja compiled from source during the first (``Environment.compile`` calls) and the CPU
spent loading templates in it (``BaseLoader.load``: compiled or read from a bytecode cache); and
the worker's start (build + settle) and its resident memory then. ``--fresh-instance`` gives every run an empty instance folder
(no template bytecode kept from an earlier run); otherwise the runs of a tree share one, as the
workers of a deployment do. The data is ``bench/profile_pages.py``'s (built there on first use).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("teacher home", "school summary", "review queue", "activity page", "activities list", "district",
         "district dashboard", "submissions queue")

CHILD = r"""
import json, os, sys, time
root, uri, pages = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sys.path.insert(0, root)
t0 = time.thread_time()
import jinja2.environment, jinja2.loaders
counts = {"compile": 0, "load": 0.0}
compile_of = jinja2.environment.Environment.compile
def compile(self, *a, **k):
    counts["compile"] += 1
    return compile_of(self, *a, **k)
jinja2.environment.Environment.compile = compile
load_of = jinja2.loaders.BaseLoader.load
def load(self, *a, **k):
    s = time.thread_time()
    try:
        return load_of(self, *a, **k)
    finally:
        counts["load"] += time.thread_time() - s
jinja2.loaders.BaseLoader.load = load
import portal
settle_of, settled = portal.settle_for_serving, []
def settle(app, *a, **k):
    s = time.thread_time()
    settle_of(app, *a, **k)
    settled.append((time.thread_time() - s, counts["compile"]))
portal.settle_for_serving = settle
from bench.wsgi_bench import app  # as a gunicorn worker imports it
started = time.thread_time()
with open("/proc/self/statm") as statm:
    rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
from bench.run import client_of, find_targets
targets = find_targets(app)
out = {"build": started - t0 - settled[0][0], "settle": settled[0][0], "settle_compiles": settled[0][1], "rss": rss,
       "pages": {}}
for page in pages:
    who, url = targets.url(page)
    client = client_of(app, who)
    seen = []
    for _ in range(2):
        counts.update(compile=0, load=0.0)
        with app.app_context():
            s = time.thread_time()
            response = client.get(url)
            seen.append((time.thread_time() - s, counts["compile"], counts["load"], response.status_code))
    out["pages"][page] = seen
print("RESULT" + json.dumps(out))
"""


def run_once(tree: Path, uri: str, instance: Path) -> dict:
    env = dict(os.environ, YANXIU_INSTANCE_PATH=str(instance), DATABASE_URL=uri, YANXIU_CACHE_TYPE="NullCache")
    done = subprocess.run([sys.executable, "-c", CHILD, str(tree), uri, json.dumps(PAGES)], cwd=tree, env=env,
                          capture_output=True, text=True, check=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT"))
    return json.loads(line[len("RESULT"):])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tree", action="append", help="a checkout to measure (repeatable; default this one)")
    ap.add_argument("--runs", type=int, default=3, help="processes per tree")
    ap.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "yanxiu-profile"))
    ap.add_argument("--fresh-instance", action="store_true", help="an empty instance folder for every run")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from bench.profile_pages import prepare

    data = Path(args.data_dir)
    prepare(data)  # builds the data once
    uri = f"sqlite:///{data / 's10_t100_y2.db'}"
    trees = [Path(t).resolve() for t in (args.tree or [str(ROOT)])]
    kept = {tree: Path(tempfile.mkdtemp(prefix="first-requests-")) for tree in trees}
    results: dict[Path, list[dict]] = {tree: [] for tree in trees}
    for _ in range(args.runs):
        for tree in trees:  # alternated: the machine's load falls on every tree alike
            instance = Path(tempfile.mkdtemp(prefix="first-requests-")) if args.fresh_instance else kept[tree]
            results[tree].append(run_once(tree, uri, instance))
            if args.fresh_instance:
                shutil.rmtree(instance, ignore_errors=True)
    for folder in kept.values():
        shutil.rmtree(folder, ignore_errors=True)
    for tree, runs in results.items():
        print(f"\n{tree} — {len(runs)} processes, medians (thread CPU, ms)")
        print(f"  worker start: build {1000 * median(r['build'] for r in runs):.0f}, settle "
              f"{1000 * median(r['settle'] for r in runs):.0f} ({median(r['settle_compiles'] for r in runs):.0f} "
              f"templates compiled from source); resident {median(r['rss'] for r in runs):.1f} MiB once started")
        print(f"  {'page':<20} {'first':>7} {'second':>7} {'compiled':>9} {'loading':>8}")
        firsts = seconds = 0.0
        for page in PAGES:
            first = median(r["pages"][page][0][0] for r in runs) * 1000
            second = median(r["pages"][page][1][0] for r in runs) * 1000
            compiled = median(r["pages"][page][0][1] for r in runs)
            loading = median(r["pages"][page][0][2] for r in runs) * 1000
            firsts, seconds = firsts + first, seconds + second
            print(f"  {page:<20} {first:7.1f} {second:7.1f} {compiled:9.0f} {loading:8.1f}")
        print(f"  {'all pages':<20} {firsts:7.1f} {seconds:7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
