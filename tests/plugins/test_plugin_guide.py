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
