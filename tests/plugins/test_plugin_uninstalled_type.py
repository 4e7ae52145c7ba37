"""Activities of a type whose plugin is no longer installed still load (CTFd's
``test_missing_challenge_type``): pages and services work, triggers are refused."""

from __future__ import annotations

import pytest

from portal.errors import Conflict
from portal.models import Activity
from portal.registry import registry
from portal.services import activities, transitions
from tests.support import factories as f


def test_activities_of_a_switched_off_type_still_load(make_app):
    app = make_app()
    with app.app_context():
        s = f.school("GONE", types=("lecture", "observation"))
        people = f.staff(s)
        act = f.plan(s, people["organizer"], "lecture", [(people["t1"], "attendee")], {"topic": "旧讲座"})
        ids = (act.id, s.id, people["organizer"].username, people["organizer"].id)

    app2 = make_app(PLUGINS_ALLOWLIST=["observation"], SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    act_id, school_id, username, organizer_id = ids
    with app2.app_context():
        assert registry().get("lecture") is None
        from portal.extensions import db
        from portal.models import User

        row = db.session.get(Activity, act_id)
        assert row.type_key == "lecture" and row.details["topic"] == "旧讲座"
        assert len(activities.participants_with_users(act_id)) == 1
        assert transitions.allowed_triggers(row, organizer_id) == []
        with pytest.raises(Conflict) as refused:
            transitions.fire(act_id, school_id, db.session.get(User, organizer_id), "cancel")
        assert "not installed" in str(refused.value)

        client = app2.test_client()
        r = client.post("/login", data={"username": username, "password": f.PASSWORD})
        assert r.status_code in (302, 303)
        page = client.get(f"/activities/{act_id}")
        assert page.status_code == 200
        assert "测试活动" in page.get_data(as_text=True)  # the title, shown read-only


def test_a_switched_off_type_is_named_as_not_installed_never_by_its_bare_key(make_app):
    """Attack: the lecture's plugin switched off with credited lectures in the ledger: the
    学时汇总表 (page, CSV, the district's copy) headed their column ``lecture``, and the activity
    page, the 学分认定表 and the calendar feed named its type so — an English code on Chinese pages
    and on the forms sent to the district. Its hours still count; it is named as not installed."""
    app = make_app()
    with app.app_context():
        s = f.school("GONE", types=("lecture", "observation"))
        people = f.staff(s)
        act = f.plan(s, people["organizer"], "lecture", [(people["t1"], "attendee")], {"topic": "旧讲座"})
        f.attend(act, people["organizer"])
        for who, trigger in (("organizer", "hold"), ("reviewer", "approve"), ("reviewer", "credit")):
            f.fire(act, people[who], trigger)
        act_id, year, admin = act.id, act.school_year, people["admin"].username

    app2 = make_app(PLUGINS_ALLOWLIST=["observation"], SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    client = app2.test_client()
    assert client.post("/login", data={"username": admin, "password": f.PASSWORD}).status_code in (302, 303)
    name_zh = "未安装的活动类型（lecture）"
    csv = client.get(f"/reports/summary.csv?year={year}").get_data(as_text=True)
    heads, *rows = csv.lstrip("\ufeff").splitlines()
    assert name_zh in heads.split(",") and "lecture" not in heads.split(","), heads
    assert any(",3," in row for row in rows)  # the lecture's 3 hours, in its column
    page = client.get(f"/reports/summary?year={year}").get_data(as_text=True)
    assert name_zh in page
    assert name_zh in client.get(f"/activities/{act_id}").get_data(as_text=True)
    english = client.get(f"/reports/summary.csv?year={year}&headings=en").get_data(as_text=True)
    assert "activity type lecture (not installed)" in english.splitlines()[0]
