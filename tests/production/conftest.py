"""Production-grade checks: the figures they measure are printed at the end of the run.

A test records a figure with ``record_property("figure", "…")``; the figures travel in the
test reports, so they are shown even when the suite runs under pytest-xdist.
"""

from __future__ import annotations

import pytest

_FIGURES: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == "figure":
            _FIGURES.append(str(value))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not _FIGURES:
        return
    terminalreporter.section("production figures")
    for line in _FIGURES:
        terminalreporter.write_line(line)
