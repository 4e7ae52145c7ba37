"""The portal's own fixtures (a fresh app and database per test, on SQLite or PostgreSQL) and an
app with this plugin loaded from its entry point, its database upgraded to every head."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import entry_points

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from portal.extensions import db
from tests.conftest import make_app, templates  # noqa: F401  (the portal's fixtures)


@pytest.fixture
def ls_app(make_app) -> Iterator[Flask]:  # noqa: F811
    assert any(ep.name == "lesson_study" for ep in entry_points(group="portal.plugins")), (
        "pip install -e examples/lesson-study first (make test does)")
    app = make_app()
    with app.app_context():
        upgrade()  # the plugin's branch, if the template database predates the install
        assert "lesson_study_note" in inspect(db.engine).get_table_names()
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM lesson_study_note"))
        yield app
