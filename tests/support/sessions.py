"""Logging a test client in without the login form (that page has tests of its own)."""

from __future__ import annotations

from flask.testing import FlaskClient

from portal.models import User


def log_in(client: FlaskClient, user: User, school_id: int | None = None) -> FlaskClient:
    """Put ``user`` in the client's session the way Flask-Login does after a real login,
    optionally with the school chosen."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        if school_id is not None:
            sess["school_id"] = school_id
    return client
