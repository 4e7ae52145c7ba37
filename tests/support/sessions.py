"""Logging a test client in without the login form (that page has tests of its own): the
helper plugin authors get too, :func:`portal.testing.log_in`."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from portal.testing import log_in

__all__ = ["forged_host", "log_in", "without_csrf_tokens"]


def forged_host(client: FlaskClient, host: str) -> dict[str, str]:
    """Headers for a request of ``client``'s logged-in person with the ``Host`` header ``host``
    (the test client sends a cookie only to the host it was set for: the session is copied)."""
    name = client.application.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None, "log the client in first"
    client.set_cookie(name, cookie.value, domain=host)
    return {"Host": host}


_CSRF_VALUE = re.compile(r'(name="csrf_token" value=")[^"]*(")')


def without_csrf_tokens(html: str) -> str:
    """``html`` with its CSRF tokens blanked: a check that a short name such as ``t1`` is absent
    must not fail because a random token happens to contain it."""
    return _CSRF_VALUE.sub(r"\1\2", html)
