"""Deadlines the district announces to its schools (issue 16: "announce deadlines").

The district admin announces a deadline — a title, a day, an optional note — for the school
admins of its schools or for all their staff; only the district admin edits or removes it, and
only in their own district. Announcing queues a notification to everyone it concerns (after the
commit, like review decisions); :mod:`portal.services.district_notices` reminds them 7 and 1
days before, and the calendar feeds show it as an all-day event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from portal import outbox, policy
from portal.database import write_transaction
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.messages import Msg, msg
from portal.models import DeadlineAnnouncement, Membership, School, User
from portal.services import access
from portal.timeutil import default_zone, parse_day, to_local, utcnow, zone_of

SCHOOL_ADMINS, ALL_STAFF = "school_admins", "all_staff"
AUDIENCES = (SCHOOL_ADMINS, ALL_STAFF)
TITLE_MAX, NOTE_MAX = 200, 2000
#: Announcements stay on the pages this many days after their day.
SHOWN_AFTER_DAYS = 7


def copy_to_schools(district_id: int) -> None:
    """Copy the district's shown announcements to its schools (``School.district_deadlines``,
    as its rules are copied: the home reads them from the school it already loaded) and move
    the schools' data stamp, so the homes' cached parts are rendered again."""
    db.session.flush()
    shown = [
        {"id": a.id, "title": a.title, "due_on": a.due_on.isoformat(), "note": a.note, "audience": a.audience,
         "updated_at": a.updated_at.isoformat(), "revision": revision(a)}
        for a in upcoming(district_id)
    ]
    db.session.execute(sql_update(School).where(School.district_id == district_id)
                       .values(district_deadlines=shown, data_version=School.data_version + 1)
                       .execution_options(synchronize_session="fetch"))


def revision(row: DeadlineAnnouncement) -> int:
    """An announcement's revision for calendars (``SEQUENCE`` of its event): the seconds from
    its announcing to its last change, each change a second at least after the one before
    (:func:`next_change`), so each change (a new day above all) is a later revision and a
    calendar that has the event replaces it (RFC 5545 §3.8.7.4)."""
    return max(0, int((row.updated_at - row.created_at).total_seconds()))


def next_change(last: datetime) -> datetime:
    """When a change made now is stamped: now, but at least a second after the last change, so
    its :func:`revision` is above the last one's — two changes within one second (moved and
    moved back) had the same revision, and a calendar kept whichever day it had."""
    return max(utcnow(), last + timedelta(seconds=1))


def district_today(now: datetime | None = None) -> date:
    """Today in the deployment's time zone (a district spans one time zone)."""
    return to_local(now or utcnow(), default_zone()).date()


def _clean(title: Any, due_on: Any, note: Any, audience: Any, today: date) -> dict[str, Any]:
    fields: dict[str, Msg] = {}
    if not isinstance(title, str) or not title.strip() or len(title.strip()) > TITLE_MAX or "\x00" in title:
        fields["title"] = msg("between_chars", low=1, high=TITLE_MAX)
    day = due_on if isinstance(due_on, date) else parse_day(due_on)
    if day is None:
        fields["due_on"] = msg("announcement.date")
    elif day < today:
        fields["due_on"] = msg("announcement.past", today=today.isoformat())
    if note is None:
        note = ""
    if not isinstance(note, str) or len(note) > NOTE_MAX or "\x00" in note:
        fields["note"] = msg("at_most_chars", n=NOTE_MAX)
    if audience not in AUDIENCES:
        fields["audience"] = msg("announcement.audience")
    if fields:
        raise Invalid(msg("announcement.invalid"), fields)
    return {"title": title.strip(), "due_on": day, "note": note.strip(), "audience": audience}


def announce(district_id: int, title: Any, due_on: Any, note: Any = "", audience: Any = ALL_STAFF, *,
             by: policy.Actor) -> DeadlineAnnouncement:
    """Announce a deadline to the district's schools; everyone it concerns is told (a job)."""
    policy.require(policy.may_announce_deadlines(by), "policy.district_admin_only")
    values = _clean(title, due_on, note, audience, district_today())
    now = utcnow()
    with write_transaction() as s:
        _still_announces(s, by, district_id)
        row = DeadlineAnnouncement(district_id=district_id, created_by=by.user_id, created_at=now, updated_at=now,
                                   **values)
        s.add(row)
        s.flush()
        copy_to_schools(district_id)
        outbox.enqueue_on_commit("notifications.deadline_announced", row.id)
    return row


def _still_announces(s: Session, by: policy.Actor, district_id: int) -> None:
    """Inside the write: ``by`` still may announce the district's deadlines (:func:`access.require_still`)."""
    access.require_still(s, by, policy.may_announce_deadlines, "policy.district_admin_only", district_id=district_id)


def get(announcement_id: Any, district_id: int) -> DeadlineAnnouncement:
    """An announcement of ``district_id`` (another district's: not found)."""
    row = db.session.get(DeadlineAnnouncement, announcement_id) if access.id_in_range(announcement_id) else None
    if row is None or row.district_id != district_id:
        raise NotFound(msg("announcement.not_found"))
    return row


def update(announcement_id: Any, title: Any, due_on: Any, note: Any, audience: Any, *, by: policy.Actor,
           district_id: int) -> DeadlineAnnouncement:
    """Change an announcement (a new day or audience: the reminders follow it, the people newly
    concerned are told)."""
    policy.require(policy.may_announce_deadlines(by), "policy.district_admin_only")
    row = get(announcement_id, district_id)
    values = _clean(title, due_on, note, audience, district_today())
    with write_transaction() as s:
        _still_announces(s, by, district_id)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = next_change(row.updated_at)
        copy_to_schools(district_id)
        outbox.enqueue_on_commit("notifications.deadline_announced", row.id)
    return row


def remove(announcement_id: Any, *, by: policy.Actor, district_id: int) -> None:
    """Withdraw an announcement: it leaves the pages, the feeds and the reminders."""
    policy.require(policy.may_announce_deadlines(by), "policy.district_admin_only")
    row = get(announcement_id, district_id)
    with write_transaction() as s:
        _still_announces(s, by, district_id)
        s.delete(row)
        copy_to_schools(district_id)


def of_district(district_id: int, since: date | None = None) -> list[DeadlineAnnouncement]:
    """The district's announcements due from ``since`` on (all when None), soonest first."""
    q = select(DeadlineAnnouncement).where(DeadlineAnnouncement.district_id == district_id)
    if since is not None:
        q = q.where(DeadlineAnnouncement.due_on >= since)
    return list(db.session.execute(q.order_by(DeadlineAnnouncement.due_on, DeadlineAnnouncement.id)).scalars())


def upcoming(district_id: int) -> list[DeadlineAnnouncement]:
    """What the pages show: announcements not more than a week past."""
    return of_district(district_id, district_today() - timedelta(days=SHOWN_AFTER_DAYS))


def concerns(row: DeadlineAnnouncement | Shown, roles: frozenset[str] | set[str]) -> bool:
    """Whether an announcement is for someone with ``roles`` in a school of its district."""
    return bool(roles) and (row.audience == ALL_STAFF or policy.SCHOOL_ADMIN in roles)


@dataclass(frozen=True)
class Shown:
    """An announcement as the school's copy holds it (what a home shows)."""

    id: int
    title: str
    due_on: date
    note: str
    audience: str
    updated_at: datetime
    revision: int = 0  # a copy written before revisions were copied: the first


def for_school_member(school: School, roles: frozenset[str] | set[str]) -> list[Shown]:
    """The upcoming announcements of the school's district that concern a person with ``roles``,
    from the school's copy (no query), shown a week past their day by the school's calendar."""
    since = to_local(utcnow(), zone_of(school)).date() - timedelta(days=SHOWN_AFTER_DAYS)
    shown = [Shown(int(a["id"]), str(a["title"]), date.fromisoformat(a["due_on"]), str(a.get("note") or ""),
                   str(a["audience"]), datetime.fromisoformat(a["updated_at"]), int(a.get("revision") or 0))
             for a in school.district_deadlines or ()]
    return [a for a in shown if a.due_on >= since and concerns(a, roles)]


def _audience(row: DeadlineAnnouncement) -> Select[int, int | None]:
    """(user id, school id) of every active membership an announcement concerns."""
    q = (
        select(Membership.user_id, Membership.school_id)
        .join(School, School.id == Membership.school_id)
        .join(User, User.id == Membership.user_id)
        .where(School.district_id == row.district_id, Membership.active.is_(True), User.active.is_(True))
        .order_by(Membership.user_id, Membership.school_id)
    )
    return q.where(Membership.role == policy.SCHOOL_ADMIN) if row.audience == SCHOOL_ADMINS else q


def audience_of(row: DeadlineAnnouncement) -> list[tuple[int, int]]:
    """(user id, school id) of the active people an announcement concerns (one school each)."""
    out: dict[int, int] = {}
    for uid, sid in db.session.execute(_audience(row)):
        if sid is not None:
            out.setdefault(uid, sid)
    return sorted(out.items())


def concerns_person(row: DeadlineAnnouncement, user_id: int) -> bool:
    """Whether ``user_id`` is among the announcement's audience today (one statement: asked
    before a held notice goes out, the audience may have been narrowed meanwhile)."""
    return db.session.execute(_audience(row).where(Membership.user_id == user_id).limit(1)).first() is not None
