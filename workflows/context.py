"""Plain snapshots of an activity handed to guards and credit rules.

Guards and credit rules see these dataclasses, never database rows, so a plugin works the
same whatever stores the data and can be tested without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

#: ``TransitionContext.data`` of a type whose plugin supplies nothing.
NO_DATA: Mapping[str, Any] = MappingProxyType({})
#: ``TransitionContext.timezone`` of a context built without one: the portal's default zone
#: (``portal.timeutil.DEFAULT_ZONE``; this package imports nothing of the portal's)
DEFAULT_ZONE = "Asia/Shanghai"


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
    #: the school year (``2026-2027``) and semester (1 or 2) the activity belongs to, as the portal
    #: dates it (its start, in the school's zone); ``""`` and 0 where none is known (a snapshot a
    #: plugin's own unit test builds). Ask ``portal.year_locked(school_year, semester)`` whether
    #: the district has locked it. Contract 1.16.
    school_year: str = ""
    semester: int = 0


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
    #: What the type's plugin supplied for its guards (hook ``portal_transition_data``), read-only;
    #: read before the guards run, in the same transaction, so a guard never queries the database.
    data: Mapping[str, Any] = field(default_factory=lambda: NO_DATA)
    #: The IANA time zone of the activity's school (``Asia/Shanghai``): what "two days before"
    #: means to its teachers. Contract 1.15.
    timezone: str = DEFAULT_ZONE
    #: The roles and evidence kinds (the core's included) the activity's type declares, as the
    #: portal read them at load; None in a context a plugin's own unit test builds without them.
    #: Asking :meth:`participants_with_role` or :meth:`evidence_of` (or ``missing_evidence``)
    #: about one the type lacks — a typo — raises instead of answering "nobody", which would let
    #: a guard pass (or refuse) for ever. Contract 1.17.
    type_roles: frozenset[str] | None = None
    type_kinds: frozenset[str] | None = None

    def check_role(self, role: str) -> None:
        """Raise ``ValueError`` if ``role`` is not one of the type's roles (when they are known)."""
        if self.type_roles is not None and role not in self.type_roles:
            raise ValueError(f"role {role!r} is not one of the roles of activity type {self.activity.type_key!r} "
                             f"({', '.join(sorted(self.type_roles))})")

    def check_kind(self, kind: str) -> None:
        """Raise ``ValueError`` if ``kind`` is not one of the type's evidence kinds (when they are known)."""
        if self.type_kinds is not None and kind not in self.type_kinds:
            raise ValueError(f"evidence kind {kind!r} is not one of the kinds of activity type "
                             f"{self.activity.type_key!r} ({', '.join(sorted(self.type_kinds))})")
    #: Who signed up for the activity and is not (yet) on its list of participants: a seat before
    #: the list is confirmed, the waiting list. Read for a trigger that asks a comment once others
    #: are concerned (``Transition.comment_when_others``: ``cancel``); empty for the others. Contract 1.17.
    signed_up: frozenset[int] = frozenset()

    def people(self) -> frozenset[int]:
        """Who the activity concerns besides its organiser: its participants and whoever signed
        up for it (:meth:`Transition.needs_comment_with`)."""
        return frozenset(p.user_id for p in self.participants) | self.signed_up

    def local_time(self, moment: datetime) -> datetime:
        """A snapshot's time (naive UTC) as the school's wall clock reads it (naive)."""
        return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)

    def local_date(self, moment: datetime) -> date:
        """The school's calendar day of a snapshot's time (naive UTC): 23:30 in Shanghai on
        Monday is Monday, though UTC already reads Monday 15:30 — and 01:00 on Tuesday is Tuesday,
        though UTC still reads Monday. Contract 1.15."""
        return self.local_time(moment).date()

    def evidence_of(self, user_id: int, kind: str) -> list[EvidenceSnapshot]:
        self.check_kind(kind)
        return [e for e in self.evidence if e.user_id == user_id and e.kind == kind]

    def participants_with_role(self, role: str) -> list[ParticipantSnapshot]:
        self.check_role(role)
        return [p for p in self.participants if p.role == role]
