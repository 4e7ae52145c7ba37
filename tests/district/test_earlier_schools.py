"""A teacher who moved school this year reads the hours the school they left credited them.

Walker (hEG): 唐俊杰 had 3 hours credited at EAST1 before moving to WEST1 on 29 November; his home
and 成长档案 at WEST1 said 0/50 and 没有认定学时, and nothing pointed to those hours, which count
only at the school he left. By design each school judges its part of the year (``moves``); now the
teacher's home, record and ``GET /api/v1/users/<id>/credits`` show, read only, the school left, the
days they were there and its hours, saying they count there and in the district's records, not
here. Theirs alone: a colleague or an admin of the new school reads nothing of the other school
(``policy.may_see_earlier_schools``). The home's cached body keeps only a slot: the hours are read
afresh (one statement, none for a teacher who never moved), so a credit at the old school, which
does not touch the new school's data stamp, shows at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from portal.extensions import db
from portal.models import Activity, CreditEntry, School
from portal.policy import Actor
from portal.services import moves
from portal.services.tokens import issue
from tests.credits.helpers import credited, login
from tests.support import factories as f

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
NOV_10 = datetime(2026, 11, 10, 9, 0)  # 09:00 in the school's time: before the move


@pytest.fixture
def moved(world, time_machine):
    """S1's t1 (4 h credited at S1 in October) moves to S2 from 29 November; S2 has an admin and a
    teacher of its own (committed)."""
    time_machine.move_to(NOW)
    return _move(world)


def _move(world):
    f.person(world.s2, "s2adm", "school_admin")
    f.person(world.s2, "s2t", "teacher")
    db.session.commit()
    moves.move_teacher(world.staff["t1"].id, world.s2.id, "2026-11-29", by=Actor.of(world.admin1.id, ["district_admin"]),
                       district_id=world.d1.id)
    db.session.commit()
    return world


def _user(name: str):
    from portal.models import User

    return db.session.execute(select(User).where(User.username == name)).scalar_one()


def _card(html: str) -> str:
    assert 'data-testid="earlier-schools"' in html, html[:3000]
    return html.split('data-testid="earlier-schools"', 1)[1].split("</section>", 1)[0]


def _rows() -> list:
    db.session.expire_all()
    return list(db.session.execute(select(CreditEntry).order_by(CreditEntry.id)).all())


def test_the_moved_teacher_reads_the_hours_of_the_school_they_left_on_home_and_record(app, moved):
    world, t1 = moved, moved.staff["t1"]
    page = login(app.test_client(), t1, world.s2)
    before = _rows()
    zh = page.get("/?lang=zh_Hans_CN").get_data(as_text=True)
    card = _card(zh)
    assert "S1" in card and "已认定 4 学时" in card, card
    assert "至2026-11-28" in card, card  # the last day before the move
    assert "计入原学校" in card and "不计入本校" in card, card
    en = _card(page.get("/?lang=en").get_data(as_text=True))
    assert "to 2026-11-28: 4 hours credited" in en and "not this school's" in en, en
    record = page.get(f"/teachers/{t1.id}/record?lang=zh_Hans_CN")
    assert record.status_code == 200
    assert "已认定 4 学时" in _card(record.get_data(as_text=True))
    assert _rows() == before  # read only
    # at the school they left, their hours are that school's own: nothing "earlier" to point to
    other = login(app.test_client(), world.staff["t2"], world.s1).get("/?lang=zh_Hans_CN").get_data(as_text=True)
    assert 'data-testid="earlier-schools"' not in other


def test_a_colleague_and_an_admin_of_the_new_school_read_nothing_of_the_old_one(app, moved):
    world, t1 = moved, moved.staff["t1"]
    admin = login(app.test_client(), _user("s2adm"), world.s2)
    record = admin.get(f"/teachers/{t1.id}/record?lang=zh_Hans_CN")
    assert record.status_code == 200  # the admin reads this school's record of them ...
    assert 'data-testid="earlier-schools"' not in record.get_data(as_text=True)  # ... not S1's hours
    colleague = login(app.test_client(), _user("s2t"), world.s2)
    assert colleague.get(f"/teachers/{t1.id}/record").status_code == 403
    assert 'data-testid="earlier-schools"' not in colleague.get("/").get_data(as_text=True)


def test_the_api_gives_the_earlier_schools_to_the_teacher_alone(app, moved):
    world, t1 = moved, moved.staff["t1"]
    client = app.test_client()

    def credits_of(user) -> dict:
        r = client.get(f"/api/v1/users/{t1.id}/credits", headers={
            "Authorization": f"Bearer {issue(user).token}", "X-School": world.s2.code})
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    own = credits_of(t1)
    assert own["earlier_schools"] == [
        {"school": world.s1.name, "first_day": own["earlier_schools"][0]["first_day"], "last_day": "2026-11-28",
         "hours": 4.0}]
    assert own["total_hours"] == 0.0  # S2 counts its own part only
    assert credits_of(_user("s2adm"))["earlier_schools"] == []


class _Statements:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, *_args) -> None:
        self.n += 1


def _statements_of(client, path: str) -> int:
    counter = _Statements()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    return counter.n


def test_the_home_reads_the_old_schools_hours_afresh_in_one_statement(app, world, time_machine):
    """The cached body at S2 holds no figure of S1: a credit at S1 after the page was cached, which
    leaves S2's data stamp as it was, shows on the next visit; the moved teacher's page runs one
    statement more than a colleague's who never moved, both served from the cache."""
    if app.extensions.get("yanxiu.page_cache_off"):
        pytest.skip("the page cache is off")
    time_machine.move_to(NOW)
    t1 = world.staff["t1"]
    # a lecture of 10 November at S1 (before the move), approved; S1 credits it after the move
    lecture = credited(world.s1, world.staff, "lecture", [(t1, "attendee")], hours="2", start=NOV_10,
                       title="十一月讲座", until="reviewed")
    db.session.commit()
    _move(world)
    page = login(app.test_client(), t1, world.s2)
    colleague = login(app.test_client(), _user("s2t"), world.s2)
    assert "已认定 4 学时" in _card(page.get("/?lang=zh_Hans_CN").get_data(as_text=True))
    colleague.get("/?lang=zh_Hans_CN")
    hits = app.extensions["yanxiu.page_cache_stats"]["hit"]
    mine, theirs = _statements_of(page, "/?lang=zh_Hans_CN"), _statements_of(colleague, "/?lang=zh_Hans_CN")
    assert app.extensions["yanxiu.page_cache_stats"]["hit"] == hits + 2  # both bodies from the cache
    assert mine == theirs + 1, (mine, theirs)
    # the record likewise: the hours of the school left asked only when this year's figures found one
    s2t = _user("s2t")
    mine = _statements_of(page, f"/teachers/{t1.id}/record")
    theirs = _statements_of(colleague, f"/teachers/{s2t.id}/record")
    assert mine == theirs + 1, (mine, theirs)

    stamp = db.session.execute(select(School.data_version).where(School.id == world.s2.id)).scalar_one()
    f.fire(db.session.get(Activity, lecture.id), world.staff["reviewer"], "credit")
    db.session.commit()
    db.session.expire_all()
    assert db.session.execute(select(School.data_version).where(School.id == world.s2.id)).scalar_one() == stamp
    assert "已认定 6 学时" in _card(page.get("/?lang=zh_Hans_CN").get_data(as_text=True))


def test_a_move_is_a_write_at_both_schools(app, world, time_machine):
    """Both schools' data stamps change with the move: the new school's home, cached before, is
    rendered again and finds the slot for the hours of the school left."""
    time_machine.move_to(NOW)

    def stamps() -> tuple:
        db.session.expire_all()
        return tuple(db.session.execute(select(School.data_version).where(School.id.in_([world.s1.id, world.s2.id]))
                                        .order_by(School.id)).scalars())

    before = stamps()
    moves.move_teacher(world.staff["t1"].id, world.s2.id, "2026-11-29", by=Actor.of(world.admin1.id, ["district_admin"]),
                       district_id=world.d1.id)
    db.session.commit()
    after = stamps()
    assert after[0] != before[0] and after[1] != before[1], (before, after)
