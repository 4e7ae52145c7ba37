"""A school with many teachers and an activity a fortnight ahead (for sign-up tests)."""

from __future__ import annotations

from datetime import timedelta

from portal.models import Activity, School, User
from portal.services import access
from portal.timeutil import utcnow
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
