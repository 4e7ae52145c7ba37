"""The demo's teacher5, away on study leave and back since: the activity held meanwhile is not
hers wherever she reads of her activities (``services.stints``). Her "approved" notice of it
and her calendar feed's event for it were there; her other activities stay."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.demo import DEMO_PASSWORD
from portal.demo_year import AWAY, away_title, confirmed_title
from portal.extensions import db
from portal.models import Activity, Notification, User


def test_what_teacher5_reads_leaves_out_the_activity_held_while_she_was_away(site, as_user):
    with site.app_context():
        title, seated = away_title(), confirmed_title()
        away_id = db.session.execute(select(Activity.id).where(Activity.title == title)).scalar_one()
        teacher_id = db.session.execute(select(User.id).where(User.username == AWAY)).scalar_one()
        told = db.session.execute(select(Notification.link).where(Notification.user_id == teacher_id)).scalars().all()
        told_others = db.session.execute(select(Notification.user_id).where(
            Notification.link == f"/activities/{away_id}", Notification.kind == "approved")).scalars().all()
    assert f"/activities/{away_id}" not in told and told_others  # the others in it were told
    client = as_user(AWAY)
    for path in ("/", "/notifications", "/signups", f"/teachers/{teacher_id}/record"):
        assert title not in client.get(path).get_data(as_text=True), path
    page = client.post("/calendar", data={"scope": "me"}).get_data(as_text=True)
    token = re.findall(r"/calendar/([A-Za-z0-9_-]+)\.ics", page)[0]  # the URL shown once, as made
    feed = client.get(f"/calendar/{token}.ics").get_data(as_text=True)
    assert f"activity-{away_id}@" not in feed
    assert "activity-" in feed and seated in feed.replace("\r\n ", "")  # her sign-up's seat stays
    api = client.post("/api/v1/auth/token", json={"username": AWAY, "password": DEMO_PASSWORD}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {api}"}
    for path in ("/api/v1/me/outlook", "/api/v1/me/signups", f"/api/v1/users/{teacher_id}/credits"):
        body = client.get(path, headers=bearer)
        assert body.status_code == 200 and title not in body.get_data(as_text=True), path
    outlook = client.get("/api/v1/me/outlook", headers=bearer).get_json()
    assert away_id not in {row["activity_id"] for row in outlook["pending"]} and outlook["pending"]
