"""The school's rules, declared like an activity type's settings (:class:`Setting`): default
(``DEFAULT_SCHOOL_RULES``, from the seeds), range and label. The admin's rules page, the
service that saves them and the assessment facts all read these declarations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.activity_types import UNREAD, Setting, Text
from portal.hours import MAX_HOURS
from portal.models.school import DEFAULT_SCHOOL_RULES

if TYPE_CHECKING:
    from portal.models import School

D = DEFAULT_SCHOOL_RULES
#: The most hours a rule counted in hours goes to: the most of any number of hours in the portal.
MOST = float(MAX_HOURS)

#: Rules of notifications and check-in: the rules page sets them out on their own.
REACH_RULES = ("quiet_hours_start", "quiet_hours_end", "checkin_opens_minutes", "checkin_closes_minutes")

SCHOOL_RULES: dict[str, Setting] = {
    # rules counted in hours are declared so (``hours=True``): half hours within 0..999.5, checked
    # by the one validator of settings, the activity types' as the school's and the district's
    "required_hours": Setting(
        D["required_hours"], 0, MOST, Text("每学年应修学时", "Required hours per school year"), hours=True
    ),
    "absence_limit_hours": Setting(
        D["absence_limit_hours"],
        0,
        MOST,
        Text(
            "每学期未请假缺席达到多少学时即全年不予认定",
            "Unexcused absence (hours per semester) at which the year is not recognised",
        ),
        hours=True,
    ),
    "absence_warning_hours": Setting(
        D["absence_warning_hours"],
        0,
        MOST,
        Text(
            "学期未请假缺席达到此学时即提醒",
            "Unexcused absence (hours per semester) at which the teacher is warned",
        ),
        hours=True,
    ),
    "quiet_hours_start": Setting(
        D["quiet_hours_start"], 0, 23,
        Text("免打扰开始时间（0–23 时）：此后不发邮件", "Quiet hours start (hour, 0–23): no email from then"),
        integer=True,
    ),
    "quiet_hours_end": Setting(
        D["quiet_hours_end"], 0, 23, Text("免打扰结束时间（0–23 时）", "Quiet hours end (hour, 0–23)"), integer=True
    ),
    "checkin_opens_minutes": Setting(
        D["checkin_opens_minutes"], 0, 24 * 60,
        Text("扫码签到开始（开始前多少分钟）", "QR check-in opens (minutes before the start)"), integer=True,
    ),
    "checkin_closes_minutes": Setting(
        D["checkin_closes_minutes"], 0, 24 * 60,
        Text("扫码签到截止（开始后多少分钟）", "QR check-in closes (minutes after the start)"), integer=True,
    ),
    "reading_notes_chars": Setting(
        D["reading_notes_chars"],
        0,
        1_000_000,
        Text("每学年读书笔记字数", "Reading notes per school year (characters)"),
        integer=True,
    ),
    "reading_note_chars": Setting(
        D["reading_note_chars"],
        0,
        5_000,
        Text(
            "每篇读书笔记最少字数（不足者不计入读书笔记字数和读书本数；0 为不限）",
            "Least characters of one reading note (a shorter note counts towards neither the characters nor the "
            "books read; 0: no least)",
        ),
        integer=True,
    ),
    "reading_notes_per_month": Setting(
        D["reading_notes_per_month"],
        0,
        10,
        Text(
            "每月读书笔记篇数（每个已结束的教学月；暑假及入职前的月份不计；0 为不限）",
            "Reading notes each month (each whole month of teaching that is over; not the summer holiday nor "
            "months before joining; 0: none asked)",
        ),
        integer=True,
    ),
    "paper_chars": Setting(
        D["paper_chars"],
        0,
        100_000,
        Text("论文或教学心得最少字数", "Least characters of a paper or teaching essay"),
        integer=True,
    ),
    "papers_per_year": Setting(
        D["papers_per_year"],
        0,
        20,
        Text("每学年论文或教学心得篇数", "Papers or teaching essays per school year"),
        integer=True,
    ),
    "reflections_per_semester": Setting(
        D["reflections_per_semester"],
        0,
        100,
        Text("每学期教学反思篇数", "Teaching reflections per semester"),
        integer=True,
    ),
    "books_per_semester": Setting(
        D["books_per_semester"], 0, 20, Text("每学期读书本数", "Books read per semester"), integer=True
    ),
    "quotas_decide": Setting(
        D["quotas_decide"],
        label=Text("未完成写作任务的学年评为“未达标”", "An unmet writing quota makes the year short"),
    ),
}


#: Rules counted in hours (declared ``hours=True``): half-hour steps, like every number of hours.
HOUR_RULES = tuple(key for key, spec in SCHOOL_RULES.items() if spec.hours)

#: The writing quotas: every rule neither of hours nor of reach, in the order declared (the rules
#: page lists them from here, so a rule declared later is on the page without a template edit).
QUOTA_RULES = tuple(key for key in SCHOOL_RULES if key not in HOUR_RULES + REACH_RULES)


def read_stored(key: str, stored: Any) -> Any:
    """A school's stored hours rule as every rule reads it (:meth:`Setting.read`, as the types'
    settings are read): itself when the declaration takes it; off the half-hour grid, down to the
    half hour; outside the declared range (``required_hours: 1000``, saved before 0–999.5 was
    asked) or no number, None — the district's setting or the default is read instead. Other
    rules as stored."""
    if stored is None or key not in HOUR_RULES:
        return stored
    read = SCHOOL_RULES[key].read(stored)
    return None if read is UNREAD else read


def rules_read_otherwise(school: School) -> dict[str, tuple[Any, Any]]:
    """The school's hours rules read otherwise than stored, by key: (stored, read) — what the
    rules page tells beside the field until the next save stores what is read."""
    own = school.rules or {}
    return {key: (own[key], school.rule(key)) for key in HOUR_RULES
            if own.get(key) is not None and read_stored(key, own[key]) != own[key]}
