"""Seed rules read by the school's clock, as a teacher reads them.

- Observation (seed 003, "承办组老师至少提前2天编印好研讨手册"): the handbook is ready if it was
  uploaded on or before the school's local date two days before the lesson's local date —
  calendar days, not 48 hours (``TransitionContext.local_date``, contract 1.15).
- Mentorship: the pairing's term is the semester its dates fall in (the core's), so the form asks
  no term of its own that could say another.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from plugins.mentorship import MentorshipForm
from plugins.observation import handbook_ready
from portal import timeutil
from portal.database import write_transaction
from portal.errors import GuardFailedError, Invalid
from portal.extensions import db
from portal.hookspecs import CONTRACT_VERSION
from portal.models import Activity
from portal.services import activities
from tests.support import factories as f
from workflows import ActivitySnapshot, EvidenceSnapshot, TransitionContext

SHANGHAI = "Asia/Shanghai"
NEW_YORK = "America/New_York"
DETAILS = {"subject": "语文", "lesson_1": "课一", "lesson_2": "课二", "topic_report": "报告", "discussion_focus": "语言运用"}


def utc(local: datetime, zone: str) -> datetime:
    """A school's wall-clock time as the snapshots hold it (naive UTC)."""
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC).replace(tzinfo=None)


def ctx(lesson: datetime, handbook: datetime, zone: str = SHANGHAI, days: int = 2) -> TransitionContext:
    """An observation whose lesson and handbook are given by the wall clock of ``zone``."""
    start = utc(lesson, zone)
    act = ActivitySnapshot(1, "observation", "planned", start, start.replace(hour=(start.hour + 3) % 24),
                           Decimal("3"), 1, dict(DETAILS))
    return TransitionContext(act, [], [EvidenceSnapshot(1, "handbook", utc(handbook, zone))], {"handbook_days": days},
                             1, frozenset({"owner"}), start, timezone=zone)


# -- the observation handbook, in calendar days ------------------------------------------------


@pytest.mark.parametrize(("handbook", "lesson"), [
    (datetime(2026, 10, 12, 15, 0), datetime(2026, 10, 14, 14, 0)),  # Monday 15:00 for Wednesday 14:00: 47 hours
    (datetime(2026, 10, 12, 23, 30), datetime(2026, 10, 14, 8, 0)),  # Monday 23:30 for Wednesday 08:00: 32.5 hours
    (datetime(2026, 10, 12, 0, 5), datetime(2026, 10, 14, 23, 55)),  # the whole of Monday counts
])
def test_a_handbook_two_calendar_days_before_is_ready(handbook, lesson):
    assert handbook_ready(ctx(lesson, handbook)) == []


def test_a_handbook_on_the_day_before_is_refused_naming_the_last_day():
    # Tuesday 00:30 for Wednesday 23:00, 46.5 hours: in UTC Monday 16:30 and Wednesday 15:00, two
    # UTC dates apart — the school's dates are one apart
    [said] = handbook_ready(ctx(datetime(2026, 10, 14, 23, 0), datetime(2026, 10, 13, 0, 30)))
    assert said.zh == "观摩手册于 2026-10-13 上传，距观摩课不足 2 天（须在 2026-10-12 当天或更早）"
    assert said.en == ("the observation handbook was uploaded on 2026-10-13, less than 2 days before the lessons "
                       "(it must be on 2026-10-12 or earlier)")


def test_no_handbook_names_the_last_day():
    context = ctx(datetime(2026, 10, 14, 8, 0), datetime(2026, 10, 12, 9, 0))
    context.evidence.clear()
    [said] = handbook_ready(context)
    assert "2026-10-12 当天或更早" in said.zh and "on 2026-10-12 or earlier" in said.en


def test_the_days_are_the_school_zones():
    # the same two instants: Monday 23:30 and Wednesday 08:00 in Shanghai are Monday 11:30 and
    # Tuesday 20:00 in New York, one day apart there
    handbook, lesson = utc(datetime(2026, 10, 12, 23, 30), SHANGHAI), utc(datetime(2026, 10, 14, 8, 0), SHANGHAI)
    in_new_york = ctx(lesson.replace(tzinfo=UTC).astimezone(ZoneInfo(NEW_YORK)).replace(tzinfo=None),
                      handbook.replace(tzinfo=UTC).astimezone(ZoneInfo(NEW_YORK)).replace(tzinfo=None), NEW_YORK)
    assert (in_new_york.activity.starts_at, in_new_york.evidence[0].uploaded_at) == (lesson, handbook)
    assert in_new_york.local_date(handbook).isoformat() == "2026-10-12"
    assert in_new_york.local_date(lesson).isoformat() == "2026-10-13"
    assert "不足 2 天" in handbook_ready(in_new_york)[0].zh


def test_a_setting_of_more_days_counts_calendar_days_too():
    assert handbook_ready(ctx(datetime(2026, 10, 15, 8, 0), datetime(2026, 10, 12, 23, 0), days=3)) == []
    assert handbook_ready(ctx(datetime(2026, 10, 15, 8, 0), datetime(2026, 10, 13, 0, 0), days=3))


def test_the_contract_door():
    """``TransitionContext.timezone`` defaults to the portal's zone; ``local_date`` reads by it."""
    assert tuple(map(int, CONTRACT_VERSION.split("."))) >= (1, 15)
    bare = TransitionContext(ctx(datetime(2026, 10, 14, 8, 0), datetime(2026, 10, 12, 9, 0)).activity, [], [], {}, 1,
                             frozenset(), datetime(2026, 10, 14))
    assert bare.timezone == timeutil.DEFAULT_ZONE == SHANGHAI
    assert bare.local_date(datetime(2026, 10, 12, 16, 30)).isoformat() == "2026-10-13"  # 00:30 in Shanghai
    assert bare.local_time(datetime(2026, 10, 12, 16, 30)) == datetime(2026, 10, 13, 0, 30)


@pytest.fixture
def world(app):
    s = f.school()
    return s, f.staff(s)


@pytest.mark.parametrize("zone", [SHANGHAI, NEW_YORK])
def test_holding_reads_the_schools_days(world, zone):
    """Through the service: Monday 23:30 for Wednesday 08:00 by the school's clock is held — in a
    school in New York too, whose days a Shanghai reading would get wrong (Tuesday 11:30 and
    Wednesday 20:00 there, one day apart)."""
    s, p = world
    with write_transaction():
        s.timezone = zone
    act = f.plan(s, p["organizer"], "observation", [(p["t1"], "lesson_teacher"), (p["t2"], "observer")], DETAILS,
                 start=datetime(2026, 10, 14, 8, 0))
    assert act.starts_at == utc(datetime(2026, 10, 14, 8, 0), zone)
    ev = activities.add_evidence(act, p["organizer"], p["organizer"].id, "handbook", "手册", filename="手册.pdf",
                                 data=b"%PDF-1.4 handbook")
    f.attend(act, p["organizer"])
    with write_transaction():
        ev.uploaded_at = utc(datetime(2026, 10, 13, 0, 30), zone)  # Tuesday: too late
    with pytest.raises(GuardFailedError, match="不足 2 天"):
        f.fire(act, p["organizer"], "hold")
    with write_transaction():
        ev.uploaded_at = utc(datetime(2026, 10, 12, 23, 30), zone)
    assert f.fire(act, p["organizer"], "hold").state == "held"


# -- the mentorship's term is its dates' semester ---------------------------------------------


def test_the_mentorship_form_asks_no_term():
    assert "term" not in {field.name for field in MentorshipForm()}


def test_a_pairing_in_semester_two_is_filed_in_semester_two(world):
    s, p = world
    act = f.plan(s, p["organizer"], "mentorship", [(p["t1"], "mentor"), (p["t2"], "mentee")], {"subject": "数学"},
                 hours="20", start=datetime(2027, 3, 8, 14, 0))
    assert (act.school_year, act.semester, act.details) == ("2026-2027", 2, {"subject": "数学"})


def test_a_term_given_is_refused_and_nothing_planned(world):
    """A client still sending a term (one that contradicts the dates: semester 1 for March) is
    refused with the field named, and no activity is made."""
    s, p = world
    before = db.session.scalar(select(func.count(Activity.id)))
    with pytest.raises(Invalid) as refused:
        f.plan(s, p["organizer"], "mentorship", [(p["t1"], "mentor"), (p["t2"], "mentee")],
               {"term": "1", "subject": "数学"}, hours="20", start=datetime(2027, 3, 8, 14, 0))
    [why] = refused.value.fields["details"]["term"]
    assert why.code == "details.unknown_field" and (why.render("zh_CN"), why.english) == ("未知字段", "unknown field")
    assert db.session.scalar(select(func.count(Activity.id))) == before
