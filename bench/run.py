"""Benchmark suite (``make bench``; not part of the pass/fail test run).

Builds two SQLite databases with ``bench/datagen.py`` (1× and ``--factor``× as many schools,
each of ``--teachers`` teachers), then for each:

* serves the app with gunicorn on a loopback port and measures requests/s of the main pages
  and of a bare endpoint of the same app, with the same client (``wrk`` when installed,
  else a keep-alive ``http.client`` thread pool);
* counts SQL statements per page (in process, Flask test client).

The teacher home and the school summary cache their body (``portal/page_cache.py``): they
are measured as served (the cache warm, as for every visit after the first since the
school's data last changed) and again with the cache off (``CACHE_TYPE=NullCache``: every
request renders, as a first visit does), each against the bare endpoint of its own server.
Each HTTP figure is the median of ``--repeats`` runs of ``wrk`` (new connections each run:
how gunicorn's workers share keep-alive connections varies from run to run). Beside
each page's req/s the table gives what a request cost gunicorn's workers in CPU (read from
``/proc`` around each run): 1 / req/s is that only when a worker has a core to itself.

Then, on a copy of the 1× database: transitions per second through the service layer (with
the database), the workflow engine's own time per trigger, and an activity page request in
process for comparison. Finally ``bench/export_bench.py`` (if present) is run and its output
included. Everything is printed as one Markdown table; paste it into ``BENCHMARKS.md``.

    python bench/run.py                       # 10 and 100 schools of 100 teachers, 2 years
    python bench/run.py --schools 2 --duration 2   # a quick look
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ("bare", "teacher home", "school summary", "review queue", "activity page", "activities list", "district",
         "district dashboard", "submissions queue")
COLD = {
    "teacher home (cache off)": "teacher home",
    "school summary (cache off)": "school summary",
    "district (cache off)": "district",
}
ALL_PAGES = (*PAGES, *COLD)
GOALS = {
    "teacher home": 0.25,
    "school summary": 0.10,
}


# -- data ------------------------------------------------------------------------------------


@dataclass
class Store:
    """Where the benchmark databases live: SQLite files in the data folder, or databases on a
    PostgreSQL server (``--postgres URL``, e.g. the private server of
    ``tests/support/pg_server.py``: ``make bench-postgres``)."""

    folder: Path
    postgres: str | None = None

    def uri(self, name: str) -> str:
        if self.postgres is None:
            return f"sqlite:///{self.folder / name}.db"
        from sqlalchemy.engine import make_url

        url = make_url(self.postgres).set(drivername="postgresql+psycopg", database=name)
        return url.render_as_string(hide_password=False)

    def exists(self, name: str) -> bool:
        if self.postgres is None:
            return (self.folder / f"{name}.db").exists()
        return bool(self._admin(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))

    def drop(self, name: str) -> None:
        if self.postgres is None:
            for suffix in (".db", ".db-wal", ".db-shm"):
                (self.folder / f"{name}{suffix}").unlink(missing_ok=True)
        else:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create(self, name: str) -> None:
        if self.postgres is not None:
            self._admin(f'CREATE DATABASE "{name}"')

    def copy(self, name: str, target: str) -> None:
        """A consistent copy (SQLite's backup API; PostgreSQL's ``CREATE DATABASE … TEMPLATE``)."""
        self.drop(target)
        if self.postgres is None:
            with contextlib.closing(sqlite3.connect(self.folder / f"{name}.db")) as src, contextlib.closing(
                sqlite3.connect(self.folder / f"{target}.db")
            ) as dst:
                src.backup(dst)  # consistent even with a WAL file beside the database
        else:
            self._admin(f'CREATE DATABASE "{target}" TEMPLATE "{name}"')

    def size(self, name: str) -> int:
        if self.postgres is None:
            return (self.folder / f"{name}.db").stat().st_size
        return int(self._admin(f"SELECT pg_database_size('{name}')")[0][0])

    def describe(self) -> str:
        if self.postgres is None:
            return f"SQLite {sqlite3.sqlite_version}"
        return "PostgreSQL " + str(self._admin("SHOW server_version")[0][0])

    def _admin(self, sql: str) -> list:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.uri("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                result = conn.execute(text(sql))
                return result.all() if result.returns_rows else []
        finally:
            engine.dispose()


def open_store(data: Path, postgres: str | None) -> tuple[Store, Path]:
    """The benchmark databases in ``data`` (or on ``postgres``) and the instance folder every
    app of the run uses (made, and named in the environment for the subprocesses)."""
    instance = data / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    os.environ["YANXIU_INSTANCE_PATH"] = str(instance)
    return Store(data, postgres), instance


def make_app(uri: str, instance: Path, cache: bool = True):
    """The in-process app: the real app with the bench routes, settled for serving as a served
    worker is (its objects frozen, ``GC_THRESHOLD`` applied) but with its templates compiled on
    first use, as the pages' warm-up requests do. (Until round 45 this imported
    ``bench.wsgi_bench``, which built and settled a second app of its own on import.)"""
    from bench.routes import add_bench_routes
    from portal import create_app, settle_for_serving

    config = {"SQLALCHEMY_DATABASE_URI": uri, "WTF_CSRF_ENABLED": False}
    if not cache:
        config["CACHE_TYPE"] = "NullCache"
    app = add_bench_routes(create_app(config))
    settle_for_serving(app, templates=False)
    return app


def build_database(store: Store, name: str, schools: int, teachers: int, years: int, instance: Path) -> dict:
    """Migrate and fill database ``name`` unless a finished one is there; return what it holds."""
    marker = store.folder / f"{name}{'-pg' if store.postgres else ''}.json"
    if store.exists(name) and marker.exists():
        _refresh_statistics(store.uri(name), instance)  # as the worker does every night
        return json.loads(marker.read_text())
    store.drop(name)
    store.create(name)
    from flask_migrate import upgrade

    from bench.datagen import generate, table_counts
    from portal.extensions import db

    app = make_app(store.uri(name), instance)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory, revision="heads")
        report = generate(schools, teachers, years, seed=7)
        info = {"seconds": round(report.seconds, 1), "rows": table_counts(), "schools": schools}
        db.session.remove()
        db.engine.dispose()
    info["bytes"] = store.size(name)
    marker.write_text(json.dumps(info))
    return info


def _refresh_statistics(uri: str, instance: Path) -> None:
    """The planner's statistics of a kept database, as fresh as a deployment's
    (``portal.services.planner_stats``; a database made before they were gathered has none)."""
    from portal.extensions import db
    from portal.services import planner_stats

    app = make_app(uri, instance)
    with app.app_context():
        planner_stats.refresh()
        db.session.remove()
        db.engine.dispose()


@dataclass
class Targets:
    """Who views each page and which activity is shown (the first generated school)."""

    teacher: str = "g0001-t008"
    admin: str = "g0001-t001"
    reviewer: str = "g0001-t002"
    district: str = ""
    district_reviewer: str = ""
    activity_id: int = 0

    def url(self, page: str) -> tuple[str | None, str]:
        page = COLD.get(page, page)
        return {
            "bare": (None, "/_bench/bare"),
            "teacher home": (self.teacher, "/"),
            "school summary": (self.admin, "/reports/summary"),
            "review queue": (self.reviewer, "/review"),
            "activity page": (self.admin, f"/activities/{self.activity_id}"),
            "activities list": (self.admin, "/activities"),
            "district": (self.district, "/district"),
            "district dashboard": (self.district, "/district/dashboard"),
            "submissions queue": (self.district_reviewer, "/district/submissions"),
        }[page]


def find_targets(app) -> Targets:
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Activity, Participation, School, User
    from portal.services import users

    with app.app_context():
        school_id = db.session.execute(select(School.id).where(School.code == "G0001")).scalar_one()
        busiest = db.session.execute(
            select(Activity.id)
            .join(Participation, Participation.activity_id == Activity.id)
            .where(Activity.school_id == school_id, Activity.state == "credited")
            .group_by(Activity.id)
            .order_by(func.count(Participation.id).desc(), Activity.id)
            .limit(1)
        ).scalar_one()
        district = db.session.execute(select(User.username).where(User.username == "bench-district")).scalar()
        if district is None:
            users.create_user("bench-district", "bench-password", "区教研员", None, ["district_admin"])
        if users.by_username("bench-dreviewer") is None:
            users.create_user("bench-dreviewer", "bench-password", "区审核员", None, ["district_reviewer"])
        _submitted_years()
        db.session.remove()
    return Targets(activity_id=busiest, district="bench-district", district_reviewer="bench-dreviewer")


def _submitted_years() -> None:
    """Every generated school has submitted the current year (its figures as the queue and the
    dashboard read them: aggregate columns; the frozen teacher rows are left empty here)."""
    from decimal import Decimal

    from sqlalchemy import func, insert, select

    from portal.database import write_transaction
    from portal.extensions import db
    from portal.models import Membership, School, YearSubmission
    from portal.timeutil import current_school_year, utcnow

    if db.session.scalar(select(func.count(YearSubmission.id))):
        return
    year = current_school_year()
    admin = db.session.execute(select(Membership.user_id).where(Membership.role == "school_admin")).scalars().first()
    schools = db.session.execute(select(School.id, School.district_id)).all()
    now = utcnow()
    with write_transaction() as s:
        s.execute(insert(YearSubmission), [
            {"district_id": did, "school_id": sid, "school_year": year, "semester": 0, "round": 1,
             "status": "submitted", "teachers": 100, "met": 60, "short": 30, "not_recognised": 5, "exempt": 5,
             "total_hours": Decimal("5000"), "by_type": {}, "rows": [], "summary_xlsx": b"", "comment": "",
             "teacher_comments": {}, "submitted_by": admin, "submitted_at": now}
            for sid, did in schools
        ])


# -- SQL statements per page ----------------------------------------------------------------


def statements_per_page(app, targets: Targets, pages: tuple[str, ...] = PAGES) -> dict[str, int]:
    from sqlalchemy import event

    from portal.extensions import db

    out: dict[str, int] = {}
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA)", statement, re.I):
            seen.append(statement)

    for page in pages:
        who, url = targets.url(page)
        client = client_of(app, who)
        with app.app_context():
            client.get(url)  # warm-up
        event.listen(engine, "before_cursor_execute", count)
        seen.clear()
        with app.app_context():
            response = client.get(url)
        event.remove(engine, "before_cursor_execute", count)
        out[page] = len(seen) if response.status_code == 200 else -response.status_code
    return out


def client_of(app, username: str | None):
    """A test client logged in as ``username`` (none: anonymous), without the login form."""
    from portal.services import users

    client = app.test_client()
    if username:
        with app.app_context():
            user = users.by_username(username)
            with client.session_transaction() as sess:
                sess["_user_id"] = user.get_id()
                sess["_fresh"] = True
    return client


def page_seconds_in_process(app, targets: Targets, page: str, n: int = 200) -> float:
    who, url = targets.url(page)
    client = client_of(app, who)
    times = []
    for _ in range(n):
        with app.app_context():
            t0 = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - t0)
    return median(times)


# -- HTTP ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Served:
    """A running gunicorn: where it listens, its master process, and how long it took from
    being started to answering its first request (imports, ``create_app``, workers forked)."""

    host: str
    pid: int
    start_s: float


@contextlib.contextmanager
def serve(
    uri: str, instance: Path, workers: int, threads: int, cache: bool = True, keep_alive: int | None = None
) -> Iterator[Served]:
    """gunicorn serving the app on a free port; ``keep_alive``: seconds an idle client
    connection stays open (gunicorn's default is 2)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": uri,
        "YANXIU_INSTANCE_PATH": str(instance),
        "PYTHONPATH": str(ROOT),
    }
    if not cache:
        env["YANXIU_CACHE_TYPE"] = "NullCache"
    cmd = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "gthread",
        "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
        *(["--keep-alive", str(keep_alive)] if keep_alive is not None else []),
        "bench.wsgi_bench:app",
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    try:
        deadline = time.time() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/_bench/bare")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.05)
        yield Served(f"127.0.0.1:{port}", proc.pid, time.perf_counter() - started)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # requests still queued (a slow page): stop it now
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def gunicorn(
    uri: str, instance: Path, workers: int, threads: int, cache: bool = True, keep_alive: int | None = None
) -> Iterator[str]:
    """:func:`serve`, giving only the host and port it listens on."""
    with serve(uri, instance, workers, threads, cache, keep_alive) as served:
        yield served.host


def session_cookie(host: str, username: str) -> str:
    conn = http.client.HTTPConnection(host, timeout=10)
    conn.request("GET", f"/_bench/login/{username}")
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"login of {username} failed: {response.status}")
    cookies = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
    # One page view, as a browser would make, so the cookie also carries what the first page
    # stores in the session (chosen school, CSRF secret); wrk never updates its cookie.
    conn.request("GET", "/", headers={"Cookie": "; ".join(cookies)})
    response = conn.getresponse()
    response.read()
    updated = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
    return "; ".join(updated or cookies)


@dataclass
class Rate:
    rps: float
    latency_ms: float
    errors: int = 0
    requests: int = 0  # answered in the run
    cpu_ms: float | None = None  # the server's workers' CPU a request (None: not read)


def workers_cpu_seconds(master: int) -> float | None:
    """The CPU time (user + system) the children of process ``master`` (gunicorn's workers) have
    used so far, from ``/proc`` (None where there is none). Read around a run of requests, it says
    what a request costs the workers, whatever else the machine runs: 1 / req/s equals it only
    when a worker has a core to itself (BENCHMARKS round 50)."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        total = 0
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    except (OSError, IndexError, ValueError):
        return None
    return total / os.sysconf("SC_CLK_TCK")


def measure_wrk(host: str, path: str, cookie: str, duration: float, connections: int) -> Rate:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, f"http://{host}{path}"], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = re.search(r"Latency\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[lat.group(2)]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    done = re.search(r"(\d+) requests in", out)
    return Rate(rps, float(lat.group(1)) * scale, int(bad.group(1)) if bad else 0, int(done.group(1)) if done else 0)


def measure_python(host: str, path: str, cookie: str, duration: float, connections: int) -> Rate:
    """The fallback client: ``connections`` keep-alive connections, one thread each."""
    done, errors, latencies = [0], [0], []
    lock = threading.Lock()
    stop = time.perf_counter() + duration
    headers = {"Cookie": cookie} if cookie else {}

    def worker() -> None:
        conn = http.client.HTTPConnection(host, timeout=30)
        n = bad = 0
        mine = []
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t0)
            n += 1
            bad += response.status != 200
        with lock:
            done[0] += n
            errors[0] += bad
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    t_start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t_start
    return Rate(done[0] / elapsed, 1000 * sum(latencies) / max(1, len(latencies)), errors[0], done[0])


def http_rates(
    host: str, targets: Targets, duration: float, connections: int, pages: tuple[str, ...], repeats: int,
    master: int | None = None,
) -> dict[str, Rate]:
    """The median of ``repeats`` runs per page (by requests/s); with gunicorn's ``master`` process,
    each run also reads its workers' CPU a request (``Rate.cpu_ms``)."""
    plain = measure_wrk if shutil.which("wrk") else measure_python

    def measure(host: str, path: str, cookie: str, duration: float, connections: int) -> Rate:
        before = workers_cpu_seconds(master) if master else None
        rate = plain(host, path, cookie, duration, connections)
        after = workers_cpu_seconds(master) if master else None
        if before is not None and after is not None and rate.requests:
            rate.cpu_ms = 1000 * (after - before) / rate.requests
        return rate
    cookies: dict[str, str] = {}
    out: dict[str, Rate] = {}
    for page in pages:
        who, url = targets.url(page)
        if who and who not in cookies:
            cookies[who] = session_cookie(host, who)
        measure(host, url, cookies.get(who, ""), 1, connections)  # warm every worker
        runs = sorted(
            (measure(host, url, cookies.get(who, ""), duration, connections) for _ in range(repeats)),
            key=lambda r: r.rps,
        )
        out[page] = runs[len(runs) // 2]
    return out


# -- workflow --------------------------------------------------------------------------------


def workflow_numbers(store: Store, name: str, instance: Path, targets: Targets, n: int = 200) -> dict[str, float]:
    """Triggers through the service layer (database, log, ledger) and the engine alone."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Activity, Membership, User
    from portal.registry import registry
    from portal.services import activities, schools, transitions
    from portal.services.snapshots import context
    from portal.timeutil import utcnow

    copy = "workflow_copy"
    store.copy(name, copy)
    app = make_app(store.uri(copy), instance)
    out: dict[str, float] = {}
    with app.app_context():
        planned = db.session.execute(
            select(Activity.id, Activity.school_id, Activity.organizer_id).where(Activity.state == "planned").limit(n)
        ).all()
        db.session.remove()
        t0 = time.perf_counter()
        for act_id, school_id, organizer_id in planned:  # each as a request would: a fresh session
            transitions.fire(act_id, school_id, db.session.get(User, organizer_id), "cancel", "改期")
            db.session.remove()
        out["cancel per s"] = len(planned) / (time.perf_counter() - t0)
        credited = db.session.execute(
            select(Activity.id, Activity.school_id, Activity.organizer_id).where(Activity.state == "credited").limit(n)
        ).all()
        reviewers: dict[int, list[int]] = {}
        for sid, uid in db.session.execute(
            select(Membership.school_id, Membership.user_id).where(Membership.role == "reviewer")
        ).all():
            reviewers.setdefault(sid, []).append(uid)
        busy = {
            act_id: set(ids)
            for act_id, ids in _participants([a for a, _s, _o in credited]).items()
        }
        done = 0
        t0 = time.perf_counter()
        for act_id, school_id, organizer_id in credited:
            taken = busy.get(act_id, set()) | {organizer_id}
            actor = next((u for u in reviewers.get(school_id, []) if u not in taken), None)
            if actor is None:
                continue
            transitions.fire(act_id, school_id, db.session.get(User, actor), "revoke", "复核")
            db.session.remove()
            done += 1
        out["revoke per s"] = done / (time.perf_counter() - t0)
        # the engine alone: check + fire on the shared machine, no database
        act = db.session.get(Activity, targets.activity_id)
        reg = registry().get(act.type_key)
        people = activities.participants_with_users(act.id)
        settings = schools.type_settings(act.school_id, act.type_key)
        ctx = context(act, people, [], settings, act.organizer_id, frozenset({"owner", "organizer"}), utcnow(),
                      "改期")  # its participants are told why (a cancel asks a reason of them)
        engine = reg.engine
        rounds = 5000
        t0 = time.perf_counter()
        for _ in range(rounds):
            engine.fire("planned", "cancel", ctx)
        out["engine us"] = 1e6 * (time.perf_counter() - t0) / rounds
        db.session.remove()
        db.engine.dispose()
    main_app = make_app(store.uri(name), instance)
    out["activity page in-process ms"] = 1000 * page_seconds_in_process(main_app, targets, "activity page")
    out["engine share"] = out["engine us"] / 1000 / out["activity page in-process ms"]
    store.drop(copy)
    return out


def _participants(activity_ids: list[int]) -> dict[int, list[int]]:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Participation

    out: dict[int, list[int]] = {}
    for act_id, uid in db.session.execute(
        select(Participation.activity_id, Participation.user_id).where(Participation.activity_id.in_(activity_ids))
    ).all():
        out.setdefault(act_id, []).append(uid)
    return out


# -- exports ---------------------------------------------------------------------------------


def export_numbers(rows: list[int] | None) -> str:
    script = ROOT / "bench" / "export_bench.py"
    if not script.exists():
        return "(bench/export_bench.py not present)"
    extra = [f"--rows={n}" for n in rows or []]
    result = subprocess.run([sys.executable, str(script), *extra], cwd=ROOT, capture_output=True, text=True)
    text = result.stdout.strip()
    if result.returncode != 0:
        text += f"\n(export_bench.py exited {result.returncode}: {result.stderr.strip()[-500:]})"
    return text


# -- report ----------------------------------------------------------------------------------


def machine() -> str:
    mem = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) // 1024} MiB"
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next(
            (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
             if line.startswith("model name")),
            "",
        )
    import sqlalchemy

    return (
        f"nproc {os.cpu_count()} ({cpu}), memory {mem}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, SQLAlchemy {sqlalchemy.__version__}, {platform.platform()}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schools", type=int, default=10, help="schools at 1× (default 10)")
    ap.add_argument("--factor", type=int, default=10, help="the larger data set has this many times the schools")
    ap.add_argument("--teachers", type=int, default=100)
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per HTTP measurement")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument(
        "--workers", type=int, default=1,
        help="gunicorn workers (default 1: with several, which worker holds wrk's keep-alive "
        "connections changes from run to run and the ratios swing by 2-3x)",
    )
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3, help="HTTP runs per page; the median is reported")
    ap.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "yanxiu-bench"))
    ap.add_argument("--fresh", action="store_true", help="regenerate the databases")
    ap.add_argument("--no-http", action="store_true", help="skip the gunicorn measurements")
    ap.add_argument("--export-rows", type=int, action="append",
                    help="ledger rows for bench/export_bench.py (repeatable; default its own: 100k and 1M)")
    ap.add_argument("--no-exports", action="store_true", help="skip bench/export_bench.py")
    ap.add_argument(
        "--postgres", metavar="URL",
        help="a PostgreSQL server (postgresql://user@host:port/any): the databases are created there "
        "instead of SQLite files (make bench-postgres starts a private server)",
    )
    args = ap.parse_args(argv)
    # refused before any data is built: a count of 0 or a single scale failed only at the report
    for name, least in (("schools", 1), ("factor", 2), ("teachers", 1), ("years", 1), ("connections", 1),
                        ("workers", 1), ("threads", 1), ("repeats", 1)):
        if getattr(args, name) < least:
            ap.error(f"--{name} must be at least {least}" + (" (the report compares two sizes)" if name == "factor" else ""))
    if not (args.duration > 0 and math.isfinite(args.duration)):
        ap.error("--duration must be more than 0 seconds, and finite")

    data = Path(args.data_dir)
    if args.fresh and data.exists():
        shutil.rmtree(data)
    store, instance = open_store(data, args.postgres)
    scales = {"1×": args.schools, f"{args.factor}×": args.schools * args.factor}
    info, stmts, rates, inproc = {}, {}, {}, {}
    targets = Targets()
    for label, n_schools in scales.items():
        name = f"s{n_schools}-t{args.teachers}-y{args.years}".replace("-", "_")
        print(f"[{label}] data: {n_schools} schools × {args.teachers} teachers × {args.years} years …", file=sys.stderr)
        info[label] = build_database(store, name, n_schools, args.teachers, args.years, instance)
        uri = store.uri(name)
        shutil.rmtree(instance / "cache", ignore_errors=True)
        app, cold_app = make_app(uri, instance), make_app(uri, instance, cache=False)
        targets = find_targets(app)
        stmts[label] = {**statements_per_page(app, targets), **statements_per_page(cold_app, targets, tuple(COLD))}
        inproc[label] = {p: 1000 * page_seconds_in_process(app, targets, p, n=30) for p in PAGES if p != "bare"}
        inproc[label].update({p: 1000 * page_seconds_in_process(cold_app, targets, p, n=30) for p in COLD})
        if not args.no_http:
            print(f"[{label}] HTTP …", file=sys.stderr)
            with serve(uri, instance, args.workers, args.threads) as served:
                rates[label] = http_rates(served.host, targets, args.duration, args.connections, PAGES, args.repeats,
                                          served.pid)
            with serve(uri, instance, args.workers, args.threads, cache=False) as served:
                cold = http_rates(served.host, targets, args.duration, args.connections, ("bare", *COLD), args.repeats,
                                  served.pid)
            rates[label].update({p: cold[p] for p in COLD})
            rates[label]["bare (cache-off server)"] = cold["bare"]
        for a in (app, cold_app):  # close their pooled connections (PostgreSQL copies need none open)
            with a.app_context():
                from portal.extensions import db

                db.engine.dispose()
        if label == "1×":
            print("[1×] workflow …", file=sys.stderr)
            wf = workflow_numbers(store, name, instance, targets)
    print("[exports] …", file=sys.stderr)
    exports = "(skipped)" if args.no_exports else export_numbers(args.export_rows)

    one, big = scales
    lines = [f"Machine: {machine()}", f"Database: {store.describe()}", ""]
    lines.append("| data | schools | teachers | activities | participations | ledger rows | DB size | generated in |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label in scales:
        r = info[label]["rows"]
        lines.append(
            f"| {label} | {info[label]['schools']:,} | {r['user_account']:,} | {r['activity']:,} | "
            f"{r['participation']:,} | {r['credit_entry']:,} | {info[label]['bytes'] / 2**20:.0f} MiB | "
            f"{info[label]['seconds']} s |"
        )
    lines.append("")
    head = "| page | SQL 1× | SQL 10× | in-process 1× | in-process 10× |"
    sep = "|---|---:|---:|---:|---:|"
    if rates:
        head += (f" req/s 1× | vs bare 1× | req/s {big} | vs bare {big} | cost {big} / 1× | latency 1× |"
                 " worker CPU a request 1× | goal |")
        sep += "---:|---:|---:|---:|---:|---:|---:|---|"
    lines += [head.replace("10×", big), sep]
    for page in ALL_PAGES:
        ms = [f"{inproc[k][page]:.1f} ms" if page in inproc[k] else "–" for k in (one, big)]
        row = f"| {page} | {stmts[one][page]} | {stmts[big][page]} | {ms[0]} | {ms[1]} |"
        if rates:
            a, b = rates[one][page], rates[big][page]
            bare = "bare (cache-off server)" if page in COLD else "bare"
            bare_a, bare_b = rates[one][bare].rps, rates[big][bare].rps
            goal = ""
            if page in GOALS:
                ok = a.rps / bare_a >= GOALS[page]
                goal = f"≥ {GOALS[page]:.0%} of bare: {'met' if ok else 'missed'}"
            errors = f" ({a.errors + b.errors} errors)" if a.errors + b.errors else ""
            cost = f"{a.rps / b.rps:.2f}" if b.rps else "–"
            cpu = f"{a.cpu_ms:.2f} ms" if a.cpu_ms is not None else "–"
            row += (
                f" {a.rps:,.0f}{errors} | {a.rps / bare_a:.0%} | {b.rps:,.0f} | {b.rps / bare_b:.0%} | "
                f"{cost} | {a.latency_ms:.1f} ms | {cpu} | {goal} |"
            )
        lines.append(row)
    if rates:
        lines.append(
            f"| bare (cache-off server) | | | | | {rates[one]['bare (cache-off server)'].rps:,.0f} | | "
            f"{rates[big]['bare (cache-off server)'].rps:,.0f} | | | | | |"
        )
    lines += [
        "",
        "| workflow (1× data) | value |",
        "|---|---:|",
        f"| cancel through the service (DB write, log row) | {wf['cancel per s']:,.0f} /s |",
        f"| revoke through the service (DB write, reversal rows, log row) | {wf['revoke per s']:,.0f} /s |",
        f"| `WorkflowEngine.fire` alone | {wf['engine us']:.1f} µs |",
        f"| activity page, in process (median) | {wf['activity page in-process ms']:.2f} ms |",
        f"| engine share of an activity page request | {wf['engine share']:.2%} (goal < 5%) |",
        "",
        "Exports (bench/export_bench.py):",
        "",
        exports,
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
