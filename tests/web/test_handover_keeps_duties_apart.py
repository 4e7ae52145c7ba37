"""A handover does not make the person who organised an activity independent of it.

Found: the organiser who left the research group was made a reviewer; the school admin handed the
lecture they had run (attendance recorded by them, waiting for review) to another organiser — and
from then on they were neither its organiser nor a participant, so the review queue, the activity
page and the API offered them ``approve`` and the service let them approve the hours of the
attendance they had recorded themselves. Now whoever organised an activity before it was handed
over stays involved in it (``access.involved_before``: the history's handover entries; relation
``former_owner``), for the independent steps and for the stand-in's check alike."""

from __future__ import annotations

import pytest

from portal.errors import Forbidden
from portal.extensions import db
from portal.models import Activity
from portal.services import handover, staff, transitions
from tests.support import factories as f
from tests.web.test_demoted_organizer_and_handover import _api, _scene, _state, _web


def test_the_organiser_who_handed_it_on_approves_nothing_of_it(app):
    sc = _scene()
    staff.set_roles(sc.school, sc.organizer.id, ["teacher", "reviewer"], by=sc.actor(sc.admin))
    handover.hand_over(sc.held, sc.admin, sc.other_organizer.id)
    db.session.commit()
    held = db.session.get(Activity, sc.held.id)
    assert held.organizer_id == sc.other_organizer.id
    before = _state()
    assert transitions.allowed_triggers(held, sc.organizer.id) == []
    for step, comment in (("approve", "材料齐全"), ("return", "请补充签到表")):
        with pytest.raises(Forbidden) as own:
            f.fire(held, sc.organizer, step, comment)
        db.session.rollback()
        assert own.value.msg.code == "trigger.independent", step
    web = _web(app, "ho.org")
    queue = web.get("/review").get_data(as_text=True)
    assert f'data-testid="own-activity-{held.id}"' in queue
    assert f'data-testid="approve-{held.id}"' not in queue
    page = web.get(f"/activities/{held.id}").get_data(as_text=True)
    assert 'value="approve"' not in page
    assert web.post(f"/activities/{held.id}/trigger", data={"trigger": "approve", "comment": "材料齐全"}
                    ).status_code == 403
    api_offers_no_approve(app, "ho.org", "HO", held.id)
    assert _state() == before
    # an independent reviewer still decides it
    assert transitions.allowed_triggers(held, sc.reviewer.id) == ["approve", "return"]


def api_offers_no_approve(app, username: str, school: str, activity_id: int) -> None:
    """Through the API ``username`` is offered no step on the activity and refused ``approve``."""
    api = _api(app, username)
    headers = {"X-School": school}
    assert api.get(f"/api/v1/activities/{activity_id}", headers=headers).get_json()["allowed_triggers"] == []
    r = api.post(f"/api/v1/activities/{activity_id}/transitions", json={"trigger": "approve", "comment": "材料齐全"},
                 headers=headers)
    assert r.status_code == 403, r.get_json()


def test_a_reviewer_handed_it_and_then_relieved_of_it_stays_involved(app):
    """Handed to a reviewer who also organises, run by them, then handed on: they organised it,
    they do not review it — and, the school's only reviewer, the school admin stands in."""
    sc = _scene()
    staff.set_roles(sc.school, sc.reviewer.id, ["organizer", "teacher", "reviewer"], by=sc.actor(sc.admin))
    handover.hand_over(sc.held, sc.admin, sc.reviewer.id)
    db.session.commit()
    held = db.session.get(Activity, sc.held.id)
    assert transitions.allowed_triggers(held, sc.reviewer.id) == []  # its organiser now
    handover.hand_over(held, sc.admin, sc.other_organizer.id)
    db.session.commit()
    held = db.session.get(Activity, sc.held.id)
    assert transitions.allowed_triggers(held, sc.reviewer.id) == []
    with pytest.raises(Forbidden) as own:
        f.fire(held, sc.reviewer, "approve", "材料齐全")
    db.session.rollback()
    assert own.value.msg.code == "trigger.independent"
    # nobody else reviews at the school: the school admin, independent of it, stands in
    assert transitions.allowed_triggers(db.session.get(Activity, sc.held.id), sc.admin.id) == ["approve", "return"]
    f.fire(db.session.get(Activity, sc.held.id), sc.admin, "approve", "材料齐全")
    assert db.session.get(Activity, sc.held.id).state == "reviewed"
