"""The guide (``docs/plugins.md``) says what the code does: every snapshot field is in its table,
every actor role is named, and the core triggers' table agrees with the workflow definition."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from workflows import ActivitySnapshot, EvidenceSnapshot, ParticipantSnapshot, TransitionContext
from workflows.definition import ACTOR_ROLES, CORE, CORE_TRANSITIONS, Phase

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "plugins.md").read_text(encoding="utf-8")


def table(heading: str) -> dict[str, list[str]]:
    """Rows of the guide's table whose first heading cell is ``heading``: first cell → cells."""
    start = GUIDE.index(f"| {heading} |")
    rows: dict[str, list[str]] = {}
    for line in GUIDE[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.parametrize("snapshot", [TransitionContext, ActivitySnapshot, ParticipantSnapshot, EvidenceSnapshot])
def test_every_snapshot_field_is_documented(snapshot):
    documented = " ".join(table(f"`{snapshot.__name__}`"))
    missing = [f.name for f in dataclasses.fields(snapshot) if f"`{f.name}`" not in documented]
    assert not missing, f"{snapshot.__name__}: {missing} not in docs/plugins.md"
    if snapshot is TransitionContext:
        assert "`ctx.evidence_of(user_id, kind)`" in documented and "`ctx.participants_with_role(role)`" in documented


def test_every_actor_role_is_named():
    section = GUIDE.split("### Actor roles", 1)[1].split("\n### ", 1)[0]
    assert all(f"`{role}`" in section for role in ACTOR_ROLES), sorted(ACTOR_ROLES)


def test_the_core_triggers_table_agrees_with_the_definition():
    rows = table("trigger")
    assert list(rows) == [f"`{t.trigger}`" for t in CORE_TRANSITIONS]
    for t in CORE_TRANSITIONS:
        moves, who, _what = rows[f"`{t.trigger}`"]
        sources, dest = moves.split(" → ")
        assert re.sub(r" \(.*\)", "", sources).split(", ") == list(t.sources), t.trigger
        assert dest == t.dest, t.trigger
        named = set(re.findall(r"[a-z_]+", who.split("(")[0]))
        assert named == set(t.roles), t.trigger
        assert ("independent" in who) == t.independent, t.trigger
        assert (("stand-in " + ", ".join(sorted(t.stand_in_roles))) in who) == bool(t.stand_in_roles), t.trigger
        for phase in t.from_phases:  # "any state of phase open" …
            assert phase.value.replace("_", " ") in moves, (t.trigger, phase)
    assert [s.name for s in CORE.states if s.phase is Phase.CLOSED] == ["cancelled"]


def test_every_member_of_the_activity_type_is_in_the_guides_table():
    """A plugin author reads the members of ``ActivityType`` in the guide's table, not in the core
    (``default_role``, ``role_multipliers``, ``plan_rules`` and ``sample_roles`` were missing)."""
    from portal.activity_types import ActivityType

    documented = " ".join(" ".join(cells) + " " + first for first, cells in table("member").items())
    missing = [name for name in vars(ActivityType) if not name.startswith("_") and f"`{name}" not in documented]
    assert not missing, f"ActivityType members not in the guide's table: {missing}"


def test_every_name_of_the_public_modules_is_in_the_import_table():
    """What the guide's own examples use (``SampleEvidence``, ``SampleProfile``, ``PlanFacts`` …) is
    listed where it says what a plugin may import."""
    import inspect

    import portal.activity_types as types

    row = " ".join(table("import")["`portal.activity_types`"])
    public = [name for name, value in vars(types).items() if not name.startswith("_")
              and (inspect.isclass(value) or inspect.isfunction(value)) and value.__module__ == types.__name__]
    public += ["COMMON_EVIDENCE_KINDS", "floor_half"]  # floor_half: the core's rounding, public since 1.21
    internal = {"EmptyDetailsForm", "evidence_counts"}  # the core's: a type never meets them
    assert not [n for n in public if n not in internal and f"`{n}`" not in row], row


def test_every_testing_fixture_is_in_the_fixtures_table():
    import portal.testing

    fixtures = [name for name, value in vars(portal.testing).items()
                if type(value).__name__ == "FixtureFunctionDefinition"]
    documented = GUIDE.split("## 5. Testing a plugin", 1)[1].split("\n## 6.", 1)[0]
    assert not [name for name in fixtures if f"`{name}" not in documented], fixtures


def test_the_first_steps_make_a_database_before_using_it():
    """§1 enabled the type for the DEMO school before any table or school existed (a raw "no such
    table" error), and ran a ``pytest`` the portal's install does not bring."""
    steps = GUIDE.split("## 1. From zero to a working format", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in steps.strip().splitlines()]
    order = [next(i for i, c in enumerate(commands) if c.startswith(prefix)) for prefix in (
        "pip install -e 'yanxiu-teaching-contest[test]'", "(cd yanxiu-teaching-contest && python -m pytest)",
        "flask --app portal db upgrade", "flask --app portal demo", "flask --app portal school enable",
        "flask --app portal run")]
    assert order == sorted(order), commands
