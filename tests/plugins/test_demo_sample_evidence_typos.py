"""A 课例研究 author's ``sample_evidence`` that misspells a role, a kind or the trigger it comes
before: the demo handed in nothing (or nothing before anything), its own guard then refused, and
the report named only what that guard missed (「王雅琴：教学设计 0/1」), or nothing at all where no
guard needed it. The typo is now named, and the demo goes on without the type, as the guide says
of any sample it cannot use (a failed ``sample_evidence`` used to leave the type in, without it)."""

from __future__ import annotations

import pytest

from portal.activity_types import EvidenceKind, Role, SampleEvidence
from tests.plugins.test_demo_with_broken_plugins import _demo_with, demo_as_usual  # noqa: F401 (a fixture)
from tests.plugins.test_request_time_failures import one_role_type


def typed(piece: SampleEvidence):
    return one_role_type("demo_cycle", "课例研究演示", "Lesson cycle demo", sample_details=lambda self: {},
                         roles={"observer": Role("观课教师", "Observer"),
                                "teaching_teacher": Role("授课教师", "Teaching teacher")},
                         evidence_kinds={"lesson_design": EvidenceKind("教学设计", "Lesson design")},
                         sample_evidence=lambda self: [piece])


CASES = {
    "role": (SampleEvidence("lesson_design", "hold", role="teaching_techer"),
             "names role 'teaching_techer', not one of the type's roles (observer, teaching_teacher)"),
    "kind": (SampleEvidence("lesson_desgin", "hold", role="teaching_teacher"),
             "names evidence kind 'lesson_desgin', not one of the type's kinds (reflection, "),
    "stage": (SampleEvidence("lesson_design", "held", role="teaching_teacher"),
              "names stage 'held', not one of the type's triggers (hold, "),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_misspelt_sample_evidence_is_named(make_app, demo_as_usual, case):  # noqa: F811
    piece, said = CASES[case]
    usual, _gathering = demo_as_usual
    by_type, failures, _ = _demo_with(make_app, "broken_cycle", typed(piece))
    assert by_type.get("demo_cycle", 0) == 0  # left out, as the guide says (it was made without the samples)
    assert {k: n for k, n in by_type.items() if k != "demo_cycle"} == dict(usual)  # every other type as usual
    assert len(failures) == 1, failures
    assert failures[0].error.startswith(
        f"sample_evidence of activity type 'demo_cycle' raised TypeError: {said}"), failures[0].error


def test_a_right_sample_evidence_makes_the_demo(make_app):
    by_type, failures, _ = _demo_with(make_app, "good_cycle",
                                      typed(SampleEvidence("lesson_design", "hold", role="teaching_teacher")))
    assert by_type["demo_cycle"] > 0 and not failures
