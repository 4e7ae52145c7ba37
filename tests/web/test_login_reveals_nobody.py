"""A login reveals nothing of which usernames exist, not even by the time it takes: a username
nobody has, or an account switched off, costs the same password check as a wrong password
(before, the check was skipped, and a login for an unknown name answered at once, while a
known one's wrong password took a full scrypt: a list of the district's usernames by timing)."""

from __future__ import annotations

import pytest

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import User
from portal.services import users
from tests.support.spies import calls_of


@pytest.fixture
def checks(monkeypatch) -> list[tuple]:
    """Every password hash checked: (the hash, the password) of each check."""
    return calls_of(monkeypatch, users, "check_password_hash")


def _login(site, username: str, password: str) -> int:
    return site.test_client().post("/login", data={"username": username, "password": password}).status_code


def test_an_unknown_or_switched_off_account_costs_one_password_check_as_a_wrong_password_does(site, checks):
    with site.app_context():
        off = db.session.execute(db.select(User).where(User.username == "teacher5")).scalar_one()
        off.active = False
        db.session.commit()
    for username, password in (("teacher1", "wrong-password"), ("nobody-at-all", "wrong-password"),
                               ("teacher5", DEMO_PASSWORD), ("teacher5", "wrong-password")):
        checks.clear()
        assert _login(site, username, password) == 401, username
        assert len(checks) == 1, username
    checks.clear()
    assert _login(site, "teacher1", DEMO_PASSWORD) == 302  # the right one: one check, and in
    assert len(checks) == 1


def test_the_stand_in_hash_opens_nothing(site, checks):
    """The hash an unknown username is checked against is nobody's: no password opens it."""
    for password in ("x", DEMO_PASSWORD, "wrong-password"):
        assert _login(site, "nobody-at-all", password) == 401
    assert checks and all(h.startswith("pbkdf2:") for h, _password in checks)  # the app's own method
