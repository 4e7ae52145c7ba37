"""Moving an activity to another time asks who on its list is off the school's teaching staff
then (``stints.away_at``), as planning them in does; the pickers' "the whole school" counts
only who it would list.

Walker: an activity planned for December with a teacher who joined the school on 1 December
could be moved to October — the very list planning for October refuses — and the teacher was
then on an activity that is not theirs (attendance and credit refuse them). And the planning
and participants pages said "the whole school · 8 people" where choosing it listed 7."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Activity, TransitionLog
from portal.services import activities
from tests.credits.helpers import DETAILS, login
from tests.credits.test_away_not_listed import AFTER as DECEMBER
from tests.credits.test_away_not_listed import (
    OCTOBER,
    mover,  # noqa: F401 (fixture: a teacher moved to S1 on 1 December)
)


def _plan(s1, staff, people, start):
    return activities.plan_activity(s1, staff["organizer"], "lecture", "十二月讲座", start, start.replace(hour=9), "3",
                                    [{"user_id": u.id, "role": "attendee"} for u in people], DETAILS["lecture"])


def _rows(act_id: int) -> tuple:
    db.session.expire_all()
    act = db.session.get_one(Activity, act_id)
    return (act.starts_at, act.ends_at, act.school_year, act.version,
            db.session.execute(select(func.count()).select_from(TransitionLog)).scalar_one())


def test_moving_it_to_a_time_someone_listed_was_away_is_refused_by_name(s1, staff, mover):  # noqa: F811
    act = _plan(s1, staff, [staff["t1"], mover], DECEMBER)
    db.session.commit()
    before = _rows(act.id)
    with pytest.raises(Invalid) as refused:
        activities.reschedule(act, staff["organizer"], "2026-10-29T14:00", "2026-10-29T17:00")
    fields = refused.value.to_dict("zh_Hans_CN")["fields"]
    assert list(fields) == ["starts_at"] and "罗文博" in fields["starts_at"], fields
    assert "不在本校任教" in fields["starts_at"] and staff["t1"].display_name not in fields["starts_at"]
    english = refused.value.to_dict("en")["fields"]["starts_at"]
    assert "take them off the list first" in english, english
    db.session.rollback()
    assert _rows(act.id) == before
    # another day after they joined moves it
    activities.reschedule(act, staff["organizer"], "2026-12-04T14:00", "2026-12-04T17:00")
    db.session.commit()
    assert _rows(act.id)[0] == datetime(2026, 12, 4, 6, 0)


def test_the_page_says_why_the_move_was_refused(app, s1, staff, mover):  # noqa: F811
    act = _plan(s1, staff, [mover], DECEMBER)
    db.session.commit()
    before = _rows(act.id)
    page = login(app.test_client(), staff["organizer"], s1)
    r = page.post(f"/activities/{act.id}/reschedule?lang=zh_Hans_CN",
                  data={"starts_at": "2026-10-29 14:00", "ends_at": "2026-10-29 17:00"})
    assert r.status_code == 422
    assert "罗文博" in r.get_data(as_text=True)
    assert _rows(act.id) == before


def _whole_school(html: str) -> str:
    return html.split('data-testid="pick-attendee-all"', 1)[1].split('<span class="small text-muted">', 1)[1] \
        .split("</span>", 1)[0]


def test_the_whole_school_counts_only_those_it_would_list(app, s1, staff, mover):  # noqa: F811
    october = _plan(s1, staff, [staff["t1"]], OCTOBER)
    december = _plan(s1, staff, [staff["t2"]], DECEMBER)
    db.session.commit()
    page = login(app.test_client(), staff["organizer"], s1)
    then = _whole_school(page.get(f"/activities/{october.id}/participants?lang=en").get_data(as_text=True))
    now = _whole_school(page.get(f"/activities/{december.id}/participants?lang=en").get_data(as_text=True))
    n = int(now.split()[0])
    assert then == f"{n - 1} people", (then, now)  # the mover was away in October
