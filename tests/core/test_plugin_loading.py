"""Plugin discovery through the ``portal.plugins`` entry points, and what happens when a
plugin misbehaves."""

from __future__ import annotations

import logging
import sys
import textwrap

import pytest

from portal.activity_types import ActivityType, Role
from portal.hookspecs import hookimpl

BUILTINS = ["lecture", "mentorship", "observation", "research", "school_visit", "declared"]


def builtin_keys(reg) -> list[str]:
    """Keys provided by this distribution (other installed plugins may add more)."""
    return [k for k, r in reg.types.items() if reg.plugins.info[r.plugin].distribution == "yanxiu"]


def test_builtins_come_from_entry_points(app):
    reg = app.extensions["yanxiu.registry"]
    assert builtin_keys(reg) == BUILTINS
    for key in BUILTINS:
        info = reg.plugins.info[reg.types[key].plugin]
        assert info.distribution == "yanxiu" and info.module == f"plugins.{key}"
    # (other test processes may be installing throwaway plugins: only ours must be clean)
    assert [x for x in reg.plugins.failures if x.plugin in BUILTINS] == []


def test_one_plugin_manager_per_app(make_app):
    a, b = make_app(), make_app()
    assert a.extensions["yanxiu.registry"].plugins.manager is not b.extensions["yanxiu.registry"].plugins.manager


@pytest.fixture
def dist_on_path(tmp_path, monkeypatch):
    """Write a throwaway installed distribution (module + dist-info) and put it on sys.path."""

    def make(name: str, module_source: str, entry_point: str | None = None) -> None:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(module_source), encoding="utf-8")
        info = tmp_path / f"{name}-0.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.3\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(
            f"[portal.plugins]\n{entry_point or name} = {name}\n", encoding="utf-8"
        )
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, name, raising=False)

    return make


SPEED_DATING = """
    from wtforms import Form, StringField
    from portal.activity_types import ActivityType, Role
    from portal.hookspecs import hookimpl

    class TalkForm(Form):
        theme = StringField("theme")

    class TeaTalk(ActivityType):
        key = "tea_talk"
        name_zh, name_en = "茶话研讨", "Tea talk"
        roles = {"member": Role("成员", "Member")}
        form = TalkForm

    @hookimpl
    def portal_activity_types():
        return [TeaTalk()]
"""


def test_third_party_plugin_is_found_by_installing_it(dist_on_path, make_app):
    dist_on_path("yx_tea_talk", SPEED_DATING)
    app = make_app()
    reg = app.extensions["yanxiu.registry"]
    assert "tea_talk" in reg.keys()
    assert reg.plugins.info["yx_tea_talk"].version == "0.3"
    runner = app.test_cli_runner()
    out = runner.invoke(args=["plugins", "list"]).output
    assert "tea_talk\t茶话研讨\tyx_tea_talk\t0.3" in out


def test_allowlist_switches_plugins_off(dist_on_path, make_app):
    dist_on_path("yx_tea_talk", SPEED_DATING)
    app = make_app(PLUGINS_ALLOWLIST=("lecture", "observation"))
    assert app.extensions["yanxiu.registry"].keys() == ["lecture", "observation"]


def test_plugin_that_fails_to_import_is_reported_by_name(dist_on_path, make_app, caplog):
    dist_on_path("yx_broken", "raise ImportError('missing dependency: numpy')\n")
    with caplog.at_level(logging.ERROR):
        app = make_app()
    reg = app.extensions["yanxiu.registry"]
    assert builtin_keys(reg) == BUILTINS  # the portal still runs
    (failure,) = [x for x in reg.plugins.failures if x.plugin == "yx_broken"]
    assert "missing dependency: numpy" in failure.error
    assert "yx_broken" in caplog.text
    result = app.test_cli_runner().invoke(args=["plugins", "list"])
    assert "FAILED\tyx_broken" in result.output


def test_duplicate_key_is_refused_naming_both_plugins(make_app):
    class FakeLecture(ActivityType):
        key = "lecture"
        name_zh, name_en = "假讲座", "Fake"
        roles = {"x": Role("x", "x")}

    class Dup:
        @hookimpl
        def portal_activity_types(self):
            return [FakeLecture()]

    app = make_app(EXTRA_PLUGINS=[("dup", Dup())])
    reg = app.extensions["yanxiu.registry"]
    assert reg.types["lecture"].plugin == "lecture"
    (failure,) = [x for x in reg.plugins.failures if x.plugin == "dup"]
    assert "'lecture'" in failure.error and "already provided by plugin 'lecture'" in failure.error


def test_hook_that_raises_and_bad_returns_are_reported(make_app):
    class Raises:
        @hookimpl
        def portal_activity_types(self):
            raise RuntimeError("boom at start-up")

    class NotAType:
        @hookimpl
        def portal_activity_types(self):
            return ["lecture"]

    class BadKey(ActivityType):
        key = "读书"
        name_zh = name_en = "x"
        roles = {"x": Role("x", "x")}

    class BadKeys:
        @hookimpl
        def portal_activity_types(self):
            return [BadKey()]

    app = make_app(EXTRA_PLUGINS=[("raises", Raises()), ("notatype", NotAType()), ("badkeys", BadKeys())])
    reg = app.extensions["yanxiu.registry"]
    assert builtin_keys(reg) == BUILTINS
    errors = {x.plugin: x.error for x in reg.plugins.failures}
    assert "boom at start-up" in errors["raises"]
    assert "not an ActivityType" in errors["notatype"]
    assert "ASCII identifier" in errors["badkeys"]


def test_type_whose_plugin_is_gone_stays_readable(make_app):
    from portal.errors import Conflict
    from portal.services import access, transitions
    from tests.support import factories as f

    app = make_app()
    with app.app_context():
        s = f.school()
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "research", [(p["t1"], "leader")], {"project_title": "t", "level": "school"})
        act_id, school_id, organizer_id = act.id, s.id, p["organizer"].id
    app2 = make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], PLUGINS_ALLOWLIST=("lecture",))
    with app2.app_context():
        from portal.extensions import db
        from portal.models import User

        act = access.get_activity(act_id, school_id)
        assert act.type_key == "research" and act.title == "测试活动"
        assert transitions.allowed_triggers(act, organizer_id) == []
        with pytest.raises(Conflict, match="no longer installed"):
            transitions.fire(act_id, school_id, db.session.get(User, organizer_id), "hold")
