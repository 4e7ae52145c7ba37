"""师徒结对 Mentorship: a mentor and a mentee paired for a term — the semester the pairing's dates
fall in, which the core files every activity under and shows (a plan may not run into the next
semester), so the form asks no term of its own that could say another. Weekly mutual lesson
observation and a monthly discussion are logged as meeting records; the pairing can be
marked held once its term is over (``hold`` waits for the activity's end,
``WorkflowExtension.waits_for_end``: a school marks a pairing 已举行 when the term's meetings have
taken place, not on its first day with logs of meetings still ahead) and they are logged
(:func:`meetings_needed`: one a whole week and one a whole month of the pairing, at least
``min_meetings``); before review each mentee writes ``articles_per_term`` articles and the mentor
``mentor_articles_per_term`` (seed 001: "要求师徒教师…每学期撰写、修改两篇教育文章" — the pair, 师徒教师,
both write; a school that reads it as the mentee's alone sets the mentor's to 0), the term's
articles, written while the pair works together: taken once the pairing has begun (``after_start``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from wtforms import Form, StringField
from wtforms.validators import DataRequired, Length

from portal.activity_types import (
    ActivityType,
    EvidenceKind,
    Role,
    SampleEvidence,
    SampleProfile,
    Setting,
    Text,
)
from portal.hookspecs import hookimpl
from workflows import TransitionContext, WorkflowExtension


class MentorshipForm(Form):
    subject = StringField(Text("学科", "Subject"), validators=[DataRequired(), Length(max=50)])


def pair_complete(ctx: TransitionContext) -> list[Text]:
    roles = [p.role for p in ctx.participants]
    out: list[Text] = []
    if "mentor" not in roles:
        out.append(Text("须有一位师傅", "a mentor is required"))
    if "mentee" not in roles:
        out.append(Text("须有一位徒弟", "a mentee is required"))
    return out


def whole_weeks_and_months(start: datetime, end: datetime) -> tuple[int, int]:
    """The whole weeks and whole calendar months from ``start`` to ``end`` (a day of a month
    to the same day of the next is one month; 31 January to 28 February is none), both in the
    school's local time."""
    months = (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
    return max((end - start).days // 7, 0), max(months, 0)


def meetings_needed(start: datetime, end: datetime, settings: dict[str, Any]) -> int:
    """The meeting logs a pairing from ``start`` to ``end`` needs before it is held: seed 001's
    rhythm, "每周互听、互评一堂课，每月进行一次专业探讨" — ``logs_per_week`` for each whole week
    and ``logs_per_month`` for each whole month of the pairing — and never fewer than
    ``min_meetings``."""
    weeks, months = whole_weeks_and_months(start, end)
    rhythm = weeks * int(settings.get("logs_per_week", 1)) + months * int(settings.get("logs_per_month", 1))
    return max(int(settings.get("min_meetings", 4)), rhythm)


def meetings_logged(ctx: TransitionContext) -> list[Text]:
    # on the school's calendar: a month is from a day to the same day of the next as its
    # teachers read them, not as the stored UTC times fall (1 October, 00:00 in Beijing is
    # 30 September in UTC, and 1 to 30 October would be "a whole month")
    need = meetings_needed(ctx.local_time(ctx.activity.starts_at), ctx.local_time(ctx.activity.ends_at), ctx.settings)
    have = sum(1 for e in ctx.evidence if e.kind == "meeting_log")
    return [] if have >= need else [Text(f"活动记录：{have}/{need} 次", f"meetings logged: {have}/{need}")]


class Mentorship(ActivityType):
    key = "mentorship"
    name_zh = "师徒结对"
    name_en = "Mentorship"
    description_zh = "师徒结对一学期：每周互相听课，每月研讨一次，每学期两篇文章。"
    description_en = "A mentor and mentee for a term: weekly mutual observation, a monthly discussion, two articles."
    roles = {"mentee": Role("徒弟", "Mentee"), "mentor": Role("师傅", "Mentor")}
    form = MentorshipForm
    evidence_kinds = {
        "meeting_log": EvidenceKind("活动记录", "Meeting log", after_start=True, of_the_activity=True),  # of meetings held
        "article": EvidenceKind("文章", "Article", after_start=True),  # the term's: written within it
    }
    declared_settings = {
        "min_meetings": Setting(4, 0, 100, Text("至少活动记录次数", "Minimum meetings logged"), integer=True),
        "logs_per_week": Setting(
            1, 0, 7, Text("结对期间每满一周须有的互听互评记录次数", "Mutual observation logs per whole week of the pairing"),
            integer=True,
        ),
        "logs_per_month": Setting(
            1, 0, 10, Text("结对期间每满一月须有的专业研讨记录次数", "Discussion logs per whole month of the pairing"),
            integer=True,
        ),
        "articles_per_term": Setting(2, 0, 20, Text("徒弟每学期文章篇数", "Articles per mentee per term"), integer=True),
        "mentor_articles_per_term": Setting(
            2, 0, 20, Text("师傅每学期文章篇数", "Articles per mentor per term"), integer=True
        ),
        "mentor_multiplier": Setting(1, 0, 10, Text("师傅学时倍数", "Mentor hours multiplier")),
    }

    def required_evidence_for(self, role: str, settings: dict[str, Any]) -> dict[str, int]:
        key = {"mentee": "articles_per_term", "mentor": "mentor_articles_per_term"}.get(role)
        if key is None:
            return {}
        n = int(settings.get(key, 2))
        return {"article": n} if n else {}

    def workflow(self) -> WorkflowExtension:
        # "每周互听、互评一堂课，每月进行一次专业探讨" are the meetings of the whole term: before its
        # end some have not taken place, so the pairing is held once it is over (the core lets
        # ``hold`` fire from the start: a lecture is held once it has begun)
        return WorkflowExtension(guards={"hold": (pair_complete, meetings_logged)}, waits_for_end={"hold"})

    def sample_profile(self) -> SampleProfile:
        return SampleProfile(25, (0.01, 0.01), (10, 16), min_group=1, max_group=1)  # volumes from the seeds' plans

    def sample_details(self) -> dict[str, str]:
        return {"subject": "数学"}

    def sample_evidence(self) -> list[SampleEvidence]:
        return [SampleEvidence("meeting_log", "hold", role="mentee", count=4, first_only=True)]


@hookimpl
def portal_activity_types():
    return [Mentorship()]
