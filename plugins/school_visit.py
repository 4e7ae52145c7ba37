"""参观考察 School visit: an external visit; every participant brings back a written report,
and a report-back lesson (汇报课) is given before review."""

from __future__ import annotations

from wtforms import Form, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.activity_types import ActivityType, EvidenceKind, Role, SampleEvidence, SampleProfile, Text
from portal.hookspecs import hookimpl
from workflows import TransitionContext, WorkflowExtension


class SchoolVisitForm(Form):
    destination = StringField(Text("考察地点", "Destination"), validators=[DataRequired(), Length(max=200)])
    purpose = TextAreaField(Text("考察目的", "Purpose"), validators=[Optional(), Length(max=1000)])


def report_back_lesson(ctx: TransitionContext) -> list[Text]:
    if any(e.kind == "report_lesson" for e in ctx.evidence):
        return []
    return [Text("尚未记录汇报课", "the report-back lesson (汇报课) has not been recorded")]


class SchoolVisit(ActivityType):
    key = "school_visit"
    name_zh = "参观考察"
    name_en = "School visit"
    description_zh = "外出参观考察，回校后提交考察报告并上汇报课。"
    description_en = "An external visit; a written report and a report-back lesson afterwards."
    roles = {"participant": Role("考察教师", "Participant"), "leader": Role("带队教师", "Leader")}
    form = SchoolVisitForm
    evidence_kinds = {
        "visit_report": EvidenceKind("考察报告", "Visit report"),
        "report_lesson": EvidenceKind("汇报课记录", "Report-back lesson"),
    }
    required_evidence = {"participant": {"visit_report": 1}, "leader": {"visit_report": 1}}

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension(guards={"approve": (report_back_lesson,)})

    def sample_profile(self) -> SampleProfile:
        return SampleProfile(20, (0.03, 0.08), (6, 8), min_group=2, max_group=10)  # volumes from the seeds' plans

    def sample_details(self) -> dict[str, str]:
        return {"destination": "实验小学", "purpose": "学习课后服务经验"}

    def sample_evidence(self) -> list[SampleEvidence]:
        return [SampleEvidence("report_lesson", "approve", role="leader", first_only=True)]


@hookimpl
def portal_activity_types():
    return [SchoolVisit()]
