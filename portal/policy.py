"""Who may do what: one function per question, asked by services (which enforce) and by
views, templates and the API (which show or hide).

Each ``may_*`` takes an :class:`Actor` — a person and their roles in the school at hand — and
the thing acted on, and answers True or False; :func:`require` turns a False into
:class:`~portal.errors.Forbidden`. Which role fires which workflow trigger (approve, adjust,
credit, revoke …) is part of the workflow definition (``workflows/definition.py``), where
``independent`` transitions exclude the activity's organiser and participants.

Separation of duties: nobody decides about their own hours — their own approval, adjustment,
credit, revoke (the workflow), or exemption (here).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from portal.errors import Forbidden
from portal.messages import msg

TEACHER, ORGANIZER, REVIEWER, SCHOOL_ADMIN, DISTRICT_ADMIN, DISTRICT_REVIEWER = (
    "teacher",
    "organizer",
    "reviewer",
    "school_admin",
    "district_admin",
    "district_reviewer",  # 进修学校 / 教师发展中心: reviews the schools' submitted years
)


class _HasOrganizer(Protocol):
    organizer_id: int


@dataclass(frozen=True)
class Actor:
    """A person acting in one school: their id and roles there (``district_admin`` added for a
    district admin). ``system`` is the operator at the command line or the demo loader."""

    user_id: int
    roles: frozenset[str]
    system: bool = False

    @classmethod
    def of(cls, user_id: int, roles: Iterable[str]) -> Actor:
        return cls(user_id, frozenset(roles))

    def has(self, *roles: str) -> bool:
        return self.system or bool(self.roles & set(roles))


#: The operator: ``flask`` commands and the demo loader act with every right.
SYSTEM = Actor(0, frozenset(), system=True)


def require(allowed: bool, code: str = "forbidden", **params: object) -> None:
    """Enforce an answer of this module; refused with the catalogue's message ``code``."""
    if not allowed:
        raise Forbidden(msg(code, **params))


# -- activities --------------------------------------------------------------------------------


def may_plan(actor: Actor) -> bool:
    """Plan an activity (教研组长 or the training office)."""
    return actor.has(ORGANIZER, SCHOOL_ADMIN)


def may_organise(actor: Actor, activity: _HasOrganizer) -> bool:
    """Change an activity's participants, attendance and the organiser's evidence: its own
    organiser or a school admin."""
    return activity.organizer_id == actor.user_id or actor.has(SCHOOL_ADMIN)


def may_record_attendance(actor: Actor, activity: _HasOrganizer) -> bool:
    return may_organise(actor, activity)


def may_add_evidence(actor: Actor, activity: _HasOrganizer, for_user_id: int) -> bool:
    """Upload evidence: a participant their own, the organiser for anyone."""
    return for_user_id == actor.user_id or may_organise(actor, activity)


def may_review(actor: Actor) -> bool:
    """Work the review queue (the workflow decides each trigger)."""
    return actor.has(REVIEWER)


# -- records and reports -----------------------------------------------------------------------


def may_read_record(actor: Actor, teacher_id: int) -> bool:
    """A teacher reads their own record; school admins, reviewers and the district anyone's —
    the same rule for the record page, its links and ``GET /api/v1/users/<id>/credits``."""
    return actor.user_id == teacher_id or actor.has(SCHOOL_ADMIN, REVIEWER, DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_read_certificate(actor: Actor) -> bool:
    """The 学分认定表 of an activity."""
    return actor.has(SCHOOL_ADMIN, REVIEWER, ORGANIZER, DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_export(actor: Actor) -> bool:
    """The school's 学时汇总表 (page, CSV, XLSX, API)."""
    return actor.has(SCHOOL_ADMIN, REVIEWER, DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_view_district(actor: Actor) -> bool:
    """The district's pages: its schools, submissions, dashboard and exports (scoped to the
    actor's own district by the services)."""
    return actor.has(DISTRICT_ADMIN, DISTRICT_REVIEWER)


# -- the year submitted to the district --------------------------------------------------------


def may_submit_year(actor: Actor) -> bool:
    """Submit the school year (or semester) to the district, and submit it again after a return."""
    return actor.has(SCHOOL_ADMIN)


def may_decide_submission(actor: Actor) -> bool:
    """Accept a submitted year (which locks it) or return it with comments."""
    return actor.has(DISTRICT_REVIEWER)


def may_reopen_year(actor: Actor) -> bool:
    """Reopen an accepted, locked year (always with a reason)."""
    return actor.has(DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_write_school_plan(actor: Actor) -> bool:
    """Write the school's annual plan (年度校本研修计划) and send it to the district."""
    return actor.has(SCHOOL_ADMIN)


def may_decide_school_plan(actor: Actor) -> bool:
    """Accept a school's annual plan or return it with a comment (district staff)."""
    return actor.has(DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_administer_district(actor: Actor) -> bool:
    """The district's defaults, its schools and their admins, types enabled district-wide."""
    return actor.has(DISTRICT_ADMIN)


def may_subscribe_school_calendar(actor: Actor) -> bool:
    """A calendar feed of every activity of the school: its staff."""
    return actor.has(TEACHER, ORGANIZER, REVIEWER, SCHOOL_ADMIN)


# -- administration ----------------------------------------------------------------------------


def may_administer(actor: Actor) -> bool:
    """The school's activity types, rules, staff, roster, exemptions page and audit trail."""
    return actor.has(SCHOOL_ADMIN)


def may_exempt(actor: Actor, teacher_id: int) -> bool:
    """A school admin exempts others from the year's assessment, never themselves."""
    return actor.user_id != teacher_id and actor.has(SCHOOL_ADMIN)


def require_not_self(actor_id: int, subject_id: int) -> None:
    """Refuse a decision about the actor's own hours."""
    if actor_id == subject_id:
        raise Forbidden(msg("policy.not_self"))
