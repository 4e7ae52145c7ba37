"""The school's annual plan (年度校本研修计划): written by the school admin — aims, target hours,
planned activities by type and month with who is responsible — submitted to the district by its
deadline (June by default, the district's ``plan_deadline``), accepted or returned with a comment;
and the accepted plan against what the school held, by type and month.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from portal import policy
from portal.database import write_transaction
from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.hours import BadHours, parse_hours
from portal.messages import Msg, msg, shown
from portal.models import Activity, District, Membership, School, SchoolPlan, SchoolPlanLine, SchoolPlanWriter
from portal.registry import registry
from portal.security import is_digits
from portal.services import access, district_notices, plans, submissions
from portal.textcount import says_something
from portal.timeutil import (
    SCHOOL_YEAR_MONTHS,
    current_school_year,
    default_zone,
    first_calendar_year,
    first_day,
    month_starts,
    school_year_after,
    to_local,
    utcnow,
    zone_of,
)
from workflows.definition import Phase

DRAFT, SUBMITTED, RETURNED, ACCEPTED = "draft", "submitted", "returned", "accepted"
STATUSES = (DRAFT, SUBMITTED, RETURNED, ACCEPTED)  # words and colours: messages.RECORD_STATUSES["school_plan"]
EDITABLE = (DRAFT, RETURNED)
#: A plan whose lines activities are planned from (its page offers "plan from this line").
PLANNABLE = (DRAFT, ACCEPTED)
AIMS_MAX, LINES_MAX, TITLE_MAX, RESPONSIBLE_MAX = 4000, 200, 200, 100
#: School-year order of months: September first.
MONTHS = SCHOOL_YEAR_MONTHS


def next_year(tz: str, now: datetime | None = None) -> str:
    """The school year a plan is written for by default (on ``now``, naive UTC, if given): the
    coming one from March (plans go to the district in June), else the current one."""
    current = current_school_year(tz, now)
    return school_year_after(current) if to_local(now or utcnow(), tz).month in (3, 4, 5, 6, 7, 8) else current


def get_plan(school_id: int, year: str, *, for_update: bool = False) -> SchoolPlan | None:
    """The school's plan of ``year``; ``for_update`` locks its row inside a write, so that a send
    or a decision at the same moment waits for the write that read its state (and finds the state
    that write left), rather than the write rewriting a plan already sent."""
    q = select(SchoolPlan).where(SchoolPlan.school_id == school_id, SchoolPlan.school_year == year)
    if for_update:
        q = q.with_for_update().execution_options(populate_existing=True)
    return db.session.execute(q).scalar_one_or_none()


def lines_of(plan_id: int) -> list[SchoolPlanLine]:
    return list(db.session.execute(
        select(SchoolPlanLine).where(SchoolPlanLine.plan_id == plan_id).order_by(SchoolPlanLine.id)).scalars())


def _lines(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > LINES_MAX:
        raise Invalid(msg("school_plan.lines_invalid"), {"lines": msg("school_plan.lines_list", n=LINES_MAX)})
    out: list[dict[str, Any]] = []
    errors: dict[str, Any] = {}
    for i, row in enumerate(raw):
        if not isinstance(row, dict):
            errors[str(i)] = msg("must_be_object")
            continue
        err: dict[str, Msg] = {}
        key = row.get("type")
        if not isinstance(key, str):
            err["type"] = msg("type.unknown_field")
        elif registry().get(key) is None:
            raise NotFound(msg("type.unknown", key=shown(key)))
        month = row.get("month")
        if isinstance(month, str) and is_digits(month):
            month = int(month)
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            err["month"] = msg("school_plan.month")
        title = row.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > TITLE_MAX:
            err["title"] = msg("between_chars", low=1, high=TITLE_MAX)
        responsible = row.get("responsible", "")
        if not isinstance(responsible, str) or len(responsible) > RESPONSIBLE_MAX:
            err["responsible"] = msg("at_most_chars", n=RESPONSIBLE_MAX)
        hours = Decimal("0")
        try:
            hours = parse_hours(row.get("hours"), field="hours", maximum=Decimal("1000"))
        except BadHours as exc:
            err["hours"] = exc.msg
        if err:
            errors[str(i)] = err
            continue
        out.append({"type_key": key, "month": month, "title": cast(str, title).strip(),
                    "planned_hours": hours, "responsible": cast(str, responsible).strip()})
    if errors:
        raise Invalid(msg("school_plan.lines_invalid"), {"lines": errors})
    return out


def save_plan(school: School, year: Any, aims: Any, target_hours: Any, lines: Any, *, by: policy.Actor) -> SchoolPlan:
    """Write (or rewrite) the school's plan for ``year`` while it is a draft or returned."""
    policy.require(policy.may_write_school_plan(by), "policy.submit_admin_only")
    year_text = plans.plannable_year(year, school.timezone)  # empty: the school's year now
    fields: dict[str, Any] = {}
    if not isinstance(aims, str) or len(aims) > AIMS_MAX:
        fields["aims"] = msg("at_most_chars", n=AIMS_MAX)
    target = Decimal("0")
    try:
        target = parse_hours(target_hours, field="target_hours", maximum=Decimal("1000"))
    except BadHours as exc:
        fields["target_hours"] = exc.msg
    if fields:
        raise Invalid(msg("school_plan.invalid"), fields)
    clean = _lines(lines)
    now = utcnow()
    with write_transaction() as s:
        _require_still(s, school.id, by)  # its lock on the admins' roles queues two admins' writes too
        plan = get_plan(school.id, year_text, for_update=True)
        if plan is not None and plan.status not in EDITABLE:
            raise Conflict(msg("school_plan.not_editable"), status=plan.status)
        if plan is None:
            plan = SchoolPlan(district_id=school.district_id, school_id=school.id, school_year=year_text, status=DRAFT,
                              comment="", late=False, updated_by=by.user_id)
            s.add(plan)
        plan.aims, plan.target_hours, plan.updated_by, plan.updated_at = cast(str, aims).strip(), target, by.user_id, now
        s.flush()
        _replace_lines(s, plan.id, clean)
        _written_by(s, plan.id, by.user_id, now)
    return plan


def _written_by(s: Session, plan_id: int, user_id: int, at: datetime) -> None:
    """Keep that ``user_id`` wrote (saved or sent) the plan at ``at``, in the write itself: every
    writer stays :func:`involved`, however many wrote after them."""
    s.add(SchoolPlanWriter(plan_id=plan_id, user_id=user_id, written_at=at))


def _replace_lines(s: Any, plan_id: int, clean: list[dict[str, Any]]) -> None:
    """The plan's lines become ``clean``. A line kept (same type, month and title) keeps its id,
    so the activities planned from it stay linked; a line dropped unlinks its activities."""
    old = list(s.execute(select(SchoolPlanLine).where(SchoolPlanLine.plan_id == plan_id)).scalars())
    free: dict[tuple[str, int, str], list[SchoolPlanLine]] = {}
    for row in old:
        free.setdefault((row.type_key, row.month, row.title), []).append(row)
    reused: set[int] = set()
    for line in clean:
        same = free.get((line["type_key"], line["month"], line["title"]))
        if same:
            row = same.pop(0)
            row.planned_hours, row.responsible = line["planned_hours"], line["responsible"]
            reused.add(row.id)
        else:
            s.add(SchoolPlanLine(plan_id=plan_id, **line))
    dropped = [row.id for row in old if row.id not in reused]
    if dropped:
        s.execute(update(Activity).where(Activity.plan_line_id.in_(dropped)).values(plan_line_id=None)
                  .execution_options(synchronize_session=False))
        s.execute(delete(SchoolPlanLine).where(SchoolPlanLine.id.in_(dropped)))


def deadline(district: District, year: str) -> date:
    """The district's deadline for the plan of ``year``: its month-day in the year the school
    year starts (30 June by default). 29 February, which a district may choose, is 28 February
    in a year without it (the last day of the month)."""
    month, day = (int(x) for x in str(district.setting("plan_deadline")).split("-"))
    first = first_calendar_year(year)
    return date(first, month, min(day, monthrange(first, month)[1]))


@dataclass(frozen=True)
class Due:
    """The deadline of a school's plan of a year as the school's calendar sees it today."""

    day: date
    passed: bool  # a plan sent now is marked late (:func:`submit_plan`)


def due(district: District, school: School, year: str, now: datetime | None = None) -> Due:
    """The district's deadline for the school's plan of ``year`` (:func:`deadline`) and whether it
    has passed by the school's calendar (``now``, naive UTC, or now): as its reminders count the
    days to it and its calendar feed shows it (the day in UTC is another from 16:00 in Beijing).
    A plan opened after it — in December, or by a school that joined the district since — is
    still taken, marked late: the pages say so rather than show a date to come that is gone."""
    day = deadline(district, year)
    return Due(day, to_local(now or utcnow(), zone_of(school)).date() > day)


def submit_plan(school: School, year: Any, *, by: policy.Actor) -> SchoolPlan:
    """Send the plan to the district (marked late after the district's deadline)."""
    policy.require(policy.may_write_school_plan(by), "policy.submit_admin_only")
    year_text = plans.plannable_year(year, school.timezone)  # empty: the school's year now
    plan = get_plan(school.id, year_text)
    if plan is None:
        raise NotFound(msg("school_plan.not_found"))
    if not lines_of(plan.id):  # the plan's state, not the request, is wrong
        raise Conflict(msg("school_plan.empty"), status=plan.status)
    now = utcnow()
    late = due(db.session.get_one(District, school.district_id), school, year_text, now).passed
    return _move(plan, EDITABLE, "school_plan.not_editable", status=SUBMITTED, submitted_at=now, late=late,
                 recheck=lambda s: _require_still(s, school.id, by),
                 then=lambda: _written_by(db.session(), plan.id, by.user_id, now))  # who sends it vouches for it


def _require_still(s: Session, school_id: int, by: policy.Actor) -> None:
    """The school admin's right asked again inside the write (:func:`access.require_still`)."""
    access.require_still(s, by, policy.may_write_school_plan, "policy.submit_admin_only", school_id=school_id)


def _move(plan: SchoolPlan, from_statuses: tuple[str, ...], refusal: str, *,
          recheck: Callable[[Session], None] | None = None, then: Callable[[], None] | None = None,
          **values: Any) -> SchoolPlan:
    """Change the plan only if it is still in one of ``from_statuses`` (a concurrent decision
    loses with 409 ``refusal``), then read it back. ``recheck`` asks the actor's right again
    inside the write; ``then`` runs inside it once the plan moved (the news of it, queued with it)."""
    with write_transaction() as s:
        if recheck is not None:
            recheck(s)
        done = cast(CursorResult, s.execute(
            update(SchoolPlan)
            .where(SchoolPlan.id == plan.id, SchoolPlan.status.in_(from_statuses))
            .values(**values)
            .execution_options(synchronize_session=False)
        )).rowcount
        if done != 1:
            raise Conflict(msg(refusal), status=plan.status)
        if then is not None:
            then()
    db.session.refresh(plan)
    return plan


def get_for_district(plan_id: Any, district_id: int) -> SchoolPlan:
    plan = db.session.get(SchoolPlan, plan_id) if access.id_in_range(plan_id) else None
    if plan is None or plan.district_id != district_id:
        raise NotFound(msg("school_plan.not_found"))
    return plan


def decide_plan(plan_id: Any, accept: bool, comment: Any = "", *, by: policy.Actor, district_id: int) -> SchoolPlan:
    """Accept a submitted plan or return it with a comment (district reviewer or admin, from
    outside the school: :func:`involved`; the right asked again inside the write,
    :func:`access.require_still`)."""
    policy.require(policy.may_decide_school_plan(by), "policy.district_only")
    plan = get_for_district(plan_id, district_id)
    policy.require(policy.may_decide_school_plan_of(by, involved(plan)), "school_plan.own_school")
    if comment is None:
        comment = ""
    if not isinstance(comment, str) or len(comment) > submissions.COMMENT_MAX:
        raise Invalid(msg("comment.invalid"), {"comment": msg("comment.length", n=submissions.COMMENT_MAX)})
    if not accept and not says_something(comment):  # the school must be told why
        raise Invalid(msg("submission.comment_required"), {"comment": msg("submission.comment_required")})
    now, status, text = utcnow(), ACCEPTED if accept else RETURNED, comment.strip()
    return _move(plan, (SUBMITTED,), "submission.not_pending", status=status, comment=text, decided_by=by.user_id,
                 decided_at=now,
                 recheck=lambda s: _recheck_decider(s, by, plan, district_id),
                 then=lambda: district_notices.school_plan_decided(plan.id, status, text, now))


def involved(plan: SchoolPlan) -> list[int]:
    """Who may not accept or return the plan (``policy.may_decide_school_plan_of``): whoever is
    on the school's staff, and whoever wrote or sent it (:class:`SchoolPlanWriter`, every
    writer: one who left the school since, or wrote before another rewrote it, too). One query."""
    staff = select(Membership.user_id).where(Membership.school_id == plan.school_id, Membership.active.is_(True))
    writers = select(SchoolPlanWriter.user_id).where(SchoolPlanWriter.plan_id == plan.id)
    return sorted({plan.updated_by, *db.session.execute(staff.union(writers)).scalars()})


def _recheck_decider(s: Session, by: policy.Actor, plan: SchoolPlan, district_id: int) -> None:
    """The decider's district right and their distance from the school, asked again in the write."""
    access.require_still(s, by, policy.may_decide_school_plan, "policy.district_only", district_id=district_id)
    policy.require(policy.may_decide_school_plan_of(by, involved(plan)), "school_plan.own_school")


def district_school_plans(district_id: int, year: str) -> list[tuple[School, SchoolPlan | None]]:
    """Every school of the district with its plan of the year (two queries)."""
    schools = list(db.session.execute(
        select(School).where(School.district_id == district_id).order_by(School.name_key, School.code)).scalars())
    plans = {p.school_id: p for p in db.session.execute(
        select(SchoolPlan).where(SchoolPlan.district_id == district_id, SchoolPlan.school_year == year)).scalars()}
    return [(s, plans.get(s.id)) for s in schools]


@dataclass
class Cell:
    planned: int = 0
    planned_hours: Decimal = Decimal("0")
    held: int = 0
    held_hours: Decimal = Decimal("0")


def planned_vs_held(plan: SchoolPlan) -> dict[tuple[str, int], Cell]:
    """(type, month) → planned activities and hours against activities the school held (held,
    reviewed or credited, by the month they started in the school's time): two aggregate queries."""
    out: dict[tuple[str, int], Cell] = {}
    for key, month, n, hours in db.session.execute(
        select(SchoolPlanLine.type_key, SchoolPlanLine.month, func.count(), func.sum(SchoolPlanLine.planned_hours))
        .where(SchoolPlanLine.plan_id == plan.id)
        .group_by(SchoolPlanLine.type_key, SchoolPlanLine.month)
    ):
        cell = out.setdefault((key, int(month)), Cell())
        cell.planned, cell.planned_hours = int(n), Decimal(str(hours or 0))
    held_states = registry().states_in(Phase.AWAITING_REVIEW, Phase.CONFIRMED, Phase.CREDITED)
    # an activity planned from a line of this plan counts in that line's cell, whenever it was held
    line = aliased(SchoolPlanLine)
    key_of = func.coalesce(line.type_key, Activity.type_key)
    month_of = func.coalesce(line.month, _local_month(plan.school_year, zone_of(db.session.get(School, plan.school_id))))
    for key, month, n, hours in db.session.execute(
        select(key_of, month_of, func.count(), func.sum(Activity.hours))
        .outerjoin(line, (line.id == Activity.plan_line_id) & (line.plan_id == plan.id))
        .where(Activity.school_id == plan.school_id, Activity.school_year == plan.school_year,
               Activity.state.in_(held_states))
        .group_by(key_of, month_of)
    ):
        cell = out.setdefault((key, int(month)), Cell())
        cell.held, cell.held_hours = int(n), Decimal(str(hours or 0))
    return out


def _local_month(year: str, tz: str) -> ColumnElement[int]:
    """The month an activity of ``year`` started in, in the school's zone ``tz``, as SQL."""
    starts = month_starts(year, tz)
    months, nexts = [m for m, _ in starts], [at for _, at in starts[1:]]
    # started before the next month began: this month; after the last one began: the last
    return case(*((Activity.starts_at < at, m) for m, at in zip(months[:-1], nexts, strict=True)), else_=months[-1])


def activities_per_line(plan_id: int) -> dict[int, int]:
    """Line id → activities planned from it (any state): one GROUP BY."""
    return {int(line_id or 0): int(n) for line_id, n in db.session.execute(
        select(Activity.plan_line_id, func.count())
        .join(SchoolPlanLine, SchoolPlanLine.id == Activity.plan_line_id)
        .where(SchoolPlanLine.plan_id == plan_id)
        .group_by(Activity.plan_line_id)
    )}


def months_begun(year: str, today: date) -> list[int]:
    """The months of school year ``year`` that have begun by ``today`` (all of them once the
    year is over, none before it starts)."""
    return [m for m in MONTHS if first_day(year, m) <= today]


@dataclass
class Behind:
    """A school's accepted plan up to today against what it held (held, reviewed or credited)."""

    school: School
    planned: int
    planned_hours: Decimal
    held: int
    held_hours: Decimal

    @property
    def gap_hours(self) -> Decimal:
        return max(self.planned_hours - self.held_hours, Decimal("0"))


def _months_begun_by_zone(district_id: int, year: str, now: datetime) -> dict[tuple[int, ...], list[str]]:
    """The months of ``year`` begun at ``now`` (naive UTC) as each school of the district reads
    it (its zone's date), each list of months with the zones that read it."""
    zones = db.session.execute(select(School.timezone).where(School.district_id == district_id).distinct()).scalars()
    by_months: dict[tuple[int, ...], list[str]] = {}
    for zone in zones:
        months = tuple(months_begun(year, to_local(now, zone or default_zone()).date()))
        by_months.setdefault(months, []).append(zone)
    return by_months


def behind_plan(district_id: int, year: str, now: datetime, limit: int = 10) -> list[Behind]:
    """The district's schools furthest behind their accepted plan: planned hours of the months
    begun at ``now`` (naive UTC) by each school's calendar less the hours of activities held in
    the year, largest gap first. Two statements (the district's zones; two grouped subqueries
    joined to the schools), whatever the number of schools."""
    begun = [and_(School.timezone.in_(zones), SchoolPlanLine.month.in_(months))
             for months, zones in _months_begun_by_zone(district_id, year, now).items() if months]
    if not begun:
        return []
    planned = (
        select(SchoolPlan.school_id.label("school_id"), func.count(SchoolPlanLine.id).label("n"),
               func.sum(SchoolPlanLine.planned_hours).label("hours"))
        .join(SchoolPlanLine, SchoolPlanLine.plan_id == SchoolPlan.id)
        .join(School, School.id == SchoolPlan.school_id)
        .where(SchoolPlan.district_id == district_id, SchoolPlan.school_year == year, SchoolPlan.status == ACCEPTED,
               or_(*begun))
        .group_by(SchoolPlan.school_id)
        .subquery()
    )
    held_states = registry().states_in(Phase.AWAITING_REVIEW, Phase.CONFIRMED, Phase.CREDITED)
    held = (
        select(Activity.school_id.label("school_id"), func.count(Activity.id).label("n"),
               func.sum(Activity.hours).label("hours"))
        .join(planned, planned.c.school_id == Activity.school_id)
        .where(Activity.school_year == year, Activity.state.in_(held_states))
        .group_by(Activity.school_id)
        .subquery()
    )
    held_hours = func.coalesce(held.c.hours, 0)
    rows = db.session.execute(
        select(School, planned.c.n, planned.c.hours, func.coalesce(held.c.n, 0), held_hours)
        .join(planned, planned.c.school_id == School.id)
        .outerjoin(held, held.c.school_id == School.id)
        .order_by((planned.c.hours - held_hours).desc(), School.code)
        .limit(limit)
    ).all()
    return [Behind(school, int(n), Decimal(str(ph or 0)), int(hn), Decimal(str(hh or 0)))
            for school, n, ph, hn, hh in rows]
