"""Personal development plans (个人发展计划): per teacher and school year, the teacher's goals
in their own words, target hours (in all and per activity type), the books and topics they
will study; written before the school's deadline, signed off (同意) or returned (退回) by a
school admin or a reviewer — never by the teacher — and set against what happened.

What happened is always :func:`portal.services.credits.teacher_year`'s figures: hours are
never computed a second way.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, bindparam, literal, select, union_all

from portal import policy
from portal.database import keep_compiled, read_rows, write_transaction
from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.hours import BadHours, fmt, parse_hours
from portal.messages import Msg, RecordStatus, SchoolYear, msg, shown
from portal.models import DevelopmentPlan, Membership, School, User
from portal.models.district import WHOLE_YEAR
from portal.models.user import TEACHER
from portal.registry import registry
from portal.services import access, credits, locks, schools
from portal.services.notifications import NewNotification, notify_many
from portal.sorting import pinyin_key
from portal.textcount import says_something
from portal.timeutil import (
    current_school_year,
    first_calendar_year,
    parse_day,
    school_year_after,
    to_local,
    utcnow,
    year_bounds,
    zone_of,
)

DRAFT, SUBMITTED, APPROVED, RETURNED = "draft", "submitted", "approved", "returned"
STATUSES = (DRAFT, SUBMITTED, APPROVED, RETURNED)  # words and colours: messages.RECORD_STATUSES["plan"]
EDITABLE = (DRAFT, RETURNED)
#: A plan that is sent (waiting for sign-off, or signed off): its deadline no longer concerns the
#: teacher — the reminders (``district_notices.remind_plan_deadline``) and the calendar feed
#: (``calendar_feeds``) leave it out.
SENT = (SUBMITTED, APPROVED)
GOALS_MAX = 2000
STUDIES_LINES, STUDIES_LINE_MAX = 30, 200
COMMENT_MAX = 2000
TARGET_MAX = Decimal("300")
DEADLINE_KEY = "plan_deadlines"  # school.rules: {"2026-2027": "2026-10-31"}
DEFAULT_DEADLINE = (10, 31)  # the plan is written early in the year (September–October)
#: Days a teacher who joined the school after the deadline (or came back after it) has, from the
#: day they joined, to hand in their plan: the school's deadline was over before they were there.
JOINED_LATE_DAYS = 30


def deadline(school: School, year: str) -> date:
    """The school's deadline for the year's plans (31 October unless the school set one)."""
    text = ((school.rules or {}).get(DEADLINE_KEY) or {}).get(year)
    if isinstance(text, str):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    return date(first_calendar_year(year), *DEFAULT_DEADLINE)


# When a teacher's role in a school dates from (joined, or back after a year away; bound)
_JOINED = select(Membership.since).where(
    Membership.user_id == bindparam("user_id"), Membership.school_id == bindparam("school_id"),
    Membership.role == TEACHER,
)


def deadline_for(school: School, year: str, user_id: int) -> date:
    """The deadline of one teacher's plan for the year: the school's (:func:`deadline`), or, for
    a teacher who joined the school after it (``Membership.since``, in the school's time; back
    after a gap counts from the return, ``users.give_back``: the plan is for the year they are
    there from then), :data:`JOINED_LATE_DAYS` after the day they joined, within the school year."""
    since = db.session.execute(_JOINED, {"user_id": user_id, "school_id": school.id}).scalar_one_or_none()
    return own_deadline(school, year, since)


def own_deadline(school: School, year: str, since: datetime | None) -> date:
    """:func:`deadline_for` of a teacher whose role here dates from ``since`` (None: not known,
    always held): the school's deadline unless they joined after it, during the school year."""
    return deadline_from(school, year, to_local(since, zone_of(school)).date() if since is not None else None)


def deadline_from(school: School, year: str, joined: date | None) -> date:
    """:func:`own_deadline` of the day (the school's) their role began: ``YearFacts.on_staff_since``,
    read with the teacher's year (the home asks it so, with no statement of its own)."""
    due, last = deadline(school, year), year_bounds(year)[1]
    if joined is None or not due < joined <= last:
        return due
    return min(joined + timedelta(days=JOINED_LATE_DAYS), last)


def set_deadline(school: School, year: object, value: object, *, by: policy.Actor) -> date:
    """A school admin sets the deadline: a date within the school year."""
    policy.require(policy.may_set_plan_deadline(by), "policy.admin_only")
    year = credits.parse_year(year, current_school_year(school.timezone))  # empty: the school's year now
    first, last = year_bounds(year)
    day = parse_day(value, (1, 9999))  # 2026-10-31 or 2026年10月31日; a real day outside the year: below
    if day is None:
        raise Invalid(msg("plan.save_refused"), {"deadline": msg("plan.deadline_date")})
    if not first <= day <= last:
        raise Invalid(
            msg("plan.save_refused"),
            {"deadline": msg("plan.deadline_outside_year", year=SchoolYear.said(year), start=first.isoformat(),
                             end=last.isoformat())},
        )
    with write_transaction() as s:
        access.require_still(s, by, policy.may_set_plan_deadline, "policy.admin_only", school_id=school.id)
        rules = dict(school.rules or {})
        rules[DEADLINE_KEY] = {**(rules.get(DEADLINE_KEY) or {}), year: day.isoformat()}
        school.rules = rules
    return day


def _today(school: School) -> date:
    return to_local(utcnow(), zone_of(school)).date()


def closed_by_deadline(school: School, plan: Any, due: date, today: date | None = None) -> bool:
    """The teacher's deadline (``due``: :func:`deadline_for`) has passed by the school's calendar
    (``today``: the school's day, as a page keyed on it read it; else now) and the plan (a
    :class:`DevelopmentPlan`, a :data:`PlanRow`, the home's ``credits.HomePlan`` or None) is not one returned for revision:
    :func:`save` refuses it, and the plan page and the home say so rather than offer a form — in
    December, a deadline of 31 October is gone."""
    return (today or _today(school)) > due and (plan is None or plan.status != RETURNED)


# A teacher's plan of a school and year (bound): built once, the home page asks on every visit
_PLAN_OF = select(DevelopmentPlan).where(
    DevelopmentPlan.school_id == bindparam("school_id"),
    DevelopmentPlan.user_id == bindparam("user_id"),
    DevelopmentPlan.school_year == bindparam("year"),
)


def sent_by(school_id: int, year: str) -> Select:
    """The ids of the school's teachers whose plan of ``year`` is sent (:data:`SENT`)."""
    return select(DevelopmentPlan.user_id).where(
        DevelopmentPlan.school_id == school_id, DevelopmentPlan.school_year == year, DevelopmentPlan.status.in_(SENT))


def _unsent_statement(school_id: int, year: str, *first: Any) -> Select:
    """:func:`unsent`'s teachers: (``first``,) user id, since."""
    return (select(*first, Membership.user_id, Membership.since).join(User, User.id == Membership.user_id).where(
        Membership.school_id == school_id, Membership.role == TEACHER, Membership.active.is_(True),
        User.active.is_(True), Membership.user_id.not_in(sent_by(school_id, year))))


def unsent(school_id: int, year: str) -> list[tuple[int, datetime | None]]:
    """(user id, since their role here) of the school's active teachers whose plan of ``year`` is
    not sent (:func:`sent_by`), by id: whom its deadline (:func:`own_deadline`) still concerns —
    the reminders and the admin's to-do list ask the same."""
    return [(uid, since) for uid, since in db.session.execute(
        _unsent_statement(school_id, year).order_by(Membership.user_id))]


def waiting_and_unsent(
    school_id: int, year: str, waiting: bool = True, unsent_too: bool = True,
) -> tuple[list[tuple[int, datetime | None]], list[tuple[int, datetime | None]]]:
    """In one statement: (author, when sent) of the school's plans of ``year`` waiting for
    sign-off (:data:`SUBMITTED`), and :func:`unsent`'s teachers (by id) — the admin's to-do list
    asks both (``waiting``, ``unsent_too``: which of them; none asked, no statement)."""
    parts = []
    if waiting:
        parts.append(select(literal(0).label("part"), DevelopmentPlan.user_id, DevelopmentPlan.submitted_at).where(
            DevelopmentPlan.school_id == school_id, DevelopmentPlan.school_year == year,
            DevelopmentPlan.status == SUBMITTED))
    if unsent_too:
        parts.append(_unsent_statement(school_id, year, literal(1).label("part")))
    found: tuple[list[tuple[int, datetime | None]], list[tuple[int, datetime | None]]] = ([], [])
    if parts:
        for part, uid, at in db.session.execute(union_all(*parts).order_by("part", "user_id")):
            found[part].append((uid, at))
    return found


def has_sent(school_id: int, user_id: int, year: str) -> bool:
    """Whether the teacher's plan of ``year`` is sent (:func:`sent_by`)."""
    return db.session.execute(sent_by(school_id, year).where(DevelopmentPlan.user_id == user_id)).first() is not None


def plan_of(school_id: int, user_id: int, year: str) -> DevelopmentPlan | None:
    params = {"school_id": school_id, "user_id": user_id, "year": year}
    return db.session.execute(_PLAN_OF, params).scalar_one_or_none()


# A plan as pages show it: a read-only tuple with the attributes of DevelopmentPlan
PlanRow = namedtuple("PlanRow", [c.key for c in DevelopmentPlan.__table__.columns])  # type: ignore[misc]
_PLAN_ROW_OF = keep_compiled(select(*DevelopmentPlan.__table__.columns).where(
    DevelopmentPlan.school_id == bindparam("school_id"),
    DevelopmentPlan.user_id == bindparam("user_id"),
    DevelopmentPlan.school_year == bindparam("year"),
))


def plan_row_of(school_id: int, user_id: int, year: str) -> Any:
    """:func:`plan_of` to be read, not changed (a :data:`PlanRow`): the growth record shows it
    on every visit, and loading it as an object cost twice the query (the teacher home reads
    what it shows of it with the teacher's year since round 59: ``credits.HomePlan``)."""
    row = read_rows(_PLAN_ROW_OF, {"school_id": school_id, "user_id": user_id, "year": year}).first()
    return PlanRow._make(row) if row is not None else None


def get_plan(plan_id: object, school_id: int) -> DevelopmentPlan:
    row = db.session.get(DevelopmentPlan, plan_id) if access.id_in_range(plan_id) else None
    if row is None or row.school_id != school_id:
        raise NotFound(msg("plan.not_found"))
    return row


def readable_plan(plan_id: object, school_id: int, by: policy.Actor) -> DevelopmentPlan:
    plan = get_plan(plan_id, school_id)
    policy.require(policy.may_read_plan(by, plan.user_id), "policy.read_plan")
    return plan


def _studies(value: object) -> tuple[str, Msg | None]:
    if value is None:
        return "", None
    lines = [line.strip() for line in value.splitlines() if line.strip()] if isinstance(value, str) else None
    if lines is None or len(lines) > STUDIES_LINES or any(len(line) > STUDIES_LINE_MAX for line in lines):
        return "", msg("plan.studies", n=STUDIES_LINES, m=STUDIES_LINE_MAX)
    return "\n".join(lines), None


def _targets(school: School, target: object, per_type: object) -> tuple[Decimal, dict[str, str], dict[str, Any]]:
    fields: dict[str, Any] = {}
    required = Decimal(str(school.rule("required_hours")))
    total = required
    if target not in (None, ""):
        try:
            total = parse_hours(target, field="target_hours", maximum=TARGET_MAX)
        except BadHours as exc:
            fields["target_hours"] = exc.msg
    if "target_hours" not in fields and total < required:
        fields["target_hours"] = msg("plan.target_below_required", n=fmt(required))
    clean: dict[str, str] = {}
    if per_type is None:
        per_type = {}
    if not isinstance(per_type, dict):
        fields["type_targets"] = msg("must_be_object")
        return total, clean, fields
    enabled = {r.decl.key for r in schools.enabled_types(school.id)}
    errors: dict[str, Msg] = {}
    for key, value in per_type.items():
        if key not in enabled:
            errors[str(key)[:64]] = msg("plan.type_unknown", key=shown(key))
            continue
        if value in (None, ""):
            continue
        try:
            hours = parse_hours(value, field=key, maximum=TARGET_MAX)
        except BadHours as exc:
            errors[key] = exc.msg
            continue
        if hours:
            clean[key] = fmt(hours)
    if errors:
        fields["type_targets"] = errors
    elif "target_hours" not in fields:
        planned = sum((Decimal(v) for v in clean.values()), Decimal("0"))
        if planned > total:
            fields["type_targets"] = msg("plan.type_sum", sum=fmt(planned), n=fmt(total))
    return total, clean, fields


def year_open(school_id: int, year: str) -> bool:
    """Whether the year's plans may still change: not once the district has accepted the whole
    year, or both its semesters (:func:`locks.covers`; one semester's acceptance leaves the
    year's plans open)."""
    return not locks.is_locked(school_id, year, WHOLE_YEAR)


def _require_year_open(school_id: int, year: str) -> None:
    """In the write: refuse (``year.locked``) a plan change in a year the district accepted."""
    locks.require_unlocked(school_id, year, WHOLE_YEAR)


def plannable_year(value: object, tz: str) -> str:
    """The school year a plan (a teacher's, the school's) is written for, from a request's
    ``value`` (empty: the school's year now), refused unless ``policy.may_plan_for_year``: a past
    year (409, history whatever its plan's status), one further off than the next (422)."""
    this_year = current_school_year(tz)
    year = credits.parse_year(value, this_year)
    if policy.may_plan_for_year(year, this_year):
        return year
    if policy.is_past_year(year, this_year):
        raise Conflict(msg("plan.past_year", year=SchoolYear(year)), school_year=year)
    within = msg("plan.far_year", this=SchoolYear(this_year, within=True),
                 next=SchoolYear(school_year_after(this_year), within=True))
    raise Invalid(msg("plan.save_refused"), {"year": within})


def save(
    school: School,
    teacher: User,
    year: object,
    goals: object,
    studies: object = "",
    target_hours: object = None,
    type_targets: object = None,
    *,
    by: policy.Actor,
    submit: bool = False,
) -> DevelopmentPlan:
    """Write (and with ``submit``, hand in) the teacher's plan for ``year``, all or nothing.

    A draft or a returned plan may change; a plan awaiting sign-off or signed off may not.
    After the teacher's deadline (:func:`deadline_for`) only a returned plan may be revised; once the district has accepted the
    year, none."""
    policy.require(policy.may_write_plan(by, teacher.id), "policy.write_plan")
    year = plannable_year(year, school.timezone)
    plan = plan_of(school.id, teacher.id, year)
    if plan is not None and plan.status not in EDITABLE:
        raise Conflict(msg("plan.locked", status=RecordStatus("plan", plan.status)), status=plan.status)
    due = deadline_for(school, year, teacher.id)
    if closed_by_deadline(school, plan, due):
        raise Conflict(msg("plan.deadline_passed", date=due.isoformat()))
    fields: dict[str, Any] = {}
    text = goals.strip() if isinstance(goals, str) else ""
    if not says_something(text) or len(text) > GOALS_MAX:  # zero-width or punctuation only: nothing written
        fields["goals"] = msg("plan.goals", n=GOALS_MAX)
    study_text, study_error = _studies(studies)
    if study_error:
        fields["studies"] = study_error
    total, per_type, target_errors = _targets(school, target_hours, type_targets)
    fields.update(target_errors)
    if fields:
        raise Invalid(msg("plan.save_refused"), fields)
    with write_transaction() as s:
        access.require_still(s, by, lambda now: policy.may_write_plan(now, teacher.id), "policy.write_plan",
                             school_id=school.id)
        _require_year_open(school.id, year)
        if plan is None:
            plan = DevelopmentPlan(school_id=school.id, user_id=teacher.id, school_year=year, status=DRAFT, comment="")
            s.add(plan)
        plan.goals, plan.studies, plan.target_hours, plan.type_targets = text, study_text, total, per_type
        plan.updated_at = utcnow()
        if submit:
            plan.status, plan.submitted_at = SUBMITTED, utcnow()
    return plan


def decide(plan: DevelopmentPlan, decision: object, comment: object = "", *, by: policy.Actor) -> DevelopmentPlan:
    """Sign off (``approve``) or return (``return``, with a comment) a submitted plan (not in a
    year the district has accepted)."""
    policy.require(policy.may_decide_plan(by, plan.user_id), "policy.decide_plan")
    fields: dict[str, Msg] = {}
    if decision not in ("approve", "return"):
        fields["decision"] = msg("plan.decision")
    note = comment.strip() if isinstance(comment, str) else ""
    if comment is not None and not isinstance(comment, str):
        fields["comment"] = msg("at_most_chars", n=COMMENT_MAX)
    elif len(note) > COMMENT_MAX:
        fields["comment"] = msg("at_most_chars", n=COMMENT_MAX)
    elif decision == "return" and not says_something(note):  # the teacher must be told why
        fields["comment"] = msg("plan.comment_required")
    if fields:
        raise Invalid(msg("plan.save_refused"), fields)
    with write_transaction() as s:
        access.require_still(s, by, lambda now: policy.may_decide_plan(now, plan.user_id), "policy.decide_plan",
                             school_id=plan.school_id)
        _require_year_open(plan.school_id, plan.school_year)
        current = s.execute(
            select(DevelopmentPlan).where(DevelopmentPlan.id == plan.id).with_for_update()
            .execution_options(populate_existing=True)
        ).scalar_one()
        if current.status != SUBMITTED:
            raise Conflict(msg("plan.not_submitted"), status=current.status)
        current.status = APPROVED if decision == "approve" else RETURNED
        current.decided_by, current.decided_at, current.comment = by.user_id, utcnow(), note
    # the teacher is told, as of an activity's review: a returned plan waits on them (with why)
    kind = "plan_approved" if current.status == APPROVED else "plan_returned"
    notify_many([NewNotification(
        current.user_id, kind, f"{kind}:{current.id}:{current.decided_at.isoformat()}",
        {"year": current.school_year, "comment": note}, f"/plan?year={current.school_year}", current.school_id,
    )])
    return current


def school_plans(school_id: int, year: str) -> list[tuple[DevelopmentPlan, User]]:
    """The year's plans of the school, awaiting sign-off first, then by pinyin of the name."""
    rows = list(
        db.session.execute(
            select(DevelopmentPlan, User)
            .join(User, User.id == DevelopmentPlan.user_id)
            .where(DevelopmentPlan.school_id == school_id, DevelopmentPlan.school_year == year)
        )
    )
    return sorted(rows, key=lambda r: (r[0].status != SUBMITTED, pinyin_key(r[1].display_name), r[1].id))


@dataclass
class PlanLine:
    key: str | None  # an activity type, None for the total
    planned: Decimal
    done: Decimal

    @property
    def unplanned(self) -> bool:
        """A type the plan gives no hours: what it brought is not progress on the plan (no bar)."""
        return self.key is not None and not self.planned

    @property
    def percent(self) -> int:
        if not self.planned:
            return 100 if self.done else 0
        return min(100, int(self.done * 100 / self.planned))


def against(plan: Any, record: credits.TeacherYear) -> list[PlanLine]:
    """Planned vs done of ``plan`` (its ``target_hours`` and ``type_targets``: a plan, a
    :data:`PlanRow` or ``credits.HomePlan``): the total, then each type planned or done (done
    from the one teacher-year builder, ``credits.teacher_year`` / ``year_rows``)."""
    facts = record.facts
    planned = {k: Decimal(v) for k, v in (plan.type_targets or {}).items()}
    lines = [PlanLine(None, plan.target_hours, facts.total_hours)]
    for key in registry().in_order(set(planned) | set(facts.by_type)):
        lines.append(PlanLine(key, planned.get(key, Decimal("0")), facts.by_type.get(key, Decimal("0"))))
    return lines
