"""The out-of-tree reading club (examples/reading-club), installed with pip and found only
through its entry point, taken through the whole workflow: services, web page, API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import refresh
from sqlalchemy import func, select

from portal.errors import GuardFailedError
from portal.extensions import db
from portal.models import CreditEntry
from portal.policy import SYSTEM
from portal.registry import registry
from portal.services import activities, schools
from tests.support import factories as f
from tests.support.texts import prose


def _club(s, people):
    org = people["organizer"]
    return f.plan(
        s, org, "reading_club",
        [(people["t1"], "member"), (people["t2"], "leader")],
        details={"book_title": "给教师的建议", "author": "苏霍姆林斯基"}, hours="2",
    )


def test_the_example_is_loaded_from_its_entry_point(rc_app):
    reg = registry().get("reading_club")
    assert reg is not None
    assert reg.plugin == "reading_club"
    info = registry().plugins.info["reading_club"]
    assert (info.distribution, info.module) == ("yanxiu-reading-club", "yanxiu_reading_club")
    assert type(reg.type).__module__ == "yanxiu_reading_club.reading_club"


def test_lifecycle_through_the_services(rc_app):
    from yanxiu_reading_club.notes import InvalidNote, log_note

    s = f.school("RC", types=("reading_club",))
    people = f.staff(s)
    act = _club(s, people)
    t1, t2, org, rev = people["t1"], people["t2"], people["organizer"], people["reviewer"]
    f.attend(act, org)

    with pytest.raises(GuardFailedError) as refused:
        f.fire(act, org, "hold")
    assert refused.value.extra["missing"] == [
        "t1: reading notes 0 of 10000 characters",
        "t2: reading notes 0 of 10000 characters",
    ]
    assert activities.evidence_of(act.id) == [] and act.state == "planned"

    # typed notes (core evidence, counted by the core) and handwritten notebooks (plugin table)
    activities.add_evidence(act, t1, t1.id, "reading_notes", "第一章", text=prose(6000, "读"))
    log_note(db.session, act.id, t1.id, "给教师的建议", 3_999, logged_by=org.id)
    activities.add_evidence(act, t2, t2.id, "reading_notes", "全书", text=prose(10000, "书"))
    with pytest.raises(GuardFailedError) as refused:
        f.fire(act, org, "hold")
    assert refused.value.extra["missing"] == ["t1: reading notes 9999 of 10000 characters"]

    with pytest.raises(InvalidNote) as bad:
        log_note(db.session, act.id, t1.id, "", 0, logged_by=org.id)
    assert set(bad.value.fields) == {"book", "char_count"}

    log_note(db.session, act.id, t1.id, "给教师的建议", 1, logged_by=org.id)
    assert f.fire(act, org, "hold").state == "held"
    assert f.fire(act, rev, "approve").state == "reviewed"
    assert f.fire(act, rev, "credit").state == "credited"

    hours = dict(
        db.session.execute(
            select(CreditEntry.user_id, func.sum(CreditEntry.hours))
            .where(CreditEntry.activity_id == act.id)
            .group_by(CreditEntry.user_id)
        ).all()
    )
    assert hours == {t1.id: Decimal("4"), t2.id: Decimal("6")}  # 2 + 2 reading; 2 × 2 + 2


def test_the_threshold_is_the_schools_setting(rc_app):
    s = f.school("RC2", types=("reading_club",))
    people = f.staff(s)
    schools.set_type(s, "reading_club", settings={"chars_per_year": 100}, by=SYSTEM)
    act = _club(s, people)
    f.attend(act, people["organizer"])
    activities.add_evidence(act, people["t1"], people["t1"].id, "reading_notes", text=prose(100, "读"))
    with pytest.raises(GuardFailedError) as refused:
        f.fire(act, people["organizer"], "hold")
    assert refused.value.extra["missing"] == ["t2: reading notes 0 of 100 characters"]


def _login(client, username):
    r = client.post("/login", data={"username": username, "password": f.PASSWORD})
    assert r.status_code in (302, 303), r.status_code


def test_the_activity_page_shows_the_plugins_fragment_in_chinese_and_english(rc_app):
    from yanxiu_reading_club.notes import log_note

    s = f.school("RCW", types=("reading_club",))
    people = f.staff(s)
    act = _club(s, people)
    log_note(db.session, act.id, people["t1"].id, "教育漫话", 2_500, logged_by=people["organizer"].id)
    client = rc_app.test_client()
    _login(client, people["organizer"].username)

    page = client.get(f"/activities/{act.id}?lang=zh_Hans_CN").get_data(as_text=True)
    assert 'id="reading-club-progress"' in page
    assert "本学年读书笔记" in page and "每位成员每学年读书笔记不少于 10,000 字。" in page
    assert "笔记本：《教育漫话》，2500 字" in page
    assert "给教师的建议" in page  # the type's own details

    refresh()  # the test's app context outlives each request, and Flask-Babel caches the locale on it
    page = client.get(f"/activities/{act.id}?lang=en").get_data(as_text=True)
    assert "Reading notes this school year" in page and "Notebook: 教育漫话, 2500 characters" in page


def test_the_guard_refusal_reaches_the_web_page(rc_app):
    s = f.school("RCX", types=("reading_club",))
    people = f.staff(s)
    act = _club(s, people)
    client = rc_app.test_client()
    _login(client, people["organizer"].username)
    r = client.post(f"/activities/{act.id}/trigger?lang=zh_Hans_CN", data={"trigger": "hold", "comment": ""})
    body = r.get_data(as_text=True)
    assert r.status_code in (409, 422), r.status_code
    assert "t1：读书笔记 0 / 10000 字" in body


def test_lifecycle_through_the_api(rc_app):
    s = f.school("RCA", types=())
    people = f.staff(s)
    api = rc_app.test_client()

    def token(user):
        r = api.post("/api/v1/auth/token", json={"username": user.username, "password": f.PASSWORD})
        assert r.status_code == 200, r.get_json()
        return {"Authorization": f"Bearer {r.get_json()['token']}"}

    admin, org, rev = token(people["admin"]), token(people["organizer"]), token(people["reviewer"])
    t1, t2 = people["t1"], people["t2"]

    r = api.put("/api/v1/activity-types/reading_club", json={"enabled": True, "settings": {"chars_per_year": 500}},
                headers=admin)
    assert r.status_code == 200, r.get_json()
    r = api.post("/api/v1/activities", headers=org, json={
        "type": "reading_club", "title": "读书会：给教师的建议", "starts_at": "2026-10-15T14:00",
        "ends_at": "2026-10-15T16:00", "hours": 2,
        "participants": [{"user_id": t1.id, "role": "member"}, {"user_id": t2.id, "role": "leader"}],
        "details": {},
    })
    assert r.status_code == 422 and "book_title" in str(r.get_json())  # the plugin's form, via the API
    r = api.post("/api/v1/activities", headers=org, json={
        "type": "reading_club", "title": "读书会：给教师的建议", "starts_at": "2026-10-15T14:00",
        "ends_at": "2026-10-15T16:00", "hours": 2,
        "participants": [{"user_id": t1.id, "role": "member"}, {"user_id": t2.id, "role": "leader"}],
        "details": {"book_title": "给教师的建议"},
    })
    assert r.status_code == 201, r.get_json()
    aid = r.get_json()["id"]
    rows = [{"user_id": u.id, "attended_hours": 2} for u in (t1, t2)]
    assert api.put(f"/api/v1/activities/{aid}/attendance", json=rows, headers=org).status_code == 200

    r = api.post(f"/api/v1/activities/{aid}/transitions", json={"trigger": "hold"}, headers=org)
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"] == "guard_failed"
    assert r.get_json()["missing"] == ["t1: reading notes 0 of 500 characters", "t2: reading notes 0 of 500 characters"]
    zh = api.post(f"/api/v1/activities/{aid}/transitions", json={"trigger": "hold"},
                  headers={**org, "Accept-Language": "zh-CN"})
    assert zh.get_json()["missing"] == ["t1：读书笔记 0 / 500 字", "t2：读书笔记 0 / 500 字"]  # the plugin's catalog
    for who in (t1, t2):
        r = api.post(f"/api/v1/activities/{aid}/evidence", headers=token(who),
                     json={"kind": "reading_notes", "title": "笔记", "text": prose(500, "字")})
        assert r.status_code == 201, r.get_json()
    for trigger, headers, state in (("hold", org, "held"), ("approve", rev, "reviewed"), ("credit", rev, "credited")):
        r = api.post(f"/api/v1/activities/{aid}/transitions", json={"trigger": trigger}, headers=headers)
        assert r.status_code == 200, r.get_json()
        assert r.get_json()["state"] == state
    r = api.get(f"/api/v1/users/{t2.id}/credits?year=2026-2027", headers=admin)
    assert r.status_code == 200, r.get_json()
    assert "6" in str(r.get_json())  # the leader: 2 × 2 + 2 reading hours
