"""What a served request costs gunicorn's workers under different server settings (BENCHMARKS
round 52): several servers of the bench's data started side by side (page cache off), then short
``wrk`` runs of each page on each server, interleaved (the order turns each round), each reading
the workers' CPU around it as ``bench/run.py`` does. Reported per setting and page: req/s, the
workers' CPU a request (user + system), their context switches a request, and the ratio of the
page's req/s to the bare endpoint's of the same server in the same round.

    python bench/served_settings.py --data-dir /tmp/yanxiu-bench          # after bench/run.py made it
    python bench/served_settings.py --data-dir D --setting 1x4 --setting 1x1 --setting 1x4:sw=0.05

A setting is ``<workers>x<threads>`` with options: ``:sw=<seconds>`` (``sys.setswitchinterval``
in each worker, set by a gunicorn ``post_fork`` hook), ``:cpu=<n>`` (each worker held to CPU ``n``,
``os.sched_setaffinity``, before it starts its threads), ``:cache`` (the page cache on, as
``bench/run.py``'s first server). Never runs the whole bench.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    Targets,
    client_of,
    find_targets,
    free_port,
    make_app,
    measure_wrk,
    open_store,
    session_cookie,
)

PAGES = ("bare", "review queue", "teacher home", "activity page")


def workers_counters(master: int) -> tuple[float, float, int, int, float]:
    """User and system CPU seconds of gunicorn's workers, their threads' voluntary and
    involuntary context switches, and the CPU seconds of the workers' main threads (gthread's
    poller, which accepts and hands connections to the pool), from ``/proc``."""
    user = system = main = 0.0
    vol = invol = 0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        user += int(fields[11]) / tick
        system += int(fields[12]) / tick
        with contextlib.suppress(OSError):
            own = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            main += (int(own[11]) + int(own[12])) / tick
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                for line in (task / "status").read_text().splitlines():
                    if line.startswith("voluntary_ctxt_switches"):
                        vol += int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches"):
                        invol += int(line.split()[1])
    return user, system, vol, invol, main


def parse_setting(setting: str) -> tuple[int, int, dict[str, str]]:
    """``"1x4:sw=0.001:cpu=0:cache"`` → (workers, threads, options); ValueError for anything else."""
    shape, *extras = setting.split(":")
    workers, threads = (int(x) for x in shape.split("x"))
    options = {k: v for k, _, v in (e.partition("=") for e in extras)}
    if workers < 1 or threads < 1 or set(options) - {"sw", "cpu", "cache"}:
        raise ValueError(f"not a setting: {setting!r}")
    return workers, threads, options


def config_text(options: dict[str, str]) -> str:
    """A gunicorn config file whose ``post_fork`` hook applies the options in each worker, before
    it starts its threads (they inherit the affinity; the switch interval is the process's)."""
    lines = ["def post_fork(server, worker):", "    import os, sys"]
    if "sw" in options:
        lines.append(f"    sys.setswitchinterval({float(options['sw'])!r})")
    if "cpu" in options:
        lines.append(f"    os.sched_setaffinity(0, {{{int(options['cpu'])}}})")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def served(uri: str, instance: Path, setting: str) -> Iterator[tuple[str, int]]:
    workers, threads, options = parse_setting(setting)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": uri, "YANXIU_INSTANCE_PATH": str(instance), "PYTHONPATH": str(ROOT)}
    if "cache" not in options:
        env["YANXIU_CACHE_TYPE"] = "NullCache"
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as conf:
        conf.write(config_text(options))
    cmd = [sys.executable, "-m", "gunicorn", "-c", conf.name, "--workers", str(workers), "--worker-class", "gthread",
           "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "bench.wsgi_bench:app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        deadline = time.time() + 90
        while True:
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/_bench/bare")
                if conn.getresponse().status == 200:
                    break
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError(f"gunicorn {setting} did not start")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.unlink(conf.name)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--name", default="s10_t100_y2")
    ap.add_argument("--setting", action="append", help="<workers>x<threads>[:sw=<s>] (default 1x4, 1x1, 2x2)")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--in-process", type=int, default=100, help="requests in process a page and round")
    args = ap.parse_args()
    settings = args.setting or ["1x4", "1x1", "2x2"]
    for setting in settings:
        try:
            parse_setting(setting)
        except ValueError:
            ap.error(f"--setting {setting!r}: <workers>x<threads>[:sw=<seconds>][:cpu=<n>][:cache]")
    store, instance = open_store(Path(args.data_dir), None)
    uri = store.uri(args.name)
    app = make_app(uri, instance, cache=False)
    app.config["WTF_CSRF_ENABLED"] = True  # as served (bench/run.py's in-process app turns it off)
    targets: Targets = find_targets(app)
    clients = {page: client_of(app, targets.url(page)[0]) for page in PAGES}
    inproc: dict[str, list[tuple[float, float]]] = {}

    def in_process(page: str, n: int) -> tuple[float, float]:
        """The thread CPU of ``n`` requests of the page in this process: (mean, median) in ms."""
        url, times = targets.url(page)[1], []
        for _ in range(n):
            with app.app_context():
                t0 = time.thread_time()
                clients[page].get(url)
                times.append(time.thread_time() - t0)
        return 1000 * sum(times) / n, 1000 * median(times)

    for page in PAGES:
        in_process(page, 5)
    rows: dict[tuple[str, str], list[tuple[float, float, float, float, float, float]]] = {}
    with contextlib.ExitStack() as stack:
        servers = {s: stack.enter_context(served(uri, instance, s)) for s in settings}
        cookies: dict[tuple[str, str], str] = {}
        for s, (host, _) in servers.items():
            for page in PAGES:
                who, url = targets.url(page)
                if who:
                    cookies[s, who] = cookies.get((s, who)) or session_cookie(host, who)
                measure_wrk(host, url, cookies.get((s, who or ""), ""), 1, args.connections)  # warm
        for r in range(args.rounds):
            order = settings[r % len(settings):] + settings[: r % len(settings)]
            load = os.getloadavg()[0]
            for page in PAGES:
                who, url = targets.url(page)
                inproc.setdefault(page, []).append(in_process(page, args.in_process))
                for s in order:
                    host, master = servers[s]
                    u0, s0, v0, i0, m0 = workers_counters(master)
                    rate = measure_wrk(host, url, cookies.get((s, who or ""), ""), args.duration, args.connections)
                    u1, s1, v1, i1, m1 = workers_counters(master)
                    n = max(1, rate.requests)
                    rows.setdefault((s, page), []).append(
                        (rate.rps, 1000 * (u1 - u0) / n, 1000 * (s1 - s0) / n, (v1 - v0 + i1 - i0) / n, load,
                         1000 * (m1 - m0) / n))
                    if rate.errors:
                        print(f"{s} {page}: {rate.errors} errors", file=sys.stderr)
            print(f"round {r + 1} done, load {load:.1f}", file=sys.stderr)
    print("| setting | page | req/s (median) | vs bare, per round | worker CPU a request: user + sys (median) "
          "| of it the main thread | context switches a request | load |")
    print("|---|---|---:|---|---:|---:|---:|---|")
    for s in settings:
        bare = rows[s, "bare"]
        for page in PAGES:
            got = rows[s, page]
            ratios = ", ".join(f"{g[0] / b[0]:.0%}" for g, b in zip(got, bare, strict=True))
            cpu = median(g[1] + g[2] for g in got)
            print(f"| {s} | {page} | {median(g[0] for g in got):,.0f} | {ratios if page != 'bare' else ''} | "
                  f"{cpu:.2f} ms ({median(g[1] for g in got):.2f} + {median(g[2] for g in got):.2f}) | "
                  f"{median(g[5] for g in got):.2f} ms | {median(g[3] for g in got):.1f} | "
                  f"{min(g[4] for g in got):.1f}–{max(g[4] for g in got):.1f} |")
    print("\n| page | in process, thread CPU a request: mean (median) per round |\n|---|---|")
    for page in PAGES:
        print(f"| {page} | {', '.join(f'{a:.2f} ({m:.2f})' for a, m in inproc[page])} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
