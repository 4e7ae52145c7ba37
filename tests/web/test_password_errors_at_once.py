"""The password-change form told of one error at a time: two new passwords that differ hid a
wrong current password and a new one too short, each told only once the other was mended. Now
every error of the form at once, each beside its field, and nothing is written."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import User
from tests.web.test_auth import login


def _field_errors(html: str) -> dict[str, list[str]]:
    """Each field's errors, as the form shows them beside it (in the field's own block)."""
    out: dict[str, list[str]] = {}
    for name in ("current", "password", "confirm"):
        block = re.search(rf'<div class="mb-3">\s*<label[^>]*for="{name}".*?\n  </div>', html, re.S)
        assert block, name
        out[name] = re.findall(rf'data-testid="error-{name}">([^<]*)<', block.group(0))
    return out


def _account(site) -> tuple:
    with site.app_context():
        return tuple(db.session.execute(select(User.password_hash, User.session_version)
                                        .where(User.username == "teacher1")).one())


def _refused(c, lang: str, data: dict[str, str]) -> dict[str, list[str]]:
    r = c.post(f"/password?lang={lang}", data=data)
    assert r.status_code == 422
    return _field_errors(r.get_data(as_text=True))


def test_every_error_of_the_form_at_once_beside_its_field(site):
    c = site.test_client()
    login(c, "teacher1")
    before = _account(site)
    errors = _refused(c, "zh", {"current": "wrong-one", "password": "short", "confirm": "shorter"})
    assert errors == {"current": ["当前密码不正确"], "password": ["至少 8 个字符"],
                      "confirm": ["两次输入的新密码不一致。"]}, errors
    errors = _refused(c, "en", {"current": "wrong-one", "password": "new-secret-9", "confirm": "other-secret"})
    assert errors == {"current": ["the current password is wrong"], "password": [],
                      "confirm": ["The two new passwords differ."]}, errors
    assert _account(site) == before  # nothing written: the same password, every session still valid
    assert login(site.test_client(), "teacher1", DEMO_PASSWORD).status_code == 302


def test_empty_fields_say_so_once_with_the_others(site):
    c = site.test_client()
    login(c, "teacher1")
    before = _account(site)
    errors = _refused(c, "en", {"current": "", "password": "short", "confirm": ""})
    assert errors["current"] == ["This field is required."] and errors["confirm"] == ["This field is required."]
    assert len(errors["password"]) == 1 and "8" in errors["password"][0], errors
    assert _account(site) == before
    r = c.post("/password", data={"current": DEMO_PASSWORD, "password": "new-secret-9", "confirm": "new-secret-9"})
    assert r.status_code == 302 and _account(site) != before  # all of it right: changed
