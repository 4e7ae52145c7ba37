"""A 课例研究 author's guard that misspells a role or an evidence kind of its own type.

``ctx.participants_with_role("observr")`` answered "nobody" and ``missing_evidence(ctx,
{"observr": {"reflection": 1}}, kinds)`` "nothing missing": the reflection meeting was closed,
and the hours credited, with no reflection handed in, and nothing told the author. The context
now knows its type's roles and kinds (contract 1.17): a guard asking of one the type lacks
raises, so the step is refused naming the plugin, and the typo is listed with the plugin's name.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from portal.activity_types import ActivityType, EvidenceKind, Role, Text, missing_evidence
from portal.extensions import db
from portal.models import Activity
from portal.timeutil import utcnow
from tests.plugins.test_broken_plugins import client_for, failures
from tests.plugins.test_request_time_failures import Plugin
from tests.support import factories as f
from workflows import (
    ActivitySnapshot,
    ParticipantSnapshot,
    Phase,
    State,
    Transition,
    TransitionContext,
    WorkflowExtension,
)

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text(encoding="utf-8")
KEY = "gt_cycle"
KINDS = {"observation_record": EvidenceKind("观课记录", "Observation record")}


def reflections_in(ctx: TransitionContext) -> list[Text]:
    return missing_evidence(ctx, {"observr": {"reflection": 1}}, KINDS)


def teacher_misspelt(ctx: TransitionContext) -> list[Text]:
    return [] if ctx.participants_with_role("teaching_techer") else [Text("须有授课教师", "a teaching teacher is needed")]


def records_misspelt(ctx: TransitionContext) -> list[Text]:
    return [Text("缺观课记录", "no record") for p in ctx.participants if not ctx.evidence_of(p.user_id, "observation_recrd")]


def cycle(guard) -> ActivityType:
    """A lesson-study type whose ``reflect`` (held → reflected) is checked by ``guard``."""
    def workflow(self):
        return WorkflowExtension(
            states=(State("reflected", "已反思", "Reflected", phase=Phase.AWAITING_REVIEW),),
            transitions=(Transition("reflect", ("held",), "reflected", frozenset({"owner"}), "完成反思研讨", "Reflected"),
                         Transition("approve", ("reflected",), "reviewed", frozenset({"reviewer"}), "审核通过", "Approve")),
            guards={"reflect": (guard,)})

    attrs = {"key": KEY, "name_zh": "课例研究测试", "name_en": "Lesson cycle (test)",
             "roles": {"observer": Role("观课教师", "Observer"), "teaching_teacher": Role("授课教师", "Teaching teacher")},
             "evidence_kinds": KINDS, "workflow": workflow}
    return type("Cycle", (ActivityType,), attrs)()


@pytest.mark.parametrize(("guard", "error"), [
    (reflections_in,
     f"role 'observr' is not one of the roles of activity type '{KEY}' (observer, teaching_teacher)"),
    (teacher_misspelt,
     f"role 'teaching_techer' is not one of the roles of activity type '{KEY}' (observer, teaching_teacher)"),
    (records_misspelt, f"evidence kind 'observation_recrd' is not one of the kinds of activity type '{KEY}' ("),
])
def test_a_guard_asking_of_a_role_or_kind_its_type_lacks_refuses_the_step_naming_the_typo(make_app, guard, error):
    app = make_app(EXTRA_PLUGINS=[("yx_cycle", Plugin(cycle(guard)))])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school("GT", types=(KEY,))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], KEY, [(p["t1"], "teaching_teacher"), (p["t2"], "observer")], hours="2",
                     start=utcnow() - timedelta(days=2))
        f.attend(act, p["organizer"])
        act_id, school_id, organizer = act.id, s.id, p["organizer"].id
    client = client_for(app, organizer, school_id)
    assert client.post(f"/activities/{act_id}/trigger", data={"trigger": "hold"}).status_code in (200, 302)
    r = client.post(f"/activities/{act_id}/trigger", data={"trigger": "reflect"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409, html[:500]
    assert "“课例研究测试”类型的插件未能检查此操作" in html and "yx_cycle" not in html
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "held"
        reported = failures()["yx_cycle"]
    assert f"raised ValueError: {error}" in reported, reported
    if guard is reflections_in:  # the one §10 quotes
        assert reported.replace(KEY, "lesson_cycle") in GUIDE, reported


WHEN = datetime(2026, 10, 15, 6, 0)


def plain_context(**known) -> TransitionContext:
    activity = ActivitySnapshot(1, KEY, "held", WHEN, WHEN, Decimal("2"), 1, {})
    return TransitionContext(activity, [ParticipantSnapshot(2, "observer", Decimal("2"), name="甲")], [], {},
                             actor_id=1, actor_roles=frozenset({"owner"}), now=WHEN, **known)


def test_a_plugins_unit_test_on_plain_snapshots_still_runs_and_catches_a_misspelt_kind():
    """Snapshots an author builds without the type's roles answer as before; the kinds the
    guard passes to ``missing_evidence`` are known there, so a misspelt one raises already."""
    assert plain_context().participants_with_role("observr") == []
    assert missing_evidence(plain_context(), {"observer": {"reflection": 1}}, KINDS) == [
        Text("甲：教学反思 0/1", "甲: Reflection 0/1")]
    with pytest.raises(ValueError, match="evidence kind 'observation_recrd' required of role 'observer'"):
        missing_evidence(plain_context(), {"observer": {"observation_recrd": 1}}, KINDS)
    known = plain_context(type_roles=frozenset({"observer"}), type_kinds=frozenset({"reflection"}))
    with pytest.raises(ValueError, match="role 'observr' is not one of the roles"):
        known.participants_with_role("observr")


def test_the_guides_first_guard_answers_in_both_languages():
    """§3's first example returned ``f"lesson teachers: {n}/2"``, a plain English text that a
    Chinese page shows as it is; an author copying it put English on every Chinese refusal."""
    code = GUIDE.split("## 3. The activity type", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    scope: dict = {}
    exec(compile(code, "docs/plugins.md §3", "exec"), scope)  # noqa: S102 - the guide's own example
    activity = ActivitySnapshot(1, "lesson_study", "planned", WHEN, WHEN, Decimal("2"), 1, {})
    one = TransitionContext(activity, [ParticipantSnapshot(2, "lesson_teacher", Decimal("2"))], [], {},
                            actor_id=1, actor_roles=frozenset({"owner"}), now=WHEN)
    missing = scope["two_lessons_taught"](one)
    assert missing and all(isinstance(m, Text) for m in missing), missing
    assert missing[0].zh != missing[0].en
