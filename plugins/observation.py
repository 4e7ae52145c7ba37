"""教学观摩 / 听课评课 Observation lesson, the three-stage protocol (三段式研讨):

1. before: the handbook (观摩手册) is ready at least ``handbook_days`` (2) calendar days before, by
   the school's clock (:func:`handbook_ready`);
2. on the day, "2+1+1": two lessons, one topic report, one focused discussion;
3. afterwards: every observer writes an evaluation (评课稿) before review.
"""

from __future__ import annotations

from datetime import timedelta

from wtforms import Form, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

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


class ObservationForm(Form):
    subject = StringField(Text("学科", "Subject"), validators=[DataRequired(), Length(max=50)])
    lesson_1 = StringField(Text("观摩课一", "Lesson 1"), validators=[Optional(), Length(max=200)])
    lesson_2 = StringField(Text("观摩课二", "Lesson 2"), validators=[Optional(), Length(max=200)])
    topic_report = StringField(Text("专题报告", "Topic report"), validators=[Optional(), Length(max=200)])
    discussion_focus = TextAreaField(Text("研讨重点", "Discussion focus"), validators=[Optional(), Length(max=1000)])


def handbook_ready(ctx: TransitionContext) -> list[Text]:
    """Seed 003's "至少提前2天编印好研讨手册" as a teacher reads it: in calendar days of the
    school's clock, not hours — the handbook is ready if it was uploaded on or before the local
    date ``handbook_days`` days before the lesson's local date (Monday, any hour, for a lesson on
    Wednesday, any hour; 0: on the lesson's day)."""
    days = int(ctx.settings.get("handbook_days", 2))
    deadline = ctx.local_date(ctx.activity.starts_at) - timedelta(days=days)
    handbooks = [e for e in ctx.evidence if e.kind == "handbook"]
    if not handbooks:
        return [Text(f"须在观摩课前至少 {days} 天（{deadline.isoformat()} 当天或更早）上传观摩手册",
                     f"the observation handbook must be uploaded at least {days} days before the lessons "
                     f"(on {deadline.isoformat()} or earlier)")]
    uploaded = ctx.local_date(min(e.uploaded_at for e in handbooks))
    if uploaded > deadline:
        return [Text(f"观摩手册于 {uploaded.isoformat()} 上传，距观摩课不足 {days} 天（须在 {deadline.isoformat()} 当天或更早）",
                     f"the observation handbook was uploaded on {uploaded.isoformat()}, less than {days} days before "
                     f"the lessons (it must be on {deadline.isoformat()} or earlier)")]
    return []


def two_plus_one_plus_one(ctx: TransitionContext) -> list[Text]:
    d = ctx.activity.details
    fields = ObservationForm()
    missing = [name for name in ("lesson_1", "lesson_2", "topic_report", "discussion_focus") if not d.get(name)]
    if not missing:
        return []
    zh = "、".join(fields[n].label.text.zh for n in missing)
    en = ", ".join(fields[n].label.text.en for n in missing)
    return [Text(f"“2+1+1”活动未填写完整：{zh}（{', '.join(missing)}）",
                 f"the 2+1+1 day is incomplete: {en} ({', '.join(missing)})")]


class Observation(ActivityType):
    key = "observation"
    name_zh = "教学观摩"
    name_en = "Observation lesson"
    description_zh = "三段式研讨：提前两天备好观摩手册；当天“2+1+1”；会后每位听课教师写评课稿。"
    description_en = "Three-stage protocol: handbook 2 days ahead; the 2+1+1 day; an evaluation from every observer."
    roles = {
        "observer": Role("听课教师", "Observer"),
        "lesson_teacher": Role("执教教师", "Lesson teacher"),
        "speaker": Role("专题报告人", "Topic speaker"),
    }
    form = ObservationForm
    evidence_kinds = {"handbook": EvidenceKind("观摩手册", "Observation handbook", written=False)}
    required_evidence = {"observer": {"evaluation": 1}}
    declared_settings = {
        "handbook_days": Setting(2, 0, 60, Text("观摩手册提前天数", "Handbook ready, days before"), integer=True),
        "lesson_teacher_multiplier": Setting(2, 0, 10, Text("执教教师学时倍数", "Lesson teacher hours multiplier")),
        "speaker_multiplier": Setting(2, 0, 10, Text("专题报告人学时倍数", "Topic speaker hours multiplier")),
    }

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension(guards={"hold": (handbook_ready, two_plus_one_plus_one)})

    def sample_profile(self) -> SampleProfile:
        return SampleProfile(50, (0.08, 0.15), (3, 4), min_group=4, max_group=20)  # volumes from the seeds' plans

    def sample_details(self) -> dict[str, str]:
        return {
            "subject": "语文",
            "lesson_1": "《秋天的雨》",
            "lesson_2": "《富饶的西沙群岛》",
            "topic_report": "低年级阅读教学的策略",
            "discussion_focus": "如何在课堂上落实语言运用",
        }

    def sample_evidence(self) -> list[SampleEvidence]:
        return [SampleEvidence("handbook", "hold", days_before_start=5)]


@hookimpl
def portal_activity_types():
    return [Observation()]
