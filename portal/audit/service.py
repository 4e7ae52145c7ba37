"""The audit trail of one school: its transition log, its credit ledger, its staff changes
(roles, teaching groups, new passwords and exemptions, :mod:`portal.services.staff_log`), its
settings changed (rules and activity types, :mod:`portal.services.school_log`) and its correction
requests (who asked, why, who closed them and why: :mod:`portal.services.corrections`), filtered.

The first four records are append-only; a correction request is written when asked and once more
when closed. This module only reads them, always scoped to one school.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import JSON, Integer, Select, String, case, cast, literal, null, or_, select, union, union_all
from sqlalchemy.orm import aliased

from portal import paging
from portal.errors import Invalid
from portal.extensions import db
from portal.hours import fmt
from portal.messages import ROLE_NAMES, ROLE_TEXTS, Msg, SchoolYear, msg, tr
from portal.models import (
    Activity,
    CorrectionRequest,
    CreditEntry,
    School,
    SchoolChange,
    StaffChange,
    SubmissionEvent,
    TeachingGroup,
    TransitionLog,
    User,
    YearSubmission,
)
from portal.models.user import username_key
from portal.security import MAX_ID
from portal.services.activities import hours_changes, list_changes, names_by_id
from portal.sorting import pinyin_key
from portal.timeutil import parse_day, parse_iso, to_local
from workflows import submission as submission_steps
from workflows.definition import ATTENDANCE_RECORDED, PARTICIPANTS_CHANGED

VIEWS = ("transitions", "ledger", "staff", "settings", "corrections")
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
    if flt.person:  # a username however typed (its case, its width), as a login finds it
        q = q.where(or_(person.username == flt.person, person.username_key == username_key(flt.person)))
    return q


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


def _settings_query(school: School, flt: AuditFilter) -> Select:
    """Changes of the school's rules and activity types: the date range and who changed them."""
    author = aliased(User)
    q = (
        select(SchoolChange, author)
        .outerjoin(author, author.id == SchoolChange.changed_by)
        .where(SchoolChange.school_id == school.id)
    )
    return _common_filters(q, school, flt, SchoolChange, author).order_by(
        SchoolChange.created_at.desc(), SchoolChange.id.desc())


def _corrections_query(school: School, flt: AuditFilter) -> Select:
    """Correction requests: the date asked, the activity and the person who asked."""
    asker, closer = aliased(User), aliased(User)
    q = (
        select(CorrectionRequest, Activity, asker, closer)
        .join(Activity, Activity.id == CorrectionRequest.activity_id)
        .join(asker, asker.id == CorrectionRequest.requester_id)
        .outerjoin(closer, closer.id == CorrectionRequest.closed_by)
        .where(CorrectionRequest.school_id == school.id, Activity.school_id == school.id)
    )
    return _common_filters(q, school, flt, CorrectionRequest, asker).order_by(
        CorrectionRequest.created_at.desc(), CorrectionRequest.id.desc())


def _correction_row(school: School, req: CorrectionRequest, act: Activity, asker: User,
                    closer: User | None) -> dict[str, Any]:
    return {
        "time": _local_text(school, req.created_at),
        "activity_id": act.id,
        "activity_title": act.title,
        "request": (req.kind, req.wanted),  # in words on the page (audit.views.shown)
        "asked_by": asker.username,
        "asked_name": asker.display_name,
        "reason": req.reason,
        "outcome": req.status,
        "closed_at": _local_text(school, req.closed_at) if req.closed_at else "",
        "closed_by": closer.username if closer else "",
        "close_reason": req.close_reason or "",
    }


def _setting_value(value: Any) -> str:
    """A rule's or a setting's value as the page shows it: yes or no, hours as every page writes
    them (24, 4.5), text as it is."""
    if isinstance(value, bool):
        return msg("audit.yes" if value else "audit.no").render()
    if isinstance(value, (int, float)):
        return fmt(value)
    return "" if value is None else str(value)


def _settings_row(school: School, change: SchoolChange, author: User | None) -> dict[str, Any]:
    """A rule by its label, a type by its name and each of its settings by theirs (the switch
    as "enabled"), in the reader's language."""
    from portal.registry import registry
    from portal.school_rules import SCHOOL_RULES

    if change.what == "rule":
        spec = SCHOOL_RULES.get(change.subject)
        subject = str(spec.label) if spec is not None and spec.label is not None else change.subject
        before, after = (_setting_value(side[0] if side else None) for side in (change.before, change.after))
    else:
        reg = registry().get(change.subject)
        subject = registry().name(change.subject)

        def label(name: str) -> str:
            spec = reg.decl.settings.get(name) if reg is not None else None
            if name == "enabled":
                return gettext("Enabled")
            return str(spec.label) if spec is not None and spec.label is not None else name

        before, after = (tr({label(n): _setting_value(v) for n, v in (side or {}).items()})
                         for side in (change.before, change.after))
    return {
        "time": _local_text(school, change.created_at),
        "what": change.what,
        "subject": subject,
        "before": before or gettext("none"),  # not set before (or no longer): said, not blank
        "after": after or gettext("none"),
        "changed_by": author.username if author else msg("staff.command_line").render(),
    }


def _local_text(school: School, dt: datetime) -> str:
    return to_local(dt, school.timezone).strftime("%Y-%m-%d %H:%M:%S")


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
        "hours": fmt(e.hours),  # as every export writes hours: 3, 4.5
        "kind": e.kind,
        "round": e.round,
        "reason": e.reason or "",
        "created_by": author.username,
    }


def _staff_row(school: School, names: dict[int, str], change: StaffChange, person: User,
               author: User | None) -> dict[str, Any]:
    """Roles and groups in words (role labels, group names; a deleted group by its number), a new
    password without it, an exemption by its year and reason, a recount by its piece."""
    if change.what == "roles":  # as the staff pages name them (Teacher, School admin)
        before, after = (gettext(", ").join(str(ROLE_NAMES.get(r, ROLE_TEXTS.get(r, r))) for r in side or ())
                         for side in (change.before, change.after))
    elif change.what == "password":  # the line says a new one was given, never what it is
        before, after = "", msg("staff.password_given").render()
    elif change.what == "exemption":  # [year, reason] on each side, or nothing (staff_log.record_exemption)
        before, after = (msg("staff.exemption", year=SchoolYear(side[0]), reason=side[1]).render() if side else ""
                         for side in (change.before, change.after))
    elif change.what in ("char_count", "writing_count"):  # [its id, name, characters] (staff_log.record_count)
        said = "staff.char_count" if change.what == "char_count" else "staff.writing_count"
        before, after = (msg(said, id=piece[0], name=piece[1], n=piece[2]).render()
                         for piece in (change.before, change.after))
    else:
        before, after = (gettext(", ").join(sorted((names.get(g, f"#{g}") for g in ids), key=pinyin_key))
                         for ids in (change.before, change.after))
    if change.what != "password":  # nothing on a side (no role left, no exemption, no group): said, not blank
        before, after = before or gettext("none"), after or gettext("none")
    return {
        "time": _local_text(school, change.created_at),
        "person_username": person.username,
        "person_name": person.display_name,
        "what": change.what,
        "before": before,
        "after": after,
        # no author: the operator's ``flask`` command (staff_log.record with policy.SYSTEM)
        "changed_by": author.username if author else msg("staff.command_line").render(),
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
    if flt.view == "settings":
        return _settings_row(school, *row)
    if flt.view == "corrections":
        return _correction_row(school, *row)
    return _ledger_row(school, *row)


def _rows(school: School, flt: AuditFilter, q: Select) -> Iterator[dict[str, Any]]:
    names = _group_names(school, flt)
    for row in db.session.execute(q):
        yield _row(school, flt, row, names)


def _query(school: School, flt: AuditFilter) -> Select:
    """The ledger's or the staff changes' rows (the transitions view is :func:`_log_page`'s)."""
    if flt.view == "settings":
        return _settings_query(school, flt)
    if flt.view == "corrections":
        return _corrections_query(school, flt)
    return _staff_query(school, flt) if flt.view == "staff" else _ledger_query(school, flt)


#: the table each view pages through
_TABLES: dict[str, Any] = {"transitions": TransitionLog, "ledger": CreditEntry, "staff": StaffChange,
                           "settings": SchoolChange, "corrections": CorrectionRequest}


#: Both views sort newest first by (created_at, id); a cursor holds those two values.
CURSOR_KEYS = (paging.Key(None, datetime, True), paging.Key(None, int, True))


#: The transitions view interleaves the school's submission events (submitted, returned,
#: accepted and locked, reopened) with the activities' transitions: both are numbered into one
#: sort key, a transition's id times two and an event's times two plus one, so a page is one
#: keyset over their union and its cursors are what they were, (time, number).
EVENT_PREFIX = "submission."
EVENT_STEPS: dict[str, tuple[str, str]] = {
    "submit": ("", submission_steps.SUBMITTED),
    **{s.trigger: (s.sources[0], s.dest) for s in submission_steps.STEPS},
}


def _transition_side(school: School, flt: AuditFilter) -> Select:
    actor = aliased(User)
    q = (
        select(
            TransitionLog.created_at.label("created_at"), (TransitionLog.id * 2).label("uid"),
            Activity.id.label("activity_id"), Activity.title.label("activity_title"), Activity.type_key.label("type_key"),
            TransitionLog.trigger.label("trigger"), TransitionLog.from_state.label("from_state"),
            TransitionLog.to_state.label("to_state"), actor.username.label("actor_username"),
            actor.display_name.label("actor_name"), TransitionLog.comment.label("comment"),
            literal("", String).label("year"), literal(0, Integer).label("semester"), literal(0, Integer).label("round"),
            # the hours an attendance entry changed, the people a change of the list named (no other
            # entry's payload is shown)
            case((TransitionLog.trigger.in_((ATTENDANCE_RECORDED, PARTICIPANTS_CHANGED)), TransitionLog.payload),
                 else_=null()).label("payload"),
        )
        .join(Activity, Activity.id == TransitionLog.activity_id)
        .join(actor, actor.id == TransitionLog.actor_id)
        .where(TransitionLog.school_id == school.id, Activity.school_id == school.id)
    )
    q = _common_filters(q, school, flt, TransitionLog, actor)
    return q.where(TransitionLog.trigger == flt.trigger) if flt.trigger else q


def _event_side(school: School, flt: AuditFilter) -> Select | None:
    """The school's submission events the filter keeps (None: none; they belong to no activity),
    in the transitions' columns: the action ``submission.<step>``, the submission's status
    before and after, the district's comment or reason."""
    if flt.activity_id or (flt.trigger and not flt.trigger.startswith(EVENT_PREFIX)):
        return None
    actor = aliased(User)
    step = SubmissionEvent.action
    q = (
        select(
            SubmissionEvent.created_at.label("created_at"), (SubmissionEvent.id * 2 + 1).label("uid"),
            cast(null(), Integer).label("activity_id"), literal("", String).label("activity_title"),
            literal("", String).label("type_key"), (literal(EVENT_PREFIX, String) + step).label("trigger"),
            case(*((step == k, v[0]) for k, v in EVENT_STEPS.items()), else_="").label("from_state"),
            case(*((step == k, v[1]) for k, v in EVENT_STEPS.items()), else_="").label("to_state"),
            actor.username.label("actor_username"), actor.display_name.label("actor_name"),
            SubmissionEvent.comment.label("comment"), YearSubmission.school_year.label("year"),
            YearSubmission.semester.label("semester"), YearSubmission.round.label("round"),
            cast(null(), JSON).label("payload"),
        )
        .join(YearSubmission, YearSubmission.id == SubmissionEvent.submission_id)
        .join(actor, actor.id == SubmissionEvent.actor_id)
        .where(SubmissionEvent.school_id == school.id)
    )
    q = _common_filters(q, school, flt, SubmissionEvent, actor)
    if flt.trigger:
        q = q.where(SubmissionEvent.action == flt.trigger[len(EVENT_PREFIX):])
    return q


def _log_page(school: School, flt: AuditFilter, size: int) -> paging.Page[dict[str, Any]]:
    """A page of transitions and submission events, newest first: one statement, a keyset
    over the union of both."""
    parts = [] if flt.trigger.startswith(EVENT_PREFIX) else [_transition_side(school, flt)]
    events = _event_side(school, flt)
    if events is not None:
        parts.append(events)
    if not parts:
        return paging.Page([], None, None)
    both = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
    found = paging.keyset(
        lambda q: list(db.session.execute(q).all()),
        select(both),
        [paging.Key(both.c.created_at, datetime, True), paging.Key(both.c.uid, int, True)],
        lambda row: (row.created_at, row.uid),
        after=flt.after or None,
        before=flt.before or None,
        size=size,
    )
    changed = {r.uid: hours_changes(r.trigger, r.payload) for r in found.items if r.payload is not None}
    listed = {r.uid: list_changes(r.trigger, r.payload) for r in found.items if r.payload is not None}
    # the names of the people they name, in one statement (none when the page has no such entry)
    people = names_by_id({c.user_id for found_ in changed.values() for c in found_ or ()}
                         | {uid for change in listed.values() if change is not None for uid in change.user_ids()})
    rows = [_log_row(school, r) for r in found.items]
    for row, r in zip(rows, found.items, strict=True):
        if changed.get(r.uid) is not None:
            row["hours"] = [(people.get(c.user_id, ""), c) for c in changed[r.uid] or ()]
        if (change := listed.get(r.uid)) is not None:
            row["list"] = (change, people)
    return paging.Page(rows, found.next, found.prev, found.moved)


def _log_row(school: School, r: Any) -> dict[str, Any]:
    row = {
        "time": _local_text(school, r.created_at),
        "activity_id": r.activity_id if r.activity_id is not None else "",
        "activity_title": r.activity_title,
        "type_key": r.type_key,
        "trigger": r.trigger,
        "from_state": r.from_state,
        "to_state": r.to_state,
        "actor_username": r.actor_username,
        "actor_name": r.actor_name,
        "comment": r.comment or "",
    }
    if r.uid % 2:  # a submission event: its year, semester and round (the page says them in words)
        part = f"/{r.semester}" if r.semester else ""
        row["activity_title"] = f"{r.year}{part} r{r.round}"
        row["event"] = {"year": r.year, "semester": r.semester, "round": r.round}
    return row


def page(school: School, flt: AuditFilter) -> paging.Page[dict[str, Any]]:
    """One page of rows, newest first, by keyset on (created_at, id): the log only grows, and
    an offset would read every newer row again to reach an old page."""
    if flt.view == "transitions":
        return _log_page(school, flt, PAGE_SIZE)
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
    if flt.view == "transitions":  # transitions and submission events: page after page
        cursor = flt.after
        while True:
            found = _log_page(school, replace(flt, after=cursor, before=""), EXPORT_BATCH)
            yield from found.items
            if found.next is None:
                return
            cursor = found.next
    q = _query(school, flt).execution_options(yield_per=500)
    yield from _rows(school, flt, q)


EXPORT_BATCH = 500


def triggers_used(school: School) -> list[str]:
    """The triggers present in the school's log, then its submission steps (the filter's
    choices): one statement."""
    found = set(db.session.execute(union(
        select(TransitionLog.trigger).where(TransitionLog.school_id == school.id),
        select(literal(EVENT_PREFIX, String) + SubmissionEvent.action).where(SubmissionEvent.school_id == school.id),
    )).scalars())
    return sorted(t for t in found if not t.startswith(EVENT_PREFIX)) + [
        f"{EVENT_PREFIX}{step}" for step in EVENT_STEPS if f"{EVENT_PREFIX}{step}" in found]
