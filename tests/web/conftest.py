"""Fixtures for the page tests.

``site`` is an app on a copy of the session's demo database (the DEMO school); no outer app
context is held, and every request runs in its own (``OwnContextClient``), as in production,
so nothing cached on ``g`` or in a session's identity map leaks from one request to the next.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.demo import DEMO_PASSWORD


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD, follow: bool = False):
    return client.post("/login", data={"username": username, "password": password}, follow_redirects=follow)


@pytest.fixture
def site(make_app) -> Flask:
    return make_app(demo=True)


@pytest.fixture
def as_user(site) -> Callable[[str], FlaskClient]:
    """``as_user("teacher1")`` → a new test client logged in as that demo person."""

    def make(username: str) -> FlaskClient:
        c = site.test_client()
        r = login(c, username)
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        return c

    return make


@pytest.fixture(scope="session", autouse=True)
def compiled_catalog() -> None:
    """Compile the zh catalog when the .mo is missing or older than the .po (``make``
    does this too; a plain ``pytest`` on a fresh clone should not show English)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    folder = Path(__file__).resolve().parents[2] / "portal" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
    po, mo = folder / "messages.po", folder / "messages.mo"
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with mo.open("wb") as fh:
            write_mo(fh, catalog)
