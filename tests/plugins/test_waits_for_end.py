"""A type declares that a step of its workflow waits for the activity's end
(``WorkflowExtension.waits_for_end``, contract 1.19), as the core's ``credit`` does: the core
hides the button until the end (the activity page says when it comes; the API's
``allowed_triggers`` leaves it out), refuses a request made by hand before it in its own words
(``activity.not_ended``, 409, nothing written), and refuses at load a declaration naming a
trigger the workflow lacks, with the plugin's name."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Activity, TransitionLog
from portal.registry import registry
from portal.services import tokens
from portal.timeutil import local_text, to_local, utcnow
from tests.plugins.test_broken_plugins import client_for, failures
from tests.plugins.test_request_time_failures import Plugin, one_role_type
from tests.support import factories as f
from workflows import Phase, State, Transition, WorkflowExtension, build_definition
from workflows.extension import WorkflowExtensionError

OWNER = frozenset({"owner", "school_admin"})


def term_type(waits_for_end: object = frozenset({"hold"})) -> object:
    """A one-role type (a 读书会 term) whose ``hold`` waits for the activity's end."""
    workflow = WorkflowExtension(waits_for_end=waits_for_end)  # type: ignore[arg-type]
    return one_role_type("rt_term", "读书会学期", "Reading term", workflow=lambda self: workflow)


def _running(make_app):
    """An app with the type, and an activity of it begun an hour ago and ending in two, its
    attendance recorded (every guard of ``hold`` met)."""
    app = make_app(EXTRA_PLUGINS=[("yx_term", Plugin(term_type()))])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school("WE", types=("rt_term",))
        p = f.staff(s)
        local_now = to_local(utcnow(), s.timezone).replace(second=0, microsecond=0, tzinfo=None)
        act = f.plan(s, p["organizer"], "rt_term", [(p["t1"], "member")], hours="2",
                     start=local_now - timedelta(hours=1))
        f.attend(act, p["organizer"])
        token = tokens.issue(p["organizer"]).token
        return app, act.id, s.id, p["organizer"].id, token, act.ends_at, local_text(act.ends_at, s.timezone)


def _rows(app, act_id: int) -> tuple:
    with app.app_context():
        act = db.session.get(Activity, act_id)
        logs = db.session.scalar(select(func.count(TransitionLog.id)).where(TransitionLog.activity_id == act_id))
        return act.state, act.version, logs


def test_the_step_is_offered_from_the_end_on_on_the_page_and_in_the_api(make_app, time_machine):
    app, act_id, school_id, organizer, token, ends_at, end = _running(make_app)
    page = client_for(app, organizer, school_id)
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}

    html = page.get(f"/activities/{act_id}").get_data(as_text=True)
    assert 'data-testid="trigger-hold"' not in html
    assert f"活动结束（{end}）后可标记为已举行。" in html  # the page says when it comes
    assert "hold" not in api.get(f"/api/v1/activities/{act_id}", headers=auth).get_json()["allowed_triggers"]

    time_machine.move_to(ends_at.replace(tzinfo=UTC))  # its last minute is over
    html = page.get(f"/activities/{act_id}").get_data(as_text=True)
    assert 'data-testid="trigger-hold"' in html and 'data-testid="after-end"' not in html
    assert "hold" in api.get(f"/api/v1/activities/{act_id}", headers=auth).get_json()["allowed_triggers"]
    r = page.post(f"/activities/{act_id}/trigger", data={"trigger": "hold", "comment": ""})
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:500]
    assert _rows(app, act_id)[0] == "held"


def test_a_request_before_the_end_is_refused_in_the_cores_words_and_changes_nothing(make_app):
    app, act_id, school_id, organizer, token, _ends_at, end = _running(make_app)
    before = _rows(app, act_id)
    r = client_for(app, organizer, school_id).post(f"/activities/{act_id}/trigger",
                                                   data={"trigger": "hold", "comment": ""})
    assert r.status_code == 409
    assert f"活动尚未结束：须待其结束（学校时间 {end}）后才能标记为已举行" in r.get_data(as_text=True)
    assert _rows(app, act_id) == before
    r = app.test_client().post(f"/api/v1/activities/{act_id}/transitions", json={"trigger": "hold"},
                               headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    body = r.get_json()
    assert r.status_code == 409 and body["ends_at"] == end and body["state"] == "planned"
    assert body["message"] == f"the activity has not ended yet: Mark held once it ends, at {end} (school time)"
    assert _rows(app, act_id) == before and before[0] == "planned"


@pytest.mark.parametrize(("declared", "error"), [
    ({"hold", "close"}, "waits_for_end names unknown trigger 'close'; known: hold, cancel, approve, return, credit, revoke"),
    ("hold", "waits_for_end is a set of trigger names, not str 'hold'"),
], ids=["unknown trigger", "one text"])
def test_a_declaration_naming_no_trigger_of_the_workflow_is_refused_when_the_plugin_loads(
        make_app, plugin_log, declared, error):
    if isinstance(declared, set):
        declared = ["hold", "close"]  # in this order, so the message names 'close'
    app = make_app(EXTRA_PLUGINS=[("yx_term", Plugin(term_type(declared)))])
    message = f"workflow of type 'rt_term' is invalid: WorkflowExtensionError: {error}; the plugin was not loaded"
    with app.app_context():
        assert "rt_term" not in registry().types
        assert failures()["yx_term"] == message
    assert f"plugin yx_term: {message}" in plugin_log.text


def test_a_step_the_type_adds_waits_for_the_end_declared_on_it_or_by_name():
    """On the transition it adds (``not_before_end=True``) or by name: the same answer; a
    re-routed core trigger keeps it; nothing else waits."""
    closing = Transition("close_term", ("planned",), "closed_term", OWNER, "学期结束", "Close the term")
    closed = State("closed_term", "学期已结束", "Term closed", phase=Phase.OPEN)
    on = Transition("hold", ("planned", "closed_term"), "held", OWNER, "标记为已举行", "Mark held")  # no dead end (1.20)
    on_it = build_definition(WorkflowExtension(states=(closed,), transitions=(
        replace(closing, not_before_end=True), on)))
    by_name = build_definition(WorkflowExtension(states=(closed,), transitions=(closing, on),
                                                 waits_for_end={"close_term"}))
    for definition in (on_it, by_name):
        assert [t.trigger for t in definition.transitions if definition.waits_for_end(t)] == ["credit", "close_term"]
    held_by_name = build_definition(WorkflowExtension(waits_for_end=("hold",)))
    assert held_by_name.waits_for_end(held_by_name.transition("hold"))
    assert not build_definition().waits_for_end(build_definition().transition("hold"))
    with pytest.raises(WorkflowExtensionError, match="waits_for_end names unknown trigger 'hold_term'"):
        build_definition(WorkflowExtension(waits_for_end={"hold_term"}))


PREPARED = State("prepared", "已备课", "Prepared", phase=Phase.OPEN)
PREPARE = Transition("prepare", ("planned",), "prepared", OWNER, "备课", "Prepare")
HOLD_PREPARED = Transition("hold", ("prepared",), "held", OWNER, "标记为已举行", "Mark held")
UNPREPARE = Transition("unprepare", ("prepared",), "planned", OWNER, "撤回备课", "Undo the preparation")


@pytest.mark.parametrize(("workflow", "trigger"), [
    (WorkflowExtension(waits_for_end={"cancel"}), "cancel"),
    (WorkflowExtension(waits_for_end={"hold", "return"}), "return"),
    (WorkflowExtension(waits_for_end=("revoke",)), "revoke"),
    (WorkflowExtension(states=(PREPARED,), transitions=(PREPARE, HOLD_PREPARED, replace(UNPREPARE, not_before_end=True))),
     "unprepare"),
], ids=["cancel", "return", "revoke", "own step back"])
def test_a_step_that_goes_back_may_not_wait_for_the_end(make_app, plugin_log, workflow, trigger):
    """A cancel, a return, a reversal or a step of the type's own back to an earlier state, made to
    wait for the end, would trap the activity: a planned one that will not take place could not be
    cancelled before its end. Refused at load with the plugin's name and the step, in the
    catalogue's words (Chinese on the plugins page); asked of what the step does, not its name."""
    with pytest.raises(WorkflowExtensionError, match=f"trigger '{trigger}' does not move an activity towards"):
        build_definition(workflow)
    plugin = Plugin(one_role_type("rt_back", "读书会学期", "Reading term", workflow=lambda self: workflow))
    app = make_app(EXTRA_PLUGINS=[("yx_back", plugin)])
    message = (f"plugin 'yx_back': step '{trigger}' of type 'rt_back' does not move an activity towards its credits "
               "(it cancels, returns or goes back), so it may not wait for the activity's end (waits_for_end, "
               "not_before_end): nobody could take it before the end; the plugin was not loaded")
    with app.app_context():
        assert "rt_back" not in registry().types
        assert failures()["yx_back"] == message
        [failure] = [x for x in registry().plugins.failures if x.plugin == "yx_back"]
        with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
            assert failure.text() == (f"插件 'yx_back'：类型 'rt_back' 的步骤 '{trigger}' 并不推动活动走向学时认定"
                                      "（它取消、退回或后退），不能设为须待活动结束（waits_for_end、not_before_end）："
                                      "活动结束前谁也无法执行这一步；该插件未加载")
    assert f"plugin yx_back: {message}" in plugin_log.text


def test_a_step_forward_or_aside_may_wait_for_the_end():
    """What may wait: the core's ``hold``, a type's own step forward, a side step between states as
    far from the credits (the term's ``close_term`` above)."""
    forward = build_definition(WorkflowExtension(states=(PREPARED,), transitions=(PREPARE, HOLD_PREPARED, UNPREPARE),
                                                 waits_for_end={"prepare", "hold"}))
    assert [t.trigger for t in forward.transitions if forward.waits_for_end(t)] == ["hold", "credit", "prepare"]
    assert [t.trigger for t in forward.transitions if forward.steps_back(t)] == [
        "cancel", "return", "revoke", "unprepare"]
