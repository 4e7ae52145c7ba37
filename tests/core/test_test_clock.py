"""The test clock (``tests/support/clock.py``): this process and the Python processes it starts
read the same time, that of the session's fixed instant, whatever the real day."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from portal.timeutil import current_school_year, utcnow
from tests.support.clock import instant, subprocess_env

CHILD = "from portal.timeutil import utcnow; print(utcnow().isoformat())"


def test_the_session_runs_from_its_fixed_instant():
    now = utcnow().replace(tzinfo=UTC)
    assert instant() <= now < instant() + timedelta(days=1)  # a session lasts less than a day
    if "YANXIU_TEST_NOW" not in os.environ:
        assert current_school_year("Asia/Shanghai") == "2026-2027"


def _child_time(env: dict[str, str]) -> datetime:
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return datetime.fromisoformat(out.stdout.strip())


def test_a_subprocess_reads_the_same_clock():
    before = utcnow()
    inherited = _child_time(dict(os.environ))  # as the job worker and the flask commands are started
    # an environment built anew, as the scaffold test's "plugin author's shell": the clock's own
    # variables dropped, then given back by subprocess_env()
    rebuilt = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("YANXIU_TEST")}
    bare = _child_time({**rebuilt, **subprocess_env()})
    after = utcnow()
    for child in (inherited, bare):
        assert before - timedelta(seconds=1) <= child <= after + timedelta(seconds=1), (before, child, after)

