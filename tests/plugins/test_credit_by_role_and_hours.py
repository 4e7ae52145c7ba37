"""A type's own credit rule declared to read only role and hours (``credit_by_role_and_hours``,
contract 1.14): the core asks it once per distinct role and hours of an activity, never passes it
who the participant is (so it cannot read more), and a type that declares nothing is asked once
per person, as before."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from portal.activity_types import ActivityType, Role
from portal.registry import registry
from portal.services import ledger
from portal.services.ledger import credit_ceiling_each, credit_hours_each, credit_hours_for
from tests.perf.test_hours_each import Act, Person
from tests.plugins.plugin_throwaway import ProvidesTypes
from tests.plugins.test_broken_plugins import failures
from workflows import ActivitySnapshot, ParticipantSnapshot

PLUGIN = "blind_rule"
D = Decimal


class Counting(ActivityType):
    """A rule of its own (the leader's hours doubled, one hour more for everyone who came) that
    keeps every participant it is shown."""

    key = "counting_rule"
    name_zh, name_en = "计次研修", "Counted training"
    roles = {"member": Role("成员", "Member"), "leader": Role("主持人", "Leader")}
    seen: list[ParticipantSnapshot] = []

    def credit_hours(self, participant: ParticipantSnapshot, activity: ActivitySnapshot, settings: dict) -> Decimal:
        type(self).seen.append(participant)
        attended = participant.attended_hours or D("0")
        return attended * (2 if participant.role == "leader" else 1) + (1 if attended else 0)


class Blind(Counting):
    key = "blind_rule"
    name_zh, name_en = "按角色学时", "By role and hours"
    credit_by_role_and_hours = True
    seen: list[ParticipantSnapshot] = []


def act(activity_id: int = 1) -> Act:
    return Act(id=activity_id, type_key="blind_rule")


def _people() -> list[Person]:
    return [Person(1, "member", D("3")), Person(2, "member", D("3")), Person(3, "leader", D("3")),
            Person(4, "member", D("3")), Person(5, "member", D("1.5"), D("1.5")), Person(6, "leader", D("3")),
            Person(7, "member", D("3"), adjusted_hours=D("1"))]


@pytest.fixture
def types(make_app):
    app = make_app(EXTRA_PLUGINS=[(PLUGIN, ProvidesTypes(Blind, Counting))])
    with app.app_context():
        Blind.seen.clear()
        Counting.seen.clear()
        yield registry().get("blind_rule").type, registry().get("counting_rule").type


def test_the_declaration_is_read_at_load(types):
    blind, counting = types
    assert registry().get("blind_rule").decl.credit_by_role_and_hours is True
    assert registry().get("counting_rule").decl.credit_by_role_and_hours is False
    assert ledger.rule_ignores_identity(blind) and not ledger.rule_ignores_identity(counting)
    # the checks of the core's own rule (a role above 999.5 hours) stay the core rule's
    assert not ledger.core_rule(blind) and ledger.roles_past_record(blind, ["leader"], "planned", D("3"), {}) is None


def test_a_declared_rule_is_asked_once_per_role_and_hours_and_sees_no_one(types):
    blind, counting = types
    people = _people()
    expected = [D("4"), D("4"), D("7"), D("4"), D("2.5"), D("7"), D("1")]
    assert credit_hours_each(blind, act(), people, {}) == expected
    # three alike members, two alike leaders, one who missed half, one adjusted: three asks
    assert len(Blind.seen) == 3
    assert {(p.user_id, p.name) for p in Blind.seen} == {(0, "")}
    assert sorted((p.role, p.attended_hours) for p in Blind.seen) == [
        ("leader", D("3")), ("member", D("1.5")), ("member", D("3"))]
    # the same answers as one by one, as the ledger asks at credit (passed no one there either)
    Blind.seen.clear()
    assert [credit_hours_for(blind, act(), p, {}) for p in people] == expected
    assert len(Blind.seen) == 6 and {(p.user_id, p.name) for p in Blind.seen} == {(0, "")}
    # ceilings (full attendance less what was missed): by role and hours not missed
    Blind.seen.clear()
    assert credit_ceiling_each(blind, act(), people, {}) == [D("4"), D("4"), D("7"), D("4"), D("2.5"), D("7"), D("4")]
    assert len(Blind.seen) == 3


def test_answers_are_kept_for_one_activity_only(types):
    """A declared rule may read the activity (and its answer is bounded by the activity's hours):
    unlike the core rule's, its answers are not reused for the page's next activity."""
    blind, _counting = types
    known: dict[tuple[Any, ...], Decimal] = {}
    credit_hours_each(blind, act(1), _people(), {}, known=known)
    credit_hours_each(blind, act(2), _people(), {}, known=known)
    assert len(Blind.seen) == 6 and known == {}


def test_a_rule_declaring_nothing_is_asked_for_every_person_with_who_they_are(types):
    _blind, counting = types
    people = _people()
    credit_hours_each(counting, Act(type_key="counting_rule"), people, {})
    assert [p.user_id for p in Counting.seen] == [1, 2, 3, 4, 5, 6]  # the adjusted one has the reviewer's figure


def test_a_declaration_that_is_not_true_or_false_is_refused_at_load(make_app):
    app = make_app(EXTRA_PLUGINS=[(PLUGIN, ProvidesTypes(type("Vague", (Blind,), {"credit_by_role_and_hours": "yes"})))])
    with app.app_context():
        assert registry().get("blind_rule") is None
        reported = failures()[PLUGIN]
    assert reported.startswith(
        "credit_by_role_and_hours of activity type 'blind_rule' is invalid: 'yes' is not True or False"), reported
