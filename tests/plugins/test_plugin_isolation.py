"""A broken plugin is reported with its name and left out; the rest of the portal keeps working."""

from __future__ import annotations

import logging
import textwrap

import pytest

from portal.plugin_loader import load_plugins
from portal.registry import registry
from tests.plugins.plugin_throwaway import (
    ProvidesType,
    RaisesInTemplateDirs,
    RaisesInTransitioned,
    RaisesInTypes,
)
from tests.plugins.test_broken_plugins import failures
from tests.support import factories as f


def test_a_plugin_raising_in_portal_activity_types_is_reported_and_skipped(make_app, plugin_log):
    caplog = plugin_log  # hears the loader also when this test is the first of its process (it builds the databases)
    caplog.set_level(logging.ERROR, logger="portal.plugin_loader")
    app = make_app(EXTRA_PLUGINS=[("exploding", RaisesInTypes()), ("fair", ProvidesType("book_fair"))])
    with app.app_context():
        assert "hook portal_activity_types raised RuntimeError: types exploded" in failures()["exploding"]
        assert {"lecture", "book_fair"} <= set(registry().keys())
    assert "plugin exploding" in caplog.text and "types exploded" in caplog.text
    client = app.test_client()
    assert client.get("/login").status_code == 200


def test_a_plugin_raising_in_portal_activity_transitioned_does_not_undo_the_transition(make_app, caplog):
    app = make_app(EXTRA_PLUGINS=[("notifier", RaisesInTransitioned())])
    with app.app_context():
        s = f.school("ISO", types=("lecture",))
        people = f.staff(s)
        act = f.plan(s, people["organizer"], "lecture", [(people["t1"], "attendee")], {"topic": "x"})
        assert f.fire(act, people["organizer"], "cancel", "活动取消").state == "cancelled"
        assert "notifier down during cancel" in failures()["notifier"]
    assert "plugin notifier" in caplog.text


def test_a_plugin_raising_in_a_packaging_hook_is_reported(make_app):
    app = make_app(EXTRA_PLUGINS=[("broken_templates", RaisesInTemplateDirs())])
    with app.app_context():
        assert "portal_template_dirs raised OSError" in failures()["broken_templates"]
        assert "lecture" in registry().keys()


def test_a_duplicate_type_key_is_refused_with_both_plugins_named(make_app):
    app = make_app(EXTRA_PLUGINS=[("copycat", ProvidesType("lecture", "山寨讲座"))])
    with app.app_context():
        assert registry().get("lecture").plugin == "lecture"
        assert registry().get("lecture").type.name_zh == "专题讲座"
        assert failures()["copycat"] == (
            "duplicate activity type key 'lecture' in plugin 'copycat': already provided by plugin 'lecture', "
            "which keeps it; 'copycat' was not loaded"
        )


def test_the_allowlist_switches_plugins_off(make_app):
    app = make_app(PLUGINS_ALLOWLIST=["lecture", "observation"])
    with app.app_context():
        assert registry().keys() == ["lecture", "observation"]
        assert failures() == {}


def _fake_distribution(root, name: str, module_body: str, target: str) -> None:
    """A tiny installed distribution: a module and a dist-info with an entry point."""
    (root / f"{name}.py").write_text(textwrap.dedent(module_body), encoding="utf-8")
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[portal.plugins]\n{name} = {target}\n", encoding="utf-8")


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return site


def test_entry_point_discovery_finds_an_installed_distribution(fake_site, make_app):
    _fake_distribution(fake_site, "yanxiu_tea_talk", """
        from portal.activity_types import ActivityType, Role
        from portal.hookspecs import hookimpl

        class TeaTalk(ActivityType):
            key = "tea_talk"
            name_zh, name_en = "茶话会", "Tea talk"
            roles = {"member": Role("成员", "Member")}

        @hookimpl
        def portal_activity_types():
            return [TeaTalk()]
    """, "yanxiu_tea_talk")
    loaded = load_plugins()
    assert loaded.info["yanxiu_tea_talk"].distribution == "yanxiu_tea_talk"
    assert loaded.info["yanxiu_tea_talk"].version == "0.1"
    app = make_app()
    with app.app_context():
        assert registry().get("tea_talk").plugin == "yanxiu_tea_talk"
    app = make_app(PLUGINS_ALLOWLIST=["lecture"])
    with app.app_context():
        assert registry().get("tea_talk") is None


def test_a_plugin_that_fails_to_import_is_reported_and_the_portal_starts(fake_site, make_app, caplog):
    _fake_distribution(fake_site, "yanxiu_broken", "import not_a_real_module_anywhere\n", "yanxiu_broken")
    app = make_app()
    with app.app_context():
        error = failures()["yanxiu_broken"]
        assert error.startswith("failed to load from yanxiu_broken: ModuleNotFoundError")
        assert "lecture" in registry().keys()
    assert "plugin yanxiu_broken" in caplog.text
    assert app.test_client().get("/login").status_code == 200
