"""The plugin under test, for the portal's installed fixtures (``portal.testing``). Run from this
folder, ``yanxiu_plugin`` in pyproject.toml says the same; run from the portal's checkout, the
checkout's ini does not, so the fixture is overridden here."""

from __future__ import annotations

import pytest


@pytest.fixture
def yanxiu_plugin() -> str:
    return "research_salon"
