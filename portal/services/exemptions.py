"""Exemptions from the yearly assessment, set by a school admin for one teacher and year.

The seeds exempt teachers near retirement automatically (see :mod:`portal.assessment`); an
exemption here covers everything else a school decides (long illness, secondment …) and
always carries its reason, which the summary shows. Each one set, changed or removed is a line
of the staff audit log (:mod:`portal.services.staff_log`): who, when, the year and the reason.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal import policy
from portal.assessment import EXEMPT
from portal.database import write_transaction
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.messages import SchoolYear, msg
from portal.models import Exemption, School, User
from portal.services import access, credits, locks, staff_log, teacher_years
from portal.services.credits import parse_year
from portal.sorting import by_pinyin
from portal.textcount import says_something
from portal.timeutil import current_school_year, school_year_after, utcnow

REASON_MAX = 500


def _target(school: School, user_id: object) -> User:
    """A person who belongs or belonged to the school; whether they are on the year's summary
    is asked inside the write (:func:`_require_on_summary`)."""
    if isinstance(user_id, bool) or not isinstance(user_id, int):
        raise Invalid(msg("exemption.choose_teacher"), {"user_id": msg("exemption.teacher_field")})
    return access.get_past_or_present_member(user_id, school.id)


def _require_on_summary(school: School, target: User, year: str) -> None:
    """An exemption is set or cleared for someone on the school's summary of the year
    (:func:`credits.on_summary`): its active teachers, and one who left but whom the year still
    lists (an exemption of theirs among what it counts). Anyone else is not found. An active
    teacher may be exempted for a year over before they joined (a school recording its past
    years late): the exemption then puts that year on their record — unless another school's
    summary of the year lists them (they taught there then and moved here since, ``moves``):
    that school judges the year, and a second verdict here would count them twice."""
    if credits.on_summary(school.id, year, target.id):
        return
    if not credits.teaches_at(school.id, target.id):
        raise NotFound(msg("user.not_found"))
    elsewhere = credits.judged_elsewhere(school.id, year, target.id)
    if elsewhere:
        raise Invalid(msg("exemption.refused"), {"year": msg(
            "exemption.judged_elsewhere", year=SchoolYear.said(year), school=elsewhere[0].name)})


def exemptible(school: School, year: str) -> list[User]:
    """Whom an exemption of ``year`` may be set for (:func:`_require_on_summary`): the year's
    teachers and today's, but for those another school judges the year of
    (:func:`credits.judged_here`), by pinyin."""
    found = {u.id: u for u in credits.school_teachers(school.id, year)}
    joined = [u for u in credits.school_teachers(school.id) if u.id not in found]
    found.update({u.id: u for u in credits.judged_here(school.id, year, joined)})
    return by_pinyin(sorted(found.values(), key=lambda u: u.id), lambda u: u.display_name)


def _existing(school: School, target: User, year: str) -> Exemption | None:
    return db.session.execute(
        select(Exemption).where(
            Exemption.school_id == school.id, Exemption.user_id == target.id, Exemption.school_year == year
        )
    ).scalar_one_or_none()


def list_exemptions(school: School, year: str) -> list[tuple[Exemption, User]]:
    rows = db.session.execute(
        select(Exemption, User)
        .join(User, User.id == Exemption.user_id)
        .where(Exemption.school_id == school.id, Exemption.school_year == year)
        .order_by(User.id)
    ).all()
    return by_pinyin(((ex, user) for ex, user in rows), lambda row: row[1].display_name)


def exempt_by_policy(school: School, year: str) -> list[tuple[User, str]]:
    """The teachers of the year's summary whom the assessment policy exempts with no exemption
    stored here (the seeds: near retirement; a district's policy plugin, its own), with its
    reason code: the exemptions page lists them beside the school's own, so that it never says
    "nobody" where the summary counts some (they have nothing to remove). Of a year not begun
    (on no summary yet), those it will exempt once it begins, as today's staff and rules stand:
    an admin setting exemptions ahead sees whom not to exempt twice."""
    return [(ty.user, ty.assessment.reason) for ty in credits.year_rows([school], year, ahead=True)[school.id]
            if ty.assessment.status == EXEMPT and ty.facts.exemption_reason is None]


def _who(school: School, actor: User | policy.Actor) -> policy.Actor:
    """The actor as the policy sees them: as the request read them, or read now from a person."""
    return actor if isinstance(actor, policy.Actor) else access.actor(actor.id, school.id)


def set_exemption(school: School, actor: User | policy.Actor, user_id: object, year: object,
                  reason: object) -> Exemption:
    """Exempt a teacher of the school for a year (replacing the reason of an earlier one). The
    admin's right is asked again inside the write (:func:`access.require_still_admin`): an admin
    whose role is taken at the same moment exempts nobody."""
    who = _who(school, actor)
    policy.require(policy.may_administer(who), "policy.exempt_admin_only")
    fields: dict[str, Any] = {}
    year_text = ""
    if year in (None, ""):
        fields["year"] = msg("year.required")
    else:
        try:
            year_text = parse_year(year)
        except Invalid as exc:
            fields.update(exc.fields)
        else:  # a teacher's next year is known (retirement is by age); no later one
            latest = school_year_after(current_school_year(school.timezone))
            if year_text > latest:
                fields["year"] = msg("exemption.year_too_late", year=SchoolYear.said(latest))
    text = reason.strip() if isinstance(reason, str) else ""
    if not says_something(text):
        fields["reason"] = msg("exemption.reason_required")
    elif len(text) > REASON_MAX:
        fields["reason"] = msg("at_most_chars", n=REASON_MAX)
    target = _target(school, user_id)
    policy.require(policy.may_exempt(who, target.id), "policy.not_self")  # an admin (above): never their own year
    if fields:
        raise Invalid(msg("exemption.refused"), fields)
    with write_transaction() as s:
        access.require_still_admin(s, school.id, who, "policy.exempt_admin_only")
        locks.require_unlocked(school.id, year_text)  # in the write: an acceptance cannot pass it
        _require_on_summary(school, target, year_text)
        row = _existing(school, target, year_text)
        staff_log.record_exemption(s, school.id, target.id, who, year_text, row.reason if row else None, text)
        if row is None:
            row = Exemption(user_id=target.id, school_id=school.id, school_year=year_text, reason=text,
                            created_by=who.user_id, created_at=utcnow())
            s.add(row)
        else:
            row.reason, row.created_by, row.created_at = text, who.user_id, utcnow()
        s.flush()
        teacher_years.refresh(school, year_text, [target.id])
    return row


def clear_exemption(school: School, actor: User | policy.Actor, user_id: object, year: object) -> None:
    """Remove a teacher's exemption for a year; 'not found' if there is none. The admin's right
    is asked again inside the write, as :func:`set_exemption` asks it."""
    who = _who(school, actor)
    policy.require(policy.may_administer(who), "policy.exempt_admin_only")
    year_text = parse_year(year) if year not in (None, "") else None
    if year_text is None:
        raise Invalid(msg("year.required"), {"year": msg("year.required")})
    target = _target(school, user_id)
    policy.require(policy.may_exempt(who, target.id), "policy.not_self")  # an admin (above): never their own year
    with write_transaction() as s:
        access.require_still_admin(s, school.id, who, "policy.exempt_admin_only")
        locks.require_unlocked(school.id, year_text)
        _require_on_summary(school, target, year_text)
        row = _existing(school, target, year_text)
        if row is None:
            raise NotFound(msg("exemption.not_found"))
        staff_log.record_exemption(s, school.id, target.id, who, year_text, row.reason, None)
        s.delete(row)
        s.flush()
        teacher_years.refresh(school, year_text, [target.id])
