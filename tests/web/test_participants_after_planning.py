"""The list of an activity changed after planning (``activities.set_participants``,
``activities.remove_participant``): a teacher joins the research group a week later, another is
sent on a course. Whoever may organise it adds people with the planning form's picker, changes a
role, takes someone off (asked to confirm) — on its page and through the API. Refusals (evidence
handed in, a year the district accepted, a step past the changes, not a member, off the staff when
it is held) are shown in the viewer's language and write nothing. Someone added is told as those
planned in are (the "tomorrow" reminder); someone taken off is told so (``removed``).

The test clock is 2026-12-07 10:00 in Shanghai (``tests/support/clock``)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from portal import jobs
from portal.errors import Conflict, Forbidden, Invalid
from portal.extensions import db
from portal.messages import tr
from portal.models import Activity, Notification, OutboxJob, Participation, School, YearLock, YearSubmission
from portal.services import access, activities, notifications, reminders
from portal.services import staff as staff_service
from portal.services import users as users_service
from portal.testing import log_in
from portal.timeutil import parse_iso
from tests.api.conftest import login as api_login
from tests.support import factories
from tests.support.factories import PASSWORD
from tests.support.prepared import prepared_by
from tests.support.texts import prose

ZONE = "Asia/Shanghai"
START, END = "2026-12-15T14:00", "2026-12-15T17:00"  # a Tuesday afternoon, in the school's time
S1 = {"X-School": "S1"}


def utc(text: str) -> datetime:
    return parse_iso(text, ZONE)


def _build_place() -> dict[str, Any]:
    """School S1 running lectures, its staff (named) and a second organizer (built once per test
    process; each test gets a copy): their ids."""
    names = {k: factories.TEACHER_NAMES[k] for k in ("t1", "t2", "t3")}
    return factories.place_ids(factories.lecture_school_with_two_organizers(names))


prepared = prepared_by(_build_place)


@pytest.fixture
def place(app, make_app, prepared) -> dict[str, Any]:
    return factories.place_of(make_app.facts(prepared))


def _plan(p: dict[str, Any], start: str = START, end: str = END, title: str = "课堂观察") -> Activity:
    return activities.plan_activity(
        p["school"], p["organizer"], "lecture", title, start, end, "3",
        [{"user_id": p["t1"].id, "role": "attendee"}, {"user_id": p["t2"].id, "role": "attendee"}],
        {"topic": "课堂观察的方法"},
    )


def _rows(act_id: int) -> tuple:
    """The list and everything a change of it writes, to compare before and after a refusal."""
    db.session.expire_all()
    listed = tuple(db.session.execute(select(Participation.user_id, Participation.role, Participation.attended_hours)
                                      .where(Participation.activity_id == act_id).order_by(Participation.user_id)))
    counts = tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Notification, OutboxJob))
    return listed, counts


def _roster(act_id: int) -> dict[int, str]:
    db.session.expire_all()
    return dict(db.session.execute(select(Participation.user_id, Participation.role)
                                   .where(Participation.activity_id == act_id)).all())


def _flashes(client) -> list[str]:
    with client.session_transaction() as session:
        return [text for _kind, text in session.get("_flashes", [])]


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return found.group(1) if found else ""


def _lock(p: dict[str, Any], semester: int = 1) -> None:
    school = db.session.get(School, p["school"].id)
    sub = YearSubmission(district_id=school.district_id, school_id=school.id, school_year="2026-2027",
                         semester=semester, status="accepted", submitted_by=p["admin"].id)
    db.session.add(sub)
    db.session.flush()
    db.session.add(YearLock(school_id=school.id, school_year="2026-2027", semester=semester, submission_id=sub.id,
                            locked_by=p["admin"].id))
    db.session.commit()


# -- the services -----------------------------------------------------------------------------


def test_a_late_joiner_is_added_keeping_the_others_and_is_reminded_as_those_planned_in(app, place):
    act = _plan(place)
    act_id = act.id
    added = activities.set_participants(act, place["organizer"], [{"user_id": place["t3"].id}])
    assert added == [place["t3"].id]
    assert _roster(act_id) == {place["t1"].id: "attendee", place["t2"].id: "attendee", place["t3"].id: "attendee"}
    # told as those planned in are: the evening before, by the reminder
    reminders.remind_tomorrow(utc("2026-12-14T20:00"))
    told = {n.user_id for n in db.session.scalars(select(Notification).where(Notification.kind == "tomorrow"))}
    assert place["t3"].id in told and place["t1"].id in told


def test_added_after_the_reminder_went_out_they_are_reminded_at_the_next_run(app, place):
    act = _plan(place)
    assert len(reminders.remind_tomorrow(utc("2026-12-14T19:00"))) == 3  # two participants and the organizer
    activities.set_participants(act, place["organizer"], [{"user_id": place["t3"].id}])
    [note] = [db.session.get(Notification, i) for i in reminders.remind_tomorrow(utc("2026-12-14T20:00"))]
    assert note.user_id == place["t3"].id and note.kind == "tomorrow"


def test_a_role_changes_until_attendance_is_recorded_then_stays_with_the_hours(app, place):
    """The role is part of what is recorded (a type's credit rule reads it). Before: the page and
    the API, new this round, let whoever organises it change the role of someone whose hours were
    recorded, or take them off with their hours, while the activity waited for review — the
    figures changed and the history said nothing. Now both are refused for someone recorded
    (service, page, API; nothing written), and still allowed for someone not recorded yet."""
    act = _plan(place, "2026-12-01T14:00", "2026-12-01T17:00")
    act_id, t1, t2 = act.id, place["t1"].id, place["t2"].id
    activities.record_attendance(act, place["organizer"], [{"user_id": t1, "attended_hours": "2", "absent_hours": "1"}])
    activities.set_participants(act, place["organizer"], [{"user_id": t2, "role": "speaker"}])  # not recorded
    assert _roster(act_id)[t2] == "speaker"
    before = _rows(act_id)
    with pytest.raises(Invalid) as refused:
        activities.set_participants(act, place["organizer"], [{"user_id": t1, "role": "speaker"}])
    assert [m.code for m in refused.value.fields["participants"]] == ["participants.role_recorded"]
    db.session.rollback()
    with pytest.raises(Conflict) as gone:
        activities.remove_participant(act, place["organizer"], t1)
    assert gone.value.msg.code == "participants.has_record"
    db.session.rollback()
    assert _rows(act_id) == before
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    r = org.post(f"/activities/{act_id}/participants/delete", data={"user_id": str(t1)})
    assert r.status_code == 409 and "该参与者的考勤已登记，请保留并登记缺席" in r.get_data(as_text=True)
    r = org.post(f"/activities/{act_id}/participants/role", data={"user_id": str(t1), "role": "speaker"})
    assert r.status_code == 422 and "张伟的考勤已按其角色登记：角色不能再更改" in r.get_data(as_text=True)
    api = api_login(app.test_client(), "org", PASSWORD)
    r = api.delete(f"/api/v1/activities/{act_id}/participants/{t1}", headers=S1)
    assert r.status_code == 409 and "attendance is recorded" in r.get_json()["message"], r.get_json()
    r = api.post(f"/api/v1/activities/{act_id}/participants", json={"participants": [{"user_id": t1, "role": "speaker"}]},
                 headers=S1)
    assert r.status_code == 422 and "participants" in r.get_json()["fields"], r.get_json()
    assert _rows(act_id) == before
    db.session.expire_all()
    row = db.session.scalars(select(Participation).where(Participation.activity_id == act_id,
                                                         Participation.user_id == t1)).one()
    assert (row.role, str(row.attended_hours), str(row.absent_hours)) == ("attendee", "2.0", "1.0")


def test_someone_taken_off_is_told_once_and_not_if_put_back_before_the_email(app, place):
    act = _plan(place)
    activities.remove_participant(act, place["organizer"], place["t2"].id)
    assert place["t2"].id not in _roster(act.id)
    [job] = [t for t in jobs.queue(app).huey.pending() if t.name == "notifications.removed"]
    written = reminders.removed(*job.args)
    assert len(written) == 1 and reminders.removed(*job.args) == []  # a retried job tells nobody twice
    note = db.session.get(Notification, written[0])
    assert (note.user_id, note.kind, note.link) == (place["t2"].id, "removed", f"/activities/{act.id}")
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert tr(notifications.text(note)) == "您已不在课堂观察（2026-12-15 14:00）的参加人员名单上"
    with app.test_request_context("/?lang=en"), force_locale("en"):
        assert tr(notifications.text(note)) == "You are no longer on the list of 课堂观察 (2026-12-15 14:00)"
    assert notifications.still_stands(note)
    activities.set_participants(act, place["organizer"], [{"user_id": place["t2"].id}])  # back on it
    assert not notifications.still_stands(note)  # a held email of it is not sent
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert tr(notifications.kind_label("removed")) == "我被移出活动名单"


def test_taking_oneself_off_tells_nobody(app, place):
    act = activities.plan_activity(place["school"], place["organizer"], "lecture", "课堂观察", START, END, "3",
                                   [{"user_id": place["organizer"].id, "role": "speaker"}], {"topic": "方法"})
    activities.remove_participant(act, place["organizer"], place["organizer"].id)
    assert "notifications.removed" not in [t.name for t in jobs.queue(app).huey.pending()]


# -- refusals, each writing nothing -----------------------------------------------------------


def test_who_may_not_organise_it_changes_nothing(app, place):
    act = _plan(place)
    before = _rows(act.id)
    for who in (place["t1"], place["org2"], place["reviewer"]):
        with pytest.raises(Forbidden):
            activities.set_participants(act, who, [{"user_id": place["t3"].id}])
        db.session.rollback()
        with pytest.raises(Forbidden):
            activities.remove_participant(act, who, place["t1"].id)
        db.session.rollback()
    assert _rows(act.id) == before


def test_someone_away_from_the_staff_when_it_is_held_is_not_added(app, place, monkeypatch):
    """t3 left the staff on 20 September and came back on 20 November: an October activity is
    not theirs (as attendance and evidence say), so they are not put on its list; named in Chinese."""
    october = _plan(place, "2026-10-15T14:00", "2026-10-15T17:00", title="十月讲座")
    admin = access.actor(place["admin"].id, place["school"].id)
    for when, change in ((datetime(2026, 9, 20, 2), lambda: staff_service.deactivate(
            place["school"], place["t3"].id, by=admin)),
            (datetime(2026, 11, 20, 2), lambda: staff_service.set_roles(
                place["school"], place["t3"].id, ["teacher"], by=admin))):
        monkeypatch.setattr(staff_service, "utcnow", lambda when=when: when)
        monkeypatch.setattr(users_service, "utcnow", lambda when=when: when)
        change()
    db.session.commit()
    before = _rows(october.id)
    with pytest.raises(Invalid) as info:
        activities.set_participants(october, place["organizer"], [{"user_id": place["t3"].id}])
    [said] = info.value.fields["participants"]
    assert said.code == "participants.away"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert tr(said) == "王雅琴在活动举行时不在本校任教：该活动不属于其本人"
    db.session.rollback()
    assert _rows(october.id) == before
    # the December one is theirs again
    december = _plan(place)
    assert activities.set_participants(december, place["organizer"], [{"user_id": place["t3"].id}]) == [place["t3"].id]


def test_evidence_handed_in_keeps_them_on_the_list(app, place):
    act = _plan(place, "2026-12-01T14:00", "2026-12-01T17:00")
    activities.add_evidence(act, place["t1"], None, "reflection", "反思", text=prose(300, 3))
    db.session.commit()
    before = _rows(act.id)
    with pytest.raises(Conflict) as info:
        activities.remove_participant(act, place["organizer"], place["t1"].id)
    assert info.value.msg.code == "participants.has_evidence"
    db.session.rollback()
    assert _rows(act.id) == before


def test_a_stranger_an_empty_list_and_a_locked_year_change_nothing(app, place):
    other = factories.school("S2", types=("lecture",))
    stranger = factories.person(other, "x1", "teacher")
    db.session.commit()
    act = _plan(place)
    before = _rows(act.id)
    for people, code in (([{"user_id": stranger.id}], "plan.not_member_at"), ([], "participants.none")):
        with pytest.raises(Invalid) as info:
            activities.set_participants(act, place["organizer"], people)
        assert info.value.fields["participants"][0].code == code
        db.session.rollback()
    _lock(place)
    with pytest.raises(Conflict) as locked:
        activities.set_participants(act, place["organizer"], [{"user_id": place["t3"].id}])
    assert locked.value.msg.code == "year.locked"
    db.session.rollback()
    with pytest.raises(Conflict):
        activities.remove_participant(act, place["organizer"], place["t1"].id)
    db.session.rollback()
    assert _rows(act.id) == before


def _stranger_and_leaver(place: dict[str, Any]) -> Any:
    """A teacher of another school (欧阳明, returned) and t4 gone from this one as 李娜."""
    other = factories.school("S2", types=("lecture",))
    stranger = factories.person(other, "x1", "teacher", name="欧阳明")
    admin = access.actor(place["admin"].id, place["school"].id)
    staff_service.deactivate(place["school"], place["t4"].id, by=admin)
    place["t4"].display_name = "李娜"
    db.session.commit()
    return stranger


def _in_both_languages(app, said: Any) -> tuple[str, str]:
    """A refusal's messages in Chinese and in English."""
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        zh = tr(said)
    with app.test_request_context(headers={"Accept-Language": "en"}), force_locale("en"):
        en = tr(said)
    return zh, en


def _api_says(app, act_id: int, sent: list[dict], zh: str, en: str) -> tuple[Any, str]:
    """The API refuses ``sent`` with the messages ``en`` (by default) and ``zh`` (asked for);
    returns its client and the call's path."""
    api = api_login(app.test_client(), "org", PASSWORD)
    path = f"/api/v1/activities/{act_id}/participants"
    r = api.post(path, json={"participants": sent}, headers=S1)
    assert r.status_code == 422 and r.get_json()["fields"]["participants"] == en.split("; "), r.get_json()
    r = api.post(path, json={"participants": sent}, headers={**S1, "Accept-Language": "zh-CN"})
    assert r.get_json()["fields"]["participants"] == zh.split("；"), r.get_json()
    return api, path


def _words_only(text: str, *ids: int) -> None:
    """A Chinese refusal: words, no code, no id, no English."""
    assert not re.search(r"[A-Za-z_]{3,}", text), text
    for n in ids:
        assert str(n) not in text, (n, text)


def test_who_is_not_a_member_and_a_role_not_of_the_type_are_said_in_words(app, place):
    """A former member by name; a user of another school and an id nobody has without name or
    id (at their place in the list sent); a role the type has not: the type's roles in words
    (in English with the key to send). The service, the page and the API, in both languages."""
    stranger = _stranger_and_leaver(place)
    act = _plan(place)
    before = _rows(act.id)
    sent = [{"user_id": place["t3"].id}, {"user_id": stranger.id}, {"user_id": 987654}, {"user_id": place["t4"].id}]
    with pytest.raises(Invalid) as info:
        activities.set_participants(act, place["organizer"], sent)
    said = info.value.fields["participants"]
    assert [m.code for m in said] == ["plan.not_member", "plan.not_member_at", "plan.not_member_at"]
    zh, en = _in_both_languages(app, said)
    assert zh == "李娜已不是本校人员；第 2 项：不是本校人员；第 3 项：不是本校人员"
    assert en == "李娜 is no longer a member of this school; #2: not a member of this school; #3: not a member of this school"
    _words_only(zh, stranger.id, 987654)
    assert "欧阳明" not in zh + en and str(stranger.id) not in en
    db.session.rollback()
    with pytest.raises(Invalid) as role:
        activities.set_participants(act, place["organizer"], [{"user_id": place["t3"].id, "role": "boss"}])
    [wrong] = role.value.fields["participants"]
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert tr(wrong) == "第 1 项：不是本类活动的角色，可选的角色为：听讲教师、主讲人"
    with app.test_request_context(headers={"Accept-Language": "en"}), force_locale("en"):
        assert tr(wrong) == ("#1: not a role of this type of activity; its roles are Attendee (attendee), "
                             "Speaker (speaker)")
    db.session.rollback()
    # planning refuses them in the same words
    with pytest.raises(Invalid) as planned:
        activities.plan_activity(place["school"], place["organizer"], "lecture", "听课", START, END, "3",
                                 [{"user_id": 987654, "role": "attendee"}], {"topic": "听课"})
    assert [m.code for m in planned.value.fields["participants"]] == ["plan.not_member_at"]
    db.session.rollback()
    # the page: whom the picker offered and who left since by name; a forged choice anonymously
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    for choice, shown in ((f"u:{place['t4'].id}", "李娜已不是本校人员"), (f"u:{stranger.id}", "所选人员中有人不是本校人员"),
                          ("u:987654", "所选人员中有人不是本校人员")):
        r = org.post(f"/activities/{act.id}/participants", data={"people-attendee": choice})
        html = r.get_data(as_text=True)
        assert r.status_code == 422 and shown in html, html
        error = re.search(r'data-testid="participants-error">([^<]*)<', html)
        assert error is not None
        _words_only(error.group(1), stranger.id, 987654, place["t4"].id)
        assert "欧阳明" not in html
    r = org.post(f"/activities/{act.id}/participants/role", data={"user_id": str(place["t2"].id), "role": "boss"})
    error = re.search(r'data-testid="participants-error">([^<]*)<', r.get_data(as_text=True))
    assert r.status_code == 422 and error is not None and "听讲教师、主讲人" in error.group(1)
    _words_only(error.group(1))
    r = org.post(f"/activities/{act.id}/participants/role?lang=en", data={"user_id": str(place["t2"].id),
                                                                          "role": "boss"},
                 headers={"Accept-Language": "en"})
    assert "its roles are Attendee (attendee), Speaker (speaker)" in r.get_data(as_text=True)
    # the API: English by default, Chinese when asked
    api, path = _api_says(app, act.id, sent, zh, en)
    r = api.post(path, json={"participants": [{"user_id": place["t3"].id, "role": "boss"}]},
                 headers={**S1, "Accept-Language": "zh-CN"})
    assert r.get_json()["fields"]["participants"] == ["第 1 项：不是本类活动的角色，可选的角色为：听讲教师、主讲人"]
    assert _rows(act.id) == before


# -- the page -----------------------------------------------------------------------------------


def test_the_page_is_offered_to_who_may_organise_it_and_refused_to_others(app, place):
    act = _plan(place)
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    show = org.get(f"/activities/{act.id}").get_data(as_text=True)
    assert 'data-testid="participants-link"' in show and "调整参加人员" in show
    page = org.get(f"/activities/{act.id}/participants")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="participants-add-form"' in html
    # the picker offers those not on the list, in pinyin order (王 after 艾, 张 on the list already)
    assert 'data-testid="pick-attendee-t3"' in html and 'data-testid="pick-attendee-t1"' not in html
    assert 'data-testid="remove-t1"' in html and "确定将张伟移出本活动的名单吗？" in html
    for key in ("t1", "reviewer"):
        c = log_in(app.test_client(), place[key], place["school"].id)
        assert 'data-testid="participants-link"' not in c.get(f"/activities/{act.id}").get_data(as_text=True)
        assert c.get(f"/activities/{act.id}/participants").status_code == 403
        before = _rows(act.id)
        r = c.post(f"/activities/{act.id}/participants/delete", data={"user_id": str(place["t2"].id)})
        assert r.status_code == 403 and _rows(act.id) == before


def test_adding_changing_and_removing_on_the_page_in_chinese(app, place):
    act = _plan(place)
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    r = org.post(f"/activities/{act.id}/participants", data={"people-attendee": f"u:{place['t3'].id}"})
    assert r.status_code == 302 and "已加入名单：1 人。" in _flashes(org)
    assert _roster(act.id)[place["t3"].id] == "attendee"
    r = org.post(f"/activities/{act.id}/participants/role", data={"user_id": str(place["t3"].id), "role": "speaker"})
    assert r.status_code == 302 and _roster(act.id)[place["t3"].id] == "speaker"
    r = org.post(f"/activities/{act.id}/participants/delete", data={"user_id": str(place["t2"].id)})
    assert r.status_code == 302 and "已移出名单，并已通知本人。" in _flashes(org)
    assert place["t2"].id not in _roster(act.id)
    # "the whole school" adds those not on it yet; who is on it keeps their role
    r = org.post(f"/activities/{act.id}/participants", data={"people-attendee": "all"})
    assert r.status_code == 302 and _roster(act.id)[place["t3"].id] == "speaker"
    assert place["t2"].id in _roster(act.id)


def test_refusals_on_the_page_are_translated_and_write_nothing(app, place):
    act = _plan(place, "2026-12-01T14:00", "2026-12-01T17:00")
    activities.add_evidence(act, place["t1"], None, "reflection", "反思", text=prose(300, 4))
    db.session.commit()
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    before = _rows(act.id)
    r = org.post(f"/activities/{act.id}/participants/delete", data={"user_id": str(place["t1"].id)})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "该参与者已有材料，请保留并登记缺席" in html
    assert "has evidence" not in html and "participants.has_evidence" not in html
    r = org.post(f"/activities/{act.id}/participants", data={})
    assert r.status_code == 422 and "请至少选择一人" in r.get_data(as_text=True)
    for bad in ("", "abc", "99999999999999", "-1", str(place["t3"].id)):
        r = org.post(f"/activities/{act.id}/participants/delete", data={"user_id": bad})
        assert r.status_code == 404 and "找不到该参与者" in r.get_data(as_text=True)
        r = org.post(f"/activities/{act.id}/participants/role", data={"user_id": bad, "role": "speaker"})
        assert r.status_code == 404
    r = org.post(f"/activities/{act.id}/participants/role", data={"user_id": str(place["t2"].id), "role": "boss"})
    assert r.status_code == 422
    assert _rows(act.id) == before
    # English
    r = org.post(f"/activities/{act.id}/participants/delete?lang=en", data={"user_id": str(place["t1"].id)},
                 headers={"Accept-Language": "en"})
    assert "this participant has evidence" in r.get_data(as_text=True)
    assert _rows(act.id) == before


def test_a_step_past_the_changes_or_a_locked_year_shows_why_and_offers_no_form(app, place):
    act = _plan(place)
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    _lock(place)
    html = org.get(f"/activities/{act.id}/participants").get_data(as_text=True)
    assert "participants-add-form" not in html and 'data-testid="participants-locked"' in html
    assert 'data-testid="participants-link"' not in org.get(f"/activities/{act.id}").get_data(as_text=True)
    before = _rows(act.id)
    r = org.post(f"/activities/{act.id}/participants", data={"people-attendee": f"u:{place['t3'].id}"})
    assert r.status_code == 409 and "2026—2027学年" in r.get_data(as_text=True)  # the year in words (year.locked)
    assert _rows(act.id) == before
    db.session.execute(YearLock.__table__.delete())
    db.session.commit()
    factories.fire(db.session.get(Activity, act.id), place["organizer"], "cancel", "主讲人临时出差")
    html = org.get(f"/activities/{act.id}/participants").get_data(as_text=True)
    assert "participants-add-form" not in html and 'data-testid="participants-closed"' in html
    r = org.post(f"/activities/{act.id}/participants/delete", data={"user_id": str(place["t1"].id)})
    assert r.status_code == 409 and _rows(act.id) == before


def test_the_page_in_english(app, place):
    act = _plan(place)
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    html = org.get(f"/activities/{act.id}/participants?lang=en", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Change the participants" in html and "Add to the list" in html and "Take off the list" in html
    assert "调整参加人员" not in html


def test_adding_someone_busy_then_flashes_the_clash(app, place):
    activities.plan_activity(place["school"], place["org2"], "lecture", "教研沙龙", "2026-12-15T15:00",
                             "2026-12-15T18:00", "3", [{"user_id": place["t3"].id, "role": "attendee"}],
                             {"topic": "沙龙"})
    act = _plan(place)
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    org.post(f"/activities/{act.id}/participants", data={"people-attendee": f"u:{place['t3'].id}"})
    assert any("教研沙龙" in text for text in _flashes(org))


# -- the API ------------------------------------------------------------------------------------


def test_the_api_adds_changes_and_removes_and_refuses_as_the_page(app, place):
    act = _plan(place, "2026-12-01T14:00", "2026-12-01T17:00")
    api = api_login(app.test_client(), "org", PASSWORD)
    path = f"/api/v1/activities/{act.id}/participants"
    r = api.post(path, json={"participants": [{"user_id": place["t3"].id, "role": "speaker"}]}, headers=S1)
    assert r.status_code == 200, r.get_json()
    assert {p["user_id"]: p["role"] for p in r.get_json()["participants"]}[place["t3"].id] == "speaker"
    r = api.post(path, json={"participants": [{"user_id": place["t3"].id, "role": "boss"}]}, headers=S1)
    assert r.status_code == 422 and "participants" in r.get_json()["fields"]
    assert api.post(path, json={"participants": []}, headers=S1).status_code == 422
    assert api.post(path, json={}, headers=S1).status_code == 422
    assert api.delete(f"{path}/{place['t3'].id}", headers=S1).status_code == 204
    assert place["t3"].id not in _roster(act.id)
    assert api.delete(f"{path}/{place['t3'].id}", headers=S1).status_code == 404
    activities.add_evidence(act, place["t1"], None, "reflection", "反思", text=prose(300, 5))
    db.session.commit()
    before = _rows(act.id)
    r = api.delete(f"{path}/{place['t1'].id}", headers=S1)
    assert r.status_code == 409 and "has evidence" in r.get_json()["message"], r.get_json()
    assert _rows(act.id) == before
    teacher = api_login(app.test_client(), "t1", PASSWORD)
    assert teacher.post(path, json={"participants": [{"user_id": place["t4"].id}]}, headers=S1).status_code == 403
    assert teacher.delete(f"{path}/{place['t2'].id}", headers=S1).status_code == 403
    assert _rows(act.id) == before
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "post" in doc["paths"]["/api/v1/activities/{activity_id}/participants"]
    assert "delete" in doc["paths"]["/api/v1/activities/{activity_id}/participants/{user_id}"]


def test_the_api_of_another_school_finds_nothing(app, place):
    other = factories.school("S2", types=("lecture",))
    factories.person(other, "adm2", "school_admin")
    db.session.commit()
    act = _plan(place)
    before = _rows(act.id)
    api = api_login(app.test_client(), "adm2", PASSWORD)
    r = api.delete(f"/api/v1/activities/{act.id}/participants/{place['t1'].id}", headers={"X-School": "S2"})
    assert r.status_code == 404 and _rows(act.id) == before


# -- small refusals said in words (named, no code, no index on a single row) ----------------------


def test_someone_listed_twice_is_named_and_a_stranger_listed_twice_is_not(app, place):
    """Before: "#2: user 7 is listed twice" — an id, on a Chinese page and in the API alike. Now
    whom the school knows (a member, or one who left: 李娜) by name; anyone else at their place."""
    stranger = _stranger_and_leaver(place)
    act = _plan(place)
    before = _rows(act.id)
    t3, t4 = place["t3"].id, place["t4"].id
    sent = [{"user_id": t3}, {"user_id": stranger.id}, {"user_id": t4}, {"user_id": t3}, {"user_id": stranger.id},
            {"user_id": t4}]
    with pytest.raises(Invalid) as info:
        activities.set_participants(act, place["organizer"], sent)
    said = info.value.fields["participants"]
    assert [m.code for m in said] == ["participants.twice_named", "participants.twice_named", "participants.twice"]
    zh, en = _in_both_languages(app, said)
    assert zh == "李娜被重复列出；王雅琴被重复列出；第 5 项：重复列出"  # in pinyin order, then by place
    assert en == "李娜 is listed twice; 王雅琴 is listed twice; #5: listed twice"
    _words_only(zh, stranger.id, t3, t4)
    assert "欧阳明" not in zh + en and str(stranger.id) not in en
    db.session.rollback()
    with pytest.raises(Invalid) as planned:  # planning says it in the same words
        activities.plan_activity(place["school"], place["organizer"], "lecture", "听课", START, END, "3",
                                 [{"user_id": t3}, {"user_id": t3}], {"topic": "听课"})
    assert [m.code for m in planned.value.fields["participants"]] == ["participants.twice_named"]
    db.session.rollback()
    _api_says(app, act.id, sent, zh, en)
    assert _rows(act.id) == before


def _page_error(r) -> str:
    found = re.search(r'data-testid="participants-error">([^<]*)<', r.get_data(as_text=True))
    assert found is not None, r.get_data(as_text=True)
    return found.group(1)


def test_a_forged_choice_of_the_picker_is_said_in_words_not_echoed(app, place):
    """Before: 无效的选项“g:999999” — the form's code on a Chinese page (and whatever was forged
    echoed into it). Now a sentence: a choice the form does not offer, or a group not of the
    school; once, whatever number of fields carried it."""
    act = _plan(place)
    before = _rows(act.id)
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    path = f"/activities/{act.id}/participants"
    for data, zh in (
        ({"people-attendee": "boss:1", "people-speaker": "<b>x</b>"}, "参加者未能选定：所提交的选项中有本页未提供的选项"),
        ({"people-attendee": "g:999999"}, "参加者未能选定：所选的教研组中有不属于本校的教研组"),
    ):
        r = org.post(path, data=data)
        said = _page_error(r)
        assert r.status_code == 422 and said == zh, said
        _words_only(said, 999999)
        assert "<b>" not in r.get_data(as_text=True)
    r = org.post(f"{path}?lang=en", data={"people-attendee": ["u:abc", "g:999999"]}, headers={"Accept-Language": "en"})
    said = _page_error(r)
    assert "a choice sent is not one this form offers" in said and "not a group of this school" in said
    assert "abc" not in said and "999999" not in said
    assert _rows(act.id) == before


def test_a_forged_role_on_a_row_is_a_plain_sentence(app, place):
    """The role of one row is no list: its refusal had 「第 1 项：」 in front (the API's list of
    participants keeps its places)."""
    act = _plan(place)
    before = _rows(act.id)
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    path = f"/activities/{act.id}/participants/role"
    r = org.post(path, data={"user_id": str(place["t2"].id), "role": "boss"})
    assert r.status_code == 422 and _page_error(r) == "角色未更改：不是本类活动的角色，可选的角色为：听讲教师、主讲人"
    r = org.post(f"{path}?lang=en", data={"user_id": str(place["t2"].id), "role": "boss"},
                 headers={"Accept-Language": "en"})
    assert _page_error(r) == ("the role was not changed: not a role of this type of activity; its roles are "
                              "Attendee (attendee), Speaker (speaker)")
    with pytest.raises(Forbidden):  # who may not organise it learns nothing of the roles
        activities.change_role(act, place["t1"], place["t2"].id, "boss")
    db.session.rollback()
    assert _rows(act.id) == before


def test_the_note_says_who_stays_on_the_list(app, place):
    act = _plan(place)
    org = log_in(app.test_client(), place["organizer"], place["school"].id)
    zh = org.get(f"/activities/{act.id}/participants").get_data(as_text=True)
    note = re.search(r'data-testid="participants-note">([^<]*)<', zh)
    assert note is not None and "已签到" in note.group(1) and "已提交过程材料" in note.group(1)
    en = org.get(f"/activities/{act.id}/participants?lang=en", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "has checked in" in en
