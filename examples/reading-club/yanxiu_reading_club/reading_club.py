"""The 读书会 activity type: form, roles, settings, guard, credit rule and page fragment."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from flask import has_request_context, render_template
from flask_babel import gettext
from markupsafe import Markup
from wtforms import Form, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.activity_types import ActivityType, Role, Setting, Text
from workflows import ActivitySnapshot, ParticipantSnapshot, TransitionContext, WorkflowExtension

NOTES_KIND = "reading_notes"
DEFAULT_CHARS_PER_YEAR = 10_000  # seeds: 读书笔记每年一万字



class ReadingClubForm(Form):
    """The type's own fields (``Activity.details``), used by the web page and the API alike."""

    book_title = StringField(Text("共读书目", "Book"), validators=[DataRequired(), Length(max=200)])
    author = StringField(Text("作者", "Author"), validators=[Optional(), Length(max=100)])
    reading_plan = TextAreaField(Text("阅读计划", "Reading plan"), validators=[Optional(), Length(max=2000)])


def _(msgid: str, **values: Any) -> str:
    """Translated in a request (the viewer's language); plain English elsewhere (CLI, tests)."""
    return gettext(msgid, **values) if has_request_context() else msgid % values


def chars_by_member(ctx: TransitionContext) -> dict[int, int]:
    """Typed notes (``reading_notes`` evidence) plus handwritten notes from the plugin's table,
    which the portal put in ``ctx.data`` (hook ``portal_transition_data``): no database here."""
    totals = {p.user_id: 0 for p in ctx.participants}
    for e in ctx.evidence:
        if e.kind == NOTES_KIND and e.user_id in totals:
            totals[e.user_id] += e.char_count
    logged: Mapping[int, int] = ctx.data.get("logged_chars", {})
    for uid, chars in logged.items():
        if uid in totals:
            totals[uid] += chars
    return totals


def floor_half_hour(hours: Decimal) -> Decimal:
    return (hours * 2).to_integral_value(rounding=ROUND_FLOOR) / 2


class ReadingClub(ActivityType):
    key = "reading_club"
    name_zh = "读书会"
    name_en = "Reading club"
    description_zh = "教师共读一本书，撰写读书笔记；每位成员每学年读书笔记不少于一万字。"
    description_en = "Teachers read a book together and keep reading notes: 10,000 characters a year each."
    roles = {"member": Role("成员", "Member"), "leader": Role("领读人", "Reading leader")}
    form = ReadingClubForm
    declared_settings = {
        "chars_per_year": Setting(
            DEFAULT_CHARS_PER_YEAR, 0, 100_000, Text("每学年读书笔记字数", "Reading-note characters per year"), integer=True
        ),
        # a book's reading counts beside the meeting, not instead of a year of training: the core
        # refuses any answer above ten times the meeting's hours anyway (docs/plugins.md, §2)
        # a number of hours (contract 1.23): half hours only, as every number of hours in the portal
        "reading_hours": Setting(2, 0, 10, Text("读书另计学时", "Extra hours for the reading"), hours=True),
        "leader_multiplier": Setting(2, 0, 10, Text("领读人学时倍数", "Leader hours multiplier")),
    }

    # -- guard ----------------------------------------------------------------------------
    def notes_complete(self, ctx: TransitionContext) -> list[str]:
        """``hold`` guard: every participant has written the school's yearly characters."""
        need = int(ctx.settings.get("chars_per_year", DEFAULT_CHARS_PER_YEAR))
        totals = chars_by_member(ctx)
        missing = []
        for p in ctx.participants:
            have = totals.get(p.user_id, 0)
            if have < need:
                who = p.name or f"user {p.user_id}"
                missing.append(
                    _("%(who)s: reading notes %(have)s of %(need)s characters", who=who, have=have, need=need)
                )
        return missing

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension(guards={"hold": (self.notes_complete,)})

    # -- credit rule ----------------------------------------------------------------------
    #: the rule below reads a member's role and attended hours (and the settings), never who they
    #: are: the portal asks it once per role and hours of a club, not once per member (1.14)
    credit_by_role_and_hours = True

    def credit_hours(
        self, participant: ParticipantSnapshot, activity: ActivitySnapshot, settings: dict[str, Any]
    ) -> Decimal:
        """Attended hours × the role's multiplier, plus ``reading_hours`` for the reading itself
        (anyone who attended: the guard made sure their notes are written), to a half hour."""
        attended = participant.attended_hours or Decimal("0")
        if attended <= 0:
            return Decimal("0")
        multiplier = Decimal(str(settings.get(f"{participant.role}_multiplier", 1)))
        reading = Decimal(str(settings.get("reading_hours", 2)))
        return floor_half_hour(attended * multiplier + reading)

    # -- page -----------------------------------------------------------------------------
    def page_fragment(self, ctx: TransitionContext, locale: str | None) -> str | None:
        need = int(ctx.settings.get("chars_per_year", DEFAULT_CHARS_PER_YEAR))
        totals = chars_by_member(ctx)
        handwritten = ctx.data.get("notes", {})
        rows = [
            {
                "name": p.name or f"#{p.user_id}",
                "role": self.role_label(p.role, locale),
                "have": totals.get(p.user_id, 0),
                "percent": min(100, totals.get(p.user_id, 0) * 100 // need) if need else 100,
                "done": totals.get(p.user_id, 0) >= need,
                "notes": handwritten.get(p.user_id, []),
            }
            for p in ctx.participants
        ]
        return Markup(render_template("reading_club/progress.html", rows=rows, need=need))
