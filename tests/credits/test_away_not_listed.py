"""Who may be put on an activity's list: not one off the school's teaching staff when it is held
(``stints.away_at``), asked alike by planning, by adding people later, and by the pickers.

Walker: planning an activity of October listed a teacher who moved to the school in December
(its picker offered them, the service took them), while adding them to the same list afterwards
was refused — and "the whole school" on the participants page was refused outright whenever
anyone had been away. Now planning refuses them by name as adding does, nothing written; the
pickers show them unchosable with the reason, and "the whole school" leaves them out."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Activity, Participation, School, User
from portal.policy import SYSTEM
from portal.services import activities, moves
from tests.credits.helpers import DETAILS, login
from tests.support import factories as f

OCTOBER, AFTER = datetime(2026, 10, 29, 6, 0), datetime(2026, 12, 3, 6, 0)  # UTC: 14:00 in Beijing


@pytest.fixture
def mover(s1: School, staff: dict[str, User]) -> User:
    """A teacher of S2 since years back, moved to S1 from 1 December (``moves.move_teacher``)."""
    s2 = f.school("S2", types=("lecture",))
    person = f.person(s2, "mover", "teacher", name="罗文博")
    moves.move_teacher(person.id, s1.id, date(2026, 12, 1), by=SYSTEM, district_id=None,
                       now=datetime(2026, 12, 2, 2, 0))
    db.session.commit()
    return person


def _counts() -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.execute(select(func.count()).select_from(Activity)).scalar_one(),
            db.session.execute(select(func.count()).select_from(Participation)).scalar_one())


def _plan(s1, staff, people, start):
    return activities.plan_activity(s1, staff["organizer"], "lecture", "补录讲座", start, start.replace(hour=9), "3",
                                    [{"user_id": u.id, "role": "attendee"} for u in people], DETAILS["lecture"])


def test_planning_refuses_them_as_adding_does_and_writes_nothing(s1, staff, mover):
    before = _counts()
    with pytest.raises(Invalid) as refused:
        _plan(s1, staff, [staff["t1"], mover], OCTOBER)
    said = refused.value.to_dict("zh_Hans_CN")["fields"]["participants"]
    assert said == ["罗文博在活动举行时不在本校任教：该活动不属于其本人"], said
    assert _counts() == before
    act = _plan(s1, staff, [staff["t1"]], OCTOBER)
    with pytest.raises(Invalid):  # afterwards, as before
        activities.set_participants(act, staff["organizer"], [{"user_id": mover.id, "role": "attendee"}])
    assert _plan(s1, staff, [mover], AFTER).id  # after the move: theirs


def test_the_participants_page_shows_them_unchosable_and_the_whole_school_leaves_them_out(app, s1, staff, mover):
    act = _plan(s1, staff, [staff["t1"]], OCTOBER)
    db.session.commit()
    page = login(app.test_client(), staff["organizer"], s1)
    html = page.get(f"/activities/{act.id}/participants").get_data(as_text=True)
    box = html.split('data-testid="pick-attendee-mover"', 1)[0].rsplit("<input", 1)[1]
    assert " disabled" in box, box
    assert 'data-testid="pick-off-mover"' in html
    other = html.split('data-testid="pick-attendee-t2"', 1)[0].rsplit("<input", 1)[1]
    assert " disabled" not in other
    r = page.post(f"/activities/{act.id}/participants", data={"people-attendee": "all"})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    db.session.expire_all()
    listed = set(db.session.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars())
    assert mover.id not in listed and {staff["t2"].id, staff["t3"].id} <= listed


def test_the_planning_page_leaves_them_out_of_the_whole_school_and_refuses_them_by_name(app, s1, staff, mover):
    page = login(app.test_client(), staff["organizer"], s1)
    form = {"title": "十月讲座补录", "starts_at": "2026-10-29 14:00", "ends_at": "2026-10-29 17:00", "hours": "3",
            "details-topic": "课堂观察的方法"}
    before = _counts()
    named = page.post("/activities/new/lecture",
                      data={**form, "people-attendee": [f"u:{mover.id}", f"u:{staff['t1'].id}"]})
    assert named.status_code == 422
    html = named.get_data(as_text=True)
    assert "罗文博" in html and "不在本校任教" in html
    box = html.split('data-testid="pick-attendee-mover"', 1)[0].rsplit("<input", 1)[1]
    assert " disabled" in box, box  # the date typed is known: the picker says why
    assert _counts() == before
    r = page.post("/activities/new/lecture", data={**form, "people-attendee": "all"})
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    act_id = int(r.headers["Location"].rsplit("/", 1)[1])
    db.session.expire_all()
    listed = set(db.session.execute(select(Participation.user_id).where(Participation.activity_id == act_id)).scalars())
    assert mover.id not in listed and staff["t1"].id in listed
