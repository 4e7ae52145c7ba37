"""What a plugin's own states and triggers mean is read from what they declare, never from
their names: a state says its phase (refused at load without one), and a trigger that takes an
activity into review, confirmation or credit waits for the activity's start, whatever it is called."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.errors import Conflict
from portal.extensions import db
from portal.models import Activity, User
from portal.registry import registry
from portal.timeutil import utcnow
from tests.plugins.test_broken_plugins import client_for, failures
from tests.plugins.test_request_time_failures import Plugin, one_role_type
from tests.support import factories as f
from workflows import Phase, State, Transition, WorkflowExtension

OWNER = frozenset({"owner", "school_admin"})
PHASES = "open, awaiting_review, confirmed, credited, closed"


def with_state(key: str, state: State) -> object:
    """A one-role type adding ``state`` after ``planned`` (trigger ``rehearse``), ``hold`` leading on
    from it (no dead end: contract 1.20)."""
    workflow = WorkflowExtension(
        states=(state,),
        transitions=(Transition("rehearse", ("planned",), state.name, OWNER, "彩排", "Rehearse"),
                     Transition("hold", ("planned", state.name), "held", OWNER, "标记为已举行", "Mark held")),
    )
    return one_role_type(key, "赛课", "Teaching contest", workflow=lambda self: workflow)


@pytest.mark.parametrize(("phase", "error"), [
    (None, "state 'rehearsed' declares no phase; known: " + PHASES),
    ("held", "state 'rehearsed' names unknown phase 'held'; known: " + PHASES),
])
def test_a_state_without_a_known_phase_is_refused_when_the_plugin_loads(make_app, plugin_log, phase, error):
    """No default: a state the plugin forgot to place would otherwise count as open (editable,
    cancellable, out of the review queue) without anybody having said so."""
    app = make_app(EXTRA_PLUGINS=[("yx_rehearsal", Plugin(with_state("rt_phase", State(
        "rehearsed", "已彩排", "Rehearsed", phase=phase))))])
    message = f"workflow of type 'rt_phase' is invalid: WorkflowExtensionError: {error}; the plugin was not loaded"
    with app.app_context():
        assert "rt_phase" not in registry().types
        assert failures()["yx_rehearsal"] == message
    assert f"plugin yx_rehearsal: {message}" in plugin_log.text


def test_a_state_naming_its_phase_by_value_loads_with_that_phase(make_app):
    app = make_app(EXTRA_PLUGINS=[("yx_rehearsal", Plugin(with_state("rt_phase", State(
        "rehearsed", "已彩排", "Rehearsed", phase="open"))))])  # type: ignore[arg-type]
    with app.app_context():
        assert registry().phase("rt_phase", "rehearsed") is Phase.OPEN
        assert "yx_rehearsal" not in failures()


def early_hold(dest: State | None = None) -> object:
    """A type whose own trigger ``Hold`` takes a planned activity into review: into ``held``, or
    into a state of its own (``dest``)."""
    target = dest.name if dest else "held"
    workflow = WorkflowExtension(
        states=(dest,) if dest else (),
        transitions=(Transition("Hold", ("planned",), target, OWNER, "已举行", "Held"),),
    )
    return one_role_type("rt_early", "网络课程", "Online course", workflow=lambda self: workflow)


@pytest.mark.parametrize("dest", [
    None,
    State("presented", "已展示", "Presented", phase=Phase.AWAITING_REVIEW),
], ids=["into held", "into its own state awaiting review"])  # into confirmation: refused at load (review phases)
def test_a_trigger_of_any_name_into_review_waits_for_the_start(make_app, dest):
    app = make_app(EXTRA_PLUGINS=[("yx_early", Plugin(early_hold(dest)))])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school("RH", types=("rt_early",))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "rt_early", [(p["t1"], "member")], hours="2",
                     start=utcnow() + timedelta(days=3))
        act_id, school_id, organizer = act.id, s.id, p["organizer"].id
    r = client_for(app, organizer, school_id).post(f"/activities/{act_id}/trigger", data={"trigger": "Hold"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409, html[:500]
    assert "活动尚未开始" in html
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "planned"
        with pytest.raises(Conflict) as caught:
            f.fire(db.session.get(Activity, act_id), db.session.get(User, organizer), "Hold")
        assert caught.value.msg.code == "activity.not_started"


def test_a_trigger_between_open_states_may_fire_before_the_start(make_app):
    """Preparing is not taking place: a trigger into another open state fires before the start."""
    app = make_app(EXTRA_PLUGINS=[("yx_rehearsal", Plugin(with_state("rt_phase", State(
        "rehearsed", "已彩排", "Rehearsed", phase=Phase.OPEN))))])
    with app.app_context():
        s = f.school("RR", types=("rt_phase",))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "rt_phase", [(p["t1"], "member")], hours="2",
                     start=utcnow() + timedelta(days=3))
        assert f.fire(act, p["organizer"], "rehearse").state == "rehearsed"
