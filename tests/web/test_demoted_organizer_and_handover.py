"""An organiser who lost the organiser role runs the shared activities they planned no more,
and a school admin hands those to another organiser.

Found: ``policy.may_organise`` asked only whose activity it was, so a teacher taken out of the
research group (their organiser role ended on the staff page) still reached the attendance page
and the check-in screen of the lectures they had planned, recorded attendance that turned into
credited hours, and fired their workflow steps; and nobody but a school admin could run those
activities, with no way to give them to another organiser. Now the organiser of a shared
activity runs it while they hold a role that lets them organise in the school (or are a school
admin); a teacher's own declaration stays theirs whatever roles they hold; a school admin hands
an activity not yet credited or closed to a member of the school who may run it (page, API,
service), written to its history, the new organiser told. Every refusal writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from portal.errors import Conflict, DomainError, Forbidden, GuardFailedError, Invalid
from portal.extensions import db
from portal.models import (
    Activity,
    CreditEntry,
    Evidence,
    Notification,
    Participation,
    School,
    TransitionLog,
    User,
)
from portal.policy import Actor
from portal.registry import registry
from portal.services import access, activities, handover, staff, transitions
from portal.timeutil import utcnow
from tests.api.conftest import ApiClient
from tests.api.conftest import login as api_login
from tests.credits.helpers import DETAILS, credited
from tests.support import factories as f
from tests.support.factories import PASSWORD
from workflows.definition import HANDED_OVER

DECLARED = {"provider": "区教师进修学校", "category": "district"}


@dataclass
class Scene:
    school: School
    admin: User
    organizer: User  # planned ``past`` and ``held``; loses the organiser role
    other_organizer: User
    reviewer: User
    t1: User
    t2: User
    past: Activity  # a lecture two days ago, t1 and t2 attending, nothing recorded yet
    held: Activity  # held, waiting for the reviewer
    cancelled: Activity
    done: Activity  # credited
    foreign: Activity  # another school's lecture
    stranger: User  # of the other school only

    def actor(self, user: User) -> Actor:
        return access.actor(user.id, self.school.id)


def _scene() -> Scene:
    s = f.school("HO", types=("lecture", "declared"))
    admin = f.person(s, "ho.adm", "school_admin", "teacher", name="管理员")
    org = f.person(s, "ho.org", "organizer", "teacher", name="原组长")
    org2 = f.person(s, "ho.org2", "organizer", "teacher", name="新组长")
    rev = f.person(s, "ho.rev", "reviewer", "teacher", name="审核人")
    t1, t2 = f.person(s, "ho.t1", "teacher", name="甲老师"), f.person(s, "ho.t2", "teacher", name="乙老师")
    people = [(t1, "attendee"), (t2, "attendee")]
    crew = {"organizer": org, "reviewer": rev}
    done = credited(s, crew, "lecture", people, title="已认定讲座")
    held = credited(s, crew, "lecture", people, until="held", title="待审讲座")
    past = f.plan(s, org, "lecture", people, DETAILS["lecture"], start=utcnow() - timedelta(days=2), title="已开讲座")
    cancelled = f.plan(s, org, "lecture", [], DETAILS["lecture"], start=utcnow() + timedelta(days=9), title="取消讲座")
    f.fire(cancelled, org, "cancel")
    other = f.school("HX", types=("lecture",))
    stranger = f.person(other, "hx.org", "organizer", "teacher", name="外校组长")
    foreign = f.plan(other, stranger, "lecture", [], DETAILS["lecture"], start=utcnow() + timedelta(days=9),
                     title="外校讲座")
    staff.set_roles(s, org.id, ["teacher"], by=access.actor(admin.id, s.id))  # left the research group
    db.session.commit()
    return Scene(s, admin, org, org2, rev, t1, t2, past, held, cancelled, done, foreign, stranger)


TABLES = (Activity, Participation, Evidence, TransitionLog, CreditEntry, Notification)


def _state() -> list[list[tuple[Any, ...]]]:
    db.session.expire_all()
    return [[tuple(r) for r in db.session.execute(select(*t.__table__.columns).order_by(*t.__table__.primary_key))]
            for t in TABLES]


def _web(app, username: str):
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _api(app, username: str) -> ApiClient:
    return api_login(app.test_client(), username, PASSWORD)


def _rows(act: Activity) -> list[dict[str, Any]]:
    return [{"user_id": p.user_id, "attended_hours": str(act.hours)} for p, _u in activities.participants_with_users(act.id)]


NO_MORE_ZH = "您已不再担任本校可组织活动的角色"
NO_MORE_EN = "you no longer hold a role that lets you organize activities in this school"


# -- the demoted organiser -------------------------------------------------------------------------


def test_a_demoted_organiser_runs_nothing_of_what_they_planned(app):
    sc = _scene()
    before = _state()
    writes = {
        "attendance": lambda: activities.record_attendance(sc.past, sc.organizer, _rows(sc.past)),
        "participants": lambda: activities.set_participants(sc.past, sc.organizer,
                                                            [{"user_id": sc.admin.id, "role": "attendee"}]),
        "participant removed": lambda: activities.remove_participant(sc.past, sc.organizer, sc.t1.id),
        "own evidence": lambda: activities.add_evidence(sc.past, sc.organizer, None, "report", "记录",
                                                        text="讲座记录一份"),
        "a participant's evidence": lambda: activities.add_evidence(sc.past, sc.organizer, sc.t1.id, "report", "记录",
                                                                    text="讲座记录一份"),
        "hold": lambda: f.fire(sc.past, sc.organizer, "hold"),
        "cancel": lambda: f.fire(sc.past, sc.organizer, "cancel"),
    }
    for name, write in writes.items():
        with pytest.raises(Forbidden) as refused:
            write()
        db.session.rollback()
        code = "policy.own_evidence" if name == "a participant's evidence" else "policy.organiser_no_more"
        assert refused.value.msg.code == code, name
    said = refused.value
    assert NO_MORE_ZH in said.to_dict("zh_Hans_CN")["message"] and NO_MORE_EN in said.to_dict("en")["message"]
    assert transitions.allowed_triggers(sc.past, sc.organizer.id) == []
    assert _state() == before
    # still involved: made a reviewer, they approve nothing they organised (separation of duties)
    staff.set_roles(sc.school, sc.organizer.id, ["teacher", "reviewer"], by=sc.actor(sc.admin))
    with pytest.raises(Forbidden) as own:
        f.fire(sc.held, sc.organizer, "approve", "材料齐全")
    assert own.value.msg.code == "trigger.independent"
    # given the role back, they run it again
    staff.set_roles(sc.school, sc.organizer.id, ["organizer", "teacher"], by=sc.actor(sc.admin))
    db.session.expire_all()
    activities.record_attendance(sc.past, sc.organizer, _rows(sc.past))
    assert "hold" in transitions.allowed_triggers(sc.past, sc.organizer.id)


def test_a_teacher_who_left_the_school_is_told_so_when_adding_their_own_evidence(app):
    """A participant taken off the school's staff (every role ended) adds evidence there no more,
    and the refusal names why — they left — not the organiser's rule (``policy.organise``, which
    named a right they never needed) nor "only your own" (it is their own). One who still holds a
    role there adds theirs; someone else's stays ``policy.own_evidence`` (seen by the submission
    auditor's state machine, ``policy.evidence_refusal``)."""
    sc = _scene()
    staff.deactivate(sc.school, sc.t1.id, by=sc.actor(sc.admin))
    db.session.commit()
    before = _state()
    with pytest.raises(Forbidden) as refused:
        activities.add_evidence(sc.past, sc.t1, None, "reflection", "反思", text="讲座后的一点反思")
    db.session.rollback()
    said = refused.value
    assert said.msg.code == "policy.evidence_left_school"
    assert "您已不在本校担任任何角色" in said.to_dict("zh_Hans_CN")["message"]
    assert "you no longer hold a role in this school" in said.to_dict("en")["message"]
    assert _state() == before
    with pytest.raises(Forbidden) as other:  # another's evidence, by one who may not organise
        activities.add_evidence(sc.past, sc.t2, sc.t1.id, "reflection", "反思", text="讲座后的一点反思")
    db.session.rollback()
    assert other.value.msg.code == "policy.own_evidence" and _state() == before
    activities.add_evidence(sc.past, sc.t2, None, "reflection", "反思", text="讲座后的另一点反思")  # still staff
    assert len(_state()[2]) == len(before[2]) + 1


def test_a_demoted_organiser_is_refused_on_the_pages_and_the_api(app):
    sc = _scene()
    act_id = sc.past.id
    before = _state()
    web = _web(app, "ho.org")
    assert web.get(f"/activities/{act_id}/attendance").status_code == 403
    r = web.post(f"/activities/{act_id}/attendance", data={f"attended-{sc.t1.id}": "3", f"attended-{sc.t2.id}": "3"})
    assert r.status_code == 403 and NO_MORE_ZH in r.get_data(as_text=True)
    for path in ("checkin/screen", "checkin/screen.json", "sign-in-sheet"):
        assert web.get(f"/activities/{act_id}/{path}").status_code == 403, path
    assert web.post(f"/activities/{act_id}/trigger", data={"trigger": "hold"}).status_code == 403
    page = web.get(f"/activities/{act_id}").get_data(as_text=True)
    assert f'/activities/{act_id}/attendance"' not in page and 'value="hold"' not in page
    api = _api(app, "ho.org")
    headers = {"X-School": "HO"}
    rows = [{"user_id": uid, "attended_hours": 3} for uid in (sc.t1.id, sc.t2.id)]
    r = api.put(f"/api/v1/activities/{act_id}/attendance", json=rows, headers=headers)
    assert r.status_code == 403 and r.get_json()["message"].startswith(NO_MORE_EN), r.get_json()
    r = api.post(f"/api/v1/activities/{act_id}/transitions", json={"trigger": "hold"}, headers=headers)
    assert r.status_code == 403, r.get_json()
    assert api.get(f"/api/v1/activities/{act_id}", headers=headers).get_json()["allowed_triggers"] == []
    assert _state() == before


def test_their_own_declaration_stays_theirs_to_run(app):
    sc = _scene()
    start = utcnow() - timedelta(days=3)
    mine = activities.plan_activity(sc.school, sc.organizer, "declared", "区级骨干教师培训",
                                    start.isoformat(timespec="minutes"),
                                    (start + timedelta(hours=8)).isoformat(timespec="minutes"), "6", None, DECLARED)
    assert access.school_roles(sc.organizer.id, sc.school.id) == {"teacher"}
    assert transitions.allowed_triggers(mine, sc.organizer.id) == ["hold", "cancel"]
    with pytest.raises(GuardFailedError):  # the certificate is missing: the role is not what refuses it
        f.fire(mine, sc.organizer, "hold")
    db.session.rollback()
    page = _web(app, "ho.org").get(f"/activities/{mine.id}")
    assert page.status_code == 200 and 'data-testid="participants"' in page.get_data(as_text=True)
    # nobody is checked in to a declaration (its participant and hours are fixed): no screen
    assert _web(app, "ho.org").get(f"/activities/{mine.id}/checkin/screen").status_code == 403
    f.fire(db.session.get(Activity, mine.id), sc.organizer, "cancel")
    assert db.session.get(Activity, mine.id).state == "cancelled"


# -- handing over ---------------------------------------------------------------------------------


def test_a_school_admin_hands_an_activity_over_on_its_page(app):
    sc = _scene()
    act_id, org2_id = sc.past.id, sc.other_organizer.id
    web = _web(app, "ho.adm")
    page = web.get(f"/activities/{act_id}").get_data(as_text=True)
    form = page.split('data-testid="handover"', 1)[1].split("</details>", 1)[0]
    assert 'data-testid="handover-organizer"' in form and f'<option value="{org2_id}">新组长</option>' in form
    assert f'<option value="{sc.organizer.id}"' not in form and f'<option value="{sc.t1.id}"' not in form
    assert form.count("<option") == 2  # the other organiser and the admin, who may run it too
    r = web.post(f"/activities/{act_id}/organizer", data={"organizer_id": str(org2_id)})
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    db.session.expire_all()
    act = db.session.get(Activity, act_id)
    assert act.organizer_id == org2_id and act.state == "planned"
    log = db.session.execute(select(TransitionLog).where(TransitionLog.activity_id == act_id)).scalars().one()
    assert (log.trigger, log.actor_id, log.payload) == (HANDED_OVER, sc.admin.id, {"from": sc.organizer.id,
                                                                                   "to": org2_id})
    told = db.session.execute(select(Notification).where(Notification.user_id == org2_id)).scalars().one()
    assert told.kind == "handed_over" and told.link == f"/activities/{act_id}"
    page = web.get(f"/activities/{act_id}").get_data(as_text=True)
    assert "转交给其他组织者" in page and "转交给：新组长" in page
    assert "已停用" not in page
    audit = web.get("/admin/audit").get_data(as_text=True)  # the school's log of steps names it in words
    assert "转交给其他组织者" in audit and "已停用" not in audit and HANDED_OVER not in audit.replace(
        f'value="{HANDED_OVER}"', "")
    # the new organiser runs it, the old one does not
    new = _web(app, "ho.org2")
    assert new.get(f"/activities/{act_id}/attendance").status_code == 200
    notices = new.get("/notifications").get_data(as_text=True)
    assert "已开讲座已转交给您，现由您组织" in notices
    f.attend(act, sc.other_organizer)
    with pytest.raises(Forbidden):
        f.attend(act, sc.organizer)
    assert "hold" in transitions.allowed_triggers(act, org2_id)


def test_a_school_admin_hands_an_activity_over_through_the_api(app):
    sc = _scene()
    api = _api(app, "ho.adm")
    r = api.put(f"/api/v1/activities/{sc.held.id}/organizer", json={"organizer_id": sc.other_organizer.id},
                headers={"X-School": "HO"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["organizer_id"] == sc.other_organizer.id
    db.session.expire_all()
    assert db.session.get(Activity, sc.held.id).organizer_id == sc.other_organizer.id


def _bad_inputs(sc: Scene) -> dict[str, tuple[Activity, User, Any, type[DomainError], str]]:
    """What is refused: (activity, who hands it over, to whom, the error, its code or field's code)."""
    return {
        "a person of another school": (sc.past, sc.admin, sc.stranger.id, Invalid, "handover.not_member"),
        "a teacher holding no organising role": (sc.past, sc.admin, sc.t1.id, Invalid, "handover.no_role"),
        "the organiser who lost the role": (sc.held, sc.admin, sc.organizer.id, Invalid, "handover.same"),
        "a made-up id": (sc.past, sc.admin, 987_654, Invalid, "handover.not_member"),
        "an id past every column": (sc.past, sc.admin, 2**80, Invalid, "handover.not_member"),
        "not a number": (sc.past, sc.admin, "ho.org2", Invalid, "must_be_integer"),
        "true": (sc.past, sc.admin, True, Invalid, "must_be_integer"),
        "a cancelled activity": (sc.cancelled, sc.admin, sc.other_organizer.id, Conflict, "handover.finished"),
        "a credited activity": (sc.done, sc.admin, sc.other_organizer.id, Conflict, "handover.finished"),
        "by an organiser": (sc.past, sc.other_organizer, sc.other_organizer.id, Forbidden, "policy.hand_over"),
        "another school's activity": (sc.foreign, sc.admin, sc.other_organizer.id, Forbidden, "policy.hand_over"),
    }


def test_a_handover_refused_changes_nothing(app):
    sc = _scene()
    before = _state()
    for name, (act, who, to, error, code) in _bad_inputs(sc).items():
        with pytest.raises(error) as refused:
            handover.hand_over(act, who, to)
        db.session.rollback()
        got = refused.value.fields.get("organizer_id") if isinstance(refused.value, Invalid) else refused.value.msg
        assert got.code == code, name
        assert refused.value.to_dict("zh_Hans_CN")["message"], name
    assert _state() == before


def test_a_handover_refused_on_the_page_and_the_api_changes_nothing(app):
    sc = _scene()
    before = _state()
    web, api, headers = _web(app, "ho.adm"), _api(app, "ho.adm"), {"X-School": "HO"}
    for to, said in ((sc.t1.id, "此人在本校没有可组织活动的角色"), (sc.stranger.id, "请选择本校的成员"),
                     (987_654, "请选择本校的成员"), ("abc", "必须是整数")):
        r = web.post(f"/activities/{sc.past.id}/organizer", data={"organizer_id": str(to)})
        assert r.status_code == 422 and said in r.get_data(as_text=True), to
    r = web.post(f"/activities/{sc.done.id}/organizer", data={"organizer_id": str(sc.other_organizer.id)})
    assert r.status_code == 409 and "不能再转交" in r.get_data(as_text=True)
    assert web.post(f"/activities/{sc.foreign.id}/organizer",
                    data={"organizer_id": str(sc.other_organizer.id)}).status_code == 404
    assert _web(app, "ho.org2").post(f"/activities/{sc.past.id}/organizer",
                                     data={"organizer_id": str(sc.other_organizer.id)}).status_code == 403
    assert 'data-testid="handover"' not in _web(app, "ho.org2").get(f"/activities/{sc.past.id}").get_data(as_text=True)
    assert 'data-testid="handover"' not in web.get(f"/activities/{sc.done.id}").get_data(as_text=True)
    path = f"/api/v1/activities/{sc.past.id}/organizer"
    r = api.put(path, json={"organizer_id": sc.t1.id}, headers=headers)
    assert r.status_code == 422 and "organizer_id" in r.get_json()["fields"], r.get_json()
    for body in ({"organizer_id": "x"}, {}, {"organizer_id": 0}, {"organizer_id": sc.t1.id, "extra": 1}):
        assert api.put(path, json=body, headers=headers).status_code == 422, body
    assert api.put(f"/api/v1/activities/{sc.done.id}/organizer", json={"organizer_id": sc.other_organizer.id},
                   headers=headers).status_code == 409
    assert api.put(f"/api/v1/activities/{sc.foreign.id}/organizer", json={"organizer_id": sc.other_organizer.id},
                   headers=headers).status_code == 404
    r = _api(app, "ho.org2").put(path, json={"organizer_id": sc.other_organizer.id}, headers=headers)
    assert r.status_code == 403 and r.get_json()["error"] == "forbidden"
    assert _state() == before


def test_the_staff_page_says_what_a_demoted_organiser_leaves_behind(app):
    sc = _scene()
    assert handover.still_organised(sc.school.id, sc.organizer.id) == 2  # the lecture planned and the one held
    assert handover.left_behind(sc.school.id, sc.other_organizer.id, ["organizer", "teacher"]) == 0
    web = _web(app, "ho.adm")
    r = web.post(f"/admin/staff/{sc.t1.id}/roles", data={"roles": ["teacher", "reviewer"]}, follow_redirects=True)
    assert "角色已修改" in r.get_data(as_text=True) and "仍是" not in r.get_data(as_text=True)  # organises nothing
    handover.hand_over(sc.past, sc.admin, sc.other_organizer.id)
    db.session.commit()
    r = web.post(f"/admin/staff/{sc.other_organizer.id}/roles", data={"roles": ["teacher"]}, follow_redirects=True)
    assert "此人仍是 1 项尚未认定学时或关闭的活动的组织者" in r.get_data(as_text=True)
    r = web.post(f"/admin/staff/{sc.organizer.id}/deactivate", follow_redirects=True)
    assert "此人仍是 1 项尚未认定学时或关闭的活动的组织者" in r.get_data(as_text=True)  # the held one
    assert registry().phase("lecture", db.session.get(Activity, sc.held.id).state).in_review_queue
