"""Demo data of two more declarations, each declared as a teacher declares one:

* :data:`ZERO`: 吴浩然 (teacher4) declared a training with its certificate number; the reviewer
  approved it at 0 h with the reason and credited it — a ledger line of 0 h with its reason on her
  record and its PDF (the totals do not move). Its number and the reason are hers, the reviewers'
  and the admins' (``policy.may_read_private``): a colleague (teacher2) reads the declaration
  without them.
* :data:`HANDED_IN`: 何立新 (teacher6) declared a training whose certificate the school's
  deputy head (:data:`DEPUTY`, a school admin who reviews too) scanned and uploaded for her; she
  submitted it and it waits for review. The deputy handed in its evidence, so she does not decide
  it (``policy.hands_in_for_another``): her queue's card says so instead of offering a decision;
  the reviewer decides it. Waiting, it counts no hour.

The type is the first self-declared one that gives demo data, asked of the registry (the core
names no type); its steps are the workflow's answers (``adjusts_hours``, ``posts_credits``),
never a trigger's name. Invented people."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from portal import policy
from portal.demo import (
    DEMO_PASSWORD,
    STAFF_SINCE,
    _add_evidence,
    _demo_title,
    _user,
    details_titled,
    sample_details,
)
from portal.errors import DomainError, Invalid
from portal.extensions import db
from portal.models import Activity, School, User
from portal.plugin_data import M_DEMO_TYPE
from portal.plugin_loader import describe
from portal.registry import RegisteredType, registry
from portal.services import activities, transitions, users
from portal.timeutil import school_year_of, to_local, year_bounds
from workflows.definition import OWNER, Phase

#: The school's deputy head (副校长, 分管教师培训): a school admin on the review panel, no teacher.
DEPUTY = ("deputy", "许文华", ["school_admin", "reviewer"], "F", date(1972, 4, 18))

#: (declarer, title's subject, certificate number, the reviewer's reason for 0 h); days ago tried
#: for its morning, the first free one of this school year (nobody attends two things at once)
ZERO = ("teacher4", "网络研修", "QX-2026-0815", "证书为参会证明，未注明学时，按规定不计学时。")
ZERO_DAYS_AGO = (15, 16, 17, 18, 19, 13, 12, 11, 1)
#: (declarer, title's subject): its certificate uploaded by :data:`DEPUTY`; the days tried: yesterday
#: first, so it comes last on the queue (oldest first) and its other pages stay as they were
HANDED_IN = ("teacher6", "新教师入职培训")
HANDED_IN_DAYS_AGO = (1, 2, 3)


def _type() -> RegisteredType | None:
    """The first self-declared type giving demo data."""
    return next((reg for reg in registry().types.values()
                 if reg.decl.self_declared and sample_details(reg) is not None), None)


def _private(reg: RegisteredType, details: dict[str, Any], number: str) -> dict[str, Any]:
    """``details`` with each private text field of the type (``private_details``: a certificate
    number) given ``number``; a field offering choices keeps its value."""
    form_class = getattr(reg.type, "form", None)
    fields = form_class() if form_class is not None else None
    return {**details, **{key: number for key in reg.decl.private_details
                          if fields is not None and key in fields and not hasattr(fields[key], "iter_choices")}}


def _declare(school: School, reg: RegisteredType, who: User, subject: str, details: dict[str, Any],
             now: datetime, days_ago: tuple[int, ...]) -> Activity | None:
    """``who``'s declaration of a morning's training (09:00–12:00, 3 h) on the first of
    ``days_ago`` in this school year the portal takes."""
    today = to_local(now, school.timezone).date()
    first = year_bounds(school_year_of(today))[0]
    title = title_of(reg, subject)
    for days in days_ago:
        day = today - timedelta(days=days)
        if day < first:
            continue
        try:
            return activities.plan_activity(school, who, reg.decl.key, title, f"{day.isoformat()}T09:00",
                                            f"{day.isoformat()}T12:00", "3", None,
                                            {**details_titled(reg, title), **details})
        except Invalid:  # not then: the next day
            db.session.rollback()
    return None


def _to(act: Activity, declarer: User, uploader: User, reviewer: User, phase: Phase,
        hours: dict[int, str] | None = None, reason: str = "") -> None:
    """The declaration taken to ``phase``: its evidence handed in by ``uploader`` before each step
    that asks it, its steps by its declarer or ``reviewer``; the step adjusting hours with
    ``hours`` and ``reason``."""
    definition = registry().types[act.type_key].engine.definition
    for step in definition.way_to(phase):
        _add_evidence(act, uploader, step)
        actor = declarer if OWNER in step.roles else reviewer
        if step.adjusts_hours:
            transitions.fire(act.id, act.school_id, actor, step.trigger, reason, hours=hours)
        else:
            transitions.fire(act.id, act.school_id, actor, step.trigger, "")


def load(school: School, now: datetime) -> None:
    """:data:`ZERO` and :data:`HANDED_IN` (and :data:`DEPUTY`), unless no self-declared type gives
    demo data (or its steps failed: reported)."""
    if (reg := _type()) is None:
        return
    username, name, roles, gender, born = DEPUTY
    deputy = users.create_user(username, DEMO_PASSWORD, name, school, roles, gender, born,
                               logged_by=policy.SYSTEM, joined=STAFF_SINCE)
    reviewer = _user("reviewer")
    try:
        declarer, subject, number, reason = ZERO
        who = _user(declarer)
        if (act := _declare(school, reg, who, subject, _private(reg, {}, number), now, ZERO_DAYS_AGO)) is not None:
            _to(act, who, who, reviewer, Phase.CREDITED, {who.id: "0"}, reason)
        declarer, subject = HANDED_IN
        who = _user(declarer)
        if (act := _declare(school, reg, who, subject, {}, now, HANDED_IN_DAYS_AGO)) is not None:
            _to(act, who, deputy, reviewer, Phase.AWAITING_REVIEW)
    except DomainError as exc:  # the type's own code refused its steps (a plugin's bug): reported
        db.session.rollback()
        registry().plugins.fail(reg.plugin, M_DEMO_TYPE, exc, key=reg.decl.key, error=describe(exc))


def title_of(reg: RegisteredType, subject: str) -> str:
    """A declaration's title as the demo's others are made (``类型：主办单位（subject）``)."""
    return _demo_title(reg.decl.name_zh, sample_details(reg) or {}, subject)


def declaration(subject: str) -> Activity | None:
    """The demo's declaration of ``subject`` (:data:`ZERO`'s or :data:`HANDED_IN`'s), for tests."""
    reg = _type()
    if reg is None:
        return None
    return db.session.execute(select(Activity).where(Activity.title == title_of(reg, subject))).scalar_one_or_none()
