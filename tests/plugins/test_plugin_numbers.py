"""A plugin's numbers are never trusted: the hours a type's credit rule answers are bounded by
the core's rule of hours (``portal.hours.parse_hours``) before they reach the ledger, a page or
the API; an answer that is no number of hours refuses the step naming the plugin."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

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


def _held(make_app, value: object):
    app = make_app(EXTRA_PLUGINS=[("yx_numbers", Plugin(answering(value)))])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school("NB", types=("rt_answer",))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "rt_answer", [(p["t1"], "member")], hours="2",
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
    assert r.status_code in (302, 409)
    token = reviewer.post("/api/v1/auth/token", json={"username": "rev", "password": f.PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    assert reviewer.get(f"/api/v1/activities/{act_id}", headers=headers).status_code == 200
    api = reviewer.post(f"/api/v1/activities/{act_id}/transitions", json={"trigger": "approve", "comment": "ok"},
                        headers=headers)
    assert api.status_code == 409, api.get_data(as_text=True)[:500]
    assert "yx_numbers" in api.get_json()["message"]
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "held"


@pytest.mark.parametrize("value", [Decimal("1.5"), 3, 2.5, Decimal("0")])
def test_a_credit_rule_answering_hours_credits_them(make_app, value):
    app, act_id, _school_id, p = _held(make_app, value)
    with app.app_context():
        f.fire(db.session.get(Activity, act_id), db.session.get(User, p["reviewer"]), "approve", "ok")
        f.fire(db.session.get(Activity, act_id), db.session.get(User, p["reviewer"]), "credit")
        credited = db.session.query(CreditEntry.hours).scalar()
        assert (credited or Decimal("0")) == Decimal(str(value))
