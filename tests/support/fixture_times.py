"""Where a test run's time goes: an opt-in pytest plugin (``-p tests.support.fixture_times``).

Each test process (every pytest-xdist worker, or the one process) adds up, per folder, the
seconds of the set-up, call and teardown phases and the number of tests, and per fixture the
seconds of its own set-up (its function up to its ``yield``, without the fixtures it asks for,
which are counted under their own names) and how often it ran. At the end it writes
``fixture-times-<worker>.json`` into ``$PYTEST_FIXTURE_TIMES`` (a folder; the temporary
directory if unset) and ``python -m tests.support.fixture_times FOLDER`` prints the files of one
run added together. Wall seconds (``time.perf_counter``) and CPU seconds of the process
(``time.process_time``) are both kept: on a shared machine compare the CPU seconds and the
shares, not the wall seconds of another run.

    PYTEST_FIXTURE_TIMES=/tmp/ft .venv/bin/python -m pytest -p tests.support.fixture_times -n 2 tests/web
    .venv/bin/python -m tests.support.fixture_times /tmp/ft
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_PHASES: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))  # folder → phase → s
_FIXTURES: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))  # fixture → wall/cpu/n
_STARTED: dict[tuple[str, str], tuple[float, float]] = {}


def _folder(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return path.rsplit("/", 1)[0] if "/" in path else path


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    mine = _FIXTURES[f"{fixturedef.argname} ({fixturedef.scope})"]
    mine["wall"] += time.perf_counter() - wall
    mine["cpu"] += time.process_time() - cpu
    mine["n"] += 1


def _timed(item: pytest.Item, when: str) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    folder = _PHASES[_folder(item.nodeid)]
    folder[f"{when} wall"] += time.perf_counter() - wall
    folder[f"{when} cpu"] += time.process_time() - cpu
    if when == "call":
        folder["tests"] += 1
    elif when == "teardown" and sum(f["tests"] for f in _PHASES.values()) % 25 == 0:
        _write()  # now and then, so that a run stopped early still leaves its figures


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    yield from _timed(item, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    yield from _timed(item, "call")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    yield from _timed(item, "teardown")


def pytest_sessionfinish(session: pytest.Session) -> None:
    _write()


def _write() -> None:
    if not _PHASES:
        return
    out = Path(os.environ.get("PYTEST_FIXTURE_TIMES") or tempfile.gettempdir())
    out.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    (out / f"fixture-times-{worker}.json").write_text(json.dumps({"phases": _PHASES, "fixtures": _FIXTURES}))


def _added(folder: Path) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    phases: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    fixtures: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for file in sorted(folder.glob("fixture-times-*.json")):
        data = json.loads(file.read_text())
        for into, part in ((phases, data["phases"]), (fixtures, data["fixtures"])):
            for name, values in part.items():
                for key, value in values.items():
                    into[name][key] += value
    return phases, fixtures


def main(folder: str) -> None:
    phases, fixtures = _added(Path(folder))
    cols = ("setup", "call", "teardown")
    print(f"{'folder':<32}{'tests':>7}" + "".join(f"{c + ' wall':>15}{c + ' cpu':>14}" for c in cols))
    total: dict[str, float] = defaultdict(float)
    for name, values in sorted(phases.items(), key=lambda kv: -sum(kv[1].get(f"{c} wall", 0) for c in cols)):
        for key, value in values.items():
            total[key] += value
        print(f"{name:<32}{int(values['tests']):>7}"
              + "".join(f"{values.get(c + ' wall', 0):>15.1f}{values.get(c + ' cpu', 0):>14.1f}" for c in cols))
    print(f"{'(all)':<32}{int(total['tests']):>7}"
          + "".join(f"{total.get(c + ' wall', 0):>15.1f}{total.get(c + ' cpu', 0):>14.1f}" for c in cols))
    print(f"\n{'fixture (own set-up)':<48}{'n':>7}{'wall s':>10}{'cpu s':>10}{'ms each':>10}")
    for name, values in sorted(fixtures.items(), key=lambda kv: -kv[1]["wall"])[:40]:
        print(f"{name:<48}{int(values['n']):>7}{values['wall']:>10.1f}{values['cpu']:>10.1f}"
              f"{1000 * values['wall'] / max(values['n'], 1):>10.1f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else tempfile.gettempdir())
