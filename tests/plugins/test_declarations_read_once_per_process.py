"""An installed type's declarations are read and checked once per process, not once per app
(:func:`portal.type_declarations.read_declarations_once`), and read again when what decides
them changes: a declaration replaced on its class or on :class:`ActivityType`, the plugin
reinstalled. A refusal is never kept, and a plugin registered on the plugin manager is read by
every app. Types of one workflow shape share one firing machine (:func:`workflows.engine._machine`)."""

from __future__ import annotations

import shutil

from plugins.lecture import Lecture
from portal.activity_types import ActivityType, Role
from portal.registry import registry
from tests.plugins.plugin_throwaway import ProvidesTypes
from tests.plugins.test_broken_plugins import failures


def _lecture(app):
    with app.app_context():
        return registry().get("lecture")


def test_an_installed_types_declarations_are_read_once_and_its_machine_built_once(make_app):
    first, second = _lecture(make_app()), _lecture(make_app())
    assert first.type is not second.type  # each app asks the plugin for its types
    assert second.decl is first.decl
    assert second.engine._machine is first.engine._machine
    assert second.engine.definition.guards is not first.engine.definition.guards  # each app's own boundary
    assert second.engine.legal_triggers("planned") == ["hold", "cancel"]


def test_a_declaration_replaced_on_the_class_is_read_again(make_app, monkeypatch):
    before = _lecture(make_app())
    monkeypatch.setattr(Lecture, "description_en", "Read again")
    replaced = _lecture(make_app())
    assert replaced.decl is not before.decl and replaced.decl.description("en") == "Read again"
    monkeypatch.setattr(ActivityType, "role_multipliers", {"attendee": 2})  # on the base class too
    assert _lecture(make_app()).decl is not replaced.decl
    monkeypatch.undo()
    assert _lecture(make_app()).decl.description("en") == before.decl.description("en")


def test_a_refused_declaration_is_refused_by_every_app(make_app, monkeypatch):
    monkeypatch.setattr(Lecture, "roles", {})
    for _ in range(2):
        app = make_app()
        with app.app_context():
            assert registry().get("lecture") is None
            assert "roles" in failures()["lecture"]
    monkeypatch.undo()
    assert _lecture(make_app()) is not None


class Changing(ActivityType):
    key, name_zh, name_en = "changing", "变化类型", "Changing type"
    roles = {"member": Role("成员", "Member")}


def test_a_plugin_registered_on_the_manager_is_read_by_every_app(make_app):
    plugin = ProvidesTypes(Changing)
    first = make_app(EXTRA_PLUGINS=[("yx_changing", plugin)])
    Changing.description_zh = "第二次"  # in place on the class the test owns: no monkeypatch needed
    try:
        second = make_app(EXTRA_PLUGINS=[("yx_changing", plugin)])
        with first.app_context():
            assert registry().get("changing").decl.description("zh") != "第二次"
        with second.app_context():
            assert registry().get("changing").decl.description("zh") == "第二次"
    finally:
        del Changing.description_zh


PLUGIN = """
from portal.activity_types import ActivityType, Role
from portal.hookspecs import hookimpl

class Once(ActivityType):
    key, name_zh, name_en = "once", {zh!r}, "Once"
    roles = {{"member": Role("成员", "Member")}}

@hookimpl
def portal_activity_types():
    return [Once()]
"""


def test_a_plugin_reinstalled_is_read_again(site_packages, make_app):
    site_packages.install("yx-once", "yx_once", PLUGIN.format(zh="一次"))
    with make_app().app_context():
        assert registry().name("once", "zh") == "一次"
    shutil.rmtree(site_packages.root / "yx_once")
    shutil.rmtree(site_packages.root / "yx_once-0.1.dist-info")
    site_packages.install("yx-once", "yx_once", PLUGIN.format(zh="再次"))  # same name and version
    with make_app().app_context():
        assert registry().name("once", "zh") == "再次"
    shutil.rmtree(site_packages.root / "yx_once-0.1.dist-info")
    with make_app().app_context():
        assert registry().get("once") is None
