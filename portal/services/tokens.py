"""Bearer tokens for the JSON API.

Only the SHA-256 hash of a token is stored, so a copy of the database gives nobody a working
token. A token expires after ``API_TOKEN_HOURS`` and can be revoked at any time. Logins
are throttled by ``portal.services.login_guard``, exactly like the login page.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal.database import write_transaction
from portal.errors import TooManyAttempts, Unauthenticated
from portal.extensions import db
from portal.models import ApiToken, User
from portal.services import login_guard
from portal.timeutil import utcnow

TOKEN_BYTES = 32


@dataclass(frozen=True)
class IssuedToken:
    token: str  # the secret, shown to the caller once
    row: ApiToken


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue(user: User) -> IssuedToken:
    """A new token for ``user``, valid for ``API_TOKEN_HOURS``."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    hours = float(current_app.config.get("API_TOKEN_HOURS", 24 * 7))
    with write_transaction() as s:
        row = ApiToken(
            user_id=user.id, token_hash=hash_token(raw), created_at=now, expires_at=now + timedelta(hours=hours)
        )
        s.add(row)
    return IssuedToken(raw, row)


def login(username: str, password: str, address: str = "") -> IssuedToken:
    """Check the credentials (throttled like the login page) and issue a token. Raises
    :class:`Unauthenticated` (never saying which of the two was wrong) or :class:`TooManyAttempts`."""
    try:
        user = login_guard.authenticate(username, password, address)
    except login_guard.LoginLocked:
        raise TooManyAttempts("too many failed logins; try again later") from None
    if user is None:
        raise Unauthenticated("wrong username or password")
    return issue(user)


def authenticate(raw: str) -> tuple[ApiToken, User]:
    """The token row and its user for a presented token, or :class:`Unauthenticated`."""
    if not raw or len(raw) > 512:
        raise Unauthenticated("a valid bearer token is required")
    row = db.session.execute(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).scalar_one_or_none()
    if row is None or row.revoked:
        raise Unauthenticated("the token is not valid (unknown or revoked)")
    if row.expires_at <= utcnow():
        raise Unauthenticated("the token has expired")
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthenticated("the account is not active")
    return row, user


def revoke(row: ApiToken) -> None:
    with write_transaction():
        row.revoked = True


def revoke_all(user: User) -> int:
    """Revoke every live token of ``user`` (e.g. after a password change); returns how many."""
    with write_transaction() as s:
        rows = list(
            s.execute(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))).scalars()
        )
        for row in rows:
            row.revoked = True
    return len(rows)
