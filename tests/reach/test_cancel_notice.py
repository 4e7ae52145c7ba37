"""An activity cancelled with people in it: they are told by the app and by email (a real local
SMTP server, the real worker), in each teacher's language, as their settings ask; the activity
page asks the reason where the rule does (``Transition.needs_comment_with``)."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Participation
from portal.services import notifications, transitions
from tests.reach.conftest import wait_for
from tests.reach.helpers import activity, no_quiet_hours, notes, school, user
from tests.support.sessions import log_in
from workflows.definition import Phase


def test_the_people_of_a_cancelled_activity_are_emailed_the_reason_in_their_language(queued_app, smtp, worker):
    no_quiet_hours()
    act = activity("lecture", Phase.OPEN)
    taking_part = set(db.session.execute(select(Participation.user_id)
                                         .where(Participation.activity_id == act.id)).scalars())
    assert {user("teacher2").id, user("teacher3").id} <= taking_part
    notifications.save_setting(user("teacher2").id, "wang@school.test", list(notifications.KINDS), "en")
    notifications.save_setting(user("teacher3").id, "li@school.test",
                               [k for k in notifications.KINDS if k != "activity_cancelled"])  # not by email
    demo = {n.id for n in notes("activity_cancelled")}
    transitions.fire(act.id, school().id, user("organizer"), "cancel", "报告人临时出差")
    wait_for(lambda: smtp.inbox.to("wang@school.test"))
    [mail] = smtp.inbox.to("wang@school.test")
    body = mail.get_content()
    assert f"{act.title} (" in body and "has been cancelled: 报告人临时出差" in body
    told = [n for n in notes("activity_cancelled") if n.id not in demo]
    assert sorted(n.user_id for n in told) == sorted(taking_part - {user("organizer").id})
    assert smtp.inbox.to("li@school.test") == []  # in the app only, as teacher3 chose
    assert "已取消：报告人临时出差" in notifications.text(
        next(n for n in told if n.user_id == user("teacher3").id)).render("zh_Hans_CN")


def test_the_cancel_form_asks_a_reason_of_an_activity_with_people(queued_app):
    act = activity("lecture", Phase.OPEN)
    client = log_in(queued_app.test_client(), user("organizer"), school().id)
    page = client.get(f"/activities/{act.id}").get_data(as_text=True)
    assert 'data-testid="trigger-cancel"' in page and "参加或已报名的老师会收到这条原因" in page
    response = client.post(f"/activities/{act.id}/trigger", data={"trigger": "cancel", "comment": "  "})
    assert response.status_code == 422
    assert "需要填写原因" in response.get_data(as_text=True)
    db.session.refresh(act)
    assert act.state != "cancelled"


def test_the_api_document_says_a_cancel_asks_a_reason_of_others(queued_app):
    doc = queued_app.test_client().get("/api/v1/openapi.json").get_json()
    variants = doc["components"]["schemas"]["TransitionRequest"]["anyOf"]
    [cancel] = [v for v in variants if v["properties"]["trigger"] == {"const": "cancel"}]
    assert "signed up" in cancel["properties"]["comment"]["description"]
    assert "comment" not in cancel["required"]  # not always: only once others are concerned
    [hold] = [v for v in variants if v["properties"]["trigger"] == {"const": "hold"}]
    assert "description" not in hold["properties"]["comment"]
