"""Notifications: written once per idempotency key, read in the app, delivered by jobs.

A notification is stored with a message code's parameters, not a sentence: the centre shows it
in the reader's language, email goes out in the person's language. Writing one queues its
delivery (``portal.services.delivery``); the web request that caused it never waits for email.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal import jobs
from portal.database import write_transaction
from portal.errors import Invalid
from portal.extensions import db
from portal.hours import fmt
from portal.i18n import SUPPORTED
from portal.messages import Msg, SchoolYear, Semester, msg
from portal.models import Notification, NotificationSetting, User
from portal.services import access
from portal.timeutil import utcnow, valid_school_year
from portal.url_rules import site_path

#: Kinds of notification → their message code (text) and label code (preferences page).
KINDS: dict[str, tuple[str, str]] = {
    "tomorrow": ("notify.tomorrow", "notify.kind.tomorrow"),
    "rescheduled": ("notify.rescheduled", "notify.kind.rescheduled"),
    "evidence_due": ("notify.evidence_due", "notify.kind.evidence_due"),
    "approved": ("notify.approved", "notify.kind.approved"),
    "returned": ("notify.returned", "notify.kind.returned"),
    "refused": ("notify.refused", "notify.kind.refused"),
    "credited": ("notify.credited", "notify.kind.credited"),
    "revoked": ("notify.revoked", "notify.kind.revoked"),
    "absence_warning": ("notify.absence_warning", "notify.kind.absence_warning"),
    # a correction request closed: done, declined or its activity moved on (the message by its ``status``)
    "correction_closed": ("notify.correction_done", "notify.kind.correction_closed"),
    **{k: (f"notify.{k}", f"notify.kind.{k}") for k in (
        "deadline_announced", "deadline_due", "plan_deadline", "school_plan_deadline", "quota_behind", "school_plan_accepted",
        "school_plan_returned", "submission_accepted", "submission_returned", "submission_reopened", "handed_over", "removed",
        "activity_cancelled", "plan_approved", "plan_returned", "signup_seat",
        "correction_asked",
    )},
}
#: Kinds sent to the school's admins only (the district's decisions, the annual plan's deadline):
#: offered on the settings page to those ``policy.may_hear_for_the_school`` allows.
FOR_SCHOOL_ADMINS = frozenset({
    "school_plan_deadline", "school_plan_accepted", "school_plan_returned", "submission_accepted",
    "submission_returned", "submission_reopened",
})
#: Kind → whether a notification of it still stands when it is delivered: what it tells of may
#: have gone or moved since it was written (a deadline withdrawn, an activity cancelled) while
#: quiet hours held its email. Declared by the module that writes the kind (:func:`stands_while`).
_STANDS: dict[str, Callable[[Notification], bool]] = {}
PAGE_SIZE = 50
DELIVERY_BATCH = 50  # notifications per delivery job
EMAIL_MAX = 254
# An address as mail servers take it: ASCII words joined by single dots, a domain of labels
# (letters, digits, inner hyphens; an internationalised one in its xn-- form). What a Chinese
# input method types in full width (。．＠ｗ), an invisible character copied along, a control
# character or two dots in a row make an address that looks right and that no email reaches.
_ATOM = r"[A-Za-z0-9!#$%&*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?",
                    re.ASCII)


@dataclass(frozen=True)
class NewNotification:
    user_id: int
    kind: str
    key: str
    params: dict[str, Any]
    link: str = ""
    school_id: int | None = None



def stands_while(*kinds: str) -> Callable[[Callable[[Notification], bool]], Callable[[Notification], bool]]:
    """Declare the check that a notification of ``kinds`` still tells the truth when delivered."""

    def declare(check: Callable[[Notification], bool]) -> Callable[[Notification], bool]:
        for kind in kinds:
            _STANDS[kind] = check
        return check

    return declare


def still_stands(n: Notification) -> bool:
    """Whether ``n`` may still be sent (email, plugins): what it tells of has not gone or moved
    since it was written. It stays in the app either way, as what was said then."""
    check = _STANDS.get(n.kind)
    return check is None or check(n)

def _param(value: Any) -> Any:
    """A stored parameter as a message parameter: ``{"zh": …, "en": …}`` is a zh/en text,
    a list is joined in the reader's language."""
    from portal.activity_types import Text
    from portal.messages import Joined

    if isinstance(value, dict) and set(value) == {"zh", "en"}:
        return Text(str(value["zh"]), str(value["en"]))
    if isinstance(value, list):
        return Joined([_param(v) for v in value], "、")
    return value


def followed_link(n: Notification, here: int | None = None) -> str:
    """Where following the notice leads, a path of the site ("" when it links nowhere). A notice
    about a school goes through that school (``auth.open_in_school``): its own link may name
    no school (``/plan``, ``/writing``, the home page ``/``), and a person in two schools
    following it with the other chosen would read the wrong school's page (``here``: the
    school chosen where it is shown; in it, the link as it is). Worked out when shown or sent,
    not stored: notices kept from before read the same way."""
    if not n.link or n.school_id is None or n.school_id == here:
        return n.link or ""
    return site_path("auth.open_in_school", school_id=n.school_id, next=n.link)


def text(n: Notification) -> Msg:
    """What the notification says, as a message of the catalogue (a deadline's ``days`` in
    words: today, tomorrow, in n days; a quota short in months over names them, all of its
    target being due: no "expected by now")."""
    code = KINDS.get(n.kind, ("notify.unknown", ""))[0]
    params = {k: _param(v) for k, v in (n.params or {}).items()}
    if code == "notify.credited" and isinstance(params.get("hours"), str):  # a participant's own hours
        credited = Decimal(params["hours"])
        code = "notify.credited_to_you" if credited > 0 else "notify.credited_none_to_you"
        params["hours"] = fmt(credited)
    if code in _IN_ANOTHER_YEAR and isinstance(params.get("year"), str):  # an activity of another school year
        code = "notify.approved_closed_year" if code == "notify.approved" and params.get("closed") is True \
            else _IN_ANOTHER_YEAR[code]
    if code == "notify.activity_cancelled" and not params.get("comment"):  # its organiser cancelled it, nobody else in it
        code = "notify.activity_cancelled_no_reason"
    if code == "notify.correction_done" and params.get("status") in _CORRECTION_CLOSED:  # declined, moved on
        code = _CORRECTION_CLOSED[params["status"]]
    if code == "notify.quota_behind" and params.get("short"):  # the months short: due now, named
        code = "notify.quota_months_short"
    if isinstance(params.get("semester"), int):  # stored as its number, said in words (第一学期)
        if code in _OF_A_SEMESTER:  # a district's decision on one semester: the message naming it
            code = _OF_A_SEMESTER[code]
        params["semester"] = Semester(params["semester"])
    if isinstance(params.get("year"), str) and valid_school_year(params["year"]):
        # stored as data (2026-2027), said as every page says a year: 2026—2027学年, "the 2026–2027
        # school year" (notices of every age: none stores its sentence)
        params["year"] = SchoolYear(params["year"], within=True)
    if isinstance(params.get("days"), int):
        days = params["days"]
        params["days"] = (msg("notify.due_today") if days <= 0 else msg("notify.due_tomorrow") if days == 1
                          else msg("notify.due_in_days", n=days))
    return msg(code, **params)


#: An approval's or a credit's message → the one naming the school year and semester the hours
#: count in, for an activity of another year than the school's now (``reminders._year_of_hours``:
#: a talk of last year approved today is not this year's hours); an approval of a year closed to
#: credits says it posts none (``notify.approved_closed_year``).
_IN_ANOTHER_YEAR = {f"notify.{k}": f"notify.{k}_in_year" for k in ("approved", "credited", "credited_to_you")}
#: A message about the school's year → the one about one of its semesters (a district that collects semesters).
_OF_A_SEMESTER = {f"notify.{k}": f"notify.{k}_semester"
                  for k in ("submission_accepted", "submission_returned", "submission_reopened")}


#: A closed correction request's status (``corrections.DECLINED``, ``MOVED_ON``, ``LOCKED``, ``YEAR_OVER``) → what
#: its notice says.
_CORRECTION_CLOSED = {"declined": "notify.correction_declined", "moved_on": "notify.correction_moved_on",
                      "locked": "notify.correction_locked", "year_over": "notify.correction_year_over"}


def kind_label(kind: str) -> Msg:
    return msg(KINDS[kind][1])


def notify_many(items: Sequence[NewNotification]) -> list[int]:
    """Write the notifications whose key is new and queue their delivery; returns the new ids.
    Running it again with the same keys (a retried job) writes and sends nothing, but queues
    the delivery of those a run wrote and could not queue (it failed, or was killed, between the
    two: ``Notification.queued_at`` is still empty) — queued twice, a channel still sends once
    (``portal.services.delivery``). A notice of a school is for those who still belong to it
    (:func:`access.still_members`)."""
    if not items:
        return []
    for item in items:
        if item.kind not in KINDS:
            raise ValueError(f"unknown notification kind {item.kind!r}")
    keys = [i.key for i in items]
    existing: set[str] = set()
    stranded: list[int] = []  # written by an earlier run, never queued
    for start in range(0, len(keys), 500):
        for key, nid, queued_at in db.session.execute(
            select(Notification.key, Notification.id, Notification.queued_at)
            .where(Notification.key.in_(keys[start : start + 500]))
        ):
            existing.add(key)
            if queued_at is None:
                stranded.append(nid)
    fresh = [i for i in {i.key: i for i in items}.values() if i.key not in existing]
    there = access.still_members((i.user_id, i.school_id) for i in fresh if i.school_id is not None)
    fresh = [i for i in fresh if i.school_id is None or (i.user_id, i.school_id) in there]
    ids = _write(fresh) if fresh else []
    _queue(sorted(set(stranded)) + ids)
    return ids


def _write(fresh: list[NewNotification]) -> list[int]:
    """Write ``fresh``; returns the ids written."""
    try:
        with write_transaction() as s:
            rows = [_row(i) for i in fresh]
            s.add_all(rows)
            s.flush()
            return [r.id for r in rows]
    except IntegrityError:  # a concurrent job wrote some of them: one by one, skipping those
        ids = []
        for item in fresh:
            try:
                with write_transaction() as s:
                    row = _row(item)
                    s.add(row)
                    s.flush()
                    ids.append(row.id)
            except IntegrityError:
                continue
        return ids


def _queue(ids: list[int]) -> None:
    """Queue the delivery of ``ids``, a job per batch (one queue write, one SMTP connection),
    then note them queued — those queued before a failure too, and the failure is raised."""
    queued: list[int] = []
    try:
        for start in range(0, len(ids), DELIVERY_BATCH):
            batch = ids[start : start + DELIVERY_BATCH]
            jobs.enqueue("notifications.deliver_many", batch)
            queued += batch
    finally:
        if queued:
            now = utcnow()
            with write_transaction() as s:
                for start in range(0, len(queued), 500):
                    s.execute(update(Notification).where(Notification.id.in_(queued[start : start + 500]))
                              .values(queued_at=now))


def _row(item: NewNotification) -> Notification:
    return Notification(
        key=item.key[:200], user_id=item.user_id, school_id=item.school_id, kind=item.kind,
        params=item.params, link=item.link[:300], created_at=utcnow(),
    )


def unread_count(user_id: int) -> int:
    return int(
        db.session.execute(
            select(func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        ).scalar_one()
    )


def unread_count_column(user_id_column: Any) -> Any:
    """A correlated count of a person's unread notifications, for the login query (the
    navigation bar's badge needs no query of its own)."""
    return (
        select(func.count(Notification.id))
        .where(Notification.user_id == user_id_column, Notification.read_at.is_(None))
        .correlate_except(Notification)
        .scalar_subquery()
    )


def for_user(user_id: int, limit: int = PAGE_SIZE) -> list[Notification]:
    """The person's latest notifications, newest first."""
    return list(
        db.session.execute(
            select(Notification).where(Notification.user_id == user_id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
        ).scalars()
    )


def mark_read(user_id: int, ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Mark the person's notifications read (``ids``, or all); someone else's ids are ignored.
    Returns how many changed."""
    stmt = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        wanted = [i for i in ids if isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**31]
        if not wanted:
            return 0
        stmt = stmt.where(Notification.id.in_(wanted))
    with write_transaction() as s:
        result = s.execute(stmt.values(read_at=now or utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)


# -- a person's choices ---------------------------------------------------------------------


def setting(user_id: int) -> NotificationSetting:
    """The person's email settings (defaults: no address yet, every kind by email)."""
    row = db.session.get(NotificationSetting, user_id)
    return row if row is not None else NotificationSetting(user_id=user_id, email="", email_off=[])


def forget_address_in(s: Any, user_id: int) -> None:
    """Forget the person's email address in the write ``s`` (their kinds stay): a new password
    ends it as it ends their API tokens and calendar feed addresses. An address is a standing
    channel to elsewhere: one who had the password set theirs and kept reading the teacher's
    notices after the teacher changed it. The holder enters theirs again."""
    s.execute(update(NotificationSetting).where(NotificationSetting.user_id == user_id, NotificationSetting.email != "")
              .values(email="", updated_at=utcnow()))


def wants_email(row: NotificationSetting, kind: str) -> bool:
    return bool(row.email) and kind not in (row.email_off or [])


def save_setting(user_id: int, email: Any, email_kinds: Any, language: Any = None) -> NotificationSetting:
    """Save the person's own address, the kinds they want by email and, when given, the language
    of their email and calendar feeds (``zh_Hans_CN`` or ``en``; pages fall back to it too) —
    all or nothing."""
    if email is None:
        email = ""
    fields: dict[str, Msg] = {}
    if not isinstance(email, str) or len(email.strip()) > EMAIL_MAX or "\x00" in email:
        fields["email"] = msg("notify.email_invalid")
    elif email.strip() and not _EMAIL.fullmatch(email.strip()):
        fields["email"] = msg("notify.email_invalid")
    if not isinstance(email_kinds, (list, tuple, set)) or any(k not in KINDS for k in email_kinds):
        fields["email_kinds"] = msg("notify.kinds_invalid")
    if language is not None and language not in SUPPORTED:
        fields["language"] = msg("notify.language_invalid")
    if fields:
        raise Invalid(msg("notify.settings_invalid"), fields)
    assert isinstance(email, str)
    off = sorted(k for k in KINDS if k not in set(email_kinds))
    with write_transaction() as s:
        row = s.get(NotificationSetting, user_id)
        if row is None:
            row = NotificationSetting(user_id=user_id)
            s.add(row)
        row.email, row.email_off, row.updated_at = email.strip(), off, utcnow()
        if language is not None:
            s.get_one(User, user_id).locale = language
    return row
