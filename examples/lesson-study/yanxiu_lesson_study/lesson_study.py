"""The type: two teachers teach the same lesson (同课异构), observers watch both; after the
lessons are held the owner records the group's reflection (``reflect``: held → reflected), and
only then may a reviewer approve."""

from __future__ import annotations

from flask import url_for
from markupsafe import Markup
from wtforms import Form, StringField
from wtforms.validators import DataRequired, Length

from portal.activity_types import ActivityType, Role, Setting, Text
from workflows import Phase, State, Transition, TransitionContext, WorkflowExtension


class LessonStudyForm(Form):
    lesson = StringField(Text("课题", "Lesson"), validators=[DataRequired(), Length(max=200)])


def both_lessons_taught(ctx: TransitionContext) -> list[Text]:
    """``hold`` needs a teacher A and a teacher B: the same lesson taught twice."""
    have = {p.role for p in ctx.participants}
    missing = [r for r in ("teacher_a", "teacher_b") if r not in have]
    if not missing:
        return []
    return [Text(f"同课异构需要两位执教教师，缺少：{'、'.join(LessonStudy.roles[r].label_zh for r in missing)}",
                 f"a lesson study needs two lesson teachers; missing: "
                 f"{', '.join(LessonStudy.roles[r].label_en for r in missing)}")]


class LessonStudy(ActivityType):
    key = "lesson_study"
    name_zh, name_en = "同课异构", "Lesson study"
    description_zh = "两位教师执教同一课题，听课教师观课记录；课后反思，再送审核。"
    description_en = "Two teachers teach the same lesson, observers take notes; the group reflects, then review."
    roles = {
        "observer": Role("观课教师", "Observer"),
        "teacher_a": Role("执教教师甲", "Teacher A"),
        "teacher_b": Role("执教教师乙", "Teacher B"),
    }
    form = LessonStudyForm
    declared_settings = {
        "teacher_a_multiplier": Setting(2, 0, 10, Text("执教教师甲学时倍数", "Teacher A hours multiplier")),
        "teacher_b_multiplier": Setting(2, 0, 10, Text("执教教师乙学时倍数", "Teacher B hours multiplier")),
    }

    def page_fragment(self, ctx: TransitionContext, locale: str | None) -> str | None:
        """On the activity page: the way to this plugin's own notes page."""
        if ctx.activity.id is None:
            return None
        label = "Observation notes" if (locale or "").startswith("en") else "观课笔记"
        url = url_for("x_lesson_study.notes.notes", activity_id=ctx.activity.id)
        return Markup('<p class="plugin-fragment" id="lesson-study-fragment">'
                      '<a href="{}" data-testid="lesson-study-notes-link">{}</a></p>').format(url, label)

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension(
            states=(State("reflected", "已反思", "Reflected", phase=Phase.AWAITING_REVIEW),),
            transitions=(
                Transition("reflect", ("held",), "reflected", frozenset({"owner"}), "完成反思", "Reflect"),
                Transition("approve", ("reflected",), "reviewed", frozenset({"reviewer"}), "审核通过", "Approve",
                           independent=True),
            ),
            guards={"hold": (both_lessons_taught,)},
        )
