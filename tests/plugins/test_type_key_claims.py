"""A 课例研究 plugin that copied the lesson-study example's key ``lesson_study``: its distribution
(``yanxiu-lesson-cycle``) sorts before ``yanxiu-lesson-study``, so it was registered first and
took the key — every stored 同课异构 activity was then read with the newcomer's roles, workflow and
credit rule, and the lesson-study plugin was the one refused. A third-party plugin named after
a type (entry-point name = key, as ``yanxiu plugins new`` makes it) now keeps that key."""

from __future__ import annotations

from portal.registry import registry
from tests.plugins.test_broken_plugins import failures

SOURCE = """
    from tests.plugins.plugin_throwaway import make_type
    from portal.hookspecs import hookimpl

    @hookimpl
    def portal_activity_types():
        return [make_type("kc_study", "{name}")]
"""


def test_a_plugin_named_after_its_type_keeps_the_key_from_one_that_copied_it(site_packages, make_app):
    site_packages.install("yx-kc-study", "yx_kc_study", SOURCE.format(name="同课异构甲"), entry_point="kc_study")
    site_packages.install("yx-kc-cycle", "yx_kc_cycle", SOURCE.format(name="课例研究甲"), entry_point="kc_cycle")
    app = make_app()
    with app.app_context():
        owner = registry().get("kc_study")
        assert (owner.plugin, owner.type.name_zh) == ("kc_study", "同课异构甲")
        assert failures()["kc_cycle"] == (
            "duplicate activity type key 'kc_study' in plugin 'kc_cycle': already provided by plugin 'kc_study', "
            "which keeps it; 'kc_cycle' was not loaded")
        assert "kc_study" not in failures()


def test_between_plugins_named_after_none_of_them_the_registration_order_decides(site_packages, make_app):
    site_packages.install("yx-kc-b", "yx_kc_b", SOURCE.format(name="乙方"), entry_point="kc_b")
    site_packages.install("yx-kc-a", "yx_kc_a", SOURCE.format(name="甲方"), entry_point="kc_a")
    app = make_app()
    with app.app_context():
        assert registry().get("kc_study").plugin == "kc_a"  # distribution yx-kc-a sorts first
        assert "already provided by plugin 'kc_a'" in failures()["kc_b"]
