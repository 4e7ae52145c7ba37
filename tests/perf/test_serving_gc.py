"""A server's entry modules leave the built app's objects out of the garbage collector's full
collections (``portal.settle_for_serving``): a full collection walked some 400,000 of them, about
once every thousand requests, 2.5 % of the review queue's CPU. They also raise the young
generation's threshold to the setting ``GC_THRESHOLD`` (Python's 700 set off a collection inside
nearly every review queue: BENCHMARKS.md, round 44). ``create_app`` itself does neither (commands
build apps; the tests freeze their own and keep their own thresholds, ``tests/conftest.py``):
each entry module is imported in a process of its own."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal import create_app
from portal.config import DefaultConfig

ROOT = Path(__file__).resolve().parents[2]
COUNT = "import gc, {module}; print(gc.get_freeze_count(), *gc.get_threshold())"
PYTHONS = (700, 10, 10)  # Python's own thresholds, which a new process starts with


def _run(code: str, tmp_path: Path, **env: str) -> list[int]:
    env = {**{k: v for k, v in os.environ.items() if k != "YANXIU_GC_THRESHOLD"},
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "YANXIU_INSTANCE_PATH": str(tmp_path),
           "PYTHONPATH": str(ROOT), **env}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return [int(x) for x in done.stdout.split()[-4:]]


@pytest.mark.parametrize("module", ["wsgi", "bench.wsgi_bench"])
def test_the_served_app_is_frozen_once_built_and_the_young_threshold_raised(module, tmp_path):
    frozen, *thresholds = _run(COUNT.format(module=module), tmp_path)
    assert frozen > 100_000  # the app, its plugins, mappers and modules
    assert DefaultConfig.GC_THRESHOLD == 10_000
    assert thresholds == [10_000, *PYTHONS[1:]]  # the older generations keep Python's


def test_the_threshold_is_a_setting(tmp_path):
    frozen, *thresholds = _run(COUNT.format(module="wsgi"), tmp_path, YANXIU_GC_THRESHOLD="2500")
    assert thresholds == [2500, *PYTHONS[1:]]
    keep = ("import gc; from portal import create_app, settle_for_serving; "
            "app = create_app({'GC_THRESHOLD': None}); settle_for_serving(app); "
            "print(gc.get_freeze_count(), *gc.get_threshold())")
    frozen, *thresholds = _run(keep, tmp_path)
    assert frozen > 100_000 and thresholds == list(PYTHONS)


def test_building_an_app_or_running_a_command_leaves_the_collector_alone(tmp_path, monkeypatch):
    freezes: list[int] = []
    real_freeze = gc.freeze
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1) or real_freeze())  # counted, still done
    before = gc.get_threshold()
    assert before != (DefaultConfig.GC_THRESHOLD, 10, 10)  # the suite's own (conftest), not the served one
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.db'}", "TESTING": True})
    assert app.config["GC_THRESHOLD"] == 10_000
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert gc.get_threshold() == before and freezes == []
