"""A server's entry modules leave the built app's objects out of the garbage collector's full
collections (``portal.settle_for_serving``): a full collection walked some 400,000 of them, about
once every thousand requests, 2.5 % of the review queue's CPU. ``create_app`` itself does not
(commands build apps; the tests freeze their own, ``tests/conftest.py``): each entry module is
imported in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COUNT = "import gc, {module}; print(gc.get_freeze_count())"


@pytest.mark.parametrize("module", ["wsgi", "bench.wsgi_bench"])
def test_the_served_app_is_frozen_once_built(module, tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "YANXIU_INSTANCE_PATH": str(tmp_path),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", COUNT.format(module=module)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    assert int(done.stdout.split()[-1]) > 100_000  # the app, its plugins, mappers and modules
