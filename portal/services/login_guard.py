"""Throttling of password guessing: failed logins counted per username and per address.

Failures live in the ``login_attempt`` table, so every worker and machine sees the same
count. After ``LOGIN_MAX_FAILURES`` failures for a username, or
``LOGIN_MAX_FAILURES_PER_ADDRESS`` from one address (higher: a school often shares one NAT
address), within ``LOGIN_LOCK_MINUTES``, further attempts are refused, even with the right
password. A successful login is never counted and clears the username's failures.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from portal.database import write_transaction
from portal.extensions import db
from portal.models import LoginAttempt, User
from portal.services import users
from portal.timeutil import utcnow

USERNAME_MAX = 64


def _window_start():
    return utcnow() - timedelta(minutes=int(current_app.config["LOGIN_LOCK_MINUTES"]))


def _norm(username: str) -> str:
    return (username or "").strip()[:USERNAME_MAX]


def is_locked(username: str, address: str) -> bool:
    """Whether the username or the address has used up its failures in the window."""
    limit = int(current_app.config["LOGIN_MAX_FAILURES"])
    addr_limit = int(current_app.config.get("LOGIN_MAX_FAILURES_PER_ADDRESS") or limit)
    since = _window_start()
    by_user, by_addr = db.session.execute(
        select(
            func.count().filter(LoginAttempt.username == _norm(username)),
            func.count().filter(LoginAttempt.address == address),
        ).where(
            LoginAttempt.created_at >= since,
            or_(LoginAttempt.username == _norm(username), LoginAttempt.address == address),
        )
    ).one()
    return by_user >= limit or by_addr >= addr_limit


def record_failure(username: str, address: str) -> None:
    with write_transaction() as s:
        s.add(LoginAttempt(username=_norm(username), address=(address or "")[:64], created_at=utcnow()))


def clear(username: str) -> None:
    with write_transaction() as s:
        s.execute(delete(LoginAttempt).where(LoginAttempt.username == _norm(username)))


class LoginLocked(Exception):
    """Too many failures: refuse without checking the password."""


def authenticate(username: str, password: str, address: str) -> User | None:
    """The active user whose password matches, or None (the failure is counted).

    Raises :class:`LoginLocked` while the username or address is locked out.
    """
    if is_locked(username, address):
        raise LoginLocked()
    user = users.by_username(_norm(username))
    if user is None or not user.active or not users.verify_password(user, password or ""):
        record_failure(username, address)
        return None
    clear(username)
    return user
