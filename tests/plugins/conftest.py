"""Fixtures for plugin tests: the reading-club and lesson-study examples installed into this environment."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from portal.extensions import db

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "reading-club"


def _has_entry_point(name: str) -> bool:
    return any(ep.name == name for ep in entry_points(group="portal.plugins"))


@pytest.fixture(scope="session")
def reading_club_installed() -> str:
    """``pip install -e examples/reading-club`` unless it is already installed; the package
    stays installed (the shared environment is not uninstalled from)."""
    if not _has_entry_point("reading_club"):
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "-e", str(EXAMPLE)],
            check=True,
        )
        importlib.invalidate_caches()
    if importlib.util.find_spec("yanxiu_reading_club") is None:
        # An editable install is wired up by a .pth file read at interpreter start-up.
        sys.path.insert(0, str(EXAMPLE))
        importlib.invalidate_caches()
    assert _has_entry_point("reading_club"), "the reading_club entry point is not visible"
    return "reading_club"


@pytest.fixture
def rc_app(reading_club_installed, make_app) -> Iterator[Flask]:
    """An app with the reading club loaded, its database upgraded to every head."""
    app = make_app()
    with app.app_context():
        upgrade()  # applies the plugin's branch if the template database predates the install
        assert "reading_club_note" in inspect(db.engine).get_table_names()
        with db.engine.begin() as conn:  # PostgreSQL shares one database between tests
            conn.execute(text("DELETE FROM reading_club_note"))
        yield app


@pytest.fixture
def ls_app(make_app) -> Iterator[Flask]:
    """An app with the lesson-study example loaded from its entry point (``make test-deps``
    installs it), its database upgraded to every head."""
    assert _has_entry_point("lesson_study"), "pip install -e examples/lesson-study first (make test does)"
    app = make_app()
    with app.app_context():
        upgrade()  # the plugin's branch, if the template database predates the install
        assert "lesson_study_note" in inspect(db.engine).get_table_names()
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM lesson_study_note"))
        yield app


@pytest.fixture
def plugin_log(caplog):
    """``caplog`` that also hears ``portal.plugin_loader`` directly: building the test
    databases runs Alembic's ``fileConfig``, which replaces the root logger's handlers (and so
    caplog's) in the middle of a test."""
    logger = logging.getLogger("portal.plugin_loader")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


class Site:
    """A folder on ``sys.path`` into which distributions are "installed": a module and a
    ``<dist>-<version>.dist-info`` with ``METADATA`` and ``entry_points.txt``, which is what pip
    leaves behind. ``importlib.metadata.entry_points`` finds them like any installed package."""

    def __init__(self, root: Path, monkeypatch):
        self.root, self.monkeypatch = root, monkeypatch

    def install(self, dist: str, module: str, source: str, entry_point: str | None = None,
                files: dict[str, str] | None = None) -> None:
        package = self.root / module
        package.mkdir()
        (package / "__init__.py").write_text(textwrap.dedent(source), encoding="utf-8")
        for rel, content in (files or {}).items():
            (package / rel).parent.mkdir(parents=True, exist_ok=True)
            (package / rel).write_text(content, encoding="utf-8")
        info = self.root / f"{dist.replace('-', '_')}-0.1.dist-info"  # as pip names it
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(
            f"[portal.plugins]\n{entry_point or module} = {module}\n", encoding="utf-8"
        )
        self.monkeypatch.delitem(sys.modules, module, raising=False)
        importlib.invalidate_caches()


@pytest.fixture
def site_packages(tmp_path, monkeypatch) -> Site:
    root = tmp_path / "site-packages"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return Site(root, monkeypatch)
