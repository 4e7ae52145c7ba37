"""Small builders for tests: a school with staff, an activity through its states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from portal.demo import STAFF_SINCE
from portal.extensions import db
from portal.hours import shortest_length
from portal.models import Activity, Participation, School, User
from portal.policy import SYSTEM
from portal.registry import registry
from portal.services import activities, schools, transitions, users

PASSWORD = "test-password-1"


def school(code: str = "S1", types: tuple[str, ...] | None = None) -> School:
    s = schools.create_school(code, f"测试学校{code}")
    for key in types if types is not None else registry().keys():
        schools.set_type(s, key, enabled=True, by=SYSTEM)
    return s


def person(s: School | None, username: str, *roles: str, name: str = "", gender=None, birth_date=None,
           since: datetime | None = STAFF_SINCE) -> User:
    """A person with these roles at school ``s``; their account dated ``since`` (by default
    years back, as the demo's staff: a past school year is theirs; None: created now)."""
    existing = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if existing is not None:
        for r in roles:
            users.add_role(existing, s, r, joined=since)
        return existing
    return users.create_user(username, PASSWORD, name or username, s, list(roles) or ["teacher"], gender, birth_date,
                             joined=since)


def staff(s: School, prefix: str = "") -> dict[str, User]:
    """organizer, reviewer, admin and four teachers."""
    return {
        "organizer": person(s, f"{prefix}org", "organizer", "teacher"),
        "reviewer": person(s, f"{prefix}rev", "reviewer", "teacher"),
        "admin": person(s, f"{prefix}adm", "school_admin"),
        "t1": person(s, f"{prefix}t1", "teacher"),
        "t2": person(s, f"{prefix}t2", "teacher"),
        "t3": person(s, f"{prefix}t3", "teacher"),
        "t4": person(s, f"{prefix}t4", "teacher"),
    }


#: Chinese names for :func:`staff`'s teachers where a test reads them (pinyin order: 艾, 王, 张)
TEACHER_NAMES = {"t1": "张伟", "t2": "艾静", "t3": "王雅琴"}


def lecture_school_with_two_organizers(names: dict[str, str]) -> dict:
    """School ``S1`` running lectures, :func:`staff` with the display names ``names`` (by key) and
    a second organizer ``org2``, committed: ``{"school": …, key: User}``."""
    s = school("S1", types=("lecture",))
    people = staff(s)
    for key, name in names.items():
        people[key].display_name = name
    people["org2"] = person(s, "org2", "organizer", "teacher")
    db.session.commit()
    return {"school": s, **people}


def ids(people: dict[str, User]) -> dict[str, int]:
    """People by key → their ids: what a prepared-data builder returns (``tests/conftest.py``)."""
    return {key: u.id for key, u in people.items()}


def people_of(user_ids: dict[str, int]) -> dict[str, User]:
    """Ids by key → the people, loaded in the test's session (the inverse of :func:`ids`)."""
    return {key: db.session.get(User, uid) for key, uid in user_ids.items()}


def place_ids(place: dict[str, Any]) -> dict[str, Any]:
    """``{"school": School, key: User}`` (:func:`lecture_school_with_two_organizers`) → its ids:
    what a prepared-data builder of such a place returns (``tests/conftest.py``)."""
    people = {key: u for key, u in place.items() if key != "school"}
    return {"school": place["school"].id, "people": ids(people)}


def place_of(facts: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`place_ids`: the school and the people, loaded in the test's session."""
    return {"school": db.session.get(School, facts["school"]), **people_of(facts["people"])}


DEFAULT_START = datetime(2026, 10, 15, 14, 0)  # a Thursday afternoon of semester 1, 2026-2027


def free_from(s: School, people: list[User]) -> datetime:
    """The default start of a test's activity (the school's wall clock): 2026-10-15 14:00, or,
    when some of ``people`` are already on the roster of an activity from then on (within 60
    days: an earlier one of the test, or of its prepared data), the end of the last of those —
    no one attends two things at once (``services.overlaps``), so a test's activities follow
    one another."""
    ids = [u.id for u in people]
    if not ids:
        return DEFAULT_START
    since = DEFAULT_START.replace(tzinfo=ZoneInfo(s.timezone)).astimezone(UTC).replace(tzinfo=None)
    last = db.session.scalar(
        select(func.max(Activity.ends_at)).join(Participation, Participation.activity_id == Activity.id)
        .where(Participation.user_id.in_(ids), Activity.ends_at > since, Activity.starts_at < since + timedelta(days=60))
    )
    if last is None:
        return DEFAULT_START
    return last.replace(tzinfo=UTC).astimezone(ZoneInfo(s.timezone)).replace(tzinfo=None)


def plan(
    s: School,
    organizer: User,
    type_key: str,
    people: list[tuple[User, str]],
    details: dict | None = None,
    hours: str = "3",
    start: datetime | None = None,
    title: str = "测试活动",
) -> Activity:
    start = start or free_from(s, [u for u, _r in people])
    return activities.plan_activity(
        s,
        organizer,
        type_key,
        title,
        start.isoformat(timespec="minutes"),
        (start + max(timedelta(hours=3), shortest_length(hours))).isoformat(timespec="minutes"),
        hours,
        [{"user_id": u.id, "role": r} for u, r in people],
        details or {},
    )


def attend(act: Activity, organizer: User, hours: dict[int, str] | None = None, absent: dict | None = None,
           excused: dict | None = None) -> None:
    rows = []
    for p, _u in activities.participants_with_users(act.id):
        rows.append({
            "user_id": p.user_id,
            "attended_hours": (hours or {}).get(p.user_id, str(act.hours)),
            "absent_hours": (absent or {}).get(p.user_id, "0"),
            "excused_hours": (excused or {}).get(p.user_id, "0"),
        })
    activities.record_attendance(act, organizer, rows)


def fire(act: Activity, who: User, trigger: str, comment: str = "", hours=None) -> Activity:
    return transitions.fire(act.id, act.school_id, who, trigger, comment, hours)
