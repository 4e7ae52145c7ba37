"""What a school reviewer met on the queue (hET's walk): a held card's tally counted a person
partly present and partly on leave in both parts (「共 4 人：出勤 4 人 … 请假 1 人」, five of
four); a decision that posted hours said 「已认定」 and not how many; a card listed whole
(``?people=``) closed after a decision on another card."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.demo import walk
from portal.extensions import db
from portal.hours import fmt
from portal.models import Activity, CreditEntry, Membership, School, TransitionLog, User
from portal.services import activities, stints
from tests.web.conftest import first_held_day
from workflows.definition import Phase


def _teachers(school_id: int, start) -> list[User]:
    """The demo school's teachers on its staff at ``start`` (the demo has some away then)."""
    found = list(db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school_id, Membership.role == "teacher", Membership.until.is_(None),
               User.username.like("teacher%"))
        .order_by(User.id)).scalars().unique())
    away = stints.away_at(school_id, [t.id for t in found], start)
    return [t for t in found if t.id not in away]


def _held(title: str, start, rows: list[tuple[str, str, str]]) -> tuple[int, list[tuple[int, str]]]:
    """A held lecture of 4 hours by the demo's organizer starting at ``start``, of as many of the
    demo school's teachers as ``rows`` give (attended, absent, excused) and every other teacher
    attending all 4 hours; its id and its people (id, username)."""
    school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
    users = {u.username: u for u in db.session.execute(select(User)).scalars()}
    teachers = _teachers(school.id, start)
    act = activities.plan_activity(
        school, users["organizer"], "lecture", title, start.isoformat(timespec="minutes") + "+00:00",
        (start + timedelta(hours=4)).isoformat(timespec="minutes") + "+00:00", "4",
        [{"user_id": t.id, "role": "attendee"} for t in teachers], {"topic": "作业设计"})
    walk(act, users["organizer"], users["reviewer"], Phase.AWAITING_REVIEW)
    figures = [*rows, *[("4", "0", "0")] * (len(teachers) - len(rows))]
    activities.record_attendance(act, users["organizer"], [
        {"user_id": t.id, "attended_hours": a, "absent_hours": b, "excused_hours": c}
        for t, (a, b, c) in zip(teachers, figures, strict=True)])
    db.session.commit()
    return act.id, [(t.id, t.username) for t in teachers]


def _card(page: str, aid: int) -> str:
    card = re.search(rf'data-testid="queue-item-{aid}">(.*?)</form>', page, re.S)
    assert card, "no card"
    return card[1]


def _flashed(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r'alert-success[^>]*>(.*?)<', page, re.S)]


def test_each_person_counts_in_one_part_of_the_attendance():
    """The parts add up to everyone: partly present and partly on leave (or absent) is one part."""
    from portal.services.activities import ATTENDANCE_PARTS, attendance_tally  # here: the old code had none
    rows = [SimpleNamespace(attended_hours=a, absent_hours=b, excused_hours=c) for a, b, c in (
        (Decimal(4), 0, 0), (Decimal(2), 0, Decimal(2)), (Decimal(3), Decimal(1), 0), (0, 0, Decimal(4)),
        (0, Decimal(4), 0), (0, Decimal(1), Decimal(3)), (0, 0, 0), (None, 0, 0))]
    t = attendance_tally(rows)
    assert t == (8, 1, 2, 3, 1, 1)
    assert sum(getattr(t, part) for part in ATTENDANCE_PARTS) == t.people == len(rows)


@pytest.mark.parametrize(("lang", "said"), [
    ("zh", "共 {n} 人：出勤 {full} 人、部分出勤 2 人、请假 1 人"),
    ("en", "{n} people: {full} attended, 2 partly attended, 1 on leave"),
])
def test_a_held_cards_tally_adds_up_to_its_people(site, as_user, lang, said):
    """Two attended part of it and missed the rest (one on leave, one without), one was on leave
    all of it: the tally counted both part-timers as attended and again as on leave or absent."""
    with site.app_context():
        school_id = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
        aid, people = _held("部分请假的讲座", first_held_day(school_id),
                            [("2", "0", "2"), ("3", "1", "0"), ("0", "0", "4")])
    n = len(people)
    page = as_user("reviewer").get(f"/review?lang={lang}").get_data(as_text=True)
    counted = re.search(rf'data-testid="queue-tally-{aid}">([^<]*)<', _card(page, aid))[1]
    assert counted == said.format(n=n, full=n - 3)
    parts = counted.split("：" if lang == "zh" else ": ", 1)[1]
    assert sum(int(x) for x in re.findall(r"\d+", parts)) == n  # the parts add up to the whole
    # the attendance page counts its people the same way, in the same words
    page = as_user("organizer").get(f"/activities/{aid}/attendance?lang={lang}").get_data(as_text=True)
    assert re.search(r'data-testid="attendance-tally">([^<]*)<', page)[1] == counted


def _decide(client, url: str, **data):
    return client.post(url, data=data, follow_redirects=True)


@pytest.mark.parametrize(("lang", "approved", "credited", "taken"), [
    ("zh", "核定 {n} 人共 {h} 学时", "为 {n} 人认定 {h} 学时", "收回 {n} 人共 {h} 学时"),
    ("en", "{h} hours approved for {n} people", "{h} hours credited to {n} people", "{h} hours of {n} people taken back"),
])
def test_a_decision_on_hours_says_for_how_many_people_and_hours(site, as_user, lang, approved, credited, taken):
    """Approving, posting and taking back hours each say how many people and hours, as the step
    wrote them: the approval its history entry, the posting and the revoke the ledger's rows. One
    attended half an hour less (a half hour as the pages write it), one was on leave (no hours)."""
    with site.app_context():
        school_id = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
        aid, _people = _held("半小时的讲座", first_held_day(school_id), [("3.5", "0.5", "0"), ("0", "0", "4")])
    reviewer = as_user("reviewer")

    def version() -> str:
        with site.app_context():
            return str(db.session.get(Activity, aid).version)

    def ledger(kind: str) -> tuple[int, str]:
        with site.app_context():
            n, h = db.session.execute(select(func.count(), func.sum(CreditEntry.hours)).where(
                CreditEntry.activity_id == aid, CreditEntry.kind == kind)).one()
            return n, fmt(abs(Decimal(str(h))))

    r = _decide(reviewer, f"/review/{aid}?lang={lang}", action="approve", comment="", version=version())
    with site.app_context():
        payload = db.session.execute(select(TransitionLog.payload).where(
            TransitionLog.activity_id == aid, TransitionLog.trigger == "approve")).scalar_one()
    hours = [Decimal(h) for h in payload["approved_hours"].values() if Decimal(h) > 0]
    assert len(hours) == len(payload["approved_hours"]) - 1 and fmt(sum(hours)).endswith(".5")
    assert any(approved.format(n=len(hours), h=fmt(sum(hours))) in said for said in _flashed(r.get_data(as_text=True)))

    r = _decide(reviewer, f"/review/{aid}?lang={lang}", action="credit", version=version())
    n, h = ledger("credit")
    assert n == len(hours) and h == fmt(sum(hours))
    assert any(credited.format(n=n, h=h) in said for said in _flashed(r.get_data(as_text=True))), \
        _flashed(r.get_data(as_text=True))

    r = reviewer.post(f"/activities/{aid}/trigger?lang={lang}", data={
        "trigger": "revoke", "comment": "认定有误", "version": version()}, follow_redirects=True)
    n, h = ledger("reversal")
    assert n == len(hours) and h == fmt(sum(hours))
    assert any(taken.format(n=n, h=h) in said for said in _flashed(r.get_data(as_text=True))), \
        _flashed(r.get_data(as_text=True))


def test_a_step_that_moves_no_hours_says_none(site, as_user):
    """A return says the step and the state, no hours (it gave or took none)."""
    with site.app_context():
        school_id = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
        aid, _people = _held("退回的讲座", first_held_day(school_id), [])
        version = str(db.session.get(Activity, aid).version)
    r = _decide(as_user("reviewer"), f"/review/{aid}?lang=zh", action="return", comment="请补充签到表", version=version)
    said = [s for s in _flashed(r.get_data(as_text=True)) if "退回的讲座" in s]
    assert said and "学时" not in said[0] and "当前状态为" in said[0]


def test_a_card_listed_whole_stays_so_after_a_decision_on_another(site, as_user):
    """Card A listed whole (``?people=A``): returning card B answers with the same page, A still
    listed whole, and the browser at B's card (its form's anchor)."""
    with site.app_context():
        school_id = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
        day = first_held_day(school_id)
        a, people = _held("列出全部的讲座", day, [("1", "3", "0"), ("0", "0", "4")])
        b, _b_people = _held("另一张卡片的讲座", day - timedelta(hours=5), [])
    reviewer = as_user("reviewer")
    page = reviewer.get(f"/review?people={a}").get_data(as_text=True)
    whole = _card(page, a)
    assert {u for _i, u in people} == set(re.findall(rf'data-testid="queue-participant-{a}-([^"]+)"', whole))
    action = re.search(rf'action="([^"]+)" data-testid="decide-form-{b}"', page)[1].replace("&amp;", "&")
    assert action.endswith(f"#activity-{b}")
    version = re.search(r'name="version" value="(\d+)"', _card(page, b))[1]
    r = reviewer.post(action.split("#")[0], data={"action": "return", "comment": "请补充签到表", "version": version})
    assert r.status_code == 302 and f"people={a}" in r.headers["Location"]
    again = reviewer.get(r.headers["Location"]).get_data(as_text=True)
    assert _card(again, a) == whole  # still listed whole: everyone by name, with the hours inputs
    assert f'data-testid="queue-plain-{a}-' not in again
    with site.app_context():
        assert db.session.execute(select(func.count()).select_from(TransitionLog).where(
            TransitionLog.activity_id == b, TransitionLog.trigger == "return")).scalar_one() == 1
