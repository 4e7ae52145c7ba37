"""``flask demo`` (and the ``yanxiu_plan`` fixture) with a type that needs more than one person in
a leading role, and a trigger of its own that needs every participant's reflection before the
approval: a 同课异构 workshop. Its ``sample_roles`` say who takes part in which role; its
``sample_evidence`` may hand in, before its own trigger, a kind the core requires before
``approve`` (not handed in twice); and the demo's written pieces are each a piece of its own, so a
teacher's second reflection is not refused as the first again (``quotas.require_new_piece``)."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from wtforms import Form, StringField

from portal.activity_types import ActivityType, Role, SampleEvidence, Text
from portal.demo import DEMO_TEACHERS, demo_roles, demo_text, load_demo, session_tag
from portal.extensions import db
from portal.models import Activity, Evidence, Participation, User
from portal.registry import registry
from portal.services.quotas import _mostly_the_same
from portal.textcount import counted_text
from tests.plugins.test_request_time_failures import Plugin
from workflows import Phase, State, Transition, TransitionContext, WorkflowExtension


class _Form(Form):
    lesson = StringField(Text("课题", "Lesson"))


def two_lesson_teachers(ctx: TransitionContext) -> list[str]:
    n = len(ctx.participants_with_role("lesson_teacher"))
    return [] if n >= 2 else [f"执教教师 {n}/2"]


def everyone_reflected(ctx: TransitionContext) -> list[str]:
    return [f"{p.user_id} 未交反思" for p in ctx.participants
            if p.attended_hours and not ctx.evidence_of(p.user_id, "reflection")]


class Workshop(ActivityType):
    key = "demo_workshop"
    name_zh, name_en = "同课异构工作坊", "Same-lesson workshop"
    roles = {"observer": Role("观课教师", "Observer"), "lesson_teacher": Role("执教教师", "Lesson teacher")}
    form = _Form
    required_evidence = {"observer": {"reflection": 1}, "lesson_teacher": {"reflection": 1}}

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension(
            states=(State("reflected", "已反思", "Reflected", phase=Phase.AWAITING_REVIEW),),
            transitions=(
                Transition("reflect", ("held",), "reflected", frozenset({"owner"}), "反思收齐", "Reflections in"),
                Transition("approve", ("reflected",), "reviewed", frozenset({"reviewer"}), "审核通过", "Approve"),
            ),
            guards={"hold": (two_lesson_teachers,), "reflect": (everyone_reflected,)},
        )

    def sample_details(self):
        return {"lesson": "《背影》"}

    def sample_roles(self):
        return ["lesson_teacher", "lesson_teacher", "observer", "observer", "observer"]

    def sample_evidence(self):
        return [SampleEvidence("reflection", "reflect", role=r) for r in self.roles]


def _demo(make_app, type_: ActivityType, plugin: str = "yx_workshop"):
    app = make_app(EXTRA_PLUGINS=[(plugin, Plugin(type_))])
    with app.app_context():
        load_demo()
        states = Counter(db.session.execute(select(Activity.state).where(Activity.type_key == type_.key)).scalars())
        failures = [f.error for f in registry().plugins.failures if f.plugin == plugin]
        return app, states, failures


def test_a_type_with_two_lesson_teachers_and_its_own_reflection_step_gets_its_demo(make_app):
    app, states, failures = _demo(make_app, Workshop())
    assert failures == []
    # one in each phase, and one in its own state (its walk to `reviewed` only passes through it)
    assert states == {"planned": 1, "held": 1, "reflected": 1, "reviewed": 1, "credited": 1, "cancelled": 1}
    with app.app_context():
        credited = db.session.execute(select(Activity.id).where(Activity.type_key == "demo_workshop",
                                                                Activity.state == "credited")).scalar_one()
        roles = dict(db.session.execute(select(User.username, Participation.role).join(User, User.id == Participation.user_id)
                                        .where(Participation.activity_id == credited)).all())
        assert roles == dict(zip(DEMO_TEACHERS, Workshop().sample_roles(), strict=True))
        # one reflection each: given before `reflect`, not again before `approve`
        kinds = Counter(db.session.execute(select(Evidence.user_id, Evidence.kind)
                                           .where(Evidence.activity_id == credited)).all())
        assert set(kinds.values()) == {1} and len(kinds) == 5
        assert demo_roles("demo_workshop") == list(zip(DEMO_TEACHERS, Workshop().sample_roles(), strict=True))
        assert demo_roles("lecture") == [("teacher1", "speaker"), ("teacher2", "attendee"), ("teacher3", "attendee"),
                                         ("teacher4", "attendee")]  # a type that gives none: as before


def test_sample_roles_that_are_not_the_types_roles_are_reported_and_the_type_left_out(make_app):
    class Wrong(Workshop):
        key = "demo_wrong"

        def sample_roles(self):
            return ["lesson_teacher", "speaker"]

    _app, states, failures = _demo(make_app, Wrong(), "yx_wrong")
    assert sum(states.values()) == 0
    assert failures == ["sample_roles of activity type 'demo_wrong' raised TypeError: answered ['lesson_teacher', "
                        "'speaker'], not a list of 1 to 5 of the type's roles; the demo data went on without the type"]


def test_required_evidence_a_type_also_gives_before_approve_is_handed_in_once(make_app):
    """A type may list a kind it requires as its own sample evidence before ``approve`` too. The
    demo handed in the required piece and then the sample — the same title and text again,
    refused as the same piece — so the type got no demo past "held". As before its own trigger,
    the required top-up gives only what is still missing."""
    class Twice(Workshop):
        key = "demo_twice"

        def workflow(self) -> WorkflowExtension:
            return WorkflowExtension(guards={"hold": (two_lesson_teachers,)})

        def sample_evidence(self):
            return [SampleEvidence("reflection", "approve", role="observer")]

    app, states, failures = _demo(make_app, Twice(), "yx_twice")
    assert failures == []
    assert states == {"planned": 1, "held": 1, "reviewed": 1, "credited": 1, "cancelled": 1}
    with app.app_context():
        credited = db.session.execute(select(Activity.id).where(Activity.type_key == "demo_twice",
                                                                Activity.state == "credited")).scalar_one()
        kinds = Counter(db.session.execute(select(Evidence.user_id, Evidence.kind)
                                           .where(Evidence.activity_id == credited)).all())
        assert set(kinds.values()) == {1} and len(kinds) == 5  # one reflection each


def test_demo_pieces_are_pieces_of_their_own():
    titles = [f"《{name}：《荷塘月色》（{tag}）》" for name in ("同课异构工作坊", "读书会")
              for tag in map(session_tag, range(5))]
    texts = [counted_text(demo_text(t)) for t in titles]
    assert not [(a, b) for a in texts for b in texts if a is not b and _mostly_the_same(a, b)]
    assert demo_text(titles[0]) == demo_text(titles[0])  # the same demo every time


def test_a_demo_piece_has_the_characters_the_docs_promise():
    """docs/plugins.md §3 *Demo and generated data*: a written piece the demo hands in has at least
    140 characters as the portal counts them, so a type whose guard counts characters knows what
    its default may ask (more, and the demo leaves the type out: its guard refuses)."""
    from portal.textcount import chinese_count

    titles = [f"《{a}》" + (f"（{i}）" if i else "") for a in ("", "读", "教研沙龙：作业设计") for i in range(6)]
    assert min(chinese_count(demo_text(t)) for t in titles) >= 140
