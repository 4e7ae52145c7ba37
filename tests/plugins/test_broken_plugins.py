"""Broken plugins, installed for real (a distribution with a ``portal.plugins`` entry point on
``sys.path``): each failure is named, and the rest of the portal stays healthy.

* a duplicate key never takes over a type, whatever the entry point is called;
* a misspelled hook refuses the plugin, naming the nearest hook;
* a page fragment or a hook that raises while a page is served names the plugin, never a 500;
* hooks run in the registration order the contract documents.
"""

from __future__ import annotations

import logging
import re
import sys
from decimal import Decimal
from html import unescape as html_unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.activity_types import ActivityType, Role
from portal.assessment import Assessment, YearFacts
from portal.extensions import db
from portal.hookspecs import hookimpl
from portal.models import Activity, CreditEntry
from portal.plugin_loader import call_each
from portal.registry import registry
from portal.services import credits
from tests.plugins.plugin_throwaway import ProvidesType
from tests.support import factories as f
from tests.support.sessions import log_in
from workflows import Transition, WorkflowExtension
from workflows.definition import ACTOR_ROLES

ROOT = Path(__file__).resolve().parents[2]


# -- the broken plugins ------------------------------------------------------------------

IMPOSTOR = """
    from decimal import Decimal
    from portal.activity_types import ActivityType, Role
    from portal.hookspecs import hookimpl
    from workflows import Phase, State, Transition, WorkflowExtension

    class Impostor(ActivityType):
        key = "lecture"
        name_zh, name_en = "冒牌讲座", "Impostor lecture"
        roles = {"attendee": Role("冒牌听众", "Fake attendee"), "speaker": Role("冒牌主讲", "Fake speaker")}

        def workflow(self):
            return WorkflowExtension(
                states=(State("rehearsed", "已彩排", "Rehearsed", phase=Phase.OPEN),),
                transitions=(
                    Transition("rehearse", ("planned",), "rehearsed", frozenset({"owner"}), "彩排", "Rehearse"),
                    Transition("hold", ("rehearsed",), "held", frozenset({"owner"}), "举行", "Hold"),
                ),
            )

        def credit_hours(self, participant, activity, settings):
            return Decimal("99")

    @hookimpl
    def portal_activity_types():
        return [Impostor()]
"""

TYPO_TEMPLATE_DIRS = """
    from pathlib import Path
    from flask import render_template
    from markupsafe import Markup
    from portal.activity_types import ActivityType, Role
    from portal.hookspecs import hookimpl

    class TypoTalk(ActivityType):
        key = "typo_talk"
        name_zh, name_en = "错字讲座", "Typo talk"
        roles = {"member": Role("成员", "Member")}

        def page_fragment(self, ctx, locale):
            return Markup(render_template("typo_talk/fragment.html"))

    @hookimpl
    def portal_activity_types():
        return [TypoTalk()]

    @hookimpl
    def portal_template_dir():          # the contract's hook is portal_template_dirs
        return [str(Path(__file__).parent / "templates")]
"""

TYPO_ACTIVITY_TYPE = """
    from portal.activity_types import ActivityType, Role
    from portal.hookspecs import hookimpl

    class Forgotten(ActivityType):
        key = "forgotten"
        name_zh, name_en = "被遗忘的类型", "Forgotten"
        roles = {"member": Role("成员", "Member")}

    @hookimpl
    def portal_activity_type():         # the contract's hook is portal_activity_types
        return [Forgotten()]
"""

FRAGILE = """
    from portal.activity_types import ActivityType, Role
    from portal.hookspecs import hookimpl

    class Fragile(ActivityType):
        key = "fragile"
        name_zh, name_en = "易碎讲座", "Fragile talk"
        roles = {"member": Role("成员", "Member")}

        def page_fragment(self, ctx, locale):
            raise RuntimeError("fragment exploded")

    @hookimpl
    def portal_activity_types():
        return [Fragile()]
"""

MISSING_TABLE = """
    from sqlalchemy import text
    from portal.activity_types import ActivityType, Role
    from portal.extensions import db
    from portal.hookspecs import hookimpl

    class Unmigrated(ActivityType):
        key = "unmigrated"
        name_zh, name_en = "未迁移类型", "Unmigrated"
        roles = {"member": Role("成员", "Member")}

        def page_fragment(self, ctx, locale):   # its table was never created (no flask db upgrade)
            db.session.execute(text("SELECT count(*) FROM unmigrated_note_never_created"))
            return "never reached"

    @hookimpl
    def portal_activity_types():
        return [Unmigrated()]
"""

NOTIFIER = """
    from portal.hookspecs import hookimpl

    @hookimpl
    def portal_activity_transitioned(trigger, activity):
        raise ConnectionError(f"district feed unreachable during {trigger} of activity {activity.id}")
"""


def organizer_of_a_plugin_page(make_app, name: str, plugin: object, school_code: str):
    """An app with ``plugin`` installed as ``name`` (errors shown as pages, not raised) and a
    client logged in as the organiser of a new school ``school_code``."""
    app = make_app(EXTRA_PLUGINS=[(name, plugin)])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school(school_code)
        school_id, organizer = s.id, f.staff(s)["organizer"].id
    return app, client_for(app, organizer, school_id)


def client_for(app, user_id: int, school_id: int):
    """A test client logged in as the user, with the school chosen."""
    from portal.models import User

    client = app.test_client()
    with app.app_context():
        log_in(client, db.session.get(User, user_id), school_id)
    return client


def failures() -> dict[str, str]:
    return {x.plugin: x.error for x in registry().plugins.failures}


def reported_failure(app, name: str) -> str:
    """What the app reported of plugin ``name``'s failure."""
    with app.app_context():
        return failures()[name]


def a_plugin_page_and_its_failure(make_app, name: str, plugin: object, school_code: str, path: str):
    """``path`` opened by the organiser of :func:`organizer_of_a_plugin_page`: the app, their
    client, the response and what the app reported of the plugin's failure."""
    app, client = organizer_of_a_plugin_page(make_app, name, plugin, school_code)
    response = client.get(path)
    return app, client, response, reported_failure(app, name)


def _chinese_text_of(html: str, testid: str) -> str:
    m = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', html, re.DOTALL)
    assert m, html[:3000]
    return m.group(1)


# -- 1. a duplicate key never takes over ----------------------------------------------------

DUP_MESSAGE = (
    "duplicate activity type key 'lecture' in plugin 'aaa_dup': already provided by plugin 'lecture', "
    "which keeps it; 'aaa_dup' was not loaded"
)


def test_a_duplicate_key_from_an_entry_point_sorting_first_never_takes_over_the_builtin(
    site_packages, make_app, plugin_log
):
    first = make_app()
    with first.app_context():
        s = f.school("DUP", types=("lecture",))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee"), (p["t2"], "speaker")], {"topic": "作业"})
        f.attend(act, p["organizer"])
        ids = {k: u.id for k, u in p.items()}
        act_id, school_id = act.id, s.id

    site_packages.install("yx-impostor", "yx_impostor", IMPOSTOR, entry_point="aaa_dup")  # "aaa_dup" < "lecture"
    app = make_app(SQLALCHEMY_DATABASE_URI=first.config["SQLALCHEMY_DATABASE_URI"])
    with app.app_context():
        reg = registry()
        lecture = reg.get("lecture")
        assert lecture.plugin == "lecture" and lecture.type.name_zh == "专题讲座"
        assert set(lecture.type.roles) == {"attendee", "speaker"} and lecture.type.roles["attendee"].label_zh == "听讲教师"
        assert "rehearsed" not in [st.name for st in lecture.engine.definition.states]
        assert lecture.engine.legal_triggers("planned") == ["hold", "cancel"]
        assert failures()["aaa_dup"] == DUP_MESSAGE
        assert not reg.plugins.manager.has_plugin("aaa_dup")  # refused whole: none of its hooks run
        assert "aaa_dup" not in reg.plugins.info
    assert f"plugin aaa_dup: {DUP_MESSAGE}" in plugin_log.text

    out = app.test_cli_runner().invoke(args=["plugins", "list"])
    assert "lecture\t专题讲座\tlecture\t" in out.output
    assert f"FAILED\taaa_dup\t{DUP_MESSAGE}" in out.output

    # the existing activity: its name, roles, workflow and credit rule are the built-in's
    client = client_for(app, ids["organizer"], school_id)
    page = client.get(f"/activities/{act_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "专题讲座" in html and "听讲教师" in html and "主讲人" in html
    assert "冒牌" not in html and "rehearse" not in html
    assert client.post(f"/activities/{act_id}/trigger", data={"trigger": "hold", "comment": ""}).status_code == 302
    with app.app_context():
        from portal.models import User

        act = db.session.get(Activity, act_id)
        f.fire(act, db.session.get(User, ids["reviewer"]), "approve")
        f.fire(act, db.session.get(User, ids["reviewer"]), "credit")
        hours = dict(db.session.execute(
            select(CreditEntry.user_id, CreditEntry.hours).where(CreditEntry.activity_id == act_id)).all())
    assert hours == {ids["t1"]: Decimal("3"), ids["t2"]: Decimal("6")}  # the built-in rule, not 99

    # the admin page names both plugins, in Chinese and in English
    admin_client = client_for(app, ids["admin"], school_id)
    zh = admin_client.get("/admin/plugins").get_data(as_text=True)
    # not loaded, so no type names it: its entry-point name (what the allow-list takes), as code
    item = re.search(r'data-testid="plugin-failure-aaa_dup"><strong>插件 <code>aaa_dup</code></strong>: (.*?)</li>', zh)
    assert item, zh[:3000]
    assert item.group(1) == (
        "插件 &#39;aaa_dup&#39; 的活动类型键 &#39;lecture&#39; 重复：插件 &#39;lecture&#39; 已提供此键，仍由其提供；"
        "&#39;aaa_dup&#39; 未加载"
    )
    en = admin_client.get("/admin/plugins?lang=en").get_data(as_text=True)
    assert DUP_MESSAGE.replace("'", "&#39;") in en


def test_third_party_plugins_keep_a_key_in_distribution_order_not_entry_point_order(site_packages, make_app):
    site_packages.install("yx-zeta", "yx_zeta", """
        from tests.plugins.plugin_throwaway import make_type
        from portal.hookspecs import hookimpl

        @hookimpl
        def portal_activity_types():
            return [make_type("tea_talk", "乙方茶话")]
    """, entry_point="aaa_first")
    site_packages.install("yx-alpha", "yx_alpha", """
        from tests.plugins.plugin_throwaway import make_type
        from portal.hookspecs import hookimpl

        @hookimpl
        def portal_activity_types():
            return [make_type("tea_talk", "甲方茶话")]
    """, entry_point="zzz_last")
    app = make_app(EXTRA_PLUGINS=[("aa_extra", ProvidesType("tea_talk", "临时茶话"))])
    with app.app_context():
        tea = registry().get("tea_talk")
        assert (tea.plugin, tea.type.name_zh) == ("zzz_last", "甲方茶话")  # distribution yx-alpha sorts first
        assert failures()["aaa_first"] == (
            "duplicate activity type key 'tea_talk' in plugin 'aaa_first': already provided by plugin 'zzz_last', "
            "which keeps it; 'aaa_first' was not loaded"
        )
        # EXTRA_PLUGINS come after every entry point, whatever they are called
        assert "already provided by plugin 'zzz_last'" in failures()["aa_extra"]
        assert list(registry().keys())[:5] == ["lecture", "mentorship", "observation", "research", "school_visit"]


SQUAT_MESSAGE = (
    "entry point name 'lecture' of distribution 'yx-squatter' is already taken by plugin 'lecture' "
    "of distribution 'yanxiu', which keeps it; this one was not loaded"
)


def test_an_entry_point_name_taken_by_a_builtin_is_reported(site_packages, make_app):
    site_packages.install("yx-squatter", "yx_squatter", IMPOSTOR, entry_point="lecture")
    app = make_app()
    with app.app_context():
        assert registry().get("lecture").type.name_zh == "专题讲座"
        assert registry().plugins.info["lecture"].module == "plugins.lecture"
        assert failures()["lecture"] == SQUAT_MESSAGE


# -- 2. a misspelled hook is reported -----------------------------------------------------

TYPO_MESSAGE = (
    "unknown hook 'portal_template_dir' in plugin 'yx_typo' (did you mean 'portal_template_dirs'?); "
    "the plugin was not loaded"
)


def test_a_misspelled_template_hook_refuses_the_plugin_naming_the_nearest_hook(site_packages, make_app, plugin_log):
    site_packages.install("yx-typo", "yx_typo", TYPO_TEMPLATE_DIRS,
                          files={"templates/typo_talk/fragment.html": "<p>错字讲座</p>"})
    app = make_app()
    with app.app_context():
        assert failures()["yx_typo"] == TYPO_MESSAGE
        assert registry().get("typo_talk") is None  # unregistered: contributes nothing
        assert not registry().plugins.manager.has_plugin("yx_typo")
        s = f.school("TY")
        p = f.staff(s)
        school_id, teacher = s.id, p["t1"].id
    assert f"plugin yx_typo: {TYPO_MESSAGE}" in plugin_log.text
    client = client_for(app, teacher, school_id)
    assert client.get("/").status_code == 200
    assert client.get("/activities").status_code == 200


FORGOTTEN_MESSAGE = (
    "unknown hook 'portal_activity_type' in plugin 'yx_forgotten' (did you mean 'portal_activity_types'?); "
    "the plugin was not loaded"
)
NO_MATCH_MESSAGE = (
    "unknown hook 'portal_frobnicate_widgets' in plugin 'strange' (the contract has no hook of a similar name); "
    "the plugin was not loaded"
)
WRAPPER_MESSAGE = (
    "hook portal_assess_year of plugin 'wraps' is a wrapper, which the portal does not support; "
    "the plugin was not loaded"
)


def test_a_misspelled_types_hook_is_reported_and_an_unknown_name_without_a_near_one_too(site_packages, make_app):
    site_packages.install("yx-forgotten", "yx_forgotten", TYPO_ACTIVITY_TYPE)

    class Strange:
        @hookimpl
        def portal_frobnicate_widgets(self):
            return 1

        @hookimpl
        def portal_activity_types(self):
            return [ProvidesType("strange").portal_activity_types()[0]]

    app = make_app(EXTRA_PLUGINS=[("strange", Strange())])
    with app.app_context():
        assert failures()["yx_forgotten"] == FORGOTTEN_MESSAGE
        assert failures()["strange"] == NO_MATCH_MESSAGE
        assert registry().get("strange") is None and registry().get("forgotten") is None
        assert "lecture" in registry().types


def test_an_optional_hook_of_a_later_contract_is_allowed(make_app):
    class Ahead:
        @hookimpl(optionalhook=True)
        def portal_from_contract_2(self):
            return 1

        @hookimpl
        def portal_activity_types(self):
            return [ProvidesType("ahead").portal_activity_types()[0]]

    app = make_app(EXTRA_PLUGINS=[("ahead", Ahead())])
    with app.app_context():
        assert registry().get("ahead").plugin == "ahead"
        assert "ahead" not in failures()


def test_a_hook_wrapper_is_refused(make_app):
    class Wraps:
        @hookimpl(wrapper=True)
        def portal_assess_year(self, facts):
            return (yield)

    app = make_app(EXTRA_PLUGINS=[("wraps", Wraps())])
    with app.app_context():
        assert failures()["wraps"] == WRAPPER_MESSAGE


# -- 3. request-time failures name the plugin in the log, the type on the page, never 500 ----

NOTICE_ZH = "“易碎讲座”类型的插件未能显示本页中由它提供的内容，错误已记入日志。"
NOTICE_EN = "The plugin of activity type 'Fragile talk' could not show its part of this page. The error has been logged."
FRAGMENT_MESSAGE = (
    "page_fragment of activity type 'fragile' raised RuntimeError: fragment exploded; the page showed a notice instead"
)
NOTIFIER_MESSAGE = "hook portal_activity_transitioned raised ConnectionError: district feed unreachable during hold of activity "
ASSESS_RAISED_MESSAGE = (
    "hook portal_assess_year raised ZeroDivisionError: district formula divided by zero; the next policy decided instead"
)
ASSESS_BAD_MESSAGE = "portal_assess_year returned 'met', not an Assessment; the next policy decided instead"


def test_a_page_fragment_that_raises_shows_a_notice_naming_the_type(site_packages, make_app, plugin_log):
    """The notice names the type in the reader's language; the plugin's entry-point name (a
    code) is in the log and on /admin/plugins only."""
    site_packages.install("yx-fragile", "yx_fragile", FRAGILE)
    app = make_app()
    with app.app_context():
        s = f.school("FR")
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "fragile", [(p["t1"], "member")])
        act_id, school_id, organizer = act.id, s.id, p["organizer"].id
    client = client_for(app, organizer, school_id)
    plugin_log.clear()
    r = client.get(f"/activities/{act_id}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    notice = _chinese_text_of(html, "plugin-fragment-failed")
    assert notice == NOTICE_ZH
    assert not re.search(r"[A-Za-z]", notice) and "yx_fragile" not in html  # no code, no English on a Chinese page
    assert 'data-testid="trigger-hold"' in html  # the rest of the page is there
    en = client.get(f"/activities/{act_id}?lang=en").get_data(as_text=True)
    assert html_unescape(_chinese_text_of(en, "plugin-fragment-failed")) == NOTICE_EN and "yx_fragile" not in en
    records = [r for r in plugin_log.records if r.name == "portal.plugin_loader" and r.levelno == logging.ERROR]
    assert records and records[0].getMessage() == f"plugin yx_fragile: {FRAGMENT_MESSAGE}"
    assert records[0].exc_info is not None  # with the traceback
    with app.app_context():
        assert failures()["yx_fragile"] == FRAGMENT_MESSAGE
        assert len([x for x in registry().plugins.failures if x.plugin == "yx_fragile"]) == 1  # not one per view


def test_a_fragment_whose_query_fails_leaves_the_page_working_on_postgresql_too(site_packages, make_app):
    site_packages.install("yx-unmigrated", "yx_unmigrated", MISSING_TABLE)
    app = make_app()
    with app.app_context():
        s = f.school("UM")
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "unmigrated", [(p["t1"], "member")])
        act_id, school_id, organizer = act.id, s.id, p["organizer"].id
    client = client_for(app, organizer, school_id)
    r = client.get(f"/activities/{act_id}")
    assert r.status_code == 200  # PostgreSQL aborts the transaction: the page must roll it back
    html = r.get_data(as_text=True)
    assert "“未迁移类型”类型的插件未能显示本页中由它提供的内容" in html and "yx_unmigrated" not in html
    assert "测试活动" in html and 'data-testid="trigger-hold"' in html


def test_a_transition_hook_that_raises_names_the_plugin_and_the_transition_stands(site_packages, make_app, plugin_log):
    site_packages.install("yx-notifier", "yx_notifier", NOTIFIER)
    app = make_app()
    with app.app_context():
        s = f.school("NO", types=("lecture",))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
        f.attend(act, p["organizer"])
        act_id, school_id, organizer = act.id, s.id, p["organizer"].id
    client = client_for(app, organizer, school_id)
    r = client.post(f"/activities/{act_id}/trigger", data={"trigger": "hold", "comment": ""})
    assert r.status_code == 302
    assert client.get(r.headers["Location"]).status_code == 200
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "held"
        assert failures()["yx_notifier"] == f"{NOTIFIER_MESSAGE}{act_id}"
    assert "plugin yx_notifier: hook portal_activity_transitioned raised ConnectionError" in plugin_log.text


class BrokenPolicy:
    @hookimpl
    def portal_assess_year(self, facts):
        if facts.total_hours < 100:
            raise ZeroDivisionError("district formula divided by zero")
        return Assessment("met", "district")


class NonsensePolicy:
    @hookimpl
    def portal_assess_year(self, facts):
        return "met"


def test_an_assessment_policy_that_raises_falls_back_to_the_next_and_is_reported(make_app, plugin_log):
    facts = YearFacts(user_id=1, school_year="2026-2027", required_hours=Decimal("50"),
                      absence_limit_hours=Decimal("5"), total_hours=Decimal("20"))
    app = make_app(EXTRA_PLUGINS=[("district", BrokenPolicy())])
    with app.app_context():
        assert credits.assess(facts) == Assessment("short")  # the seeds' default decided
        assert failures()["district"] == ASSESS_RAISED_MESSAGE
        s = f.school("AS")
        p = f.staff(s)
        school_id, teacher, admin = s.id, p["t1"].id, p["admin"].id
    assert "plugin district: hook portal_assess_year raised ZeroDivisionError" in plugin_log.text
    assert client_for(app, teacher, school_id).get("/").status_code == 200
    assert client_for(app, admin, school_id).get("/reports/summary").status_code == 200


def test_an_assessment_policy_answering_nonsense_is_not_turned_into_a_verdict(make_app):
    facts = YearFacts(user_id=1, school_year="2026-2027", required_hours=Decimal("50"),
                      absence_limit_hours=Decimal("5"), total_hours=Decimal("60"))
    app = make_app(EXTRA_PLUGINS=[("nonsense", NonsensePolicy())])
    with app.app_context():
        assert credits.assess(facts) == Assessment("met")  # was silently "short"
        assert failures()["nonsense"] == ASSESS_BAD_MESSAGE


class ReasonPolicy:
    def __init__(self, reason: object):
        self.reason = reason

    @hookimpl
    def portal_assess_year(self, facts):
        return Assessment("met", self.reason)  # type: ignore[arg-type]


@pytest.mark.parametrize("reason", [None, 12345, ["x"], "理" * 1001], ids=["none", "int", "list", "too-long"])
def test_an_assessment_whose_reason_is_no_text_is_the_policys_failure(make_app, reason):
    """Attack: ``Assessment("met", reason=None)`` (a slip), 12345 or a list made the summary, the
    record and the exports answer 500 and the rebuild stop with a driver error naming no plugin;
    200,000 characters were stored and shown. Now the next policy decides and the plugin is named."""
    facts = YearFacts(user_id=1, school_year="2026-2027", required_hours=Decimal("50"),
                      absence_limit_hours=Decimal("5"), total_hours=Decimal("20"))
    app = make_app(EXTRA_PLUGINS=[("odd_reason", ReasonPolicy(reason))])
    with app.app_context():
        assert credits.assess(facts) == Assessment("short")  # the seeds' default decided
        assert failures()["odd_reason"].startswith("portal_assess_year returned Assessment(")
        s = f.school("AR")
        p = f.staff(s)
        school_id, teacher, admin = s.id, p["t1"].id, p["admin"].id
    admin_client = client_for(app, admin, school_id)
    for path in ("/reports/summary", "/reports/summary.csv", "/reports/summary.xlsx", f"/teachers/{teacher}/record"):
        assert admin_client.get(path).status_code == 200, path


def test_an_assessment_with_a_reason_of_words_is_taken(make_app):
    facts = YearFacts(user_id=1, school_year="2026-2027", required_hours=Decimal("50"),
                      absence_limit_hours=Decimal("5"), total_hours=Decimal("20"))
    app = make_app(EXTRA_PLUGINS=[("words", ReasonPolicy("区里认定"))])
    with app.app_context():
        assert credits.assess(facts) == Assessment("met", "区里认定")
        assert "words" not in failures()


# -- 4. hooks run in the documented order ------------------------------------------------

RECORDING = """
    from portal.hookspecs import hookimpl
    from tests.plugins import test_broken_plugins as here

    @hookimpl
    def portal_activity_transitioned(trigger):
        here.ORDER_SEEN.append("{name}")
"""
ORDER_SEEN: list[str] = []


def test_hooks_run_in_registration_order_and_the_policy_in_reverse(site_packages, make_app, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ORDER_SEEN", [])
    site_packages.install("yx-order-b", "yx_order_b", RECORDING.replace("{name}", "b"), entry_point="aaa")
    site_packages.install("yx-order-a", "yx_order_a", RECORDING.replace("{name}", "a"), entry_point="zzz")

    class Extra:
        @hookimpl
        def portal_activity_transitioned(self, trigger):
            ORDER_SEEN.append("extra")

    class Says:
        def __init__(self, status):
            self.status = status

        @hookimpl
        def portal_assess_year(self, facts):
            return Assessment(self.status, "says")

    app = make_app(EXTRA_PLUGINS=[("extra", Extra()), ("says_met", Says("met")), ("says_short", Says("short"))])
    with app.app_context():
        call_each(registry().plugins, "portal_activity_transitioned", activity=None, trigger="hold",
                  from_state="planned", to_state="held", actor_id=1, school_code="S")
        # registration order: distribution yx-order-a before yx-order-b (entry points zzz, aaa), then extras
        assert ORDER_SEEN == ["a", "b", "extra"]
        facts = YearFacts(user_id=1, school_year="2026-2027", required_hours=Decimal("50"),
                          absence_limit_hours=Decimal("5"), total_hours=Decimal("0"))
        assert credits.assess(facts) == Assessment("short", "says")  # the last registered is asked first
    hookspecs_doc = (ROOT / "portal" / "hookspecs.py").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for text in (hookspecs_doc, guide):
        assert "the last registered plugin is called first" not in " ".join(text.split())
        assert "registration order" in text


# -- 5. a workflow extension naming an unknown role -----------------------------------------


WORKFLOW_MESSAGE = (
    "workflow of type 'peer_review' is invalid: WorkflowExtensionError: transition 'hold' names unknown roles "
    f"['reviewers']; known: {', '.join(sorted(ACTOR_ROLES))}; the plugin was not loaded"
)


def test_a_workflow_naming_an_unknown_actor_role_is_refused_with_the_types_name(make_app, plugin_log):
    class Reviewed(ActivityType):
        key = "peer_review"
        name_zh, name_en = "同行评议", "Peer review"
        roles = {"member": Role("成员", "Member")}

        def workflow(self):
            return WorkflowExtension(transitions=(
                Transition("hold", ("planned",), "held", frozenset({"reviewers"}), "举行", "Hold"),
            ))

    class Plugin:
        @hookimpl
        def portal_activity_types(self):
            return [Reviewed()]

    app = make_app(EXTRA_PLUGINS=[("peer_review", Plugin())])
    with app.app_context():
        assert registry().get("peer_review") is None
        assert failures()["peer_review"] == WORKFLOW_MESSAGE
        assert not registry().plugins.manager.has_plugin("peer_review")
        assert "lecture" in registry().types
    assert f"plugin peer_review: {WORKFLOW_MESSAGE}" in plugin_log.text


# -- 5. everything at once: the portal stays healthy -----------------------------------------


def test_every_broken_plugin_at_once_is_named_and_a_lecture_goes_through_its_whole_life(
    site_packages, make_app, plugin_log
):
    site_packages.install("yx-impostor", "yx_impostor", IMPOSTOR, entry_point="aaa_dup")
    site_packages.install("yx-typo", "yx_typo", TYPO_TEMPLATE_DIRS,
                          files={"templates/typo_talk/fragment.html": "<p>错字讲座</p>"})
    site_packages.install("yx-fragile", "yx_fragile", FRAGILE)
    site_packages.install("yx-notifier", "yx_notifier", NOTIFIER)
    app = make_app()
    with app.app_context():
        assert failures()["aaa_dup"] == DUP_MESSAGE
        assert failures()["yx_typo"] == TYPO_MESSAGE
        assert registry().get("lecture").type.name_zh == "专题讲座"
        assert {"lecture", "fragile"} <= set(registry().types) and "typo_talk" not in registry().types
        s = f.school("ALL")
        p = f.staff(s)
        fragile = f.plan(s, p["organizer"], "fragile", [(p["t1"], "member")])
        users = {k: u.id for k, u in p.items()}
        school_id, fragile_id = s.id, fragile.id
    organizer = client_for(app, users["organizer"], school_id)
    reviewer = client_for(app, users["reviewer"], school_id)
    teacher = client_for(app, users["t1"], school_id)
    admin = client_for(app, users["admin"], school_id)

    assert teacher.get("/").status_code == 200
    r = organizer.post("/activities/new/lecture", data={
        "title": "插件故障下的讲座", "starts_at": "2026-10-20T14:00", "ends_at": "2026-10-20T16:00", "hours": "2",
        "location": "报告厅", "details-topic": "作业设计",
        f"role-{users['t1']}": "attendee", f"role-{users['t2']}": "speaker",
    })
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    act_id = int(r.headers["Location"].rsplit("/", 1)[1])
    page = organizer.get(f"/activities/{act_id}")
    assert page.status_code == 200 and "专题讲座" in page.get_data(as_text=True)
    r = organizer.post(f"/activities/{act_id}/attendance",
                       data={f"attended-{users['t1']}": "2", f"attended-{users['t2']}": "2"})
    assert r.status_code == 302
    assert organizer.post(f"/activities/{act_id}/trigger", data={"trigger": "hold", "comment": ""}).status_code == 302
    r = reviewer.post(f"/review/{act_id}", data={"action": "approve", "comment": ""})
    assert r.status_code == 302
    assert reviewer.post("/review/bulk", data={"action": "credit", "ids": [str(act_id)]}).status_code == 302
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "credited"
        hours = dict(db.session.execute(
            select(CreditEntry.user_id, CreditEntry.hours).where(CreditEntry.activity_id == act_id)).all())
        assert hours == {users["t1"]: Decimal("2"), users["t2"]: Decimal("4")}
        notifier = [x.error for x in registry().plugins.failures if x.plugin == "yx_notifier"]
        assert {e.split(" during ")[1].split(" of ")[0] for e in notifier} == {"hold", "approve", "credit"}
    assert organizer.get(f"/activities/{act_id}").status_code == 200
    home = teacher.get("/")
    assert home.status_code == 200

    fragile_page = organizer.get(f"/activities/{fragile_id}")
    assert fragile_page.status_code == 200 and NOTICE_ZH in fragile_page.get_data(as_text=True)

    listing = admin.get("/admin/plugins").get_data(as_text=True)
    for name in ("aaa_dup", "yx_typo", "yx_fragile", "yx_notifier"):
        assert f'data-testid="plugin-failure-{name}"' in listing
    out = app.test_cli_runner().invoke(args=["plugins", "list"]).output
    assert f"FAILED\taaa_dup\t{DUP_MESSAGE}" in out and f"FAILED\tyx_typo\t{TYPO_MESSAGE}" in out
    assert "fragile\t易碎讲座\tyx_fragile\t0.1" in out


def test_the_guide_quotes_every_message_exactly():
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    section = guide.split("## 10. Mistakes and the messages they produce", 1)[1].split("\n## ", 1)[0]
    for message in (DUP_MESSAGE, SQUAT_MESSAGE, TYPO_MESSAGE, FORGOTTEN_MESSAGE, NO_MATCH_MESSAGE, WRAPPER_MESSAGE,
                    FRAGMENT_MESSAGE, NOTIFIER_MESSAGE, ASSESS_RAISED_MESSAGE, ASSESS_BAD_MESSAGE, WORKFLOW_MESSAGE):
        assert f"\n{message}" in section, message
    assert NOTICE_ZH.replace("易碎讲座", "TYPE") in guide and NOTICE_EN.replace("Fragile talk", "TYPE") in " ".join(
        guide.split())


def test_a_plugin_pluggy_refuses_halfway_contributes_nothing(make_app):
    """pluggy adds a plugin's hooks one by one and stops at one whose arguments are not the
    hook's: none of the plugin's hooks may stay behind (pluggy 1.7 cleans up itself; the loader
    makes sure for older versions, which the portal's ``pluggy>=1.3`` allows)."""

    class HalfValid:
        @hookimpl
        def portal_activity_types(self):  # added first (pluggy goes through dir() in order)
            return [ProvidesType("half_valid").portal_activity_types()[0]]

        @hookimpl
        def portal_assess_year(self, fact):  # the argument is called "facts"
            return None

    app = make_app(EXTRA_PLUGINS=[("half_valid", HalfValid())])
    with app.app_context():
        assert failures()["half_valid"].startswith(
            "failed to register: PluginValidationError: Plugin 'half_valid' for hook 'portal_assess_year' "
            "hookimpl definition: portal_assess_year(fact) Argument(s) {'fact'} are declared in the hookimpl"
        )
        assert registry().get("half_valid") is None
        assert not registry().plugins.manager.has_plugin("half_valid")
