"""The batch variants of the hours rule (``ledger.credit_hours_each``/``credit_ceiling_each``)
give exactly what the single ones give each participant: the core rule asked once per distinct
role and hours, a type's own rule once per person (it may read who they are)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from portal.activity_types import ActivityType
from portal.registry import registry
from portal.services import ledger
from portal.services.ledger import credit_ceiling, credit_ceiling_each, credit_hours_each, credit_hours_for
from workflows import ActivitySnapshot, ParticipantSnapshot


@dataclass
class Person:
    """A participant row: the attributes the rule reads."""

    user_id: int
    role: str
    attended_hours: Decimal | None
    absent_hours: Decimal = Decimal("0")
    excused_hours: Decimal = Decimal("0")
    adjusted_hours: Decimal | None = None


@dataclass
class Act:
    id: int = 1
    type_key: str = "lecture"
    state: str = "held"
    starts_at: None = None
    ends_at: None = None
    hours: Decimal = Decimal("3")
    organizer_id: int = 99
    details: None = None
    school_year: str = "2026-2027"
    semester: int = 1


def _people() -> list[Person]:
    D = Decimal
    return [
        Person(1, "speaker", D("3")), Person(2, "attendee", D("3")), Person(3, "attendee", D("3")),
        Person(4, "attendee", D("1.5"), D("1.5")), Person(5, "attendee", None),
        Person(6, "speaker", D("3"), adjusted_hours=D("1")),
        Person(7, "attendee", D("3"), adjusted_hours=D("0")), Person(8, "observer", D("2.5"), D("0"), D("0.5")),
        Person(9, "leader", D("2.5")), Person(10, "lesson_teacher", D("1")),
    ]


class ByWho(ActivityType):
    """A rule that reads who the participant is: the batch must not share their answers."""

    key = "by_who_test"

    def credit_hours(self, participant: ParticipantSnapshot, activity: ActivitySnapshot, settings: dict) -> Decimal:
        return Decimal(participant.user_id)


def _type_keys() -> list[str]:
    return [k for k in registry().keys() if registry().get(k) is not None]


def test_core_rule_batch_equals_the_single_rule(app):
    people = _people()
    for key in _type_keys():
        rule = registry().get(key).type
        act = Act(type_key=key)
        settings = rule.settings_with_defaults({"speaker_multiplier": 2})
        assert credit_hours_each(rule, act, people, settings) == [
            credit_hours_for(rule, act, p, settings) for p in people]
        assert credit_ceiling_each(rule, act, people, settings) == [
            credit_ceiling(rule, act, p, settings) for p in people]


def test_core_rule_asked_once_per_distinct_participant(app, monkeypatch):
    rule = registry().get(_type_keys()[0]).type
    asked: list[ParticipantSnapshot] = []
    real = type(rule).credit_hours
    monkeypatch.setattr(ledger, "core_rule", lambda t: True)  # the counting wrapper below is not the core rule
    monkeypatch.setattr(type(rule), "credit_hours", lambda self, p, a, s: asked.append(p) or real(self, p, a, s))
    people = _people()
    credit_hours_each(rule, Act(), people, {})
    assert len(asked) == 7  # 10 people: 2 adjusted, and persons 2 and 3 alike
    asked.clear()
    credit_ceiling_each(rule, Act(), people, {})
    # one per role and hours not recorded missing: five roles, and attendee 4 missed 1.5 of the 3
    # (observer 8's half hour of leave leaves 2.5: the only observer)
    assert len(asked) == 6
    assert sorted((p.role, p.attended_hours) for p in asked) == sorted([
        ("speaker", Decimal("3")), ("attendee", Decimal("3")), ("attendee", Decimal("1.5")),
        ("observer", Decimal("2.5")), ("leader", Decimal("3")), ("lesson_teacher", Decimal("3"))])


def test_own_rule_asked_for_every_person(app):
    rule = ByWho()
    people = _people()
    assert not ledger.rule_ignores_identity(rule)
    assert credit_hours_each(rule, Act(), people, {}) == [Decimal(p.user_id) if p.adjusted_hours is None
                                                          else p.adjusted_hours for p in people]
    assert credit_ceiling_each(rule, Act(), people, {}) == [Decimal(p.user_id) for p in people]
    assert credit_hours_each(rule, Act(), [], {}) == [] == credit_ceiling_each(rule, Act(), [], {})
