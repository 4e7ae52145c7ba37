"""A school with many teachers and an activity a fortnight ahead (for sign-up tests); a
teacher's pieces of writing as the year counts them (for the writing-counted-once tests)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Activity, Evidence, School, User
from portal.services import access, credits
from portal.timeutil import current_school_year, utcnow
from tests.support import factories as f


def school_with_teachers(code: str, n: int) -> tuple[School, dict[str, User], list[User]]:
    s = f.school(code)
    people = f.staff(s, code.lower())
    teachers = [f.person(s, f"{code.lower()}x{i:02d}", "teacher", name=f"教师{i:02d}") for i in range(n)]
    return s, people, teachers


def future_activity(s: School, organizer: User, days: int = 14) -> Activity:
    return f.plan(s, organizer, "lecture", [], {"topic": "报名"}, hours="2", start=utcnow() + timedelta(days=days))


def actor(user: User, s: School):
    return access.actor(user.id, s.id)


def closes_in(days: float) -> str:
    return (utcnow() + timedelta(days=days)).isoformat(timespec="minutes") + "+00:00"


def quota_done(user: User, school: School, key: str) -> int:
    """What the teacher has done of the quota ``key`` this school year, as their year counts it."""
    facts = credits.teacher_year(user, school, current_school_year(school.timezone)).facts
    return sum(q.done for q in facts.quotas if q.key == key)


def evidence_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Evidence)) or 0


def lectures(s: School, organizer: User, people: list[User], n: int = 2, start: datetime | None = None) -> list:
    """``n`` lectures with ``people`` attending, titled 讲座0, 讲座1, …"""
    return [f.plan(s, organizer, "lecture", [(u, "attendee") for u in people], {"topic": f"提问{i}"},
                   start=start, title=f"讲座{i}") for i in range(n)]


def reflection_at_three_activities_at_once(app, s: School, organizer: User, teacher: User, **piece: Any) -> int:
    """The same reflection (``text=`` or ``filename=``, ``data=``) sent by ``teacher`` to three
    activities at the same moment, each request looking for it before the others wrote it (on
    PostgreSQL when ``YANXIU_TEST_DATABASE_URL`` is set): asserts one is taken and two refused,
    and returns how many pieces of evidence the teacher has."""
    from portal.errors import Invalid
    from portal.services import activities
    from tests.support.at_once import at_once

    act_ids, user_id = [a.id for a in lectures(s, organizer, [teacher], n=3)], teacher.id
    db.session.commit()
    db.session.remove()
    turn = iter(act_ids)

    def send() -> None:
        act = db.session.get(Activity, next(turn))
        activities.add_evidence(act, db.session.get(User, user_id), user_id, "reflection", "反思", **piece)

    assert at_once(app, 3, send, Invalid) == [201, 422, 422]
    return db.session.scalar(select(func.count()).select_from(Evidence).where(Evidence.user_id == user_id)) or 0
