"""A plugin's workflow cannot step round the review: the confirmed and credited phases are entered
and left only through the core triggers that carry their effects — ``approve`` (from a state awaiting
review), ``credit`` (from a confirmed state), ``revoke`` (out of credit) and ``return`` (back from a
confirmed state) — whatever a plugin re-routes or adds; and nothing leads out of the closed phase (a
cancelled activity is never re-opened). Refused at load, naming the plugin."""

from __future__ import annotations

import pytest

from portal.registry import registry
from tests.plugins.test_broken_plugins import failures
from tests.plugins.test_request_time_failures import Plugin, one_role_type
from workflows import Phase, State, Transition, WorkflowExtension, build_definition

OWNER = frozenset({"owner", "school_admin"})
REVIEWER = frozenset({"reviewer"})
STAMPED = State("stamped", "已盖章", "Stamped", phase=Phase.CREDITED)
SIGNED = State("signed", "已签字", "Signed", phase=Phase.CONFIRMED)
ARCHIVED = State("archived", "已归档", "Archived", phase=Phase.CLOSED)

SKIPS = {
    "credit re-routed from planned": (
        (), Transition("credit", ("planned",), "credited", REVIEWER, "认定学时", "Post credits"),
        "core trigger 'credit' posts credits, so it may leave only confirmed states; 'planned' is open"),
    "approve re-routed from planned": (
        (), Transition("approve", ("planned",), "reviewed", REVIEWER, "审核通过", "Approve"),
        "core trigger 'approve' approves the hours, so it may leave only states awaiting review; 'planned' is open"),
    "a new trigger from planned into a credited state": (
        (STAMPED,), Transition("stamp", ("planned",), "stamped", OWNER, "盖章", "Stamp"),
        "trigger 'stamp' leads from 'planned' into credited state 'stamped' without posting credits; "
        "only the core trigger that posts them does"),
    "a new trigger from held into a confirmed state": (
        (SIGNED,), Transition("sign", ("held",), "signed", OWNER, "签字", "Sign"),
        "trigger 'sign' leads from 'held' into confirmed state 'signed' without the approval; "
        "only the core trigger that approves the hours does"),
    "return re-routed out of credit": (
        (), Transition("return", ("held", "reviewed", "credited"), "held", REVIEWER, "退回修改", "Return",
                       comment_required=True),
        "trigger 'return' leads out of credited state 'credited' into 'held' without reversing the credits; "
        "only the core trigger that reverses them does"),
    "cancel re-routed from a confirmed state": (
        (), Transition("cancel", ("planned", "reviewed"), "cancelled", OWNER, "取消", "Cancel"),
        "trigger 'cancel' leads from confirmed state 'reviewed' back to 'cancelled' without clearing the "
        "approval; only the core trigger that returns for rework does"),
    "a new trigger re-opening a cancelled activity": (
        (), Transition("reopen", ("cancelled",), "planned", OWNER, "重新开放", "Re-open"),
        "trigger 'reopen' leads out of closed state 'cancelled' into 'planned'; a closed activity stays closed"),
    "hold re-routed from a cancelled activity": (
        (), Transition("hold", ("planned", "cancelled"), "held", OWNER, "举行", "Hold"),
        "trigger 'hold' leads out of closed state 'cancelled' into 'held'; a closed activity stays closed"),
    "a new trigger out of a closed state of the plugin's own": (
        (ARCHIVED,), Transition("unarchive", ("archived",), "held", OWNER, "恢复", "Restore"),
        "trigger 'unarchive' leads out of closed state 'archived' into 'held'; a closed activity stays closed"),
    "a new trigger out of credit": (
        (), Transition("redo", ("credited",), "planned", OWNER, "重做", "Redo"),
        "trigger 'redo' leads out of credited state 'credited' into 'planned' without reversing the credits; "
        "only the core trigger that reverses them does"),
}


def skipping(key: str, states: tuple[State, ...], transition: Transition) -> object:
    workflow = WorkflowExtension(states=states, transitions=(transition,))
    return one_role_type(key, "快审课", "Fast course", workflow=lambda self: workflow)


@pytest.mark.parametrize(("states", "transition", "error"), list(SKIPS.values()), ids=list(SKIPS))
def test_a_workflow_stepping_round_the_review_is_refused_naming_the_plugin(make_app, plugin_log, states, transition,
                                                                          error):
    app = make_app(EXTRA_PLUGINS=[("yx_fast", Plugin(skipping("rt_fast", states, transition)))])
    message = f"workflow of type 'rt_fast' is invalid: WorkflowExtensionError: {error}; the plugin was not loaded"
    with app.app_context():
        assert "rt_fast" not in registry().types
        assert failures()["yx_fast"] == message
    assert f"plugin yx_fast: {message}" in plugin_log.text


def test_the_core_and_every_shipped_workflow_keep_their_way_through_review(make_app):
    """The rule refuses nothing the core, the built-ins or the examples do: a second state
    awaiting review before ``approve`` (lesson study), a refusal out of review (declared)."""
    build_definition()
    app = make_app()
    with app.app_context():
        assert {"lesson_study", "declared", "lecture"} <= set(registry().types)
        assert not [x for x in registry().plugins.failures if "workflow" in x.error]
    fine = WorkflowExtension(
        states=(State("countersigned", "已会签", "Countersigned", phase=Phase.CONFIRMED),),
        transitions=(Transition("countersign", ("reviewed",), "countersigned", REVIEWER, "会签", "Countersign"),
                     Transition("credit", ("countersigned",), "credited", REVIEWER, "认定学时", "Post credits")),
    )
    assert build_definition(fine).transition("credit").sources == ("countersigned",)
