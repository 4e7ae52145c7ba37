"""The load run's plan (``bench/load/plan.py``) gives each Locust user work it may do and no
two of them the same activity."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bench.load.plan import build_plan, write_plan
from portal.extensions import db
from portal.models import Activity, Membership, Participation, School, User
from portal.registry import registry
from workflows.definition import Phase


def test_plan_splits_the_work_between_organizers_and_reviewers(app, generated, tmp_path):
    codes = generated(schools=3, teachers=30, years=1, seed=11)
    plan = write_plan(tmp_path / "plan.json", 1, 2)
    assert json.loads((tmp_path / "plan.json").read_text()) == plan
    assert plan["schools"] == codes[1:] and plan["password"] == "yanxiu-demo"
    ids = {u.username: u.id for u in db.session.execute(select(User)).scalars()}
    roles: dict[int, set[str]] = {}
    for uid, role in db.session.execute(select(Membership.user_id, Membership.role)):
        roles.setdefault(uid, set()).add(role)
    assert plan["teachers"] and all(roles[t["user_id"]] == {"teacher"} for t in plan["teachers"])
    assert {a["username"] for a in plan["admins"]} == {f"{c.lower()}-t001" for c in codes[1:]}
    acts = {a.id: a for a in db.session.execute(select(Activity)).scalars()}
    held = set(registry().states_in(Phase.AWAITING_REVIEW))
    reviewed = set(registry().states_in(Phase.CONFIRMED))
    seen: list[int] = []
    for o in plan["organizers"]:
        for act_id in o["activities"]:
            assert acts[act_id].organizer_id == ids[o["username"]] and acts[act_id].state in held
            assert not registry().get(acts[act_id].type_key).type.self_declared  # attendance can be saved
        seen += o["activities"]
    decided = 0
    for r in plan["reviewers"]:
        me = ids[r["username"]]
        assert "reviewer" in roles[me]
        for act_id in r["approve"] + r["credit"]:
            people = set(db.session.execute(
                select(Participation.user_id).where(Participation.activity_id == act_id)).scalars())
            assert me not in people and me != acts[act_id].organizer_id  # separation of duties
        assert all(acts[a].state in held for a in r["approve"])
        assert all(acts[a].state in reviewed for a in r["credit"])
        seen += r["approve"] + r["credit"]
        decided += len(r["approve"]) + len(r["credit"])
    assert decided > 0
    assert len(seen) == len(set(seen))  # no activity given to two people
    planned_schools = set(db.session.execute(
        select(School.id).where(School.code.in_(plan["schools"]))).scalars())
    assert {acts[a].school_id for a in seen} == planned_schools  # the slice's schools, and only them


def test_a_plan_beyond_the_generated_schools_is_refused(app, generated):
    generated(schools=1, teachers=5)
    with pytest.raises(SystemExit, match="only 0 generated schools"):
        build_plan(1, 1)
