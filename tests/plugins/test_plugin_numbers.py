"""A plugin's answers are never trusted: the hours a type's credit rule answers are bounded by
the core's rule of hours (``portal.hours.parse_hours``) before they reach the ledger, a page or
the API, and the errors ``check_plan`` / ``validate_settings`` answer must be errors by field; any
other answer refuses the step naming the plugin (409, nothing changes), never a 500."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, CreditEntry, User
from portal.plugin_data import PluginStepFailed
from portal.registry import registry
from portal.timeutil import utcnow
from tests.plugins.test_broken_plugins import client_for
from tests.plugins.test_request_time_failures import Plugin, one_role_type
from tests.support import factories as f

BAD_ANSWERS = {
    "above the maximum": Decimal("100000"),
    # the activity lasts 2 hours: a flat 20.5 (a reading club's 50 h for a half-hour meeting)
    "more than ten times its hours": Decimal("20.5"),
    "negative": Decimal("-2"),
    "not a number": Decimal("NaN"),
    "infinite": float("inf"),
    "not a half hour": Decimal("0.3"),
    "a float off the steps": 0.3,
    "a string": "2",
    "nothing": None,
}


def answering(value: object):
    """A type whose credit rule answers ``value`` for everybody."""
    return one_role_type("rt_answer", "网络课程", "Online course",
                         credit_hours=lambda self, participant, activity, settings: value)


def _held(make_app, value: object, type_: object = None):
    """An app with plugin ``yx_numbers`` (a credit rule answering ``value``, or ``type_``) and a
    held activity of its type: (app, activity id, school id, staff ids by name)."""
    type_ = type_ or answering(value)
    app = make_app(EXTRA_PLUGINS=[("yx_numbers", Plugin(type_))])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school("NB", types=(type_.key,))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], type_.key, [(p["t1"], "member")], hours="2",
                     start=utcnow() - timedelta(days=2))
        f.attend(act, p["organizer"])
        f.fire(act, p["organizer"], "hold")
        return app, act.id, s.id, {k: u.id for k, u in p.items()}


@pytest.mark.parametrize("value", list(BAD_ANSWERS.values()), ids=list(BAD_ANSWERS))
def test_a_credit_rule_answering_no_number_of_hours_is_refused_naming_the_plugin(make_app, value):
    app, act_id, school_id, p = _held(make_app, value)
    with app.app_context():
        with pytest.raises(PluginStepFailed) as refused:
            f.fire(db.session.get(Activity, act_id), db.session.get(User, p["reviewer"]), "approve", "ok")
        assert refused.value.plugin == "yx_numbers"
        db.session.rollback()
        assert db.session.get(Activity, act_id).state == "held"
        reported = [x.error for x in registry().plugins.failures if x.plugin == "yx_numbers"]
        assert any(e.startswith("credit_hours of activity type 'rt_answer' answered ") for e in reported), reported
        assert db.session.query(CreditEntry).count() == 0
    reviewer = client_for(app, p["reviewer"], school_id)
    page = reviewer.get(f"/activities/{act_id}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    assert 'data-testid="plugin-hours-failed"' in page.get_data(as_text=True)
    queue = reviewer.get("/review")
    assert queue.status_code == 200, queue.get_data(as_text=True)[:500]
    r = reviewer.post(f"/review/{act_id}", data={"action": "approve", "comment": "ok"})
    assert r.status_code in (302, 409, 422)  # 422: refused, the queue again with the refusal on the card
    token = reviewer.post("/api/v1/auth/token", json={"username": "rev", "password": f.PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    assert reviewer.get(f"/api/v1/activities/{act_id}", headers=headers).status_code == 200
    api = reviewer.post(f"/api/v1/activities/{act_id}/transitions", json={"trigger": "approve", "comment": "ok"},
                        headers=headers)
    assert api.status_code == 409, api.get_data(as_text=True)[:500]
    assert api.get_json() == {"error": "conflict", "message": "the plugin of activity type 'Online course' failed "
                              "while this step was taken; the error has been logged and nothing was changed"}
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "held"


@pytest.mark.parametrize("value", [Decimal("1.5"), 3, 2.5, Decimal("0"), Decimal("20")])  # 20: ten times its 2 h
def test_a_credit_rule_answering_hours_credits_them(make_app, value):
    app, act_id, _school_id, p = _held(make_app, value)
    with app.app_context():
        f.fire(db.session.get(Activity, act_id), db.session.get(User, p["reviewer"]), "approve", "ok")
        f.fire(db.session.get(Activity, act_id), db.session.get(User, p["reviewer"]), "credit")
        credited = db.session.query(CreditEntry.hours).scalar()
        assert (credited or Decimal("0")) == Decimal(str(value))


PLAN = {"title": "网络课程", "starts_at": "2026-09-10T09:00", "ends_at": "2026-09-10T11:00", "hours": "2"}
NOT_ERRORS = {"a text": "refused", "a list": ["hours"], "a number": 5, "keys that are no field": {3: "x"}}


@pytest.mark.parametrize("value", list(NOT_ERRORS.values()), ids=list(NOT_ERRORS))
def test_a_plan_check_answering_no_errors_by_field_refuses_the_plan_naming_the_plugin(make_app, value):
    """``check_plan`` answers errors by field (or nothing): anything else was a 500."""
    checker = one_role_type("rt_check", "网络课程", "Online course", check_plan=lambda self, plan, settings: value)
    app = make_app(EXTRA_PLUGINS=[("yx_check", Plugin(checker))])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school("NC", types=("rt_check",))
        school_id, organizer = s.id, f.staff(s)["organizer"].id
    r = client_for(app, organizer, school_id).post("/activities/new/rt_check", data=PLAN)
    html = r.get_data(as_text=True)
    assert r.status_code == 409, html[:500]
    assert "“网络课程”类型的插件在执行此操作时出错，错误已记入日志，未作任何更改" in html and "yx_check" not in html
    with app.app_context():
        reported = [x.error for x in registry().plugins.failures if x.plugin == "yx_check"]
        assert f"check_plan of activity type 'rt_check' answered {value!r}, not a mapping of errors by field; " \
               "the step was refused and nothing changed" in reported
        assert db.session.query(Activity).count() == 0


def test_a_plan_check_answering_none_means_no_errors(make_app):
    checker = one_role_type("rt_check", "网络课程", "Online course", check_plan=lambda self, plan, settings: None)
    app = make_app(EXTRA_PLUGINS=[("yx_check", Plugin(checker))])
    with app.app_context():
        s = f.school("NN", types=("rt_check",))
        school_id, organizer = s.id, f.staff(s)["organizer"].id
    r = client_for(app, organizer, school_id).post("/activities/new/rt_check", data=PLAN)
    assert r.status_code == 302, r.get_data(as_text=True)[:500]


@pytest.mark.parametrize("value", list(NOT_ERRORS.values()), ids=list(NOT_ERRORS))
def test_a_settings_validator_answering_no_errors_by_field_refuses_the_save(make_app, value):
    from portal.services import schools
    from tests.plugins.test_request_time_failures import saving_settings

    app, school_id, page, r = saving_settings(make_app, lambda self, settings: value, "NS")
    assert page.status_code == 409, page.get_data(as_text=True)[:500]
    assert r.status_code == 409, r.get_data(as_text=True)[:500]
    assert "the plugin of activity type 'Online forum' failed while this step was taken" in r.get_json()["message"]
    assert "yx_setup" not in r.get_json()["message"]
    with app.app_context():
        assert schools.type_row(school_id, "rt_setup").settings in ({}, None)


class _Unprintable:
    def __str__(self) -> str:
        raise KeyError("label")


NOT_MISSING = {"a text, not a list of texts": "quiz not taken", "an item that cannot be shown": [_Unprintable()],
               "nothing": None, "a number": 5}


@pytest.mark.parametrize("value", list(NOT_MISSING.values()), ids=list(NOT_MISSING))
def test_a_guard_answering_no_list_of_what_is_missing_refuses_the_step_naming_the_plugin(make_app, value):
    """A guard answers a list of what is missing, each shown with str(): a text was spelled out
    letter by letter as missing items, an item whose str() raises was a 500."""
    from tests.plugins.test_request_time_failures import _held_ready
    from workflows import WorkflowExtension

    guarded = one_role_type("rt_quiz", "测验课", "Quiz course",
                            workflow=lambda self: WorkflowExtension(guards={"hold": (lambda ctx: value,)}))
    app, act_id, school_id, organizer = _held_ready(make_app, "yx_quiz", guarded)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = client_for(app, organizer, school_id).post(f"/activities/{act_id}/trigger", data={"trigger": "hold"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409, html[:500]
    assert "“测验课”类型的插件未能检查此操作，错误已记入日志，未作任何更改" in html and "yx_quiz" not in html
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "planned"
        reported = [x.error for x in registry().plugins.failures if x.plugin == "yx_quiz"]
        assert reported and reported[0].startswith("guard ") and "of trigger 'hold' of type 'rt_quiz' raised" in reported[0]


NOT_COUNTS = {"a list of kinds": ["reflection"], "a count that is a text": {"reflection": "2"},
              "a negative count": {"reflection": -1}, "nothing": None}


@pytest.mark.parametrize("value", list(NOT_COUNTS.values()), ids=list(NOT_COUNTS))
def test_required_evidence_answering_no_counts_leaves_the_home_and_refuses_the_approval(make_app, value):
    """``required_evidence_for`` answers {kind: count ≥ 0}: anything else was the teacher's home
    answering 500 (and the reminders job failing); now the home goes on without it and the
    approval is refused naming the plugin."""
    needy = one_role_type("rt_needy", "读书课", "Reading course",
                          required_evidence_for=lambda self, role, settings: value)
    app, act_id, school_id, p = _held(make_app, value, needy)
    home = client_for(app, p["t1"], school_id).get("/")
    assert home.status_code == 200, home.get_data(as_text=True)[:500]
    r = client_for(app, p["reviewer"], school_id).post(f"/review/{act_id}", data={"action": "approve", "comment": "ok"})
    assert r.status_code in (302, 409, 422)  # 422: refused, the queue again with the refusal on the card
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "held"
        reported = [x.error for x in registry().plugins.failures if x.plugin == "yx_numbers"]
        assert any("required_evidence_for" in e for e in reported), reported


def _flat_rule_held(make_app, attended: str, absent: str, excused: str):
    """A type whose rule credits everyone the activity's hours, whatever the record says, and a
    held 2-hour activity of it where t1 attended ``attended``, missed ``absent`` and ``excused``."""
    flat = one_role_type("rt_flat", "网络课程", "Online course",
                         credit_hours=lambda self, participant, activity, settings: activity.hours)
    app = make_app(EXTRA_PLUGINS=[("yx_flat", Plugin(flat))])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school("NF", types=("rt_flat",))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "rt_flat", [(p["t1"], "member")], hours="2", start=utcnow() - timedelta(days=2))
        t1 = p["t1"].id
        f.attend(act, p["organizer"], hours={t1: attended}, absent={t1: absent}, excused={t1: excused})
        f.fire(act, p["organizer"], "hold")
        return app, act.id, p["reviewer"].id


@pytest.mark.parametrize(("absent", "excused"), [("2", "0"), ("0", "2"), ("1", "1")])
def test_no_credit_rule_pays_one_recorded_missing_every_hour(make_app, absent, excused):
    """Attack: a type's rule crediting the activity's hours to everyone credited 2 h to a teacher
    recorded absent for both, whose absence also counted against the year. A rule's answer is
    bounded by the hours the participant was not recorded missing (ten times them, as it is by
    the activity's): none, so anything above 0 refuses the step, naming the plugin."""
    app, act_id, reviewer = _flat_rule_held(make_app, "0", absent, excused)
    with app.app_context():
        with pytest.raises(PluginStepFailed) as refused:
            f.fire(db.session.get(Activity, act_id), db.session.get(User, reviewer), "approve", "ok")
        assert refused.value.plugin == "yx_flat"
        db.session.rollback()
        assert db.session.get(Activity, act_id).state == "held" and db.session.query(CreditEntry).count() == 0
        reported = [x.error for x in registry().plugins.failures if x.plugin == "yx_flat"]
        assert any("hours that the participant was not recorded missing" in e for e in reported), reported


def test_a_rule_may_still_credit_one_present_for_part_of_it(make_app):
    """Present one hour of two (the other absent): the flat 2 h is within ten times that hour."""
    app, act_id, reviewer = _flat_rule_held(make_app, "1", "1", "0")
    with app.app_context():
        f.fire(db.session.get(Activity, act_id), db.session.get(User, reviewer), "approve", "ok")
        f.fire(db.session.get(Activity, act_id), db.session.get(User, reviewer), "credit")
        assert db.session.query(CreditEntry.hours).scalar() == Decimal("2")


def test_a_reviewers_hours_are_no_way_round_the_bound(make_app):
    """Review: the ceiling of a reviewer's adjustment asked the rule without the absence, so a
    flat rule's 2 h were credited by approving with them to a teacher absent throughout."""
    app, act_id, reviewer = _flat_rule_held(make_app, "0", "2", "0")
    with app.app_context():
        t1 = db.session.execute(select(User.id).where(User.username == "t1")).scalar_one()
        with pytest.raises(PluginStepFailed):
            f.fire(db.session.get(Activity, act_id), db.session.get(User, reviewer), "approve", "ok", hours={t1: "2"})
        db.session.rollback()
        assert db.session.get(Activity, act_id).state == "held" and db.session.query(CreditEntry).count() == 0
