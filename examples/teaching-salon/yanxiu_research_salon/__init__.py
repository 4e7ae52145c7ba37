"""教研沙龙 Teaching-research salon: an out-of-tree activity type of the Yanxiu portal (contract 1.23).

A host chairs, speakers give short talks, listeners take part. Every speaker hands in a talk outline
before the salon (the organiser then closes the outlines: a state of this type's own, phase *open*);
the host hands in the salon's minutes, one record of the activity; every listener a reflection
after it. A speaker's hours count double (a setting) up to a cap (a setting); the host's count
one and a half times. Written only from docs/plugins.md, ``portal.hookspecs`` and the facade.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import render_template
from markupsafe import Markup
from wtforms import Form, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.activity_types import (
    ActivityType,
    EvidenceKind,
    PlanFacts,
    Role,
    SampleEvidence,
    SampleProfile,
    Setting,
    Text,
    floor_half,
)
from portal.hookspecs import CONTRACT_VERSION, hookimpl
from workflows import (
    ActivitySnapshot,
    ParticipantSnapshot,
    Phase,
    State,
    Transition,
    TransitionContext,
    WorkflowExtension,
)

# 1.18: EvidenceKind.of_the_activity; 1.20: a validator's message=Text(…) (NumberRange formats it);
# 1.21: floor_half, the core's rounding down to the half hour; 1.23: Setting(hours=True).
NEEDS = (1, 23)
if CONTRACT_VERSION.split(".")[0] != "1" or tuple(map(int, CONTRACT_VERSION.split("."))) < NEEDS:
    raise ImportError(f"yanxiu-research-salon needs plugin contract 1.23 or a later 1.x; the portal has {CONTRACT_VERSION}")

HERE = Path(__file__).resolve().parent

KEY = "research_salon"


class ResearchSalonForm(Form):
    """The salon's own fields; the planning page and ``POST /api/v1/activities`` validate with it."""

    topic = StringField(Text("沙龙主题", "Salon topic"), validators=[DataRequired(), Length(max=200)])
    venue = SelectField(
        Text("形式", "Format"),
        choices=[SelectChoice("onsite", Text("线下", "On site")), SelectChoice("online", Text("线上", "Online"))],
        default="onsite",
    )
    speakers_planned = IntegerField(
        Text("计划主讲人数", "Speakers planned"),
        validators=[
            InputRequired(message=Text("请填写计划主讲人数", "Enter how many speakers are planned")),
            NumberRange(1, 8, message=Text("主讲人数须在1至8之间", "from 1 to 8 speakers")),
        ],
    )


EVIDENCE_KINDS = {
    # A written piece handed in before the salon: not after_start.
    "talk_outline": EvidenceKind("发言提纲", "Talk outline"),
    # One record of the salon, whoever of its people hands it in (contract 1.18), once it has begun.
    "salon_minutes": EvidenceKind("沙龙纪要", "Salon minutes", after_start=True, of_the_activity=True),
}


def outlines_in(ctx: TransitionContext) -> list[Text]:
    """``close_outlines`` guard: at least one speaker, and every speaker's outline handed in, long
    enough (the school's ``outline_min_chars``)."""
    speakers = ctx.participants_with_role("speaker")
    if not speakers:
        return [Text("至少需要一位主讲人", "at least one speaker is required")]
    need = int(ctx.settings["outline_min_chars"])
    out: list[Text] = []
    for p in speakers:
        longest = max((e.char_count for e in ctx.evidence_of(p.user_id, "talk_outline")), default=None)
        who = p.name or str(p.user_id)
        if longest is None:
            out.append(Text(f"{who}：尚未提交发言提纲", f"{who}: no talk outline yet"))
        elif longest < need:
            out.append(Text(f"{who}：发言提纲 {longest}/{need} 字", f"{who}: talk outline {longest} of {need} characters"))
    return out


def has_a_host(ctx: TransitionContext) -> list[Text]:
    """``hold`` guard: a salon is chaired."""
    return [] if ctx.participants_with_role("host") else [Text("需要一位主持人", "a host is required")]


class ResearchSalon(ActivityType):
    key = KEY
    name_zh, name_en = "教研沙龙", "Teaching-research salon"
    description_zh = "主持人主持，主讲人围绕主题发言（会前提交发言提纲），听众参与研讨（会后提交反思）。"
    description_en = (
        "A host chairs, speakers give short talks on the topic (outlines handed in before), "
        "listeners join the discussion (a reflection after)."
    )
    roles = {
        "listener": Role("听众", "Listener"),
        "speaker": Role("主讲人", "Speaker"),
        "host": Role("主持人", "Host"),
    }
    form = ResearchSalonForm
    evidence_kinds = EVIDENCE_KINDS
    required_evidence = {
        "listener": {"reflection": 1},
        "speaker": {"talk_outline": 1},
        "host": {"salon_minutes": 1},
    }
    declared_settings = {
        "speaker_multiplier": Setting(2, 1, 4, Text("主讲人学时倍数", "Speaker hours multiplier")),
        # a number of hours (contract 1.23): half hours only, checked by the core's one validator
        "speaker_cap": Setting(4, 0.5, 20, Text("主讲人每次最多认定学时", "Most hours a speaker is credited per salon"),
                               hours=True),
        "host_multiplier": Setting(1.5, 1, 3, Text("主持人学时倍数", "Host hours multiplier")),
        "outline_min_chars": Setting(
            100, 0, 5000, Text("发言提纲最少字数", "Fewest characters of a talk outline"), integer=True
        ),
    }
    # credit_hours below reads only role and hours (contract 1.14).
    credit_by_role_and_hours = True

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension(
            states=(State("outlines_in", "提纲已收齐", "Outlines in", phase=Phase.OPEN),),
            transitions=(
                Transition(
                    "close_outlines", ("planned",), "outlines_in", frozenset({"owner"}), "收齐发言提纲", "Close the outlines"
                ),
                Transition("hold", ("outlines_in",), "held", frozenset({"owner", "school_admin"}), "标记为已举行", "Mark held"),
            ),
            guards={"close_outlines": (outlines_in,), "hold": (has_a_host,)},
        )

    def credit_hours(
        self, participant: ParticipantSnapshot, activity: ActivitySnapshot, settings: dict[str, Any]
    ) -> Decimal:
        hours = super().credit_hours(participant, activity, settings)  # attended × <role>_multiplier, half hours
        if participant.role == "speaker":
            return min(hours, floor_half(Decimal(str(settings["speaker_cap"]))))
        return hours

    def check_plan(self, plan: PlanFacts, settings: dict[str, Any]) -> dict[str, Any]:
        if plan.hours > 4:
            return {"hours": Text("一次教研沙龙至多4学时", "a salon lasts at most 4 hours")}
        return {}

    def sample_details(self) -> dict[str, Any]:
        return {"topic": "“双减”背景下的作业设计", "venue": "onsite", "speakers_planned": 2}

    def sample_roles(self) -> list[str]:
        return ["host", "speaker", "speaker", "listener", "listener"]

    def sample_evidence(self) -> list[SampleEvidence]:
        return [SampleEvidence("talk_outline", "close_outlines", role="speaker", days_before_start=2)]

    def sample_profile(self) -> SampleProfile:
        return SampleProfile(per_100_teachers=4, group=(0.15, 0.4), hours=(1.5, 3))

    def page_fragment(self, ctx: TransitionContext, locale: str | None) -> str | None:
        rows = []
        for p in ctx.participants_with_role("speaker"):
            chars = max((e.char_count for e in ctx.evidence_of(p.user_id, "talk_outline")), default=None)
            rows.append((p.name or str(p.user_id), chars))
        heading = Text("主讲人发言提纲", "Speakers' talk outlines")
        none = Text("未提交", "not handed in")
        unit = Text("字", "characters")
        return Markup(
            render_template(
                f"{KEY}/fragment.html", heading=heading, rows=rows, none=none, unit=unit, sep=Text("：", ": "),
                need=ctx.settings.get("outline_min_chars"),
            )
        )


@hookimpl
def portal_activity_types() -> list[ActivityType]:
    return [ResearchSalon()]


@hookimpl
def portal_template_dirs() -> list[str]:
    return [str(HERE / "templates")]
