"""The audit trail of one school: its transition log, its credit ledger and its staff changes
(roles and teaching groups, :mod:`portal.services.staff_log`), filtered.

All three records are append-only; this module only reads them, always scoped to one school.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from portal import paging
from portal.errors import Invalid
from portal.extensions import db
from portal.messages import Msg, msg, role_labels
from portal.models import Activity, CreditEntry, School, StaffChange, TeachingGroup, TransitionLog, User
from portal.security import MAX_ID
from portal.sorting import pinyin_key
from portal.timeutil import parse_day, parse_iso, to_local

VIEWS = ("transitions", "ledger", "staff")
LEDGER_KINDS = ("credit", "reversal")
PAGE_SIZE = 100
TEXT_FILTER_MAX = 64


@dataclass(frozen=True)
class AuditFilter:
    """What the admin asked for; every field optional. Dates are the school's local days."""

    view: str = "transitions"
    date_from: date | None = None
    date_to: date | None = None
    activity_id: int | None = None
    person: str = ""  # a username: the actor (transitions) or the teacher credited (ledger)
    trigger: str = ""  # transitions only
    kind: str = ""  # ledger only: credit / reversal
    after: str = ""  # keyset cursors (portal.paging): the page after / before this row
    before: str = ""


def _parse_date(raw: str, name: str, errors: dict[str, Msg]) -> date | None:
    if not raw:
        return None
    day = parse_day(raw)  # 2026-10-15 or 2026年10月15日; years outside the portal's range refused
    if day is None:
        errors[name] = msg("audit.date")
    return day


def _parse_positive_int(raw: str, name: str, errors: dict[str, Msg]) -> int | None:
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12 or not 1 <= int(raw) <= MAX_ID:
        errors[name] = msg("audit.positive")
        return None
    return int(raw)


def parse_filter(args: Mapping[str, str]) -> AuditFilter:
    """Read the filter from query arguments; raises :class:`Invalid` naming each bad field."""
    errors: dict[str, Msg] = {}
    view = (args.get("view") or "transitions").strip()
    if view not in VIEWS:
        errors["view"] = msg("audit.one_of", choices=", ".join(VIEWS))
        view = "transitions"
    date_from = _parse_date((args.get("from") or "").strip(), "from", errors)
    date_to = _parse_date((args.get("to") or "").strip(), "to", errors)
    if date_from and date_to and date_to < date_from:
        errors["to"] = msg("audit.to_before_from")
    activity_id = _parse_positive_int((args.get("activity") or "").strip(), "activity", errors)
    cursors = {}
    for name in ("after", "before"):
        cursors[name] = (args.get(name) or "").strip()
        try:
            paging.decode(cursors[name], CURSOR_KEYS, name)
        except Invalid as exc:
            errors[name] = exc.fields[name]
            cursors[name] = ""
    texts = {}
    for name in ("person", "trigger", "kind"):
        value = (args.get(name) or "").strip()
        if len(value) > TEXT_FILTER_MAX:
            errors[name] = msg("at_most_chars", n=TEXT_FILTER_MAX)
            value = ""
        texts[name] = value
    if texts["kind"] and texts["kind"] not in LEDGER_KINDS:
        errors["kind"] = msg("audit.one_of", choices=", ".join(LEDGER_KINDS))
    if errors:
        raise Invalid(msg("audit.invalid"), errors)
    return AuditFilter(view, date_from, date_to, activity_id, texts["person"], texts["trigger"], texts["kind"],
                       cursors["after"], cursors["before"])


def _utc_bounds(school: School, flt: AuditFilter) -> tuple[datetime | None, datetime | None]:
    """The filter's local days as a half-open UTC interval."""
    start = parse_iso(datetime.combine(flt.date_from, time.min), school.timezone) if flt.date_from else None
    end = (
        parse_iso(datetime.combine(flt.date_to + timedelta(days=1), time.min), school.timezone)
        if flt.date_to
        else None
    )
    return start, end


def _common_filters(q: Select, school: School, flt: AuditFilter, table: Any, person: Any) -> Select:
    """Date range (school-local days), activity (where the record has one) and person: shared by
    the log, the ledger and the staff changes."""
    start, end = _utc_bounds(school, flt)
    if start:
        q = q.where(table.created_at >= start)
    if end:
        q = q.where(table.created_at < end)
    if flt.activity_id and hasattr(table, "activity_id"):
        q = q.where(table.activity_id == flt.activity_id)
    if flt.person:
        q = q.where(person.username == flt.person)
    return q


def _transitions_query(school: School, flt: AuditFilter) -> Select:
    actor = aliased(User)
    q = (
        select(TransitionLog, Activity, actor)
        .join(Activity, Activity.id == TransitionLog.activity_id)
        .join(actor, actor.id == TransitionLog.actor_id)
        .where(TransitionLog.school_id == school.id, Activity.school_id == school.id)
    )
    q = _common_filters(q, school, flt, TransitionLog, actor)
    if flt.trigger:
        q = q.where(TransitionLog.trigger == flt.trigger)
    return q.order_by(TransitionLog.created_at.desc(), TransitionLog.id.desc())


def _ledger_query(school: School, flt: AuditFilter) -> Select:
    teacher, author = aliased(User), aliased(User)
    q = (
        select(CreditEntry, Activity, teacher, author)
        .join(Activity, Activity.id == CreditEntry.activity_id)
        .join(teacher, teacher.id == CreditEntry.user_id)
        .join(author, author.id == CreditEntry.created_by)
        .where(CreditEntry.school_id == school.id, Activity.school_id == school.id)
    )
    q = _common_filters(q, school, flt, CreditEntry, teacher)
    if flt.kind:
        q = q.where(CreditEntry.kind == flt.kind)
    return q.order_by(CreditEntry.created_at.desc(), CreditEntry.id.desc())


def _staff_query(school: School, flt: AuditFilter) -> Select:
    """Staff changes: the date range and the person changed (no activity, action or entry)."""
    person, author = aliased(User), aliased(User)
    q = (
        select(StaffChange, person, author)
        .join(person, person.id == StaffChange.user_id)
        .outerjoin(author, author.id == StaffChange.changed_by)
        .where(StaffChange.school_id == school.id)
    )
    return _common_filters(q, school, flt, StaffChange, person).order_by(StaffChange.created_at.desc(), StaffChange.id.desc())


def _local_text(school: School, dt: datetime) -> str:
    return to_local(dt, school.timezone).strftime("%Y-%m-%d %H:%M:%S")


def _transition_row(school: School, log: TransitionLog, act: Activity, actor: User) -> dict[str, Any]:
    return {
        "time": _local_text(school, log.created_at),
        "activity_id": act.id,
        "activity_title": act.title,
        "type_key": act.type_key,
        "trigger": log.trigger,
        "from_state": log.from_state,
        "to_state": log.to_state,
        "actor_username": actor.username,
        "actor_name": actor.display_name,
        "comment": log.comment or "",
    }


def _ledger_row(school: School, e: CreditEntry, act: Activity, teacher: User, author: User) -> dict[str, Any]:
    return {
        "time": _local_text(school, e.created_at),
        "activity_id": act.id,
        "activity_title": act.title,
        "type_key": e.type_key,
        "teacher_username": teacher.username,
        "teacher_name": teacher.display_name,
        "role": e.role,
        "school_year": e.school_year,
        "semester": e.semester,
        "hours": str(e.hours),
        "kind": e.kind,
        "round": e.round,
        "reason": e.reason or "",
        "created_by": author.username,
    }


def _staff_row(school: School, names: dict[int, str], change: StaffChange, person: User,
               author: User | None) -> dict[str, Any]:
    """Roles and groups in words: role labels, group names (a deleted group by its number)."""
    if change.what == "roles":
        before, after = str(role_labels(change.before)), str(role_labels(change.after))
    else:
        before, after = (gettext(", ").join(sorted((names.get(g, f"#{g}") for g in ids), key=pinyin_key))
                         for ids in (change.before, change.after))
    return {
        "time": _local_text(school, change.created_at),
        "person_username": person.username,
        "person_name": person.display_name,
        "what": change.what,
        "before": before,
        "after": after,
        "changed_by": author.username if author else "",
    }


def _group_names(school: School, flt: AuditFilter) -> dict[int, str]:
    """The school's group names, read once for a page of staff changes."""
    if flt.view != "staff":
        return {}
    rows = db.session.execute(select(TeachingGroup.id, TeachingGroup.name).where(TeachingGroup.school_id == school.id))
    return {gid: name for gid, name in rows}


def _row(school: School, flt: AuditFilter, row: Any, names: dict[int, str]) -> dict[str, Any]:
    if flt.view == "staff":
        return _staff_row(school, names, *row)
    return _ledger_row(school, *row) if flt.view == "ledger" else _transition_row(school, *row)


def _rows(school: School, flt: AuditFilter, q: Select) -> Iterator[dict[str, Any]]:
    names = _group_names(school, flt)
    for row in db.session.execute(q):
        yield _row(school, flt, row, names)


def _query(school: School, flt: AuditFilter) -> Select:
    if flt.view == "staff":
        return _staff_query(school, flt)
    return _ledger_query(school, flt) if flt.view == "ledger" else _transitions_query(school, flt)


#: the table each view pages through
_TABLES: dict[str, Any] = {"transitions": TransitionLog, "ledger": CreditEntry, "staff": StaffChange}


#: Both views sort newest first by (created_at, id); a cursor holds those two values.
CURSOR_KEYS = (paging.Key(None, datetime, True), paging.Key(None, int, True))


def page(school: School, flt: AuditFilter) -> paging.Page[dict[str, Any]]:
    """One page of rows, newest first, by keyset on (created_at, id): the log only grows, and
    an offset would read every newer row again to reach an old page."""
    table = _TABLES[flt.view]
    keys = [paging.Key(table.created_at, datetime, True), paging.Key(table.id, int, True)]
    found = paging.keyset(
        lambda q: list(db.session.execute(q).all()),
        _query(school, flt).order_by(None),
        keys,
        lambda row: (row[0].created_at, row[0].id),
        after=flt.after or None,
        before=flt.before or None,
        size=PAGE_SIZE,
    )
    names = _group_names(school, flt)
    rows = [_row(school, flt, r, names) for r in found.items]
    return paging.Page(rows, found.next, found.prev, found.moved)


def all_rows(school: School, flt: AuditFilter) -> Iterator[dict[str, Any]]:
    """Every matching row, newest first, read in batches (for the CSV export)."""
    q = _query(school, flt).execution_options(yield_per=500)
    yield from _rows(school, flt, q)


def triggers_used(school: School) -> list[str]:
    """The triggers present in the school's log (for the filter's choices)."""
    return list(
        db.session.execute(
            select(TransitionLog.trigger).where(TransitionLog.school_id == school.id).distinct().order_by(
                TransitionLog.trigger
            )
        ).scalars()
    )
