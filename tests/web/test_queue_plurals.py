"""English on the review queue said "1 people", "1 hours", "1 of 1 activities done.": the words it
says of a number are the catalogue's plurals (``ngettext``), singular for exactly 1 (hours are
Decimals: 1.5 is plural); Chinese has one form and reads as before."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.demo import walk
from portal.extensions import db
from portal.models import Activity, School, User
from portal.services import activities
from tests.web.conftest import first_held_day
from tests.web.test_review_tally_and_hours_said import _card, _flashed, _teachers
from workflows.definition import Phase


def _lecture(title: str, start, hours: str, speaker: bool, attendees: int | None = None) -> int:
    """A held lecture of ``hours`` by the demo's organizer: the first teacher speaking (``speaker``),
    ``attendees`` of the others (all: None) attending all of it."""
    school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
    users = {u.username: u for u in db.session.execute(select(User)).scalars()}
    teachers = _teachers(school.id, start)
    roles = [("speaker" if speaker and i == 0 else "attendee") for i in range(len(teachers))]
    people = list(zip(teachers, roles, strict=True))[: None if attendees is None else attendees + int(speaker)]
    length = timedelta(minutes=int(float(hours) * 60))
    act = activities.plan_activity(
        school, users["organizer"], "lecture", title, start.isoformat(timespec="minutes") + "+00:00",
        (start + length).isoformat(timespec="minutes") + "+00:00", hours,
        [{"user_id": t.id, "role": role} for t, role in people], {"topic": "作业设计"})
    walk(act, users["organizer"], users["reviewer"], Phase.AWAITING_REVIEW)
    activities.record_attendance(act, users["organizer"], [
        {"user_id": t.id, "attended_hours": hours, "absent_hours": "0", "excused_hours": "0"} for t, _r in people])
    db.session.commit()
    return act.id


@pytest.mark.parametrize(("lang", "unit", "one", "many"), [
    ("zh", "1 学时", "1 人", "{n} 人"),
    ("en", "1 hour", "1 person", "{n} people"),
])
def test_a_card_says_one_hour_and_one_person_in_the_singular(site, as_user, lang, unit, one, many):
    """A lecture of 1 hour, one speaker and the other teachers attending: its header says the hours
    with their unit, its plain rows count the speaker (one) and the attendees (many)."""
    with site.app_context():
        school_id = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
        aid = _lecture("一小时的讲座", first_held_day(school_id), "1", speaker=True)
        n = len(_teachers(school_id, db.session.get(Activity, aid).starts_at)) - 1
    card = _card(as_user("reviewer").get(f"/review?lang={lang}").get_data(as_text=True), aid)
    header = re.search(r'<span class="text-muted small">([^<]*)</span>', card)[1]
    assert f" · {unit} · " in header
    rows = re.findall(rf'data-testid="queue-plain-{aid}-\d+">\s*<td[^>]*>([^<]*)</td>', card)
    assert sorted(rows) == sorted([one, many.format(n=n)])


@pytest.mark.parametrize(("lang", "unit"), [("zh", "1.5 学时"), ("en", "1.5 hours")])
def test_an_hour_and_a_half_is_plural(site, as_user, lang, unit):
    with site.app_context():
        school_id = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
        aid = _lecture("一个半小时的讲座", first_held_day(school_id), "1.5", speaker=False, attendees=2)
    card = _card(as_user("reviewer").get(f"/review?lang={lang}").get_data(as_text=True), aid)
    assert f" · {unit} · " in re.search(r'<span class="text-muted small">([^<]*)</span>', card)[1]


@pytest.mark.parametrize(("lang", "tally", "approved", "done"), [
    ("zh", "共 1 人：出勤 1 人", "核定 1 人共 1 学时", "已完成 1 / 1 项活动。"),
    ("en", "1 person: 1 attended", "1 hour approved for 1 person", "1 of 1 activity done."),
])
def test_one_persons_hour_is_said_in_the_singular(site, as_user, lang, tally, approved, done):
    """One teacher attending a lecture of 1 hour: the attendance page's tally, the approval's line
    and the bulk approval's count each say one in the singular."""
    with site.app_context():
        school_id = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
        aid = _lecture("一人一小时的讲座", first_held_day(school_id), "1", speaker=False, attendees=1)
        version = db.session.get(Activity, aid).version
    page = as_user("organizer").get(f"/activities/{aid}/attendance?lang={lang}").get_data(as_text=True)
    assert re.search(r'data-testid="attendance-tally">([^<]*)<', page)[1] == tally
    reviewer = as_user("reviewer")
    reviewer.get(f"/review?lang={lang}")
    r = reviewer.post("/review/bulk", data={"action": "approve", "ids": str(aid), f"version-{aid}": str(version)},
                      follow_redirects=True)
    page = r.get_data(as_text=True)
    with site.app_context():
        assert db.session.get(Activity, aid).state == "reviewed"
    assert any(approved in said for said in _flashed(page)), _flashed(page)
    assert done in re.sub(r"\s+", " ", page)
