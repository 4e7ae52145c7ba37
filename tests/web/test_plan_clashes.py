"""An activity planned on top of another (``overlaps.sharing_time``): the school's other
activities at the same time, not cancelled, that share its organizer or anyone on its list are
named — a warning, not a refusal (two lectures for two teaching groups at one hour are fine). The
organizer reads it after planning, moving and confirming a sign-up list, and the activity page
shows it to whoever may organise it, in Chinese or English; a teacher does not see it.

The test clock is 2026-12-07 10:00 in Shanghai (``tests/support/clock``)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from portal.extensions import db
from portal.models import Activity
from portal.services import activities, overlaps, signup
from portal.testing import log_in
from portal.timeutil import parse_iso
from tests.api.conftest import login as api_login
from tests.support import factories
from tests.support.factories import PASSWORD
from tests.support.prepared import prepared_by
from tests.year.helpers import actor, closes_in

ZONE = "Asia/Shanghai"
START, END = "2026-12-15T14:00", "2026-12-15T17:00"  # a Tuesday afternoon, in the school's time
LATER, LATER_END = "2026-12-15T15:00", "2026-12-15T18:00"  # overlapping its last two hours
FREE, FREE_END = "2026-12-17T09:00", "2026-12-17T12:00"  # that Thursday morning: nobody has anything


def _build_place() -> dict[str, Any]:
    """School S1 running lectures, its staff and a second organizer ``org2`` (built once per test
    process; each test gets a copy): their ids."""
    school = factories.school("S1", types=("lecture",))
    people = factories.staff(school)
    people["org2"] = factories.person(school, "org2", "organizer", "teacher")
    db.session.commit()
    return factories.place_ids({"school": school, **people})


prepared = prepared_by(_build_place)


@pytest.fixture
def place(app, make_app, prepared) -> dict[str, Any]:
    return factories.place_of(make_app.facts(prepared))


def _plan(p: dict[str, Any], who: str, people: list[str], start: str = START, end: str = END,
          title: str = "课堂观察") -> Activity:
    return activities.plan_activity(
        p["school"], p[who], "lecture", title, start, end, "3",
        [{"user_id": p[k].id, "role": "attendee"} for k in people], {"topic": "课堂观察的方法"},
    )


def _utc(text: str):
    return parse_iso(text, ZONE)


def _flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [text for _kind, text in session.get("_flashes", [])]


def _clash_panel(html: str) -> str:
    found = re.search(r'data-testid="clashes".*?</section>', html, re.S)
    return found.group(0) if found else ""


# -- the service -------------------------------------------------------------------------------


def test_the_activities_sharing_time_and_people_are_named_with_how_many(app, place):
    first = _plan(place, "organizer", ["t1", "t2", "t3"], title="课堂观察")
    # another organiser, three of the same teachers and one more, its first hour free
    second = _plan(place, "org2", ["t1", "t2", "t3", "t4"], LATER, LATER_END, title="教研沙龙")
    assert [(c.activity_id, c.title, c.people) for c in overlaps.clashes_of(db.session, second)] == [
        (first.id, "课堂观察", 3)]
    # the same organiser, nobody else in common: the organiser is the one person in both
    third = _plan(place, "organizer", [], "2026-12-15T16:00", "2026-12-15T19:00", title="备课会")
    assert [(c.activity_id, c.people) for c in overlaps.clashes_of(db.session, third)] == [(first.id, 1)]
    assert [(c.activity_id, c.people) for c in overlaps.clashes_of(db.session, first)] == [
        (second.id, 3), (third.id, 1)]
    # asked before planning: a time, and the organiser with the list
    asked = overlaps.sharing_time(db.session, place["school"].id, _utc(START), _utc(END),
                                  [place["org2"].id, place["t4"].id])
    assert [(c.activity_id, c.people) for c in asked] == [(second.id, 2)]
    # one that only touches the end, or whose people are others, shares no time with it
    _plan(place, "org2", ["t1"], "2026-12-15T17:00", "2026-12-15T19:00", title="读书会")
    _plan(place, "org2", ["t4"], "2026-12-15T08:00", "2026-12-15T11:00", title="晨会")
    assert [c.activity_id for c in overlaps.clashes_of(db.session, first)] == [second.id, third.id]


def test_a_cancelled_activity_and_another_schools_are_no_clash(app, place):
    first = _plan(place, "organizer", ["t1", "t2"])
    second = _plan(place, "org2", ["t1"], LATER, LATER_END, title="教研沙龙")
    assert [c.activity_id for c in overlaps.clashes_of(db.session, first)] == [second.id]
    factories.fire(second, place["org2"], "cancel", comment="改期另行通知")
    assert overlaps.clashes_of(db.session, first) == []
    # t1 teaches at a second school too: what that school plans is its own
    other = factories.school("S2", types=("lecture",))
    org_b = factories.person(other, "orgb", "organizer", "teacher")
    factories.person(other, "t1", "teacher")
    activities.plan_activity(other, org_b, "lecture", "联校教研", START, END, "3",
                             [{"user_id": place["t1"].id, "role": "attendee"}], {"topic": "联校教研"})
    assert overlaps.clashes_of(db.session, first) == []


# -- the pages ---------------------------------------------------------------------------------


def _form(p: dict[str, Any], people: list[str], start: str, end: str, title: str) -> dict[str, str]:
    return {"title": title, "starts_at": start, "ends_at": end, "hours": "3", "details-topic": "课堂观察的方法",
            **{f"role-{p[k].id}": "attendee" for k in people}}


def test_planning_on_top_of_another_warns_the_organizer_in_chinese(app, place):
    first = _plan(place, "org2", ["t1", "t2", "t3"], title="教研沙龙")
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    r = org.post("/activities/new/lecture", data=_form(place, ["t1", "t2", "t3", "t4"], LATER, LATER_END, "课堂观察"))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]  # planned all the same: a warning only
    said = _flashes(org)
    assert any("与「教研沙龙」" in s and "时间重叠" in s and "3 人" in s for s in said), said
    act_id = int(r.headers["Location"].rsplit("/", 1)[1])
    html = org.get(f"/activities/{act_id}").get_data(as_text=True)
    panel = _clash_panel(html)
    assert "教研沙龙" in panel and "3 人" in panel and f"/activities/{first.id}" in panel
    assert "people" not in panel and "Overlaps" not in panel
    # a school admin may organise it and sees it too; a teacher on its list does not
    admin = log_in(app.test_client(), place["admin"], place["school"].id)
    assert "教研沙龙" in _clash_panel(admin.get(f"/activities/{act_id}").get_data(as_text=True))
    teacher = log_in(app.test_client(), place["t1"], place["school"].id)
    html = teacher.get(f"/activities/{act_id}").get_data(as_text=True)
    assert 'data-testid="clashes"' not in html and "时间重叠" not in html
    # planned at a free time: no warning
    r = org.post("/activities/new/lecture", data=_form(place, ["t1"], FREE, FREE_END, "读书会"))
    assert r.status_code == 302 and not any("时间重叠" in s for s in _flashes(org))
    assert 'data-testid="clashes"' not in org.get(r.headers["Location"]).get_data(as_text=True)


def test_the_warning_in_english_counts_one_person_and_several(app, place):
    _plan(place, "org2", ["t1"], title="教研沙龙")
    _plan(place, "org2", ["t2", "t3"], "2026-12-15T16:00", "2026-12-15T19:00", title="读书会")
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    org.get("/?lang=en")
    r = org.post("/activities/new/lecture", data=_form(place, ["t1", "t2", "t3"], START, END, "Lesson study"))
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    said = _flashes(org)
    assert any("“教研沙龙”" in s and "1 person is in both" in s for s in said), said
    assert any("“读书会”" in s and "2 people are in both" in s for s in said), said
    panel = _clash_panel(org.get(r.headers["Location"]).get_data(as_text=True))
    assert "1 person is in both" in panel and "2 people are in both" in panel and "时间重叠" not in panel


def test_moving_onto_another_warns_and_moving_away_clears_it(app, place):
    _plan(place, "org2", ["t1", "t2"], FREE, FREE_END, title="教研沙龙")
    act = _plan(place, "organizer", ["t1", "t2", "t3"])
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    assert 'data-testid="clashes"' not in org.get(f"/activities/{act.id}").get_data(as_text=True)
    r = org.post(f"/activities/{act.id}/reschedule", data={"starts_at": "2026-12-17 10:00", "ends_at": "2026-12-17 13:00"})
    assert r.status_code == 302
    said = _flashes(org)
    assert any("与「教研沙龙」" in s and "2 人" in s for s in said), said
    assert "教研沙龙" in _clash_panel(org.get(f"/activities/{act.id}").get_data(as_text=True))
    r = org.post(f"/activities/{act.id}/reschedule", data={"starts_at": "2026-12-18 10:00", "ends_at": "2026-12-18 13:00"})
    assert r.status_code == 302 and not any("时间重叠" in s for s in _flashes(org))
    assert 'data-testid="clashes"' not in org.get(f"/activities/{act.id}").get_data(as_text=True)


def test_confirming_a_sign_up_list_warns_of_who_is_elsewhere_then(app, place):
    _plan(place, "org2", ["t1", "t2"], title="教研沙龙")
    act = _plan(place, "organizer", [], "2026-12-15T16:00", "2026-12-15T19:00", title="读书会")
    signup.open_signup(act, 5, closes_in(3), by=actor(place["organizer"], place["school"]), tz=ZONE)
    for k in ("t1", "t2", "t3"):
        signup.sign_up(act, place[k], by=actor(place[k], place["school"]))
    db.session.commit()
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    r = org.post(f"/activities/{act.id}/signup/confirm")
    assert r.status_code == 302
    said = _flashes(org)
    assert any("与「教研沙龙」" in s and "2 人" in s for s in said), said


def test_the_api_gives_the_clashes_to_who_may_organise_it_only(app, place):
    first = _plan(place, "org2", ["t1", "t2"], title="教研沙龙")
    act = _plan(place, "organizer", ["t1", "t2", "t3"], LATER, LATER_END)
    headers = {"X-School": "S1"}
    org = api_login(app.test_client(), "org", PASSWORD)
    body = org.get(f"/api/v1/activities/{act.id}", headers=headers).get_json()
    assert body["clashes"] == [{"activity_id": first.id, "title": "教研沙龙", "starts_at": "2026-12-15T14:00:00+08:00",
                                "ends_at": "2026-12-15T17:00:00+08:00", "people": 2}]
    teacher = api_login(app.test_client(), "t1", PASSWORD)
    assert "clashes" not in teacher.get(f"/api/v1/activities/{act.id}", headers=headers).get_json()
    # moved away: the organizer is told there is none
    r = org.post(f"/api/v1/activities/{act.id}/reschedule", json={"starts_at": FREE, "ends_at": FREE_END},
                 headers=headers)
    assert r.status_code == 200 and r.get_json()["clashes"] == []
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "clashes" in doc["components"]["schemas"]["Activity"]["properties"]


def test_the_demo_names_its_parallel_session_to_who_may_organise_it(site, as_user):
    """The demo's school admin planned the maths group's session at the hour of the confirmed
    sign-up activity; teacher5 is on both lists."""
    from sqlalchemy import select

    from portal.demo_year import confirmed_title, parallel_title

    with site.app_context():
        titles = confirmed_title(), parallel_title()
        ids = dict(db.session.execute(select(Activity.title, Activity.id).where(Activity.title.in_(titles))).all())
    confirmed, parallel = ids[titles[0]], ids[titles[1]]
    panel = _clash_panel(as_user("organizer").get(f"/activities/{confirmed}").get_data(as_text=True))
    assert f'data-testid="clash-{parallel}"' in panel and "1 人" in panel
    panel = _clash_panel(as_user("admin").get(f"/activities/{parallel}").get_data(as_text=True))
    assert f'data-testid="clash-{confirmed}"' in panel
    page = as_user("teacher5").get(f"/activities/{parallel}").get_data(as_text=True)
    assert 'data-testid="clashes"' not in page
