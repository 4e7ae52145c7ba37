"""A state a plugin adds declares its phase and is then handled everywhere, with no core edit:
the review queue, the activity filter, the diagram (in phase order), ``return`` and ``cancel``,
the teacher's to-do list, the absences that count and the reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.activity_types import ActivityType, Role
from portal.extensions import db
from portal.models import Activity, School, User
from portal.registry import registry
from portal.services import credits
from portal.timeutil import utcnow
from portal.web import diagram
from tests.plugins.plugin_throwaway import ProvidesTypes
from tests.support import factories as f
from tests.support.sessions import log_in
from workflows import State, Transition, WorkflowExtension, build_definition
from workflows.definition import Phase
from workflows.extension import WorkflowExtensionError


class Reflective(ActivityType):
    key = "reflective"
    name_zh, name_en = "反思课", "Reflective lesson"
    roles = {"member": Role("成员", "Member")}

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension(
            states=(State("reflected", "已反思", "Reflected", phase=Phase.AWAITING_REVIEW),),
            transitions=(
                Transition("reflect", ("held",), "reflected", frozenset({"owner"}), "完成反思", "Reflect"),
                Transition("approve", ("reflected",), "reviewed", frozenset({"reviewer"}), "审核通过", "Approve",
                           independent=True),
            ),
        )


@pytest.fixture
def world(make_app):
    """An app with the plugin, a held reflective lesson (t2 absent); ids only, so every request
    and check below runs in its own app context as in production."""
    app = make_app(EXTRA_PLUGINS=[("reflective", ProvidesTypes(Reflective))])
    with app.app_context():
        s1 = f.school("S1", types=("lecture", "reflective"))
        staff = f.staff(s1)
        start = utcnow() - timedelta(days=2)
        act = f.plan(s1, staff["organizer"], "reflective", [(staff["t1"], "member"), (staff["t2"], "member")],
                     hours="2", start=start)
        f.attend(act, staff["organizer"], absent={staff["t2"].id: "2"}, hours={staff["t2"].id: "0"})
        f.fire(act, staff["organizer"], "hold")
        ids = {name: u.id for name, u in staff.items()}
        return app, s1.id, ids, act.id


def test_the_definition_places_the_added_state_and_covers_it_with_return_and_cancel():
    d = build_definition(Reflective().workflow())
    assert [s.name for s in d.ordered_states()] == ["planned", "held", "reflected", "reviewed", "credited", "cancelled"]
    assert "reflected" in d.transition("return").sources
    assert d.transition("approve").adjusts_hours and d.transition("approve").stand_in_roles
    assert not d.transition("reflect").posts_credits
    opened = build_definition(WorkflowExtension(states=(State("prepared", "已准备", "Prepared", phase=Phase.OPEN),)))
    assert "prepared" in opened.transition("cancel").sources and "prepared" not in opened.transition("return").sources


def test_a_new_trigger_cannot_touch_the_ledger_and_unknown_roles_are_named():
    sneaky = WorkflowExtension(
        states=(State("extra", "额外", "Extra", phase=Phase.AWAITING_REVIEW),),
        transitions=(Transition("bonus", ("held",), "extra", frozenset({"owner"}), "奖励", "Bonus",
                                posts_credits=True, adjusts_hours=True),),
    )
    t = build_definition(sneaky).transition("bonus")
    assert not t.posts_credits and not t.adjusts_hours
    typo = WorkflowExtension(transitions=(
        Transition("nudge", ("held",), "held", frozenset({"reviewers"}), "提醒", "Nudge"),))
    with pytest.raises(WorkflowExtensionError, match="unknown roles \\['reviewers'\\]"):
        build_definition(typo)


def test_the_added_state_goes_through_the_pages(world):
    app, school_id, ids, act_id = world
    client = app.test_client()
    log_in(client, _user(app, ids["reviewer"]))
    queue = client.get("/review").get_data(as_text=True)
    assert f'data-testid="queue-item-{act_id}"' in queue  # held: awaiting review (return is possible)
    with app.app_context():
        assert f.fire(_act(act_id), _user(app, ids["organizer"]), "reflect").state == "reflected"
    queue = client.get("/review").get_data(as_text=True)
    assert f'data-testid="queue-item-{act_id}"' in queue
    html = client.get("/activities?state=reflected").get_data(as_text=True)
    assert '<option value="reflected" selected>已反思</option>' in html and "反思课" in html
    with app.app_context():
        dia = diagram.build(registry().get("reflective").engine.definition, "reflected", "zh")
        assert [b.name for b in dia.boxes][-3:] == ["reviewed", "credited", "cancelled"]
        f.fire(_act(act_id), _user(app, ids["reviewer"]), "return", "请补充反思")
        assert _act(act_id).state == "held"
        f.fire(_act(act_id), _user(app, ids["organizer"]), "reflect")
    r = client.post(f"/review/{act_id}", data={"action": "approve", "comment": "通过"}, follow_redirects=True)
    assert r.status_code == 200
    with app.app_context():
        act = _act(act_id)
        assert act.state == "reviewed"
        school = db.session.get(School, school_id)
        facts = credits.teacher_year(_user(app, ids["t2"]), school, act.school_year).facts
        assert sum(facts.absent_hours.values()) == 2  # reviewed: the absence counts
    client.post(f"/review/{act_id}", data={"action": "credit"}, follow_redirects=True)
    with app.app_context():
        act = _act(act_id)
        assert act.state == "credited"
        school = db.session.get(School, school_id)
        assert credits.teacher_year(_user(app, ids["t1"]), school, act.school_year).facts.total_hours == 2
    timeline = client.get(f"/activities/{act_id}").get_data(as_text=True)
    assert "完成反思" in timeline and "已反思" in timeline


def _user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _act(act_id: int) -> Activity:
    return db.session.execute(select(Activity).where(Activity.id == act_id)).scalar_one()


class Shelvable(ActivityType):
    """A type whose organizer may shelve a planned activity: its own trigger into its own closed
    state, a name the core has never heard of."""

    key = "shelvable"
    name_zh, name_en = "可搁置的讲座", "Shelvable talk"
    roles = {"member": Role("成员", "Member")}

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension(
            states=(State("shelved", "已搁置", "Shelved", final=True, phase=Phase.CLOSED),),
            transitions=(Transition("shelve", ("planned",), "shelved", frozenset({"owner"}), "搁置", "Shelve"),),
        )


def test_a_button_is_drawn_by_what_its_trigger_does_not_by_its_name(make_app):
    """The activity page draws a step that ends or undoes as a warning, and asks to confirm one
    that ends the activity or reverses credits — asked of the workflow, so a plugin's own
    ``shelve`` into its own closed state is drawn as ``cancel`` is, and ``hold`` as a step forward."""
    d = build_definition(Shelvable().workflow())
    assert [t.trigger for t in d.transitions if d.goes_back(t)] == ["cancel", "return", "revoke", "shelve"]
    assert [t.trigger for t in d.transitions if d.asks_confirmation(t)] == ["cancel", "revoke", "shelve"]
    assert (d.approving().trigger, d.posting().trigger) == ("approve", "credit")
    app = make_app(EXTRA_PLUGINS=[("shelvable", ProvidesTypes(Shelvable))])
    with app.app_context():
        s1 = f.school("S1", types=("lecture", "shelvable"))
        staff = f.staff(s1)
        act = f.plan(s1, staff["organizer"], "shelvable", [(staff["t1"], "member")], hours="2",
                     start=utcnow() - timedelta(days=1))
        act_id, organizer_id = act.id, staff["organizer"].id
    client = app.test_client()
    log_in(client, _user(app, organizer_id))
    html = client.get(f"/activities/{act_id}").get_data(as_text=True)

    def button(trigger: str) -> str:
        start = html.index(f'value="{trigger}"')
        return html[start:html.index(">", start)]

    assert "btn-outline-danger" in button("shelve") and "data-confirm" in button("shelve")
    assert "btn-outline-danger" in button("cancel") and "data-confirm" in button("cancel")
    assert "btn-primary" in button("hold") and "data-confirm" not in button("hold")
    r = client.post(f"/activities/{act_id}", data={"trigger": "shelve", "comment": ""}, follow_redirects=True)
    assert r.status_code == 200
    with app.app_context():
        assert _act(act_id).state == "shelved"
