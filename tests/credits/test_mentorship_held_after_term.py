"""A mentorship is held once its term is over (hDX's walk): ``hold`` waited only for the start,
so a pair could hand in the term's meeting logs on its first day and be marked 已举行 — the
record said held, with logs of meetings that had not taken place. Seed 001's rhythm
("每周互听、互评一堂课，每月进行一次专业探讨") is the term's: the type declares that its ``hold``
waits for the pairing's end (``WorkflowExtension.waits_for_end``), and the core refuses it before
then in its own words (``activity.not_ended``), naming the end in the school's time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from plugins.mentorship import meetings_needed
from portal.errors import Conflict
from portal.extensions import db
from portal.messages import tr
from portal.models import Activity, Evidence, TransitionLog
from portal.services import activities, schools
from portal.timeutil import local_text, period_bounds, school_year_of, semester_of, to_local, utcnow
from tests.credits.helpers import DETAILS
from tests.credits.test_seed_mentorship import _logs, _term_pairing
from tests.support import factories as f


def _running_pairing(s1, staff):
    """A pairing that began two days ago and ends in two days (kept within today's semester:
    a plan may not run into the next one), its attendance recorded."""
    now = to_local(utcnow(), s1.timezone).replace(second=0, microsecond=0, tzinfo=None)
    first, last = period_bounds(school_year_of(now.date()), semester_of(now.date()))
    start = max(now - timedelta(days=2), datetime.combine(first, time(0, 0)))
    end = min(now + timedelta(days=2), datetime.combine(last, time(23, 0)))
    return _term_pairing(s1, staff, start, end)


def _rows(act_id: int) -> tuple:
    db.session.expire_all()
    act = db.session.get(Activity, act_id)
    logs = db.session.scalar(select(func.count(TransitionLog.id)).where(TransitionLog.activity_id == act_id))
    pieces = db.session.scalar(select(func.count(Evidence.id)).where(Evidence.activity_id == act_id))
    return act.state, act.version, logs, pieces


def test_a_running_pairing_with_every_log_handed_in_ahead_is_not_held(app, s1, staff):
    act = _running_pairing(s1, staff)
    settings = schools.type_settings(s1.id, "mentorship")
    need = meetings_needed(act.starts_at, act.ends_at, settings)  # the two local days before and after: UTC serves
    _logs(act, staff, need + 3)  # more than the whole pairing asks, all today
    before = _rows(act.id)
    with pytest.raises(Conflict) as err:
        f.fire(act, staff["organizer"], "hold")
    end = local_text(act.ends_at, s1.timezone)
    assert err.value.msg.code == "activity.not_ended"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}), force_locale("zh_Hans_CN"):
        assert tr(err.value) == f"活动尚未结束：须待其结束（学校时间 {end}）后才能标记为已举行"
    assert _rows(act.id) == before and before[0] == "planned"
    with app.test_request_context(headers={"Accept-Language": "en"}), force_locale("en"):
        with pytest.raises(Conflict) as err:
            f.fire(act, staff["organizer"], "hold")
        assert tr(err.value) == f"the activity has not ended yet: Mark held once it ends, at {end} (school time)"
    assert _rows(act.id) == before


def test_a_pairing_whose_term_is_over_is_held(s1, staff):
    act = _term_pairing(s1, staff, datetime(2026, 9, 7, 14), datetime(2026, 9, 25, 17))
    _logs(act, staff, 4)  # two whole weeks, no whole month: the minimum of four
    f.fire(act, staff["organizer"], "hold")
    assert _rows(act.id)[0] == "held"


def test_the_pairing_waits_for_its_end_to_the_minute_in_the_schools_time(app, s1, staff, time_machine):
    """Not before the end, from the end on: the hold is offered and fires at the pairing's last minute."""
    from portal.registry import registry
    from portal.services import transitions

    definition = registry().definition("mentorship")
    assert definition.waits_for_end(definition.transition("hold"))
    act = _term_pairing(s1, staff, datetime(2026, 9, 7, 14), datetime(2026, 9, 25, 17))  # 17:00 in Beijing
    _logs(act, staff, 4)
    time_machine.move_to(datetime(2026, 9, 25, 8, 59, tzinfo=UTC))  # 16:59 in Beijing
    assert "hold" not in transitions.allowed_triggers(act, staff["organizer"].id)
    with pytest.raises(Conflict):
        f.fire(act, staff["organizer"], "hold")
    time_machine.move_to(datetime(2026, 9, 25, 9, 0, tzinfo=UTC))
    assert "hold" in transitions.allowed_triggers(act, staff["organizer"].id)
    f.fire(act, staff["organizer"], "hold")
    assert _rows(act.id)[0] == "held"


def test_an_article_of_the_term_is_written_within_it_not_before_the_pairing_begins(s1, staff, time_machine):
    """Seed 001: "每学期撰写、修改两篇教育文章" — the term's articles, written and revised while the
    pair works together; one handed in before the pairing begins was written before it (last
    term's, counted again), so the kind is taken once the pairing has begun, as its logs are."""
    from portal.errors import Invalid
    from tests.support.texts import prose

    mentee = staff["t4"]
    act = f.plan(s1, staff["organizer"], "mentorship", [(staff["t3"], "mentor"), (mentee, "mentee")],
                 DETAILS["mentorship"], hours="20", start=datetime(2027, 1, 4, 8))  # next month
    before = _rows(act.id)
    with pytest.raises(Invalid) as err:
        activities.add_evidence(act, mentee, mentee.id, "article", "师徒结对心得", text=prose(800, "article"))
    assert err.value.fields["kind"].code == "evidence.before_start"
    assert _rows(act.id) == before
    time_machine.move_to(act.starts_at.replace(tzinfo=UTC) + timedelta(minutes=1))  # the pairing has begun
    activities.add_evidence(act, mentee, mentee.id, "article", "师徒结对心得", text=prose(800, "article"))
    assert _rows(act.id)[3] == before[3] + 1
