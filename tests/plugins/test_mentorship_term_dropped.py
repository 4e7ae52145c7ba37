"""Mentorships planned while the form still asked a term keep ``details["term"]``: a value never
checked against the dates, which the API's ``details`` showed as if it were current (the page
shows the form's fields only; no export has a details column). Migration ``e8b2c4f6a1d3``
takes it out of every mentorship's details, once, and touches no other type's details; a
client sending a term again is refused (``tests/plugins/test_school_clock_rules.py``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import Activity
from portal.services import tokens
from tests.support import factories as f
from tests.support.fresh_database import fresh_database


def test_the_migration_drops_a_mentorships_stored_term_and_nothing_else(make_app, templates, tmp_path):
    from flask_migrate import downgrade, upgrade

    created: list[str] = []
    app = make_app(SQLALCHEMY_DATABASE_URI=fresh_database(templates, tmp_path, created, "term"))
    try:
        with app.app_context():
            folder = app.extensions["migrate"].directory
            upgrade(directory=folder)
            s = f.school()
            p = f.staff(s)
            pair = [(p["t1"], "mentor"), (p["t2"], "mentee")]
            old = f.plan(s, p["organizer"], "mentorship", pair, {"subject": "数学"}, hours="20",
                         start=datetime(2027, 3, 8, 14, 0))
            new = f.plan(s, p["organizer"], "mentorship", pair, {"subject": "语文"}, hours="20",
                         start=datetime(2027, 4, 12, 14, 0))
            other = f.plan(s, p["organizer"], "lecture", [(p["t3"], "attendee")], {"topic": "单元整体教学"})
            ids = {"old": old.id, "new": new.id, "other": other.id}
            # as planned before the field was removed (semester 1 said of a March pairing)
            db.session.execute(update(Activity).where(Activity.id == ids["old"])
                               .values(details={"term": "1", "subject": "数学"}))
            lecture = {**(other.details or {}), "term": "kept: not a mentorship's"}
            db.session.execute(update(Activity).where(Activity.id == ids["other"]).values(details=lecture))
            admin_token = tokens.issue(p["admin"]).token
            db.session.commit()
            client = app.test_client()
            auth = {"Authorization": f"Bearer {admin_token}", "X-School": s.code}
            assert client.get(f"/api/v1/activities/{ids['old']}", headers=auth).get_json()["details"]["term"] == "1"
            downgrade(directory=folder, revision="d4a9e2c7b1f5")
            upgrade(directory=folder)
            db.session.expire_all()
            details = dict(db.session.execute(select(Activity.id, Activity.details)
                                              .where(Activity.id.in_(ids.values()))).all())
            assert details[ids["old"]] == {"subject": "数学"} and details[ids["new"]] == {"subject": "语文"}
            assert details[ids["other"]] == lecture
            said = client.get(f"/api/v1/activities/{ids['old']}", headers=auth).get_json()
            assert said["details"] == {"subject": "数学"} and said["semester"] == 2
            listed = client.get("/api/v1/activities?type=mentorship", headers=auth).get_json()
            assert all("term" not in a["details"] for a in listed["items"]) and listed["items"]
            db.session.remove()
            db.engine.dispose()
    finally:
        templates.drop_databases(created)
