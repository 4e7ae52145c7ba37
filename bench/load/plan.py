"""Who does what in a load run: the people of a slice of the generated schools and the
activities each may act on, read from the database into a JSON file the locustfile reads.

Locust's users only know usernames and ids from this plan, so the load run spends no time
finding its way and no two of its users fight over one activity: the activities awaiting
review are split between their organizers (who record attendance again) and the school's
reviewers (who approve them); the reviewed ones go to the reviewers to post credits. Each
run takes a fresh slice of schools (``first``), so a later run is not left with activities
an earlier one already moved on.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, Membership, Participation, School, TransitionLog, User
from portal.registry import registry
from workflows.definition import Phase


def build_plan(first: int, count: int, password: str = "yanxiu-demo") -> dict[str, Any]:
    """The plan for ``count`` generated schools from the ``first``-th (0-based, by code)."""
    schools = list(
        db.session.execute(select(School).where(School.code.like("G%")).order_by(School.code).offset(first).limit(count))
        .scalars()
    )
    if len(schools) < count:
        raise SystemExit(f"only {len(schools)} generated schools from number {first + 1}: generate more")
    ids = [s.id for s in schools]
    roles: dict[int, set[str]] = defaultdict(set)
    school_of: dict[int, int] = {}
    for user_id, school_id, role in db.session.execute(
        select(Membership.user_id, Membership.school_id, Membership.role).where(
            Membership.school_id.in_(ids), Membership.active.is_(True))
    ):
        roles[user_id].add(role)
        school_of[user_id] = school_id
    names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(list(roles)))).all())
    held_states = registry().states_in(Phase.AWAITING_REVIEW)
    reviewed_states = registry().states_in(Phase.CONFIRMED)
    acts = db.session.execute(
        select(Activity.id, Activity.school_id, Activity.organizer_id, Activity.state, Activity.type_key)
        .where(Activity.school_id.in_(ids), Activity.state.in_(held_states + reviewed_states))
        .order_by(Activity.id)
    ).all()
    people: dict[int, set[int]] = defaultdict(set)
    for act_id, user_id in db.session.execute(
        select(Participation.activity_id, Participation.user_id).where(
            Participation.activity_id.in_([a.id for a in acts]))
    ):
        people[act_id].add(user_id)
    approvers = dict(db.session.execute(  # who approved a reviewed activity (so not one of its people)
        select(TransitionLog.activity_id, TransitionLog.actor_id).where(
            TransitionLog.activity_id.in_([a.id for a in acts]), TransitionLog.to_state.in_(reviewed_states))
    ).all())
    reviewers_of: dict[int, list[int]] = defaultdict(list)
    for user_id, rs in sorted(roles.items()):
        if "reviewer" in rs:
            reviewers_of[school_of[user_id]].append(user_id)
    organizing: dict[int, list[int]] = defaultdict(list)
    approve: dict[int, list[int]] = defaultdict(list)
    credit: dict[int, list[int]] = defaultdict(list)
    held_seen: dict[int, int] = defaultdict(int)
    for act in acts:
        involved = people[act.id] | {act.organizer_id}
        free = [r for r in reviewers_of[act.school_id] if r not in involved]
        if act.state in held_states:
            held_seen[act.school_id] += 1
            if held_seen[act.school_id] % 2 and free:  # every other held activity to a reviewer
                approve[free[0]].append(act.id)
            elif not fixed_attendance(act.type_key):  # a self-declared activity's attendance is fixed
                organizing[act.organizer_id].append(act.id)
        elif approvers.get(act.id) in free:
            credit[approvers[act.id]].append(act.id)
    return {
        "password": password,
        "schools": [s.code for s in schools],
        "teachers": [
            {"username": names[u], "user_id": u} for u, rs in sorted(roles.items()) if rs == {"teacher"}
        ],
        "organizers": [
            {"username": names[u], "activities": a} for u, a in sorted(organizing.items())
        ],
        "reviewers": [
            {"username": names[u], "approve": approve.get(u, []), "credit": credit.get(u, [])}
            for s in ids for u in reviewers_of[s]
        ],
        "admins": [{"username": names[u]} for u, rs in sorted(roles.items()) if "school_admin" in rs],
    }


def fixed_attendance(type_key: str) -> bool:
    """Attendance of this type cannot be recorded again (self-declared: fixed at declaration)."""
    reg = registry().get(type_key)
    return reg is None or bool(reg.type.self_declared)


def write_plan(path: Path, first: int, count: int) -> dict[str, Any]:
    plan = build_plan(first, count)
    path.write_text(json.dumps(plan, ensure_ascii=False))
    return plan
