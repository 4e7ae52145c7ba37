"""Calendar feeds (iCalendar, RFC 5545, through the ``icalendar`` library) behind secret URLs.

A person has at most one feed per scope: ``me`` (the activities they organize or take part in,
not those held while they were away from the school's staff: ``stints``)
and ``school:<id>`` (every activity of a school they belong to). The URL carries a random token;
only its SHA-256 is stored, so the URL is shown once, when it is made; making it again replaces
the token and the old URL stops working at once. A feed also stops when its owner is
deactivated or leaves the school, and a new password or a deactivation ends every address of the
person for good (:func:`end_all_in`), as it ends their API tokens. Times are written in the school's time zone with its
VTIMEZONE, which Outlook, Apple and Android calendars all read; a cancelled activity stays in the
feed as ``STATUS:CANCELLED`` so subscribed calendars drop it.

Every text written into a feed goes through :func:`_text` first: the library escapes CR, LF,
``;`` and ``,`` (and folds long lines), but wrote the other line breaks a reader may split on
(NEL, the Unicode line and paragraph separators, VT, FF, the file separators) and every other
control character as they came — none of which RFC 5545 allows in a TEXT value — so a title or
place with them made the feed invalid, or wrote lines of its own into it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import policy
from portal.database import write_transaction
from portal.errors import Invalid
from portal.extensions import db
from portal.hours import fmt
from portal.messages import msg, person_locale
from portal.models import Activity, CalendarFeed, District, Participation, School, Signup, SignupWindow, User
from portal.registry import registry
from portal.security import is_digits
from portal.services import access, stints
from portal.services.signup import SEAT, WAITING
from portal.timeutil import current_school_year, utcnow, zone_of
from portal.url_rules import public_base, public_url, site_path
from workflows.definition import Phase

PERSONAL = "me"
HISTORY_DAYS = 400  # a school year and a little: older activities leave the feed
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PRODID = "-//Yanxiu//school-based training//ZH"
# a line break to any reader (str.splitlines() splits on each), and the other controls (HTAB stays)
_LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def _text(value: str, *, lines: bool = False) -> str:
    """``value`` fit for an iCalendar TEXT value: each line break a space (``lines``: a line
    break, which the library writes as ``\\n``), every other control character dropped."""
    if not lines:
        return _CONTROL.sub("", _LINE_BREAK.sub(" ", value))
    return "\n".join(_CONTROL.sub("", part) for part in _LINE_BREAK.split(value))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def school_scope(school_id: int) -> str:
    return f"school:{school_id}"


def _school_of(scope: str) -> int | None:
    if scope.startswith("school:") and is_digits(scope[7:]):
        return int(scope[7:])
    return None


def regenerate(user: User, scope: str) -> str:
    """A new secret URL token for the person's feed of ``scope`` (the old one stops working).
    A school's feed is asked of the policy with the person's roles in that school — the one
    the scope names, whichever school the caller is looking at."""
    school_id = _school_of(scope)
    if scope != PERSONAL and (
        school_id is None or not policy.may_subscribe_school_calendar(access.actor(user.id, school_id))
    ):
        raise Invalid(msg("calendar.scope_invalid"), {"scope": msg("calendar.scope_invalid")})
    token = secrets.token_urlsafe(24)
    for _attempt in range(3):
        try:
            with write_transaction() as s:
                row = s.execute(
                    select(CalendarFeed).where(CalendarFeed.user_id == user.id, CalendarFeed.scope == scope)
                ).scalar_one_or_none()
                if row is None:
                    s.add(CalendarFeed(user_id=user.id, scope=scope, token_hash=_hash(token), created_at=utcnow()))
                else:
                    row.token_hash, row.created_at = _hash(token), utcnow()
            return token
        except IntegrityError:  # the same person twice at once: try again
            token = secrets.token_urlsafe(24)
    raise RuntimeError("could not store a calendar token")


def end_all_in(s: Session, user_id: int) -> None:
    """End every feed address of the person inside the caller's open write transaction (a new
    password, a deactivation): an address is a credential opened without a login, so whoever
    made one with the old password, or while the person was at the school, keeps none of them.
    The person makes new ones on the calendar page."""
    s.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id).execution_options(synchronize_session=False))


def feeds_of(user_id: int) -> dict[str, CalendarFeed]:
    return {f.scope: f for f in db.session.execute(select(CalendarFeed).where(CalendarFeed.user_id == user_id)).scalars()}


def resolve(token: str) -> tuple[CalendarFeed, User, School | None] | None:
    """The feed a URL token opens, or None (unknown, replaced, owner gone or out of the school)."""
    if not isinstance(token, str) or not _TOKEN.match(token):
        return None
    feed = db.session.execute(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token))).scalar_one_or_none()
    if feed is None:
        return None
    user = db.session.get(User, feed.user_id)
    if user is None or not user.active:
        return None
    school_id = _school_of(feed.scope)
    if school_id is None:
        return feed, user, None
    school = db.session.get(School, school_id)
    if school is None or not policy.may_subscribe_school_calendar(access.actor(user.id, school_id)):
        return None
    return feed, user, school


def _signed_up(user: User, status: str) -> Any:
    """Whether ``user`` holds a sign-up of ``status`` for the activity, its list not yet confirmed
    (confirming makes the seats its participants; those still waiting then have no place)."""
    return select(Signup.id).join(SignupWindow, SignupWindow.activity_id == Signup.activity_id).where(
        Signup.activity_id == Activity.id, Signup.user_id == user.id, Signup.status == status,
        SignupWindow.confirmed_at.is_(None),
    ).exists()


def _activities(user: User, school: School | None, now: datetime) -> list[tuple[Activity, str, bool]]:
    """The feed's activities, each with its school's time zone and whether the person is only on
    its waiting list (a personal feed: shown tentative)."""
    since = now - timedelta(days=HISTORY_DAYS)
    q = select(Activity, School.timezone).join(School, School.id == Activity.school_id).where(Activity.starts_at >= since)
    waiting: set[int] = set()
    if school is not None:
        q = q.where(Activity.school_id == school.id)
    else:  # only in the schools the person still belongs to: one they left is no longer theirs to follow
        # nor one held while they were away from its staff (``stints.theirs``): not theirs to attend
        mine = select(Participation.id).where(
            Participation.activity_id == Activity.id, Participation.user_id == user.id, stints.theirs(),
        ).exists()
        schools = [s.id for s, _roles in access.schools_of(user.id)]
        # what they signed up for too: a seat is a place (the list made participants of it later),
        # a place on the waiting list may become one
        q = q.where(Activity.school_id.in_(schools), or_(Activity.organizer_id == user.id, mine,
                                                          _signed_up(user, SEAT), _signed_up(user, WAITING)))
        waiting = set(db.session.execute(
            select(Activity.id).where(Activity.school_id.in_(schools), Activity.starts_at >= since,
                                      _signed_up(user, WAITING), ~mine, Activity.organizer_id != user.id)
        ).scalars())
    return [(a, tz, a.id in waiting) for a, tz in db.session.execute(q.order_by(Activity.starts_at, Activity.id))]


def build(user: User, school: School | None, now: datetime | None = None) -> bytes:
    """The iCalendar text of a feed: the person's activities, or the school's, in the language
    the person chose for what reaches them outside the portal (their email settings)."""
    with force_locale(person_locale(user)):
        return _build(user, school, now or utcnow())


def _build(user: User, school: School | None, now: datetime) -> bytes:
    base = public_base()
    zone_name = school.timezone if school is not None else _personal_zone(user)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _text(_("%(name)s · training activities",
                                    name=school.name if school is not None else user.display_name)))
    cal.add("x-wr-timezone", zone_name)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for act, tz, waiting in _activities(user, school, now):
        zone = ZoneInfo(tz)
        event = Event()
        event.add("uid", f"activity-{act.id}@{_host(base)}")
        event.add("dtstamp", (act.updated_at or now).replace(tzinfo=ZoneInfo("UTC")))
        event.add("dtstart", act.starts_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone))
        event.add("dtend", act.ends_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone))
        event.add("summary", _text(act.title))
        if act.location:
            event.add("location", _text(act.location))
        kind = registry().name(act.type_key)
        # the activity's own hours: what each person is credited depends on their role and attendance
        hours = _("%(type)s · an activity of %(hours)s hours", type=kind, hours=fmt(act.hours))
        link = public_url("activities.show", activity_id=act.id)
        if waiting:  # signed up, on the waiting list: it may not be theirs
            hours = "\n".join((_("On the waiting list"), hours))
        event.add("description", _text(f"{hours}\n{link}", lines=True))
        event.add("url", link)
        event.add("sequence", max(0, int(act.version or 1) - 1))
        closed = registry().phase(act.type_key, act.state) is Phase.CLOSED
        event.add("status", "CANCELLED" if closed else "TENTATIVE" if waiting else "CONFIRMED")
        cal.add_component(event)
    for event in _deadline_events(user, school, _host(base), now):
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _deadline_events(user: User, school: School | None, host: str, now: datetime) -> list[Event]:
    """All-day events for the deadlines of the feed: the personal-plan deadline (for a teacher —
    their own, :func:`plans.deadline_for`, until they send the plan — or every other member in the
    school feed), for a school admin the district's deadline for
    the school's annual plan, and the district's announced deadlines that concern the person —
    each once, with a UID that stays when the day moves."""
    from portal.services import announcements, plans, school_plans

    places = [(school, access.school_roles(user.id, school.id))] if school is not None else [
        (s, frozenset(roles)) for s, roles in access.schools_of(user.id)]
    events: dict[str, Event] = {}
    for place, roles in places:
        year = current_school_year(place.timezone, now)
        teaches = policy.TEACHER in roles
        # a teacher's own (joined after the school's); not once they sent it (as the reminders: plans.SENT)
        if (school is not None or teaches) and not (teaches and plans.has_sent(place.id, user.id, year)):
            due = plans.deadline_for(place, year, user.id) if teaches else plans.deadline(place, year)
            uid = f"plan-deadline-{place.id}-{year}@{host}"
            events[uid] = _all_day(uid, due, _("Personal development plan due"), f"{place.name} · {year}",
                                   _in_school(place, "year.my_plan"), now)
        if policy.SCHOOL_ADMIN in roles and place.district_id is not None:  # the annual plan, to the district
            plan_year = school_plans.next_year(place.timezone, now)
            due = school_plans.deadline(db.session.get_one(District, place.district_id), plan_year)
            uid = f"school-plan-deadline-{place.id}-{plan_year}@{host}"
            events[uid] = _all_day(uid, due, _("Annual training plan due to the district"),
                                   f"{place.name} · {plan_year}", _in_school(place, "district.school_plan"), now)
        for row in announcements.for_school_member(place, roles):
            uid = f"deadline-{row.id}@{host}"
            events[uid] = _all_day(uid, row.due_on, _("Due: %(title)s", title=row.title), row.note or "",
                                   _in_school(place, "home.index"), row.updated_at, row.revision)
    return list(events.values())


def _in_school(place: School, endpoint: str) -> str:
    """The public link to ``endpoint`` of ``place``: through ``auth.open_in_school``, since the
    page's own path names no school and a feed may hold several of the person's schools."""
    return public_url("auth.open_in_school", school_id=place.id, next=site_path(endpoint))


def _all_day(uid: str, day: date, summary: str, description: str, url: str, stamp: datetime,
             sequence: int = 0) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.replace(tzinfo=ZoneInfo("UTC")))
    event.add("sequence", sequence)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", _text(summary))
    if description:
        event.add("description", _text(description, lines=True))
    event.add("url", url)
    event.add("transp", "TRANSPARENT")  # a deadline does not make the person busy
    return event


def _personal_zone(user: User) -> str:
    schools = access.schools_of(user.id)
    return zone_of(schools[0][0] if schools else None)


def _host(base: str) -> str:
    host = re.sub(r"^[a-z]+://", "", base).split("/")[0].split(":")[0]
    return host or "yanxiu"
