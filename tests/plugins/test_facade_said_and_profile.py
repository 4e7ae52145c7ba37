"""The facade's members of contract 1.21: ``Portal.said`` (a plugin's command refuses as the
portal's commands do: one line, Chinese then English, whatever the locale — the examples' refusals
were English only) and ``Portal.sample_profile`` (a type's volumes, asked inside its plugin's
boundary: ``bench/datagen.py`` called the type's method bare, so one that raised stopped it)."""

from __future__ import annotations

import click
import pytest

from portal.activity_types import SampleProfile, Text, floor_half
from portal.facade import Portal
from portal.hookspecs import hookimpl
from tests.plugins.test_broken_plugins import failures
from tests.plugins.test_request_time_failures import Plugin, one_role_type, raising


class Refusing:
    """A plugin whose command refuses in the facade's words."""

    @hookimpl
    def portal_register_commands(self, cli, portal):
        @cli.command("salon-check")
        @click.argument("activity_id", type=int)
        def check(activity_id: int) -> None:
            if portal.activity_school_id(activity_id) is None:
                raise click.ClickException(portal.said(Text(f"未找到活动 {activity_id}",
                                                            f"activity {activity_id} not found")))


def test_a_plugins_command_refuses_chinese_then_english_whatever_the_locale(make_app, monkeypatch):
    app = make_app(EXTRA_PLUGINS=[("yx_said", Refusing())])
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    result = app.test_cli_runner().invoke(args=["salon-check", "999999"])
    assert result.exit_code == 1, result.output
    assert result.output == "Error: 未找到活动 999999 — activity 999999 not found\n"
    with app.test_request_context(headers={"Accept-Language": "en"}):  # a page's language changes nothing
        portal = Portal(app, "yx_said")
        assert portal.said(Text("未找到活动", "activity not found")) == "未找到活动 — activity not found"
        assert portal.said(portal.msg("activity.not_found")) == "找不到该活动 — activity not found"


def test_a_types_profile_through_the_facade(make_app):
    given = SampleProfile(5, (0.1, 0.2), (1, 3))
    app = make_app(EXTRA_PLUGINS=[
        ("yx_given", Plugin(one_role_type("rt_given", "读书沙龙", "Book salon", sample_profile=lambda self: given))),
        ("yx_raises", Plugin(one_role_type("rt_raises", "测验课", "Quiz course",
                                           sample_profile=raising("profile exploded")))),
        ("yx_wrong", Plugin(one_role_type("rt_wrong", "赛课", "Teaching contest",
                                          sample_profile=lambda self: (10, (0.1, 0.2), (1, 3))))),
    ])
    with app.app_context():
        portal = Portal(app, "bench")
        assert portal.sample_profile("rt_given") == given
        assert portal.sample_profile("rt_raises") is None and portal.sample_profile("rt_wrong") is None
        assert failures()["yx_raises"] == ("sample_profile of activity type 'rt_raises' raised RuntimeError: "
                                           "profile exploded; the type was given the default volumes")
        assert failures()["yx_wrong"].startswith("sample_profile of activity type 'rt_wrong' raised TypeError")
        with pytest.raises(KeyError):
            portal.sample_profile("no_such_type")


def test_floor_half_is_the_cores_rounding():
    from decimal import Decimal

    from portal import hours

    assert floor_half is hours.floor_half
    assert [floor_half(Decimal(x)) for x in ("2.7", "2.5", "0.49", "3")] == [
        Decimal("2.5"), Decimal("2.5"), Decimal("0"), Decimal("3")]
