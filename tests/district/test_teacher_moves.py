"""A teacher's move to another school of the district (``moves.move_teacher``): the district
admin's page and the operator's ``flask user move``, one service.

Walker: a teacher moving from one school to another had no page nor command — an operator
ended their roles at one school and gave the role at the other by hand, dated by nobody. Now the
district admin chooses the teacher, the school and the day, reads what the move does to their
years and activities, confirms; the old roles end and the new one begins at the day's first
moment, both schools' staff logs say so. A day not after their last move, too far ahead, the
same school, a school of another district, a year the district accepted, someone without the
right: each refused with its reason, nothing written."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import EarlierStint, Membership, StaffChange
from portal.policy import Actor
from portal.services import access, moves, stints, submissions
from tests.credits.helpers import login
from tests.district.conftest import YEAR

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
OCT_1 = datetime(2026, 9, 30, 16, 0)  # 2026-10-01 00:00 in Beijing, as naive UTC
AS_DATA = re.compile(r"\d{4}-\d{4}")  # a school year as data: 2026-2027


@pytest.fixture
def today(world, time_machine):
    time_machine.move_to(NOW)
    return world


def _rows() -> list:
    """The memberships, stretches and staff log: what a refused move must leave as it was."""
    db.session.expire_all()
    return [list(db.session.execute(select(t).order_by(*t.__table__.primary_key.columns)).all())
            for t in (Membership, EarlierStint, StaffChange)]


def _form(world, teacher=None, school=None, day="2026-10-01", **more) -> dict[str, str]:
    t1 = world.staff["t1"]
    return {"teacher": teacher if teacher is not None else f"{world.s1.id}:{t1.id}",
            "school": str(school if school is not None else world.s2.id), "day": day, **more}


def test_the_district_admin_checks_confirms_and_moves_a_teacher(app, today):
    world, t1 = today, today.staff["t1"]
    page = login(app.test_client(), world.admin1)
    shown = page.get("/district/move?lang=zh_Hans_CN")
    assert shown.status_code == 200
    listed = shown.get_data(as_text=True)
    assert f'value="{world.s1.id}:{t1.id}"' in listed and 'data-testid="tab-move"' in listed
    assert f'value="{world.t1.id}"' not in listed  # the other district's school is not offered
    before = _rows()
    checked = page.post("/district/move?lang=zh_Hans_CN", data=_form(world))
    assert checked.status_code == 200
    said = checked.get_data(as_text=True)
    assert 'data-testid="move-confirm"' in said
    # the credited lecture of 15 October at S1 lists them, its 4 hours recorded
    away = said.split('data-testid="move-away">', 1)[1].split("</li>", 1)[0]
    assert "1" in away and 'data-testid="move-recorded"' in away, away
    # the year of the day in words, as every page says it, not as data (2026-2027学年)
    effects = said.split('data-testid="move-effects">', 1)[1].split("</ul>", 1)[0]
    assert "；2026—2027学年及以后的学年自2026-10-01起" in effects and not AS_DATA.search(effects), effects
    assert _rows() == before  # checking writes nothing
    done = page.post("/district/move", data=_form(world, confirm="1"))
    assert done.status_code == 303
    db.session.expire_all()
    roles = {(m.school_id, m.role): m for m in db.session.execute(
        select(Membership).where(Membership.user_id == t1.id)).scalars()}
    old, new = roles[(world.s1.id, "teacher")], roles[(world.s2.id, "teacher")]
    assert (old.active, old.until) == (False, OCT_1)
    assert (new.active, new.since, new.until) == (True, OCT_1, None)
    logged = {(c.school_id, tuple(c.before), tuple(c.after), c.changed_by, c.created_at)
              for c in db.session.execute(select(StaffChange).where(StaffChange.user_id == t1.id)).scalars()}
    assert (world.s1.id, ("teacher",), (), world.admin1.id, OCT_1) in logged
    assert (world.s2.id, (), ("teacher",), world.admin1.id, OCT_1) in logged
    # S1's lecture of 15 October is no longer theirs; S2 would not count a day of September
    assert stints.away_at(world.s1.id, [t1.id], world.act.starts_at) == {t1.id}
    assert stints.away_at(world.s2.id, [t1.id], datetime(2026, 9, 20, 6, 0)) == {t1.id}


@pytest.mark.parametrize("case", ["before_last_move", "too_far_ahead", "same_school", "other_district",
                                  "not_a_day", "not_a_teacher", "teacher_beyond_any_id", "school_beyond_any_id"])
def test_a_bad_move_is_refused_with_its_reason_and_nothing_written(app, today, case):
    world, t1 = today, today.staff["t1"]
    admin = Actor.of(world.admin1.id, ["district_admin"])
    if case == "before_last_move":  # moved to S2 from 1 November: not back to S1 from 20 October
        moves.move_teacher(t1.id, world.s2.id, "2026-11-01", by=admin, district_id=world.d1.id)
        db.session.commit()
        form, field, words = _form(world, teacher=f"{world.s2.id}:{t1.id}", school=world.s1.id, day="2026-10-20"), \
            "day", "2026-11-01"
    elif case == "too_far_ahead":
        form, field, words = _form(world, day="2027-01-08"), "day", "2027-01-07"
    elif case == "same_school":
        form, field, words = _form(world, school=world.s1.id), "school", world.s1.name
    elif case == "other_district":
        form, field, words = _form(world, school=world.t1.id), "school", "choose a school of your district"
    elif case == "not_a_day":
        form, field, words = _form(world, day="2026-02-30"), "day", "2026-12-01"
    elif case == "teacher_beyond_any_id":  # no column holds it: not found (PostgreSQL raised "out of range", a 500)
        form, field, words = _form(world, teacher=f"{world.s1.id}:99999999999"), "teacher", "choose a teacher"
    elif case == "school_beyond_any_id":
        form, field, words = _form(world, school=99999999999), "school", "choose a school of your district"
    else:  # a teacher of another district's school
        tt1 = db.session.execute(select(Membership.user_id).where(Membership.school_id == world.t1.id,
                                                                  Membership.role == "teacher")).scalars().first()
        form, field, words = _form(world, teacher=f"{world.t1.id}:{tt1}"), "teacher", "choose a teacher"
    before = _rows()
    page = login(app.test_client(), world.admin1)
    for confirm in ("", "1"):  # refused at the check and at the confirmation alike
        r = page.post("/district/move?lang=en", data={**form, "confirm": confirm})
        assert r.status_code == 422, case
        said = r.get_data(as_text=True)
        error = said.split(f'data-testid="error-{field}">', 1)[1].split("</div>", 1)[0]
        assert words in error, (case, error)
        assert 'data-testid="move-confirm"' not in said
        assert _rows() == before


def test_the_page_speaks_chinese_first(app, today):
    world = today
    page = login(app.test_client(), world.admin1)
    r = page.post("/district/move", data=_form(world, school=world.s1.id))
    assert r.status_code == 422
    assert "已在" in r.get_data(as_text=True)  # 张伟已在……任教


def test_a_year_the_district_accepted_is_not_moved_under(app, today):
    world, t1 = today, today.staff["t1"]
    sub = submissions.submit(world.s1, YEAR, None, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    before = _rows()
    r = login(app.test_client(), world.admin1).post("/district/move?lang=en", data=_form(world, day="2026-12-01"))
    assert r.status_code == 422
    assert "accepted" in r.get_data(as_text=True).split('data-testid="error-day">', 1)[1].split("</div>", 1)[0]
    # in Chinese, the year in words (2026—2027学年), not as data
    r = login(app.test_client(), world.admin1).post("/district/move?lang=zh_Hans_CN", data=_form(world, day="2026-12-01"))
    assert r.status_code == 422
    error = r.get_data(as_text=True).split('data-testid="error-day">', 1)[1].split("</div>", 1)[0]
    assert error.startswith(f"区里已验收{world.s1.name}的2026—2027学年：") and not AS_DATA.search(error), error
    assert _rows() == before
    assert not stints.away_at(world.s1.id, [t1.id], datetime(2026, 12, 5, 6, 0))


def test_only_the_district_admin_moves_and_never_themselves(app, today):
    world = today
    before = _rows()
    for who, school in ((world.reviewer1, None), (world.staff["admin"], world.s1), (world.staff["admin"], world.s2)):
        client = login(app.test_client(), who, school)
        assert client.post("/district/move", data=_form(world, confirm="1")).status_code == 403
    from tests.support import factories as f

    f.person(world.s1, "adm.d1", "teacher")  # the district admin teaches at S1 too
    db.session.commit()
    before = _rows()
    r = login(app.test_client(), world.admin1).post(
        "/district/move?lang=en", data=_form(world, teacher=f"{world.s1.id}:{world.admin1.id}", confirm="1"))
    assert r.status_code == 403 and "cannot move yourself" in r.get_data(as_text=True)
    assert _rows() == before


def test_the_operator_moves_at_the_command_line(app, today):
    world, t1 = today, today.staff["t1"]
    runner = app.test_cli_runner()
    before = _rows()
    refused = runner.invoke(args=["user", "move", t1.username, world.t1.code, "--on", "2026-11-01"])
    assert refused.exit_code == 1 and "another district" in refused.output, refused.output
    assert _rows() == before
    r = runner.invoke(args=["user", "move", t1.username, world.s2.code, "--on", "2026-11-01"])
    assert r.exit_code == 0, r.output
    assert f"moved {t1.username} from S1 to S2 on 2026-11-01" in r.output
    db.session.expire_all()
    assert db.session.execute(select(Membership.active).where(
        Membership.user_id == t1.id, Membership.school_id == world.s2.id)).scalar_one() is True
    line = db.session.execute(select(StaffChange).where(StaffChange.school_id == world.s2.id,
                                                         StaffChange.user_id == t1.id)).scalar_one()
    assert line.changed_by is None and line.after == ["teacher"]  # by the command line


def test_a_move_dated_ahead_says_so_and_leaves_the_old_schools_days_until_then(app, today):
    world, t1 = today, today.staff["t1"]
    page = login(app.test_client(), world.admin1)
    checked = page.post("/district/move?lang=zh_Hans_CN", data=_form(world, day="2026-12-20"))
    assert checked.status_code == 200 and 'data-testid="move-future"' in checked.get_data(as_text=True)
    assert "调动日期尚未到" in checked.get_data(as_text=True)
    past = page.post("/district/move", data=_form(world, day="2026-12-01")).get_data(as_text=True)
    assert 'data-testid="move-confirm"' in past and 'data-testid="move-future"' not in past
    assert page.post("/district/move", data=_form(world, day="2026-12-20", confirm="1")).status_code == 303
    db.session.expire_all()
    assert not stints.away_at(world.s1.id, [t1.id], datetime(2026, 12, 18, 6, 0))  # S1's until then
    assert stints.away_at(world.s1.id, [t1.id], datetime(2026, 12, 21, 6, 0)) == {t1.id}
