"""People: accounts, roles in schools, passwords.

Usernames are unique across the whole district, but a school admin only ever learns about
their own school: a username already used by someone of the admin's school is reported as
taken (the admin sees that person on the staff page anyway); any other unavailable username
(used in another school, by a district admin, or lost to a simultaneous creation) gets one
neutral message, :data:`USERNAME_UNAVAILABLE`, that names no school and no person.

A username is one thing however it is typed: compared and looked up by its folded form
(:func:`portal.models.user.username_key`: NFKC and case folding), so ``Teacher1`` or full-width
``ｔｅａｃｈｅｒ１`` is taken once ``teacher1`` is, and logs in as ``teacher1``. A new username
is also made of ASCII letters, digits, '.', '_', '-' and Chinese characters only, once
compatibility forms are folded: a Cyrillic "е", a Greek "ο" or a katakana "ロ" survives folding
and would make a second ``teacher1`` (or ``口``) that looks the same on every list
(:func:`clean_username`). Chinese characters stay: many schools log in by a teacher's name.
"""

from __future__ import annotations

import functools
import re
import secrets
import unicodedata
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import case, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session
from werkzeug.security import check_password_hash, generate_password_hash

from portal import policy
from portal.database import write_transaction
from portal.errors import Invalid
from portal.extensions import db
from portal.messages import Msg, msg, shown
from portal.models import DISTRICT_ROLES, ROLES, TEACHER, EarlierStint, Membership, School, User
from portal.models.user import username_key
from portal.security import has_controls
from portal.services import staff_log
from portal.timeutil import default_zone, to_local, utcnow, zone_of

MIN_PASSWORD = 8
NAME_MAX = 100
USERNAME_MAX = 64
USERNAME_UNAVAILABLE = msg("user.username_unavailable")
# ASCII letters, digits, '.', '_', '-' and Chinese characters (CJK unified ideographs, extension A
# and B–G; compatibility ideographs are unified ones once NFKC folds them). Kana, hangul and other
# scripts are left out: "ロ" (katakana) is "口" (a Han character) to the eye, "е" (Cyrillic) is "e".
# The characters are written as themselves (not as escapes), so that the API's schema carries the
# same pattern to any reader's regular-expression engine (``portal.api.models.Username``).
USERNAME_FORM = f"[A-Za-z0-9._\u3400-\u4DBF\u4E00-\u9FFF\U00020000-\U0003134F-]{{1,{USERNAME_MAX}}}"
#: A stored username, anchored: what :func:`clean_username` answers, and what the API takes as one.
USERNAME_PATTERN = f"^{USERNAME_FORM}$"
_USERNAME = re.compile(USERNAME_FORM)


def hash_password(password: str) -> str:
    from flask import current_app

    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def verify_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


@functools.cache
def _stand_in_hash(method: str) -> str:
    """A hash of a random password nobody is told, made once per hashing method."""
    return generate_password_hash(secrets.token_urlsafe(24), method=method)


def spend_a_check(password: str) -> None:
    """Check ``password`` against a hash no password opens, for a login whose username names
    no active account: it then takes as long as a wrong password does, and the time a login
    takes tells nobody which usernames exist."""
    from flask import current_app

    check_password_hash(_stand_in_hash(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")), password)


def validate_password(password: str, username: str | None = None) -> Msg | None:
    """What is wrong with ``password`` as the password of ``username`` (None: nothing): 8 to 200
    characters, and not the username itself, however its case or width is typed — the first
    guess of anyone who knows who a teacher is (a username is on every list of the school)."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return msg("at_least_chars", n=MIN_PASSWORD)
    if len(password) > 200:
        return msg("at_most_chars", n=200)
    if username and username_key(password) == username_key(username):
        return msg("password.is_username")
    return None


_HAN = r"\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\U00020000-\U0003134F"
# spaces of every width (the ideographic space U+3000, no-break spaces) run together as one
_SPACES = re.compile(r"[ \u3000\u00A0\u2000-\u200A\u202F\u205F]+")
# a space between two Chinese characters: 张　三, typed to line two-character names up with 李小明
_ALIGNMENT = re.compile(rf"(?<=[{_HAN}]) (?=[{_HAN}])")
# the dot between the parts of a Uyghur or other transliterated name, as it is found in office
# files (·, •, ．, ・, ‧, ∙, ⋅), spaced or not: one middle dot U+00B7, as on the identity card
_NAME_DOT = re.compile(rf"(?<=[{_HAN}]) ?[\u00B7\u2022\uFF0E\u30FB\u2027\u2219\u22C5\uFF65] ?(?=[{_HAN}])")


def clean_name(name: str) -> str:
    """The name to store for ``name`` as typed or found in a roster: ends trimmed, spaces run
    together, no space between two Chinese characters, one kind of middle dot between the parts
    of a transliterated name. ``张　三``, ``张 三`` and ``张三`` are one person on every list,
    sort and search; ``买买提•艾力`` is ``买买提·艾力``. Latin names keep their single spaces;
    no other character is changed (a rare character of a name is never folded)."""
    name = _SPACES.sub(" ", name if isinstance(name, str) else "").strip()
    return _NAME_DOT.sub("\u00B7", _ALIGNMENT.sub("", name))


def name_problem(name: str) -> Msg | None:
    """Why ``name`` cannot be a person's name (None: it can): too long, or holding a control
    character (NUL, which PostgreSQL cannot store; a line break; a right-to-left override that
    turns the lists, summaries and certificates it is printed on around)."""
    if len(name) > NAME_MAX:
        return msg("at_most_chars", n=NAME_MAX)
    if has_controls(name):
        return msg("user.name_controls")
    return None


def is_username(text: str) -> bool:
    """Whether ``text`` is a username as stored (:data:`USERNAME_PATTERN`): what the API takes as
    one, whose document publishes the pattern (:func:`clean_username` folds a typed one first)."""
    return _USERNAME.fullmatch(text) is not None


def clean_username(typed: str) -> str | None:
    """The username to store for ``typed`` (compatibility forms folded: full-width letters are
    plain ones; case kept as typed), or None when it is not one: 1–64 ASCII letters, digits,
    '.', '_', '-' or Chinese characters. Every way of creating a person asks this."""
    username = unicodedata.normalize("NFKC", typed if isinstance(typed, str) else "").strip()
    return username if is_username(username) else None


def username_taken(username: str, school: School | None) -> Msg | None:
    """Why ``username`` cannot be given to a new person of ``school`` (None: it is free).

    A username of someone with a membership (past or present) in ``school`` is "taken";
    one used anywhere else gets :data:`USERNAME_UNAVAILABLE`, so creating people in one
    school never confirms who exists in another. Compared folded: ``Teacher1`` is taken
    by ``teacher1``.
    """
    owner = db.session.execute(
        select(User.id, User.display_name).where(User.username_key == username_key(username))).first()
    if owner is None:
        return None
    if school is not None:
        held = list(db.session.execute(
            select(Membership.active).where(Membership.user_id == owner.id, Membership.school_id == school.id)
        ).scalars())
        if held:
            return taken_by_ours(username, owner.display_name, on_staff=any(held))
    return USERNAME_UNAVAILABLE


def taken_by_ours(username: str, person: str, *, on_staff: bool) -> Msg:
    """Why a username of the school's own person (``person``, their name) is not given anew: they
    are on the staff already, or they left and are given their roles back on the staff page (a
    second account would split their hours). "用户名已被使用" told the admin importing a teacher
    back neither that she was theirs nor what to do."""
    name = shown(username)
    if on_staff:
        return msg("user.on_staff_already", name=name, person=person or name)
    return msg("user.left_our_school", name=name, person=person or name)


#: The ages a member of staff may have on the day they are added: a birth date decides the
#: retirement-age exemption (seed 004), so 1900 exempted a teacher at once and 2099 never would.
STAFF_AGES = (16, 80)


def birth_date_problem(born: date, today: date | None = None) -> Msg | None:
    """Why ``born`` cannot be a member of staff's birth date (:data:`STAFF_AGES` on ``today``),
    or None: the staff page, the roster import and ``flask user create`` all ask this."""
    today = today or to_local(utcnow(), default_zone()).date()  # the portal's clock, in its zone
    latest = _years_before(today, STAFF_AGES[0])
    earliest = _years_before(today, STAFF_AGES[1])
    if earliest <= born <= latest:
        return None
    return msg("user.birth_date_range", low=earliest.isoformat(), high=latest.isoformat())


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def create_user(
    username: str,
    password: str,
    display_name: str = "",
    school: School | None = None,
    roles: list[str] | tuple[str, ...] = (TEACHER,),
    gender: str | None = None,
    birth_date: date | None = None,
    district_id: int | None = None,
    *,
    logged_by: policy.Actor | None = None,
    recheck: Callable[[Session], None] | None = None,
    joined: datetime | None = None,
) -> User:
    """A new user with ``roles`` in ``school`` (district roles in ``district_id``, by default the
    deployment's default district). With ``logged_by``, the roles given in the school are
    written to the staff audit log (:mod:`portal.services.staff_log`) in the same transaction.
    This function checks no permission: a school admin's way is
    :func:`portal.services.staff.add_person`, whose right is asked again by ``recheck``, first
    thing inside the write. ``joined`` dates the account and its roles (``created_at``,
    ``Membership.since``; by default now): a school year over before a teacher joined is not
    theirs (``credits.year_over_at``); the demo dates its staff of long standing back."""
    fields: dict[str, Msg] = {}
    cleaned = clean_username(username)
    if cleaned is None:
        fields["username"] = msg("user.username_format")
    elif (taken := username_taken(cleaned, school)) is not None:
        fields["username"] = taken
    if (err := validate_password(password, cleaned)) is not None:
        fields["password"] = err
    if (problem := name_problem(display_name or "")) is not None:
        fields["name"] = problem
    if gender not in (None, "F", "M"):
        fields["gender"] = msg("user.gender")
    if birth_date is not None and (problem := birth_date_problem(birth_date)) is not None:
        fields["birth_date"] = problem
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        fields["role"] = msg("roles_are", roles=", ".join(ROLES))
    if school is None and any(r not in DISTRICT_ROLES for r in roles):
        fields["school"] = msg("user.school_required")
    if fields:
        raise Invalid(msg("user.invalid"), fields)
    username = cleaned or ""  # not None: refused above
    try:
        with write_transaction() as s:
            if recheck is not None:
                recheck(s)
            user = User(
                username=username,
                display_name=clean_name(display_name or "") or username,
                password_hash=hash_password(password),
                # an admin typed it (the staff page, a new school's admin): they know it
                password_known_to=None if logged_by is None or logged_by.system else logged_by.user_id,
                gender=gender,
                birth_date=birth_date,
                created_at=joined or utcnow(),
            )
            s.add(user)
            s.flush()
            seats = []
            for role in dict.fromkeys(roles):
                district = role in DISTRICT_ROLES
                school_id = None if district or school is None else school.id  # checked above
                seat = Membership(user_id=user.id, school_id=school_id, role=role,
                                  district_id=district_id if district else None, since=user.created_at)
                s.add(seat)
                if district:
                    seats.append(seat)
            if school is not None and seats:  # district staff who also work in a school: one district
                s.flush()  # a district role named with no district is the default district's now
                if school.district_id is not None and any(m.district_id != school.district_id for m in seats):
                    raise Invalid(msg("user.invalid"), {"district": msg("user.district_of_school")})
            if school is not None and TEACHER in roles:
                s.flush()
                _teacher_joined(school.id, user.id)
            if school is not None and logged_by is not None:
                s.flush()
                staff_log.record(s, school.id, user.id, logged_by, "roles", [],
                                 [r for r in roles if r not in DISTRICT_ROLES])
    except IntegrityError:
        if by_username(username) is None:
            raise
        # the same username (however spelt) was created at the same moment by someone else
        raise Invalid(msg("user.invalid"), {"username": USERNAME_UNAVAILABLE}) from None
    return user


def add_role(user: User, school: School | None, role: str, district_id: int | None = None, *,
             joined: datetime | None = None) -> Membership:
    """Give ``user`` ``role`` in ``school`` (or a district), or give it back: a role given again
    keeps the date it was first given (``Membership.since``); a new one is dated ``joined``, by
    default now."""
    if role not in ROLES:
        raise Invalid(msg("unknown_role"), {"role": msg("roles_are", roles=", ".join(ROLES))})
    with write_transaction() as s:
        school_id = None if role in DISTRICT_ROLES else school.id if school else None
        m = s.execute(
            select(Membership).where(
                Membership.user_id == user.id, Membership.school_id == school_id, Membership.role == role
            )
        ).scalar_one_or_none()
        if m is None:
            m = Membership(user_id=user.id, school_id=school_id, role=role,
                           district_id=district_id if role in DISTRICT_ROLES else None, since=joined or utcnow())
            s.add(m)
        give_back(m)
        if role == TEACHER and school_id is not None:
            s.flush()
            _teacher_joined(school_id, user.id)
    return m


def give_back(m: Membership, at: datetime | None = None) -> None:
    """Switch a role on (again). One given back after a gap (it ended, ``Membership.until``, on
    an earlier day) is dated from its return, and the stretch before the gap is kept as an
    :class:`EarlierStint`: the years over while the person was away are not theirs, those over
    while they held it still are, and what was held while they were away (a teacher who left
    in October and came back in March) asks nothing of them (:mod:`portal.services.stints`);
    the year they came back in is theirs, counted from their return where a day counts (their
    plan's deadline, the writing expected by now). Given back on the day it ended (in the
    school's zone, whose midnight of 1 September ends a year: ``credits.year_over_at``), its
    dates stay: switching a role off by a slip and on again changes nothing. ``at``: when it is
    given back (by default now; the demo dates a return back)."""
    now = at or utcnow()
    session = object_session(m) or db.session
    zone = zone_of(session.get(School, m.school_id) if m.school_id is not None else None)  # a district's role: none
    if not m.active and m.until is not None and _day(m.until, zone) != _day(now, zone):
        session.add(EarlierStint(membership_id=m.id, since=m.since, until=m.until))
        m.since = now
    m.active, m.until = True, None


def _day(at: datetime, zone: str) -> date:
    return to_local(at, zone).date()


def _teacher_joined(school_id: int, user_id: int) -> None:
    """A teacher's stored years in the school (``services.teacher_years``) follow their role."""
    from portal.services import teacher_years  # teacher_years → credits → access → users

    teacher_years.refresh_people(school_id, [user_id])


def set_password(user: User, password: str) -> None:
    """Change the password. In the same transaction every other session of the person stops
    working (their version is bumped) and every API token of theirs is revoked: whoever held
    the old password keeps nothing it gave them. Every way of changing a password (the
    password page, an API or an admin's reset) goes through :func:`store_password`.

    The password stays known to whoever knew the old one (``password_known_to``): it was
    changed by proving the old one, which the admin who set it can prove as well as its holder —
    an admin who reset a teacher's password signed in as them, changed it, and the teacher, no
    longer "known", was made a reviewer who credited the admin's hours. Only the operator's new
    password (:func:`portal.services.staff.set_password_by_operator`) is the holder's alone."""
    if (err := validate_password(password, user.username)) is not None:
        raise Invalid(msg("password.invalid"), {"password": err})
    new_hash = hash_password(password)  # slow: before the write lock, not under it
    with write_transaction() as s:
        known_to = s.execute(select(User.password_known_to).where(User.id == user.id)).scalar_one_or_none()
        store_password(s, user, new_hash, known_to=known_to)


def store_password(s: Session, user: User, new_hash: str, *, known_to: int | None = None) -> None:
    """Write a new password hash in the write ``s``: every other session of the person stops
    working (their version is bumped), every API token and calendar feed address of theirs is revoked and their failed
    logins are forgotten (the lock-out guarded a password that no longer opens the account),
    and their notification email address is forgotten (whoever knew the old password may have
    set it: :func:`portal.services.notifications.forget_address_in`), in the same transaction
    (:func:`set_password`; an admin's reset, :func:`portal.services.staff.reset_password`).
    ``known_to``: the school admin who set it for the person (a reset) or who knew the one it
    was changed from (:func:`set_password`), else None — the operator set it, and nobody else
    knows it (:func:`portal.policy.may_give_role`)."""
    # they import users: import on use
    from portal.services import calendar_feeds, login_guard, notifications, tokens

    user.password_hash = new_hash
    user.password_known_to = known_to
    user.session_version = (user.session_version or 1) + 1  # other sessions stop working
    tokens.revoke_all_in(s, user.id)
    calendar_feeds.end_all_in(s, user.id)  # a feed address is a credential too
    notifications.forget_address_in(s, user.id)  # and an email address a standing channel
    login_guard.clear_in(s, user.username)  # a person locked out by guesses gets in with the new one


def change_password(user: User, current: str, password: str, address: str, confirm: str | None = None) -> None:
    """The person changes their own password, proving the current one. That proof is a login
    (:func:`portal.services.login_guard.verify`): a wrong one counts as a failed login of the
    username and the address, and while they are locked out even the right one is refused
    (``LoginLocked``), so a signed-in session left open cannot be used to guess the password
    faster than the login page allows.

    Every error at once, each on its field (``current``, ``password``, ``confirm``: the new
    password typed again, when the form asks it), :class:`Invalid`, the password unchanged: a
    form told of one at a time is sent again for each."""
    from portal.services import login_guard  # login_guard → users: import on use

    fields: dict[str, Msg] = {}
    if (err := validate_password(password, user.username)) is not None:
        fields["password"] = err
    elif current and password == current:  # "changed" to itself: whoever knew it (the admin who set it) still does
        fields["password"] = msg("password.unchanged")
    if confirm is not None and confirm != password:
        fields["confirm"] = msg("password.differ")
    if not current:  # nothing typed is no attempt at the password: none counted
        fields["current"] = msg("form.required")
    else:
        verified = login_guard.verify(user.username, current, address)
        if verified is None or verified.user.id != user.id:
            fields["current"] = msg("password.current_wrong")
    if fields:
        raise Invalid(msg("password.current_wrong" if set(fields) == {"current"} else "password.invalid"), fields)
    set_password(user, password)


def bump_session_version(user: User) -> None:
    with write_transaction():
        user.session_version = (user.session_version or 1) + 1


def by_username(username: str) -> User | None:
    """The account ``username`` names, however its case or width is typed. An account whose
    username is typed exactly comes first: of two accounts made before usernames were folded
    that fold alike, the later keeps logging in by its exact username (see the migration
    ``f4b2d8a6c1e9``)."""
    typed = (username or "").strip()
    return db.session.execute(
        select(User)
        .where(or_(User.username == typed, User.username_key == username_key(typed)))
        .order_by(case((User.username == typed, 0), else_=1))
        .limit(1)
    ).scalar_one_or_none()
