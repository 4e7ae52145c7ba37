"""An activity of a year the district accepted (locked): its page and the API offer no step the
lock refuses (approving, crediting, revoking, returning a reviewed one: they move the teachers'
accepted figures), and what they still offer is taken."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, School, User, YearSubmission
from portal.policy import Actor
from portal.services import submissions
from tests.api.conftest import login as api_login


def _accept_demo_year() -> None:
    school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
    sub = db.session.execute(select(YearSubmission).where(YearSubmission.school_id == school.id)
                             .order_by(YearSubmission.id.desc())).scalars().first()
    reviewer = db.session.execute(select(User).where(User.username == "dreviewer")).scalar_one()
    submissions.decide(sub.id, True, by=Actor.of(reviewer.id, ["district_reviewer"]), district_id=school.district_id)
    db.session.commit()


def _buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit" name="trigger" value="([^"]+)"', html)


def test_a_locked_years_activity_offers_no_step_the_lock_refuses(site, as_user):
    with site.app_context():
        _accept_demo_year()
        ids = {state: db.session.execute(select(Activity.id).where(Activity.type_key == "lecture",
                                                                   Activity.state == state)
                                         .order_by(Activity.id)).scalars().first()
               for state in ("held", "reviewed", "credited")}
    offered = {}
    for who, state in (("reviewer", "held"), ("reviewer", "reviewed"), ("admin", "credited")):
        html = as_user(who).get(f"/activities/{ids[state]}").get_data(as_text=True)
        offered[who, state] = _buttons(html)
        api = api_login(site.test_client(), who)
        assert api.get(f"/api/v1/activities/{ids[state]}").get_json()["allowed_triggers"] == offered[who, state]
    assert offered["reviewer", "held"] == ["return"]  # a return for rework leaves the year's figures as they are
    assert offered["reviewer", "reviewed"] == []
    assert offered["admin", "credited"] == []
    # what the page no longer offers, the server refuses: the lock, in Chinese
    r = as_user("admin").post(f"/activities/{ids['credited']}", data={"trigger": "revoke", "comment": "撤销"})
    assert r.status_code == 409 and "学年已由区里审核通过并锁定" in r.get_data(as_text=True)
    # what it offers is taken
    r = as_user("reviewer").post(f"/activities/{ids['held']}", data={"trigger": "return", "comment": "请补充反思"})
    assert r.status_code == 302
    with site.app_context():
        assert db.session.get(Activity, ids["credited"]).state == "credited"
        assert db.session.get(Activity, ids["held"]).state == "held"


def test_a_step_the_lock_refuses_says_so_before_what_is_missing(site, as_user):
    """Approving a held activity of a locked year whose participants still owe evidence was
    refused with the list of what was missing (422), which nobody can hand in to a locked year:
    the lock is the answer (409)."""
    with site.app_context():
        _accept_demo_year()
        held = db.session.execute(select(Activity.id).where(Activity.type_key == "research", Activity.state == "held")
                                  .order_by(Activity.id)).scalars().first()
    r = as_user("reviewer").post(f"/activities/{held}", data={"trigger": "approve", "comment": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "学年已由区里审核通过并锁定" in html
    assert 'data-testid="guard-missing"' not in html
    with site.app_context():
        assert db.session.get(Activity, held).state == "held"
