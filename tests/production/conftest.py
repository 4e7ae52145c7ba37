"""Production-grade checks. A test records a figure with ``record_property("figure", "…")``;
``tests/conftest.py`` prints the figures at the end of the run."""

from __future__ import annotations

