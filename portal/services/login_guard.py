"""Throttling of password guessing: failed logins counted per username and per address.

Failures live in the ``login_attempt`` table, so every worker and machine sees the same
count. After ``LOGIN_MAX_FAILURES`` failures for a username, or
``LOGIN_MAX_FAILURES_PER_ADDRESS`` from one address (higher: a school often shares one NAT
address), within ``LOGIN_LOCK_MINUTES``, further attempts are refused, even with the right
password. A successful login is never counted and clears the username's failures. A username is counted
in its folded form (:func:`portal.models.user.username_key`), the form it is looked up in:
``TEACHER1`` or full-width ``ｔｅａｃｈｅｒ１`` spends the same guesses as ``teacher1``.

Checking and counting are one atomic step (:func:`admit`): in one write transaction,
serialised per username and per address, the attempts in the window are counted and, if
there is room, this attempt is recorded *before* its password is checked. Simultaneous
guesses therefore queue for the count instead of all reading the same old one, and at most
the limit of passwords is ever checked in a window. The recorded attempt is the failure if
the password is wrong; a success deletes it with the username's other failures. (While a
password is being checked its attempt counts, so a burst of more simultaneous logins than
the limit, from one username or one address, sees the excess refused until they finish.)

The serialisation: on SQLite the write transaction begins with ``BEGIN IMMEDIATE`` (one
writer at a time); on PostgreSQL two transaction-scoped advisory locks keyed on the username
and on the address (always taken in that order, so two logins never wait for each other in
a cycle) are held until the transaction commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.orm import Session

from portal import policy
from portal.database import is_sqlite, write_transaction
from portal.errors import Unauthenticated
from portal.extensions import db
from portal.messages import msg
from portal.models import LoginAttempt, User
from portal.models.user import username_key
from portal.services import access, users
from portal.timeutil import utcnow

USERNAME_MAX = 64
PASSWORD_MAX = 200  # no password is longer (users.validate_password)
ADDRESS_MAX = 64
# First keys of pg_advisory_xact_lock(int, int): one space for usernames, one for addresses.
_LOCK_USERNAME = 7_301
_LOCK_ADDRESS = 7_302


def _window_start():
    return utcnow() - timedelta(minutes=int(current_app.config["LOGIN_LOCK_MINUTES"]))


def _typed(username: str) -> str:
    return (username or "")[: USERNAME_MAX * 2]  # nothing longer is folded (spaces around a name)


def _norm(username: str) -> str:
    """The username as failures are counted: folded, as it is looked up."""
    return username_key(_typed(username))[:USERNAME_MAX]


def _addr(address: str) -> str:
    return (address or "")[:ADDRESS_MAX]


class LoginLocked(Exception):
    """Too many failures: refuse without checking the password."""


def _serialise(s: Session, username: str, address: str) -> None:
    """Make concurrent admissions of the same username or address take turns (PostgreSQL;
    SQLite's ``BEGIN IMMEDIATE`` already lets one writer in at a time)."""
    if is_sqlite():
        return
    lock = text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), hashtext(:key))")
    s.execute(lock, {"space": _LOCK_USERNAME, "key": username})
    s.execute(lock, {"space": _LOCK_ADDRESS, "key": address})


def _counts(s: Session, username: str, address: str) -> tuple[int, int]:
    by_user, by_addr = s.execute(
        select(
            func.count().filter(LoginAttempt.username == username),
            func.count().filter(LoginAttempt.address == address),
        ).where(
            LoginAttempt.created_at >= _window_start(),
            or_(LoginAttempt.username == username, LoginAttempt.address == address),
        )
    ).one()
    return int(by_user), int(by_addr)


def _limits() -> tuple[int, int]:
    limit = int(current_app.config["LOGIN_MAX_FAILURES"])
    return limit, int(current_app.config.get("LOGIN_MAX_FAILURES_PER_ADDRESS") or limit)


def is_locked(username: str, address: str) -> bool:
    """Whether the username or the address has used up its failures in the window (a plain
    read, for display; a login goes through :func:`admit`)."""
    limit, addr_limit = _limits()
    by_user, by_addr = _counts(db.session(), _norm(username), _addr(address))
    return by_user >= limit or by_addr >= addr_limit


def admit(username: str, address: str) -> None:
    """Check the lock and record this attempt, atomically. Raises :class:`LoginLocked`
    (recording nothing) when the username or the address has no attempts left."""
    name, addr = _norm(username), _addr(address)
    limit, addr_limit = _limits()
    with write_transaction() as s:
        _serialise(s, name, addr)
        by_user, by_addr = _counts(s, name, addr)
        if by_user >= limit or by_addr >= addr_limit:
            raise LoginLocked()
        s.add(LoginAttempt(username=name, address=addr, created_at=utcnow()))


def clear(username: str) -> None:
    with write_transaction() as s:
        clear_in(s, username)


def clear_in(s: Session, username: str) -> None:
    """Forget the username's failed logins, in the write ``s`` (a login that succeeded, a new
    password: the guesses were at a password that no longer opens the account)."""
    s.execute(delete(LoginAttempt).where(LoginAttempt.username == _norm(username)))


@dataclass(frozen=True)
class Verified:
    user: User
    password_hash: str  # the hash the password matched, to detect a change made since


def verify(username: str, password: str, address: str) -> Verified | None:
    """The active user whose password matches (with the hash it matched), or None (the
    attempt stays counted as a failure). Raises :class:`LoginLocked` while locked out, and
    :class:`~portal.errors.Unauthenticated` (``login.no_role``) for the right password of one
    who may sign in no more (:func:`portal.policy.may_sign_in`): told only to who knows it."""
    admit(username, address)
    if not isinstance(password, str) or len(password) > PASSWORD_MAX:  # never a password: not hashed
        return None
    user = users.by_username(_typed(username))
    if user is None:
        users.spend_a_check(password or "")  # as long as a wrong password: no username is confirmed by time
        return None
    if not users.verify_password(user, password or "") or not user.active:  # checked first, for the same reason
        return None
    matched, user_id = user.password_hash, user.id  # read before clear() commits and expires the object
    clear(username)
    if not policy.may_sign_in(bool(db.session.execute(select(access.holds_a_role(user_id))).scalar())):
        raise Unauthenticated(msg("login.no_role"))
    return Verified(user, matched)


def authenticate(username: str, password: str, address: str) -> User | None:
    """The active user whose password matches, or None (the failure is counted).

    Raises :class:`LoginLocked` while the username or address is locked out.
    """
    verified = verify(username, password, address)
    return verified.user if verified is not None else None
