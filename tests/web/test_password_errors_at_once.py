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


def test_a_password_that_is_the_username_or_the_current_one_is_refused_and_nothing_written(site):
    """Eight characters were the only rule: ``teacher1`` took ``TEACHER1`` (the first guess of
    anyone who sees her name on a list) and the current password "changed" to itself said 密码已修改
    while whoever set it for her still knew it. Both refused beside the field, nothing written."""
    c = site.test_client()
    login(c, "teacher1")
    before = _account(site)
    for typed in ("teacher1", "TEACHER1", "ｔｅａｃｈｅｒ１"):
        errors = _refused(c, "zh", {"current": DEMO_PASSWORD, "password": typed, "confirm": typed})
        assert errors["password"] == ["不能与用户名相同：这是任何人都会最先尝试的密码"], (typed, errors)
    errors = _refused(c, "zh", {"current": DEMO_PASSWORD, "password": DEMO_PASSWORD, "confirm": DEMO_PASSWORD})
    assert errors == {"current": [], "password": ["这是您当前的密码：请设置一个新密码"], "confirm": []}, errors
    errors = _refused(c, "en", {"current": DEMO_PASSWORD, "password": DEMO_PASSWORD, "confirm": DEMO_PASSWORD})
    assert errors["password"] == ["This is your current password: choose a new one"], errors
    assert _account(site) == before
    assert login(site.test_client(), "teacher1", DEMO_PASSWORD).status_code == 302
    r = c.post("/password", data={"current": DEMO_PASSWORD, "password": "teacher1-garden", "confirm": "teacher1-garden"})
    assert r.status_code == 302 and _account(site) != before  # holding the username is no fault


def test_the_command_line_refuses_a_new_account_whose_password_is_its_username(site):
    with site.app_context():
        people = db.session.execute(select(db.func.count(User.id))).scalar_one()
    runner = site.test_cli_runner()
    out = runner.invoke(args=["user", "create", "wang.fang", "--school", "DEMO", "--role", "teacher",
                              "--name", "王芳", "--password", "Wang.Fang"])
    assert out.exit_code != 0 and "must not be the username" in out.output, out.output
    out = runner.invoke(args=["user", "set-password", "teacher2", "--password", "Teacher2"])
    assert out.exit_code != 0 and "must not be the username" in out.output, out.output
    with site.app_context():
        assert db.session.execute(select(db.func.count(User.id))).scalar_one() == people
    assert login(site.test_client(), "teacher2", DEMO_PASSWORD).status_code == 302
