"""Bearer tokens for the JSON API.

Only the SHA-256 hash of a token is stored, so a copy of the database gives nobody a working
token. A token expires after ``API_TOKEN_HOURS`` and can be revoked at any time. Logins
are throttled by ``portal.services.login_guard``, exactly like the login page.

Every token of a person is revoked, in the same transaction, when their password changes
(:func:`portal.services.users.set_password`) or a school admin deactivates them
(:func:`portal.services.staff.deactivate`); a revoked token never comes back, whatever
happens to the account later. One of a person who holds no role anywhere any more is refused
on every request even if it escaped that revocation (:func:`authenticate`,
:func:`portal.policy.may_sign_in`). A token is only issued if the password it was asked with is
still the person's password when the token row is written (see :func:`issue`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from portal import policy
from portal.database import write_transaction
from portal.errors import TooManyAttempts, Unauthenticated
from portal.extensions import db
from portal.messages import msg
from portal.models import ApiToken, User
from portal.services import access, login_guard
from portal.timeutil import utcnow

TOKEN_BYTES = 32


@dataclass(frozen=True)
class IssuedToken:
    token: str  # the secret, shown to the caller once
    row: ApiToken


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue(user: User, password_hash: str | None = None) -> IssuedToken:
    """A new token for ``user``, valid for ``API_TOKEN_HOURS``.

    ``password_hash`` is the hash the caller's password was checked against. The user's row
    is locked and read again in the transaction that writes the token: if the password was
    changed (and the person's tokens revoked) since the check, no token is issued. Without
    this, a login racing a password change could mint a token from the old password that the
    change's revocation never saw.
    """
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    hours = float(current_app.config.get("API_TOKEN_HOURS", 24 * 7))
    with write_transaction() as s:
        if password_hash is not None:
            current = s.execute(
                select(User.password_hash, User.active).where(User.id == user.id).with_for_update()
            ).one_or_none()
            if current is None or not current.active or current.password_hash != password_hash:
                raise Unauthenticated(msg("login.wrong"))
        row = ApiToken(
            user_id=user.id, token_hash=hash_token(raw), created_at=now, expires_at=now + timedelta(hours=hours)
        )
        s.add(row)
    return IssuedToken(raw, row)


def login(username: str, password: str, address: str = "") -> IssuedToken:
    """Check the credentials (throttled like the login page) and issue a token. Raises
    :class:`Unauthenticated` (never saying which of the two was wrong) or :class:`TooManyAttempts`."""
    try:
        verified = login_guard.verify(username, password, address)
    except login_guard.LoginLocked:
        raise TooManyAttempts(msg("login.locked")) from None
    if verified is None:
        raise Unauthenticated(msg("login.wrong"))
    return issue(verified.user, verified.password_hash)


def authenticate(raw: str) -> tuple[ApiToken, User]:
    """The token row and its user for a presented token, or :class:`Unauthenticated`: one
    unknown, revoked or expired, or of a person who may sign in no more
    (:func:`portal.policy.may_sign_in`), asked in the same statement."""
    if not raw or len(raw) > 512:
        raise Unauthenticated(msg("token.required"))
    found = db.session.execute(
        select(ApiToken, User, access.holds_a_role(User.id))
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(raw))
    ).one_or_none()
    if found is None or found[0].revoked:
        raise Unauthenticated(msg("token.invalid"))
    row, user, holds_a_role = found
    if row.expires_at <= utcnow():
        raise Unauthenticated(msg("token.expired"))
    if not user.active:
        raise Unauthenticated(msg("token.inactive"))
    if not policy.may_sign_in(bool(holds_a_role)):  # off every school's staff: a token that escaped revocation
        raise Unauthenticated(msg("login.no_role"))
    return row, user


def revoke(row: ApiToken) -> None:
    with write_transaction():
        row.revoked = True


def revoke_all_in(s: Session, user_id: int) -> int:
    """Revoke every live token of the user inside the caller's open write transaction, so the
    revocation commits (or rolls back) with the change that calls for it. Returns how many."""
    result: CursorResult = s.execute(  # type: ignore[assignment]  # an UPDATE's result has rowcount
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
        .values(revoked=True)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def revoke_all(user: User) -> int:
    """Revoke every live token of ``user`` in a transaction of its own; returns how many."""
    with write_transaction() as s:
        return revoke_all_in(s, user.id)
