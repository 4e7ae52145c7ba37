"""``prepared`` fixtures: the ``app`` fixture's database holds what a builder made, built once per
test process and copied for each test (see ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def prepared_by(build: Callable[[], Any]):
    """A ``prepared`` fixture that always answers ``build``: assign it at module or conftest level
    (``prepared = prepared_by(_build_world)``); tests then read the ids with
    ``make_app.facts(prepared)``."""

    @pytest.fixture(name="prepared")
    def _prepared() -> Callable[[], Any]:
        return build

    return _prepared
