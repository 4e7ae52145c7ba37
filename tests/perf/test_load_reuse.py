"""A kept load database is reused: the private server's files stay (``pg_server.py --keep-data``),
later runs start after the schools earlier ones acted on, and gunicorn keeps connections open."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bench.load.run import UsedSlices

ROOT = Path(__file__).resolve().parents[2]
PG_SERVER = ROOT / "tests" / "support" / "pg_server.py"


def test_used_slices_remember_the_furthest_school(tmp_path):
    used = UsedSlices(tmp_path / "slices.json")
    assert used.next() == 0
    used.mark(20)
    used.mark(10)  # an earlier slice given again by hand does not move the mark back
    assert UsedSlices(tmp_path / "slices.json").next() == 20
    (tmp_path / "slices.json").write_text("not json")
    assert used.next() == 0
    used.reset()
    used.reset()  # nothing there: still fine
    assert used.next() == 0


def _psql(sql: str) -> list[str]:
    """Run ``sql`` on the kept server through a child process that has its URL."""
    code = (
        "import os, sys, psycopg\n"
        "with psycopg.connect(os.environ['YANXIU_TEST_DATABASE_URL'], autocommit=True) as c:\n"
        f"    rows = c.execute({sql!r}).fetchall() if {sql!r}.startswith('SELECT') else c.execute({sql!r})\n"
        "    print(rows if isinstance(rows, list) else 'ok')\n"
    )
    return [sys.executable, "-c", code]


@pytest.mark.skipif(not (shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))),
                    reason="PostgreSQL not installed")
def test_keep_data_starts_the_same_server_again():
    # not tmp_path: the server runs as the postgres user, who cannot enter pytest's root-only folders
    top = Path(tempfile.mkdtemp(prefix="yanxiu-keep-"))
    top.chmod(0o755)
    try:
        _kept_twice(top / "pgdata")
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _kept_twice(keep: Path) -> None:
    first = subprocess.run(
        [sys.executable, str(PG_SERVER), "--keep-data", str(keep), "--",
         *_psql("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")],
        capture_output=True, text=True, timeout=120,
    )
    assert first.returncode == 0, first.stderr
    assert (keep / "data" / "PG_VERSION").exists()
    again = subprocess.run(
        [sys.executable, str(PG_SERVER), "--keep-data", str(keep), "--", *_psql("SELECT n FROM kept")],
        capture_output=True, text=True, timeout=120,
    )
    assert again.returncode == 0, again.stderr
    assert "reused" in again.stdout and "[(42,)]" in again.stdout


def test_keep_data_needs_a_folder():
    run = subprocess.run([sys.executable, str(PG_SERVER), "--keep-data"], capture_output=True, text=True)
    assert run.returncode != 0 and "usage" in run.stderr


def test_gunicorn_is_told_the_keep_alive(monkeypatch, tmp_path):
    from bench import run as bench_run

    seen: list[list[str]] = []

    class Stop(Exception):
        pass

    def popen(cmd, **_kw):
        seen.append(cmd)
        raise Stop

    monkeypatch.setattr(bench_run.subprocess, "Popen", popen)
    with pytest.raises(Stop), bench_run.gunicorn("sqlite://", tmp_path, 2, 4, keep_alive=75):
        pass
    cmd = seen[0]
    assert cmd[cmd.index("--keep-alive") + 1] == "75"
