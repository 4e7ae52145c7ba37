"""Plain snapshots of an activity handed to guards and credit rules.

Guards and credit rules see these dataclasses, never database rows, so a plugin works the
same whatever stores the data and can be tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ParticipantSnapshot:
    user_id: int
    role: str
    attended_hours: Decimal | None  # None until attendance is recorded
    absent_hours: Decimal = Decimal("0")
    excused_hours: Decimal = Decimal("0")
    name: str = ""


@dataclass(frozen=True)
class EvidenceSnapshot:
    user_id: int
    kind: str
    uploaded_at: datetime  # UTC, naive
    char_count: int = 0


@dataclass(frozen=True)
class ActivitySnapshot:
    id: int | None
    type_key: str
    state: str
    starts_at: datetime  # UTC, naive
    ends_at: datetime  # UTC, naive
    hours: Decimal
    organizer_id: int
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class TransitionContext:
    """Everything a guard may look at when a trigger is fired."""

    activity: ActivitySnapshot
    participants: list[ParticipantSnapshot]
    evidence: list[EvidenceSnapshot]
    settings: dict[str, Any]
    actor_id: int
    actor_roles: frozenset[str]
    now: datetime  # UTC, naive
    comment: str = ""

    def evidence_of(self, user_id: int, kind: str) -> list[EvidenceSnapshot]:
        return [e for e in self.evidence if e.user_id == user_id and e.kind == kind]

    def participants_with_role(self, role: str) -> list[ParticipantSnapshot]:
        return [p for p in self.participants if p.role == role]
