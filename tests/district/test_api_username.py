"""The API's new school takes the usernames the forms take: one rule (``users.USERNAME_PATTERN``),
the pattern its document publishes, and a bad one refused in the forms' words, changing nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Membership, School, User
from portal.services import tokens, users


def _post(app, world, username: str, **more: str):
    head = {"Authorization": f"Bearer {tokens.issue(world.admin1).token}", **more}
    return app.test_client().post("/api/v1/district/schools", headers=head, json={
        "code": "S7", "name": "七中", "admin_username": username, "admin_password": "a-good-password-7"})


def _rows() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(t)) or 0 for t in (School, User, Membership))


@pytest.mark.parametrize("username", ["王校长", "林晓雨.admin", "s7-adm_1", "𠀀校长"])
def test_a_chinese_username_the_form_takes_the_api_takes(app, world, username):
    assert users.clean_username(username) == username  # the forms' rule takes it
    r = _post(app, world, username)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["admin"] == username
    assert users.by_username(username) is not None


@pytest.mark.parametrize("username", ["", "a b", "王 校长", "ロ校长", "еva", "a" * 65, "ＡＢ", "ab\n", "a/b"])
def test_a_bad_username_is_refused_in_the_forms_words_and_changes_nothing(app, world, username):
    before = _rows()
    r = _post(app, world, username)
    assert r.status_code == 422
    assert r.get_json()["fields"]["admin_username"] == (
        "1–64 Latin letters (a–z), Chinese characters, digits, '.', '_' or '-'")
    r = _post(app, world, username, **{"Accept-Language": "zh-CN"})
    assert r.status_code == 422
    assert r.get_json()["fields"]["admin_username"] == "1–64 个英文字母（a–z）、汉字、数字、“.”、“_”或“-”"
    db.session.expire_all()
    assert _rows() == before


def test_the_document_publishes_the_forms_pattern(app):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    schema = doc["components"]["schemas"]["NewSchool"]["properties"]["admin_username"]
    assert schema["pattern"] == users.USERNAME_PATTERN and schema["maxLength"] == users.USERNAME_MAX
    for name in ("王校长", "s7.adm", "𠀀"):
        assert re.fullmatch(schema["pattern"], name)
    for name in ("a b", "ロ", "ＡＢ"):
        assert not re.fullmatch(schema["pattern"], name)
