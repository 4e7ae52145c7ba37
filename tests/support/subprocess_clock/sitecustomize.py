"""Puts a Python process started by a test on the test clock (``tests/support/clock.py``).

This folder is on ``PYTHONPATH`` only in the environment the test session hands to its
subprocesses; without ``YANXIU_TEST_CLOCK_SHIFT`` this does nothing.
"""

import os

if os.environ.get("YANXIU_TEST_CLOCK_SHIFT"):
    import importlib.util

    _spec = importlib.util.spec_from_file_location(
        "_yanxiu_test_clock", os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "clock.py"))
    assert _spec is not None and _spec.loader is not None
    _clock = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_clock)
    _clock.start()
