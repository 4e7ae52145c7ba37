"""gunicorn as the README starts it, from the checkout (its ``gunicorn.conf.py``): several deployments
on one machine, and what a stopped server leaves behind."""

from __future__ import annotations

import json
import os
import re
import runpy
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from portal import create_app

CHECKOUT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
GUNICORNC = Path(sys.executable).parent / "gunicornc"


def served_env(home: Path, instance: Path) -> dict[str, str]:
    """A deployment's environment: its own instance folder; the user's home and runtime folder (where
    gunicorn's default control socket is) shared with any other deployment given the same ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YANXIU_", "SECRET_KEY", "DATABASE_URL"))}
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(home / "run"), YANXIU_INSTANCE_PATH=str(instance))
    (home / "run").mkdir(parents=True, exist_ok=True)
    return env


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    """A server started as the README says (1 worker here), until it answers: (master pid, port)."""
    with log.open("w") as out:
        master = subprocess.Popen([str(GUNICORN), "--workers", "1", "--bind", "127.0.0.1:0", "wsgi:app"],
                                  cwd=CHECKOUT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not (port := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text())) \
                or "Booting worker" not in log.read_text():
            assert master.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield master.pid, int(port.group(1))
    finally:
        stop(master)


def stop(master: subprocess.Popen[bytes]) -> None:
    if master.poll() is None:
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=30)


def answers(port: int) -> int:
    # a worker loads the app before its first answer: slow on a busy machine
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/favicon.svg", timeout=60) as r:
        return r.status


def controlled_master(socket: Path, env: dict[str, str]) -> int:
    """The pid of the master that answers ``gunicornc`` on ``socket``."""
    deadline = time.monotonic() + 10
    while not socket.exists():  # the master opens it in a thread of its own once it listens
        assert time.monotonic() < deadline, f"no control socket at {socket}"
        time.sleep(0.1)
    run = subprocess.run([str(GUNICORNC), "-s", str(socket), "-c", "show stats", "-j"],
                         env=env, capture_output=True, text=True, timeout=30, check=True)
    return int(json.loads(run.stdout)["pid"])


def test_two_deployments_on_one_machine_each_control_their_own_server(tmp_path):
    """A district's portal and its staging site, one user on one machine: both start and serve, and
    each has its control socket in its instance folder, answered by its own master — also after the
    other has stopped. Before, both took gunicorn's one path per user (~/.gunicorn/gunicorn.ctl): the
    second took it over, ``gunicornc -c shutdown`` meant for the portal stopped staging, and staging's
    stop removed it, leaving the portal without one."""
    home = tmp_path / "home"
    live, staging = served_env(home, tmp_path / "live"), served_env(home, tmp_path / "staging")
    with gunicorn(live, tmp_path / "live.log") as (live_pid, live_port):
        with gunicorn(staging, tmp_path / "staging.log") as (staging_pid, staging_port):
            assert answers(live_port) == 200 and answers(staging_port) == 200
            assert controlled_master(tmp_path / "live" / "gunicorn.ctl", live) == live_pid
            assert controlled_master(tmp_path / "staging" / "gunicorn.ctl", staging) == staging_pid
        assert not (tmp_path / "staging" / "gunicorn.ctl").exists()  # its master removed its own
        assert controlled_master(tmp_path / "live" / "gunicorn.ctl", live) == live_pid
        assert answers(live_port) == 200
    assert not list(home.rglob("*.ctl"))  # nothing of either at gunicorn's shared default


@pytest.mark.parametrize("given", [True, False])
def test_the_servers_instance_folder_is_the_apps(tmp_path, monkeypatch, given):
    """gunicorn.conf.py finds the instance folder without importing the portal (a master that did
    would serve the old code after a graceful reload): the same folder ``create_app`` uses."""
    if given:
        monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    else:
        monkeypatch.delenv("YANXIU_INSTANCE_PATH", raising=False)
    settings = runpy.run_path(str(CHECKOUT / "gunicorn.conf.py"))
    read = "import runpy, sys; runpy.run_path('gunicorn.conf.py'); print(sorted(m for m in sys.modules if 'portal' in m))"
    assert subprocess.run([sys.executable, "-c", read], cwd=CHECKOUT, capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert Path(settings["control_socket"]).parent == Path(app.instance_path)


def test_production_refuses_a_database_a_newer_release_upgraded(app, tmp_path):
    """Rolled back to this code without the backup made before upgrading: the database is at a
    revision this code does not know. The production start says so in one line per worker and
    stops (status 4), the database untouched. Before, every worker died with alembic's traceback
    ("Can't locate revision", "Worker failed to boot", status 3): ``pending_migrations`` meant to
    answer "nothing pending" there, but caught only one of the two errors alembic raises for it."""
    from sqlalchemy import text

    from portal.database import migration_state, pending_migrations
    from portal.extensions import db
    from tests.production.helpers import core_head, replace_version

    newer = "f0e1d2c3b4a5"  # a later release's migration, on top of the core's last
    replace_version(app, core_head(app), newer)
    before = sorted(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
    assert migration_state(app) == ([], [newer]) and pending_migrations(app) == []
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YANXIU_", "SECRET_KEY", "DATABASE_URL"))}
    env.update(YANXIU_ENV="production", SECRET_KEY="x" * 40, YANXIU_PUBLIC_URL="https://yanxiu.example.edu.cn",
               YANXIU_INSTANCE_PATH=str(tmp_path / "instance"), DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               TMPDIR=str(tmp_path))
    run = subprocess.run([str(GUNICORN), "--workers", "2", "--bind", "127.0.0.1:0", "wsgi:app"],
                         cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 4 and "App failed to load" in run.stderr and "Traceback" not in run.stderr, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error: ")]
    assert errors and all(f"upgraded by a newer release (revision {newer}" in line and "restore the backup" in line
                          and line.startswith(f"Error: 数据库已被更新的版本升级（修订 {newer}")
                          for line in errors), run.stderr
    db.session.remove()
    assert sorted(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()) == before


def test_an_instance_folder_that_cannot_be_made_is_said_in_one_line(tmp_path):
    """YANXIU_INSTANCE_PATH under a file (a typo, a volume not mounted): gunicorn says so in one
    line per worker and stops (status 4), and so does a command; nothing is made. Before, each
    worker and the command ended in ``mkdir``'s traceback ("Worker failed to boot", status 3)."""
    (tmp_path / "a-file").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("YANXIU_", "SECRET_KEY", "DATABASE_URL"))}
    env.update(YANXIU_ENV="production", SECRET_KEY="x" * 40, YANXIU_PUBLIC_URL="https://yanxiu.example.edu.cn",
               YANXIU_INSTANCE_PATH=str(tmp_path / "a-file" / "instance"), TMPDIR=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}", HOME=str(tmp_path / "home"))
    run = subprocess.run([str(GUNICORN), "--workers", "2", "--bind", "127.0.0.1:0", "wsgi:app"],
                         cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 4 and "App failed to load" in run.stderr and "Traceback" not in run.stderr, run.stderr
    said = "the instance folder '{}' (YANXIU_INSTANCE_PATH) cannot be made: Not a directory".format(
        tmp_path / "a-file" / "instance")
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error: ")]
    assert errors and all(said in line for line in errors), run.stderr
    command = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db", "current"],
                             cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=60)
    folder = repr(str(tmp_path / "a-file" / "instance"))  # Chinese, then English, in the one line
    chinese = f"无法创建实例文件夹 {folder}（YANXIU_INSTANCE_PATH）：Not a directory"
    assert command.returncode == 1 and command.stderr.strip() == f"Error: {chinese} — {said}", command.stderr
    assert all(line == f"Error: {chinese} — {said}" for line in errors), run.stderr  # once on PostgreSQL: say what
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # no database, no marker left


def test_a_branch_unknown_here_is_not_a_newer_release(app):
    """A plugin's branch the code does not know beside the code's own heads (the plugin removed
    without ``flask db downgrade <branch>@base``, or one a later release brought): nothing pending,
    nothing newer — the portal serves without that plugin's tables, as it would without the plugin.
    Before, alembic's error ended the start in a traceback as for a newer release."""
    from sqlalchemy import text

    from portal.database import migration_state
    from portal.extensions import db

    db.session.execute(text("INSERT INTO alembic_version (version_num) VALUES ('zz01_removed_plugin')"))
    db.session.commit()
    db.session.remove()
    assert migration_state(app) == ([], [])
