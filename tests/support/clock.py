"""The test clock: every test runs at one fixed instant of the school year 2026-2027.

Why: the suite is written around the school year 2026-2027 (``YEAR = "2026-2027"``, activities
on 2026-10-15 …) and takes those days to be in the *current* school year and in the past. On
the real clock that holds only until 31 August 2027; from 1 September 2027 dozens of tests
would fail (46 did, run under libfaketime on that day). So this plugin (``-p
tests.support.clock`` in ``addopts``) puts every test process on :data:`INSTANT` before any
conftest is imported, with time-machine and ``tick=True``: time starts there and moves on, so
durations, timeouts and "a minute later" still work. :data:`INSTANT` is after every fixed date
the tests use as past (the latest is 1 December 2026) and far from the semester's end.

Subprocesses a test starts (the job worker, ``flask`` commands, live servers, the scaffolded
plugin's own pytest run) read the same clock: :func:`start` leaves in the environment the shift
from the real clock (``YANXIU_TEST_CLOCK_SHIFT``) and puts ``tests/support/subprocess_clock``
first on ``PYTHONPATH``; the ``sitecustomize`` there calls :func:`start` in every Python
process that inherits them (xdist workers included). Nothing of this is in ``portal/``.
Chromium keeps the real clock: the browser tests read no dates in the browser, and the
portal's session cookie expires with the browser, not at a date.

A test that needs another day says so itself, on top of this clock:

- pass the instant where the code takes one (``now=``, ``current_school_year(now=…)``,
  ``remind_deadlines(datetime(2027, 3, 9, 0, 27))``);
- or ``monkeypatch.setattr(module, "utcnow", lambda: datetime(…))``;
- or time-machine's ``time_machine`` fixture (``time_machine.move_to(datetime(2027, 9, 1,
  tzinfo=UTC))``) or ``with time_machine.travel(…):`` — travelling back to this clock when it ends.

``YANXIU_TEST_NOW=2027-10-05T02:00:00+00:00`` runs the suite at another instant (to check what
the suite assumes about the day; not for CI).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import time_machine

#: Monday 7 December 2026, 10:00 in Beijing: a school day in semester 1 of 2026-2027
INSTANT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
#: an ISO 8601 instant that replaces INSTANT for a run (a check of the suite, not for CI)
OVERRIDE_ENV = "YANXIU_TEST_NOW"
#: seconds from the real clock to the test clock, handed to subprocesses
SHIFT_ENV = "YANXIU_TEST_CLOCK_SHIFT"
HOOK_DIR = Path(__file__).resolve().parent / "subprocess_clock"


def instant() -> datetime:
    """Where the session's clock starts: :data:`INSTANT`, or ``YANXIU_TEST_NOW`` if set."""
    given = os.environ.get(OVERRIDE_ENV)
    if not given:
        return INSTANT
    at = datetime.fromisoformat(given)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def subprocess_env() -> dict[str, str]:
    """What a subprocess's environment needs to read the test clock (for a test that builds
    an environment of its own rather than inheriting ``os.environ``)."""
    return {SHIFT_ENV: os.environ[SHIFT_ENV], "PYTHONPATH": str(HOOK_DIR)} if SHIFT_ENV in os.environ else {}


def start() -> None:
    """Put this process on the test clock (once; a process that inherited it keeps the shift
    its parent chose, so both read the same time)."""
    if time_machine.escape_hatch.is_travelling():
        return
    real = time.time()  # not travelling yet: the real clock
    shift = float(os.environ[SHIFT_ENV]) if os.environ.get(SHIFT_ENV) else instant().timestamp() - real
    os.environ[SHIFT_ENV] = repr(shift)
    paths = [str(HOOK_DIR), *(p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(HOOK_DIR))]
    os.environ["PYTHONPATH"] = os.pathsep.join(paths)
    time_machine.travel(real + shift, tick=True).start()
    time.time()  # the clock ticks from its first reading: from now, not from whenever it is first read


def pytest_load_initial_conftests() -> None:
    """Before any conftest is imported (they may read the date at import)."""
    start()


def pytest_configure() -> None:
    """(Already done by the hook above wherever pytest calls it.)"""
    start()
