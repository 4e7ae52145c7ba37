"""Hours are credited only into the school years an activity may be dated in
(``policy.may_date_in_year``: this school year and the last one).

Walker: planning an activity in 2024-2025 is refused now (``plan.year_over``), yet one planned
back then, held and approved, and never credited could still be credited in December 2026 —
hours written into a year that is the record of its time. Now the credit step is refused
naming the year, nothing written; an approved activity of the last year still credits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict
from portal.extensions import db
from portal.models import Activity, CreditEntry, TransitionLog
from portal.services import transitions
from tests.credits.helpers import credited
from tests.support import factories as f

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def _rows(act_id: int) -> tuple:
    db.session.expire_all()
    act = db.session.get_one(Activity, act_id)
    return (act.state, act.version, db.session.execute(select(func.count()).select_from(CreditEntry)).scalar_one(),
            db.session.execute(select(func.count()).select_from(TransitionLog)).scalar_one())


def _approved_back_then(s1, staff, time_machine, start: datetime, title: str) -> int:
    time_machine.move_to(start.replace(tzinfo=UTC) + (datetime(2025, 1, 2) - datetime(2025, 1, 1)))
    act = credited(s1, staff, "lecture", [(staff["t1"], "attendee")], hours="3", start=start, title=title,
                   until="reviewed")
    db.session.commit()
    return act.id


def test_an_activity_of_a_year_long_over_is_not_credited_now(s1, staff, time_machine):
    old = _approved_back_then(s1, staff, time_machine, datetime(2025, 3, 10, 14, 0), "前年讲座")
    last = _approved_back_then(s1, staff, time_machine, datetime(2025, 11, 10, 14, 0), "去年讲座")
    time_machine.move_to(NOW)  # the school year 2026-2027: the last one is 2025-2026
    before = _rows(old)
    # the page and the review queue no longer offer it (transitions.allowed_triggers)
    assert "credit" not in transitions.allowed_triggers(db.session.get_one(Activity, old), staff["reviewer"].id)
    assert "credit" in transitions.allowed_triggers(db.session.get_one(Activity, last), staff["reviewer"].id)
    with pytest.raises(Conflict) as refused:
        f.fire(db.session.get_one(Activity, old), staff["reviewer"], "credit")
    said = refused.value.to_dict("zh_Hans_CN")["message"]
    assert said.startswith("2024—2025学年已结束") and "（自2025—2026学年起）" in said, said
    assert "credited only in this school year and the last one" in refused.value.to_dict("en")["message"]
    db.session.rollback()
    assert _rows(old) == before
    f.fire(db.session.get_one(Activity, last), staff["reviewer"], "credit")  # the last year's still credits
    db.session.commit()
    assert _rows(last)[0] == "credited"
    assert _rows(last)[2] == before[2] + 1
