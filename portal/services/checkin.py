"""QR self check-in (签到): rotating codes, the check-in window, and marking a participant present.

The organizer's screen shows a QR code of ``/checkin/<activity>/<code>``; ``code`` is
``<window>.<mac>``, where ``window`` counts 30-second steps since the epoch and ``mac`` is an
HMAC (SHA-256, keyed from ``SECRET_KEY``) of the activity id and the window. A code is accepted
during its own window and the next one, so a photo of it sent to a friend stops working within
a minute; it names one activity, and it cannot be forged without the key.

A scan is checked at once (before any login) and remembered in the scanner's own session; the
person then confirms, logged in as themselves — a check-in is always the current person's, for
an activity they take part in, while its check-in window is open (the school's
``checkin_opens_minutes`` before the start to ``checkin_closes_minutes`` after it, or its end if sooner).

Check-in rows never change attendance by themselves: the attendance page shows them beside the
organizer's record, pre-fills a checked-in participant's hours while nothing is recorded, and the
organizer confirms or corrects. Every function takes ``now`` (naive UTC) from its caller.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.database import write_transaction
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.messages import SchoolYear, msg
from portal.models import Activity, CheckIn, Participation, School, User
from portal.registry import registry
from portal.security import derived_key, is_digits
from portal.services import access, locks
from portal.timeutil import local_text
from workflows.definition import Phase

STEP_SECONDS = 30  # a new code every 30 s
WINDOWS_ACCEPTED = 2  # its own window and the next: at most 60 s
SCAN_SECONDS = 300  # a verified scan may be confirmed (after logging in) for 5 minutes
CODE_MAX = 64


def _key() -> bytes:
    return derived_key(b"yanxiu-checkin")


def window_of(now: datetime) -> int:
    return int(now.replace(tzinfo=UTC).timestamp()) // STEP_SECONDS


def _mac(activity_id: int, window: int) -> str:
    return hmac.new(_key(), f"{activity_id}:{window}".encode(), hashlib.sha256).hexdigest()[:24]


def make_code(activity_id: int, now: datetime) -> str:
    """The code the screen shows now."""
    window = window_of(now)
    return f"{window}.{_mac(activity_id, window)}"


def seconds_left(now: datetime) -> int:
    """Seconds until the screen's code changes."""
    return STEP_SECONDS - int(now.replace(tzinfo=UTC).timestamp()) % STEP_SECONDS


def verify_code(activity_id: int, code: object, now: datetime) -> int:
    """The window of a valid code scanned ``now``; refuses a forged code (invalid) and one
    older than a minute (expired)."""
    if not isinstance(code, str) or len(code) > CODE_MAX or code.count(".") != 1:
        raise Invalid(msg("checkin.code_invalid"), {"code": msg("checkin.code_invalid")})
    window_text, mac = code.split(".")
    # ASCII only: "²".isdigit() is true but int() refuses it, and compare_digest refuses a
    # non-ASCII str — either was a 500 for anyone opening a made-up link, logged in or not
    if not is_digits(window_text) or len(window_text) > 12 or not mac.isascii():
        raise Invalid(msg("checkin.code_invalid"), {"code": msg("checkin.code_invalid")})
    window = int(window_text)
    if not hmac.compare_digest(mac, _mac(activity_id, window)):
        raise Invalid(msg("checkin.code_invalid"), {"code": msg("checkin.code_invalid")})
    current = window_of(now)
    if window > current:  # made for a later time: only the server makes codes, so it is forged
        raise Invalid(msg("checkin.code_invalid"), {"code": msg("checkin.code_invalid")})
    if current - window >= WINDOWS_ACCEPTED:
        raise Conflict(msg("checkin.code_expired"))
    return window


def window_times(act: Activity, school: School) -> tuple[datetime, datetime]:
    """When check-in opens and closes (naive UTC): it closes the school's minutes after the
    start, and at the activity's end at the latest — a scan after it ended marks no one present
    (the attendance page would offer the organizer full hours for it)."""
    opens = act.starts_at - timedelta(minutes=int(school.rule("checkin_opens_minutes")))
    closes = min(act.starts_at + timedelta(minutes=int(school.rule("checkin_closes_minutes"))), act.ends_at)
    return opens, closes


def _local(dt: datetime, school: School) -> str:
    return local_text(dt, school.timezone)


def takes_checkin(phase: Phase) -> bool:
    """Whether an activity in ``phase`` takes check-ins: only while it is open; the step out of
    it (held, into review) ends them, whatever its window says."""
    return phase is Phase.OPEN


def prints_sheet(phase: Phase) -> bool:
    """Whether an activity in ``phase`` has a sign-in sheet (签到表) to print: while it is open (signed
    on the day) and once it has taken place (the signed sheet is filed afterwards and may be
    printed again); not once it closed without taking place."""
    return phase is not Phase.CLOSED


def open_until(act: Activity, school: School, at: datetime) -> datetime | None:
    """When the activity's check-in closes (naive UTC) if it is open at ``at``, else None."""
    try:
        require_open(act, school, at)
    except Conflict:
        return None
    return window_times(act, school)[1]


def require_open(act: Activity, school: School, at: datetime) -> None:
    """Refuse unless ``at`` is inside the activity's check-in window and it is still open, in
    a year (or semester) the district has not accepted: an accepted year's activities take no
    check-in, as they take no participant or evidence (``year.locked``). A declaration takes
    none: its participant and hours are fixed when it is declared (``declared.fixed``)."""
    if registry().self_declared(act.type_key):
        raise Conflict(msg("declared.fixed"))
    if not takes_checkin(registry().phase(act.type_key, act.state)):
        raise Conflict(msg("checkin.not_open_state"))
    if locks.is_locked(act.school_id, act.school_year, act.semester):
        raise Conflict(msg("year.locked", year=SchoolYear.said(act.school_year)), school_year=act.school_year)
    opens, closes = window_times(act, school)
    if at < opens:
        raise Conflict(msg("checkin.not_open_yet", time=_local(opens, school)))
    if at > closes:
        raise Conflict(msg("checkin.closed", time=_local(closes, school)))


def existing(activity_id: int, user_id: int) -> CheckIn | None:
    return db.session.execute(
        select(CheckIn).where(CheckIn.activity_id == activity_id, CheckIn.user_id == user_id)
    ).scalar_one_or_none()


def ensure_can(act: Activity, user: User, scanned_at: datetime, now: datetime) -> None:
    """Refuse unless ``user`` may check in to ``act`` with a scan made at ``scanned_at``: a
    participant who still belongs to the school (one who left is on the roster still, as
    history stays, but the activity is no longer theirs: not found, as the pages answer), the
    scan recent, made while check-in was open."""
    school = db.session.get(School, act.school_id)
    assert school is not None
    if now - scanned_at > timedelta(seconds=SCAN_SECONDS) or scanned_at > now:
        raise Conflict(msg("checkin.code_expired"))
    if not access.school_roles(user.id, act.school_id):
        raise NotFound(msg("activity.not_found"))
    is_participant = db.session.execute(
        select(Participation.id).where(Participation.activity_id == act.id, Participation.user_id == user.id)
    ).first()
    if is_participant is None:
        raise Forbidden(msg("checkin.not_participant"))
    require_open(act, school, scanned_at)


def check_in(act: Activity, user: User, scanned_at: datetime, now: datetime, address: str = "") -> CheckIn:
    """Mark ``user`` (always the person acting) present at ``act``: they scanned a valid code at
    ``scanned_at`` and confirm ``now``. Checking in twice returns the first check-in."""
    ensure_can(act, user, scanned_at, now)
    found = existing(act.id, user.id)
    if found is not None:
        return found
    try:
        with write_transaction() as s:
            if not access.roles_now(s, user.id, act.school_id):  # left the school meanwhile (deactivated)
                raise NotFound(msg("activity.not_found"))
            locks.require_unlocked(act.school_id, act.school_year, act.semester)  # again in the write (SQLite)
            # still open as the write sees it, the activity's row share-locked (the locks taken in
            # the order every write of an activity takes them: roles, the year, the activity, its
            # list): a hold (any step out of the open phase) or a new time committed since the
            # checks above is seen here, and one under way waits — its UPDATE of the row waits for
            # this lock, as this read waits for its commit (PostgreSQL; SQLite writes one at a time)
            now_act = s.execute(select(Activity).where(Activity.id == act.id).with_for_update(read=True)
                                .execution_options(populate_existing=True)).scalar_one()
            require_open(now_act, db.session.get_one(School, act.school_id), scanned_at)
            # still on the list, their row locked: a removal committed since it was asked above
            # is seen here, and one under way waits and then sees this check-in
            if s.execute(select(Participation.id).where(Participation.activity_id == act.id,
                                                        Participation.user_id == user.id).with_for_update()).first() is None:
                raise Forbidden(msg("checkin.not_participant"))
            row = CheckIn(activity_id=act.id, user_id=user.id, checked_in_at=now, address=address[:64])
            s.add(row)
        return row
    except IntegrityError:  # the same person confirmed twice at once
        found = existing(act.id, user.id)
        assert found is not None
        return found


def checked_in(activity_id: int) -> dict[int, datetime]:
    """User id → when they checked in."""
    return {uid: at for uid, at in db.session.execute(
        select(CheckIn.user_id, CheckIn.checked_in_at).where(CheckIn.activity_id == activity_id)
    )}


def count(activity_id: int) -> int:
    return int(db.session.execute(
        select(func.count(CheckIn.id)).where(CheckIn.activity_id == activity_id)
    ).scalar_one())
