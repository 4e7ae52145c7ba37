"""专题讲座 Lecture: a speaker and attendees. An attendee is credited the hours attended, a
speaker twice that (school setting ``speaker_multiplier``). No evidence is required unless
the school asks attendees for a reflection (setting ``attendee_reflection``)."""

from __future__ import annotations

from typing import Any

from wtforms import Form, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.activity_types import ActivityType, Role, SampleProfile, Setting, Text
from portal.hookspecs import hookimpl


class LectureForm(Form):
    topic = StringField(Text("讲座主题", "Topic"), validators=[DataRequired(), Length(max=200)])
    speaker_name = StringField(Text("主讲人（校外专家可填）", "Speaker (if external)"), validators=[Optional(), Length(max=100)])


class Lecture(ActivityType):
    key = "lecture"
    name_zh = "专题讲座"
    name_en = "Lecture"
    description_zh = "专家或骨干教师主讲，全体教师参加。"
    description_en = "A talk by an expert or a leading teacher for the staff."
    roles = {"attendee": Role("听讲教师", "Attendee"), "speaker": Role("主讲人", "Speaker")}
    form = LectureForm
    declared_settings = {
        "speaker_multiplier": Setting(2, 0, 10, Text("主讲人学时倍数", "Speaker hours multiplier")),
        "attendee_reflection": Setting(False, label=Text("听讲教师须交反思", "Attendees must write a reflection")),
    }

    def sample_profile(self) -> SampleProfile:
        return SampleProfile(16, (0.3, 0.6), (2, 3), min_group=8, max_group=80)  # volumes from the seeds' plans

    def sample_details(self) -> dict[str, Any]:
        return {"topic": "新课标下的单元整体教学", "speaker_name": ""}

    def required_evidence_for(self, role: str, settings: dict[str, Any]) -> dict[str, int]:
        if role == "attendee" and settings.get("attendee_reflection"):
            return {"reflection": 1}
        return {}


@hookimpl
def portal_activity_types():
    return [Lecture()]
