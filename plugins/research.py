"""课题研究 Research project: a leader and members; stage reports along the way, and a
final report before review; credited at conclusion (leader ×``leader_multiplier``)."""

from __future__ import annotations

from wtforms import Form, SelectChoice, SelectField, StringField
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

LEVELS = [
    SelectChoice("school", Text("校级", "School")),
    SelectChoice("district", Text("区级", "District")),
    SelectChoice("city", Text("市级", "City")),
    SelectChoice("province", Text("省级", "Province")),
]


class ResearchForm(Form):
    project_title = StringField(Text("课题名称", "Project title"), validators=[DataRequired(), Length(max=200)])
    level = SelectField(Text("课题级别", "Level"), choices=LEVELS, validators=[DataRequired()])


def has_leader(ctx: TransitionContext) -> list[Text]:
    return [] if ctx.participants_with_role("leader") else [Text("课题须有一位负责人", "the project needs a leader")]


class Research(ActivityType):
    key = "research"
    name_zh = "课题研究"
    name_en = "Research project"
    description_zh = "课题组开展研究，提交阶段报告和结题报告，结题后认定学时。"
    description_en = "A research project with stage reports and a final report; credited at conclusion."
    roles = {"member": Role("课题组成员", "Member"), "leader": Role("课题负责人", "Leader")}
    form = ResearchForm
    evidence_kinds = {
        "stage_report": EvidenceKind("阶段报告", "Stage report"),
        "final_report": EvidenceKind("结题报告", "Final report"),
    }
    # the leader's final report, required as every type requires evidence (the core's guard before
    # approval): so the review queue's card names a leader without it, and the reminders ask for it
    required_evidence = {"leader": {"final_report": 1}}
    declared_settings = {"leader_multiplier": Setting(1.5, 0, 10, Text("课题负责人学时倍数", "Leader hours multiplier"))}

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension(guards={"hold": (has_leader,)})

    def sample_profile(self) -> SampleProfile:
        return SampleProfile(10, (0.04, 0.08), (20, 30), min_group=3, max_group=10)  # volumes from the seeds' plans

    def sample_details(self) -> dict[str, str]:
        return {"project_title": "小学数学作业分层设计研究", "level": "district"}

    def sample_evidence(self) -> list[SampleEvidence]:
        return [SampleEvidence("final_report", "approve", role="leader")]


@hookimpl
def portal_activity_types():
    return [Research()]
