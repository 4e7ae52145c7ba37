"""A plugin's code that raises while the portal serves a request — a guard, the details it
renders — is reported with the plugin's name and the user gets a page, never a 500: the page
names the activity type, never the plugin's entry-point name (a code)."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from portal.activity_types import ActivityType, Role
from portal.extensions import db
from portal.hookspecs import hookimpl
from portal.models import Activity
from portal.registry import registry
from portal.timeutil import utcnow
from tests.plugins.test_broken_plugins import client_for, failures
from tests.support import factories as f
from workflows import Transition, WorkflowExtension

ROOT = Path(__file__).resolve().parents[2]
GUARD_MESSAGE = ("guard guard_exploding of trigger 'hold' of type 'rt_guard' raised RuntimeError: quiz service "
                 "down; the step was refused and nothing changed")


def guard_exploding(ctx):
    raise RuntimeError("quiz service down")


def one_role_type(key: str, name_zh: str, name_en: str, **members: object) -> ActivityType:
    """An activity type of a test plugin with one role, ``member``, and the ``members`` given
    (the methods that raise, a workflow)."""
    attrs = {"key": key, "name_zh": name_zh, "name_en": name_en, "roles": {"member": Role("成员", "Member")}}
    return type(f"Type_{key}", (ActivityType,), {**attrs, **members})()


def raising(message: str):
    """A method that raises RuntimeError(``message``) whatever it is called with."""
    def method(self, *args, **kwargs):
        raise RuntimeError(message)
    return method


def exploding_guard() -> ActivityType:
    return one_role_type("rt_guard", "测验课", "Quiz course",
                         workflow=lambda self: WorkflowExtension(guards={"hold": (guard_exploding,)}))


def exploding_details() -> ActivityType:
    return one_role_type("rt_details", "赛课", "Teaching contest", render_details=raising("details exploded"))


def exploding_rules(plan_too: bool = False) -> ActivityType:
    extra = {"check_plan": raising("plan check exploded")} if plan_too else {}
    return one_role_type("rt_rules", "网络课程", "Online course", credit_hours=raising("credit rule exploded"), **extra)


class Plugin:
    def __init__(self, type_: ActivityType) -> None:
        self.type = type_

    @hookimpl
    def portal_activity_types(self):
        return [self.type]


def _held_ready(make_app, plugin: str, type_: ActivityType):
    app = make_app(EXTRA_PLUGINS=[(plugin, Plugin(type_))])
    with app.app_context():
        s = f.school("RT", types=(type_.key,))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], type_.key, [(p["t1"], "member")], hours="2",
                     start=utcnow() - timedelta(days=2))
        f.attend(act, p["organizer"])
        return app, act.id, s.id, p["organizer"].id


def test_a_guard_that_raises_refuses_the_step_naming_the_plugin(make_app, plugin_log):
    app, act_id, school_id, organizer = _held_ready(make_app, "yx_quiz", exploding_guard())
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = client_for(app, organizer, school_id)
    r = client.post(f"/activities/{act_id}/trigger", data={"trigger": "hold", "comment": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 409, html[:500]
    assert "“测验课”类型的插件未能检查此操作，错误已记入日志，未作任何更改" in html and "yx_quiz" not in html
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "planned"
        assert failures()["yx_quiz"] == GUARD_MESSAGE
    assert f"plugin yx_quiz: {GUARD_MESSAGE}" in plugin_log.text


def test_details_that_raise_show_the_page_with_a_notice_naming_the_plugin(make_app, plugin_log):
    app, act_id, school_id, organizer = _held_ready(make_app, "yx_contest", exploding_details())
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = client_for(app, organizer, school_id).get(f"/activities/{act_id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:500]
    assert "“赛课”类型的插件未能显示本页中由它提供的内容" in html and "yx_contest" not in html
    message = ("render_details of activity type 'rt_details' raised RuntimeError: details exploded; "
               "the page showed a notice instead")
    with app.app_context():
        assert failures()["yx_contest"] == message


def test_the_guide_quotes_the_request_time_messages():
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    section = guide.split("## 10. Mistakes and the messages they produce", 1)[1].split("\n## ", 1)[0]
    assert f"\n{GUARD_MESSAGE}" in section
    assert "\ncredit_hours of activity type 'rt_rules' raised RuntimeError: credit rule exploded; " in section
    assert "\nrequired_evidence_for of activity type 'rt_required' raised RuntimeError: requirements " in section
    assert "\nworkflow of type 'rt_widen' is invalid: WorkflowExtensionError: core trigger 'credit' may be " in section


ALLOWED = ("portal.hookspecs", "portal.activity_types", "portal.assessment", "portal.facade", "workflows")


@pytest.mark.parametrize("path", sorted((ROOT / "plugins").glob("*.py")), ids=lambda p: p.name)
def test_the_builtin_types_import_only_the_documented_contract(path):
    """docs/plugins.md §2: a plugin imports ``portal.hookspecs``, ``portal.activity_types``,
    ``portal.assessment``, ``portal.facade`` and ``workflows`` — the built-ins no more."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    used = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    used |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    core = {m for m in used if m.split(".")[0] in ("portal", "workflows")}
    assert core <= set(ALLOWED), f"{path.name} imports {sorted(core - set(ALLOWED))}, not in the contract"


def _held_with_an_exploding_rule(make_app, code: str):
    """An app whose plugin's credit rule raises, and a held activity of its type: (app, the
    activity's id, the school's id, the reviewer's id, the participant's id)."""
    app = make_app(EXTRA_PLUGINS=[("yx_course", Plugin(exploding_rules()))])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school(code, types=("rt_rules",))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "rt_rules", [(p["t1"], "member")], hours="2", start=utcnow() - timedelta(days=2))
        f.attend(act, p["organizer"])
        f.fire(act, p["organizer"], "hold")
        return app, act.id, s.id, p["reviewer"].id, p["t1"].id


def test_a_credit_rule_that_raises_refuses_the_approval_naming_the_plugin(make_app, plugin_log):
    app, act_id, school_id, reviewer, _teacher = _held_with_an_exploding_rule(make_app, "RC")
    client = client_for(app, reviewer, school_id)
    r = client.post(f"/review/{act_id}", data={"action": "approve", "comment": "ok"})
    html = client.get(r.headers["Location"]).get_data(as_text=True) if r.status_code == 302 else r.get_data(as_text=True)
    assert r.status_code in (302, 409, 422), html[:500]  # 422: the queue again, the refusal on the card
    assert "“网络课程”类型的插件在执行此操作时出错，错误已记入日志，未作任何更改" in html and "yx_course" not in html
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "held"
        reported = [x.error for x in registry().plugins.failures if x.plugin == "yx_course"]
        assert ("credit_hours of activity type 'rt_rules' raised RuntimeError: credit rule "
                "exploded; the step was refused and nothing changed") in reported  # the queue it returns to: a preview's


def _organizer_with(make_app, plugin: tuple[str, object], code: str, type_key: str):
    """An app with ``plugin`` (name, object) and a school of its type: (app, school id, organizer id)."""
    app = make_app(EXTRA_PLUGINS=[plugin])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school(code, types=(type_key,))
        return app, s.id, f.staff(s)["organizer"].id


def test_a_plan_check_that_raises_refuses_the_plan_naming_the_plugin(make_app, plugin_log):
    app, school_id, organizer = _organizer_with(make_app, ("yx_course", Plugin(exploding_rules(plan_too=True))),
                                                "RP", "rt_rules")
    client = client_for(app, organizer, school_id)
    r = client.post("/activities/new/rt_rules", data={"title": "网络课程", "starts_at": "2026-09-10T09:00",
                                                      "ends_at": "2026-09-10T11:00", "hours": "2"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409, html[:500]
    assert "“网络课程”类型的插件在执行此操作时出错，错误已记入日志，未作任何更改" in html and "yx_course" not in html
    with app.app_context():
        assert failures()["yx_course"] == ("check_plan of activity type 'rt_rules' raised RuntimeError: plan check "
                                           "exploded; the step was refused and nothing changed")
        assert db.session.query(Activity).count() == 0


@pytest.mark.parametrize(("args", "message"), [
    ((5, 10, 0), "setting 'Pass mark' (及格分): its minimum 10 is above its maximum 0"),
    ((120, 0, 100), "setting 'Pass mark' (及格分): default 120 is outside the range 0..100"),
    (("60", 0, 100), "setting 'Pass mark' (及格分): only a number setting has a range"),
])
def test_a_setting_declared_wrongly_names_itself(args, message):
    """A type with several settings: the error raised at import says which declaration is wrong."""
    from portal.activity_types import Setting, Text

    with pytest.raises(ValueError) as caught:
        Setting(*args, label=Text("及格分", "Pass mark"))
    assert str(caught.value) == message


def test_required_evidence_that_raises_leaves_the_teachers_home_working(make_app, plugin_log):
    forum = one_role_type("rt_required", "网络研修", "Online forum", required_evidence_for=raising("requirements exploded"))
    app = make_app(EXTRA_PLUGINS=[("yx_forum", Plugin(forum))])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school("RE", types=("rt_required", "lecture"))
        p = f.staff(s)
        f.plan(s, p["organizer"], "rt_required", [(p["t1"], "member")], hours="2", start=utcnow() - timedelta(days=2))
        school_id, teacher = s.id, p["t1"].id
    r = client_for(app, teacher, school_id).get("/")
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    with app.app_context():
        assert failures()["yx_forum"] == ("required_evidence_for of activity type 'rt_required' raised RuntimeError: "
                                          "requirements exploded; the page went on without it")


def widening_credit() -> ActivityType:
    credit = Transition("credit", ("reviewed",), "credited", frozenset({"reviewer", "teacher"}), "认定", "Credit")
    return one_role_type("rt_widen", "赛课", "Teaching contest",
                         workflow=lambda self: WorkflowExtension(transitions=(credit,)))


def test_a_core_trigger_cannot_be_given_to_more_people_than_the_core_gives_it(make_app):
    """A re-routed core trigger may narrow who fires it (the declared type lets only the owner
    hold), never widen it: crediting hours stays the reviewers'."""
    app = make_app(EXTRA_PLUGINS=[("yx_widen", Plugin(widening_credit()))])
    with app.app_context():
        assert "rt_widen" not in registry().types
        assert failures()["yx_widen"] == (
            "workflow of type 'rt_widen' is invalid: WorkflowExtensionError: core trigger 'credit' may be fired only "
            "by reviewer, school_admin (stand-in); ['teacher'] would widen it; the plugin was not loaded")


PREVIEW_MESSAGE = ("credit_hours of activity type 'rt_rules' raised RuntimeError: credit rule exploded; "
                   "the page went on without the hours it gives")
PREVIEW_NOTICE = "“网络课程”类型的插件未能算出此处显示的学时，错误已记入日志；在修复之前，需要这些学时的操作都将被拒绝"


def test_a_credit_rule_that_raises_leaves_the_hours_previews_usable_with_a_notice(make_app, plugin_log):
    """The activity page, the review queue and the teacher's home show what crediting would give:
    a rule that raises leaves each page working (200) with a notice naming the type in place
    of the figures; approving stays refused (above)."""
    app, act_id, school_id, reviewer, teacher = _held_with_an_exploding_rule(make_app, "RV")
    client = client_for(app, reviewer, school_id)
    page = client.get(f"/activities/{act_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:500]
    assert 'data-testid="plugin-hours-failed"' in html and PREVIEW_NOTICE in html and "yx_course" not in html
    queue = client.get("/review")
    html = queue.get_data(as_text=True)
    assert queue.status_code == 200, html[:500]
    assert f'data-testid="plugin-hours-failed-{act_id}"' in html and PREVIEW_NOTICE in html and "yx_course" not in html
    assert f'data-testid="approve-{act_id}"' in html  # the step is offered, and refused when taken
    home = client_for(app, teacher, school_id).get("/")
    assert home.status_code == 200, home.get_data(as_text=True)[:500]
    with app.app_context():
        assert failures()["yx_course"] == PREVIEW_MESSAGE
        assert db.session.get(Activity, act_id).state == "held"
    assert f"plugin yx_course: {PREVIEW_MESSAGE}" in plugin_log.text


STEP_NOTICE = "“网络研修”类型的插件在执行此操作时出错，错误已记入日志，未作任何更改"


def setup_type(**members: object) -> ActivityType:
    """A type with one setting (``member_multiplier``) and the ``members`` given."""
    from portal.activity_types import Setting, Text

    return one_role_type("rt_setup", "网络研修", "Online forum", **{
        "declared_settings": {"member_multiplier": Setting(1, 0, 5, Text("成员学时倍数", "Member multiplier"))},
        **members,
    })


def saving_settings(make_app, validate_settings: Any, code: str) -> tuple[Any, int, Any, Any]:
    """A school admin of a new school ``code`` saves the settings of ``setup_type`` (whose
    ``validate_settings`` is given) on the page, then by the API: (the app, the school's id,
    the page's answer, the API's answer)."""
    from portal.services import tokens

    app = make_app(EXTRA_PLUGINS=[("yx_setup", Plugin(setup_type(validate_settings=validate_settings)))])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school(code, types=("rt_setup",))
        p = f.staff(s)
        school_id, admin = s.id, p["admin"].id
        token = tokens.issue(p["admin"]).token
    page = client_for(app, admin, school_id).post("/admin/types/rt_setup",
                                                  data={"enabled": "y", "setting-member_multiplier": "2"})
    api = app.test_client().put("/api/v1/activity-types/rt_setup", json={"settings": {"member_multiplier": 3}},
                                headers={"Authorization": f"Bearer {token}"})
    return app, school_id, page, api


def test_a_settings_validator_that_raises_refuses_the_save_naming_the_plugin(make_app, plugin_log):
    """``validate_settings`` runs when a school admin saves the type's settings (the page and the
    API): if it raises, the save is refused with 409 naming the plugin, nothing is stored."""
    app, school_id, page, r = saving_settings(make_app, raising("validator exploded"), "RS")
    html = page.get_data(as_text=True)
    assert page.status_code == 409, html[:500]
    assert STEP_NOTICE in html and "yx_setup" not in html
    assert r.status_code == 409, r.get_data(as_text=True)[:500]
    assert r.get_json() == {"error": "conflict", "message": "the plugin of activity type 'Online forum' failed while "
                            "this step was taken; the error has been logged and nothing was changed"}
    with app.app_context():
        from portal.services import schools

        assert schools.type_row(school_id, "rt_setup").settings in ({}, None)
        assert failures()["yx_setup"] == ("validate_settings of activity type 'rt_setup' raised RuntimeError: "
                                          "validator exploded; the step was refused and nothing changed")


def test_settings_defaults_that_raise_leave_the_pages_and_refuse_the_steps(make_app, plugin_log):
    """``settings_with_defaults`` gives every page and step the school's settings: if it raises,
    pages go on with the core's rule (reported), and a step is refused naming the plugin."""
    forum = setup_type()
    app, act_id, school_id, organizer = _held_ready(make_app, "yx_setup", forum)
    forum.settings_with_defaults = raising("defaults exploded").__get__(forum)  # broken since it was planned
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = client_for(app, organizer, school_id)
    for url in (f"/activities/{act_id}", "/", "/activities"):
        r = client.get(url)
        assert r.status_code == 200, (url, r.get_data(as_text=True)[:500])
    r = client.post(f"/activities/{act_id}/trigger", data={"trigger": "hold"})
    assert r.status_code == 409, r.get_data(as_text=True)[:500]
    assert STEP_NOTICE in r.get_data(as_text=True) and "yx_setup" not in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "planned"
        reported = {x.error for x in registry().plugins.failures if x.plugin == "yx_setup"}
    assert reported == {
        "settings_with_defaults of activity type 'rt_setup' raised RuntimeError: defaults exploded; "
        "the page went on without it",
        "settings_with_defaults of activity type 'rt_setup' raised RuntimeError: defaults exploded; "
        "the step was refused and nothing changed",
    }


def exploding_validator(form, field):
    raise RuntimeError("topic service down")


def test_a_form_validator_that_raises_refuses_the_plan_naming_the_plugin(make_app, plugin_log):
    """The type's form is the plugin's code too: a validator that raises (instead of raising
    ``ValidationError``) refuses the plan with 409 naming the plugin, on the page and the API."""
    from wtforms import Form, StringField

    topic_form = type("TopicForm", (Form,), {"topic": StringField("Topic", validators=[exploding_validator])})
    app, school_id, organizer = _organizer_with(make_app, ("yx_setup", Plugin(setup_type(form=topic_form))),
                                                "RF", "rt_setup")
    r = client_for(app, organizer, school_id).post(
        "/activities/new/rt_setup", data={"title": "网络研修", "starts_at": "2026-09-10T09:00",
                                          "ends_at": "2026-09-10T11:00", "hours": "2", "details-topic": "x"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409, html[:500]
    assert STEP_NOTICE in html
    with app.app_context():
        assert db.session.query(Activity).count() == 0
        assert failures()["yx_setup"] == ("form of activity type 'rt_setup' raised RuntimeError: topic service down; "
                                          "the step was refused and nothing changed")


def test_a_settings_refusal_of_no_one_setting_is_said_on_the_page(make_app):
    """A plugin's ``validate_settings`` may refuse two settings together, under a name that is no
    setting's: the types page said nothing (422, every field clean); it says the reason above the
    type's Save, once, and stores nothing."""
    def cross(self, settings):
        return {"combination": "成员学时倍数与本校规则不符"}

    app, school_id, page, _api = saving_settings(make_app, cross, "RX")
    html = page.get_data(as_text=True)
    assert page.status_code == 422, html[:500]
    assert html.count("成员学时倍数与本校规则不符") == 1 and 'data-testid="error-rt_setup"' in html
    with app.app_context():
        from portal.services import schools

        assert schools.type_row(school_id, "rt_setup").settings in ({}, None)
