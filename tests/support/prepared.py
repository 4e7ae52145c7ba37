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


def prepared_for(fixture: str, build: Callable[[], Any]):
    """A ``prepared`` fixture over the one of the folder's conftest: ``build`` for the tests that
    use ``fixture`` (its data, built once per test process instead of through the services in
    every such test), the conftest's builder for the others. Assign it at module level
    (``prepared = prepared_for("ledger", _build_ledger)``); ``build`` returns what the
    conftest's builder returns (the folder's fixtures read their ids from it) and more."""

    @pytest.fixture(name="prepared")
    def _prepared(request: pytest.FixtureRequest, prepared: Callable[[], Any]) -> Callable[[], Any]:
        return build if fixture in request.fixturenames else prepared

    return _prepared
