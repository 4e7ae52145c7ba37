"""A username is one thing however it is typed (attacker's audit): ``Teacher1``, ``TEACHER1`` or
full-width ``ｔｅａｃｈｅｒ１`` could be created next to ``teacher1`` — two people who look the
same on every list, an impersonation door — by the staff page, a roster, the command line or the
district creating a school's admin. Usernames are now compared and looked up folded (NFKC and
case folding, ``user_account.username_key``, unique), a new one is plain ASCII once folded (a
Cyrillic "е" survives folding), and a login finds the account whichever way it is typed."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select, text

from portal.demo import DEMO_PASSWORD
from portal.errors import Invalid
from portal.extensions import db
from portal.messages import msg
from portal.models import District, School, User
from portal.policy import Actor
from portal.services import districts, staff, users
from tests.support import factories as f
from tests.support.at_once import side_by_side
from tests.support.fresh_database import fresh_database

SPELLINGS = ("Teacher1", "TEACHER1", "ｔｅａｃｈｅｒ１", "teacher１", " tEACHER1 ")
LOOK_ALIKES = ("tеacher1", "teacher1\u200b", "teаcher1")  # Cyrillic е, a zero-width space, Cyrillic а


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def _demo() -> School:
    return db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()


def test_no_second_account_in_another_case_width_or_look_alike(app, demo):
    school, before = _demo(), _count()
    other = f.school("OT", types=("lecture",))
    for spelt in SPELLINGS:
        with pytest.raises(Invalid) as ours:
            users.create_user(spelt, "password-123", "冒名者", school, ["teacher"])
        assert ours.value.fields["username"].code == "user.on_staff_already"
        with pytest.raises(Invalid) as theirs:  # another school learns nothing about who exists
            users.create_user(spelt, "password-123", "冒名者", other, ["teacher"])
        assert theirs.value.fields == {"username": users.USERNAME_UNAVAILABLE}
    for spelt in LOOK_ALIKES:
        with pytest.raises(Invalid) as refused:
            users.create_user(spelt, "password-123", "冒名者", school, ["teacher"])
        assert refused.value.fields["username"].code == "user.username_format"
    assert _count() == before
    # full-width letters are stored as the plain ones they are; the case typed is kept
    made = users.create_user("Ｚｈａｎｇ．Ｗｅｉ", "password-123", "张伟", school, ["teacher"])
    assert (made.username, made.username_key) == ("Zhang.Wei", "zhang.wei")
    assert users.by_username("zhang.wei").id == users.by_username("ZHANG.WEI").id == made.id


def test_a_chinese_username_is_one_and_kana_or_hangul_look_alikes_are_refused(app, demo):
    """Many schools log in by a teacher's name: Chinese characters stay usernames (they were before
    usernames were folded). A katakana "ロ" looks like the Han "口", so other scripts are refused."""
    school, before = _demo(), _count()
    made = users.create_user("张伟", "password-123", "张伟", school, ["teacher"])
    assert (made.username, made.username_key) == ("张伟", "张伟")
    assert users.by_username("张伟").id == made.id
    users.create_user("口才", "password-123", "方口才", school, ["teacher"])
    for spelt in ("ロ才", "ㅁ才", "张伟\u3000"[:2] + "\u200b"):  # katakana ro, hangul m, a zero-width space
        with pytest.raises(Invalid) as refused:
            users.create_user(spelt, "password-123", "冒名者", school, ["teacher"])
        assert refused.value.fields["username"].code == "user.username_format"
    with pytest.raises(Invalid) as taken:
        users.create_user("张伟", "password-123", "冒名者", school, ["teacher"])
    assert taken.value.fields["username"].code == "user.on_staff_already"
    assert _count() == before + 2
    client = app.test_client()
    r = client.post("/login", data={"username": "张伟", "password": "password-123"})
    assert r.status_code == 302


def test_the_staff_page_the_roster_and_the_district_use_the_one_rule(app, demo):
    school, before = _demo(), _count()
    admin = users.by_username("admin")
    client = app.test_client()
    assert client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD}).status_code == 302
    r = client.post("/admin/staff", data={"username": "ＴＥＡＣＨＥＲ１", "name": "冒名者", "password": "password-123",
                                          "roles": "teacher"})
    assert r.status_code == 422
    error = re.search(r'data-testid="error-username">([^<]*)<', r.get_data(as_text=True)).group(1)
    assert error == "用户名“TEACHER1”（王雅琴）已在本校教职工名单中，无需再添加"
    roster = "username,name\nTeacher1,冒一\nnew.one,新一\nNEW.ONE,新二\nｎｅｗ.ｔｗｏ,新三\nnеw.three,新四\n"
    rows = staff.parse_roster(school, "roster.csv", roster.encode()).rows
    assert [[e.english for e in row.errors] for row in rows] == [
        ["cell A2 (username): 'Teacher1' (王雅琴) is on the staff already: there is nothing to add"], [],
        ["cell A4 (username): username 'NEW.ONE' is already on row 3 of the file: one row for each person"], [],
        ["cell A6 (username): username: 1–64 Latin letters (a–z), Chinese characters, digits, '.', '_' or '-'"]]
    r = client.post("/admin/staff/import", data={"file": (io.BytesIO(roster.encode()), "roster.csv"), "confirm": "1"},
                    content_type="multipart/form-data")
    assert r.status_code == 200 and 'data-testid="roster-error-2"' in r.get_data(as_text=True)
    created, _preview = staff.import_roster(school, "roster.csv", roster.encode(), skip_bad=True,
                                            by=Actor.of(admin.id, ["school_admin"]))
    assert sorted(u.username for u in created) == ["new.one", "new.two"]
    district_admin = users.by_username("district")
    district = db.session.get(District, school.district_id)
    with pytest.raises(Invalid) as refused:
        districts.create_school_with_admin(district, "S77", "新学校", "ＡＤＭＩＮ", "新校长", "password-123",
                                           by=Actor.of(district_admin.id, ["district_admin"]))
    # as the form and the API name the field; the same refusal, worded for the district (who moves teachers)
    assert refused.value.fields == {"admin_username": msg("user.username_unavailable_district")}
    assert db.session.execute(select(School.id).where(School.code == "S77")).first() is None
    assert _count() == before + 2


def test_the_command_line_uses_the_one_rule(app, demo):
    before = _count()
    for spelt in ("TEACHER1", "ｔｅａｃｈｅｒ１", "tеacher1"):
        r = app.test_cli_runner().invoke(args=["user", "create", spelt, "--school", "DEMO", "--role", "teacher",
                                               "--password", "password-123"])
        assert r.exit_code != 0 and "username" in r.output, r.output
    assert _count() == before


def test_a_login_finds_the_account_however_it_is_typed(site):
    for spelt in SPELLINGS:
        page = site.test_client()
        r = page.post("/login", data={"username": spelt, "password": DEMO_PASSWORD})
        assert r.status_code == 302, spelt
        api = site.test_client().post("/api/v1/auth/token", json={"username": spelt, "password": DEMO_PASSWORD})
        assert api.status_code == 200, spelt
        me = site.test_client().get("/api/v1/me", headers={"Authorization": "Bearer " + api.get_json()["token"]})
        assert me.get_json()["username"] == "teacher1"
    for spelt in LOOK_ALIKES:
        assert site.test_client().post("/login", data={"username": spelt, "password": DEMO_PASSWORD}).status_code == 401


def test_two_spellings_created_at_the_same_moment_make_one_account(app):
    """Both pass the check before either writes: the unique folded key refuses the second."""
    s = f.school("RC", types=("lecture",))
    sid = s.id
    db.session.commit()
    db.session.remove()

    def create(name: str):
        return lambda: users.create_user(name, "password-123", "同时", db.session.get(School, sid), ["teacher"])

    outcomes = side_by_side(app, create("race.one"), create("RACE.ONE"))
    assert sorted(outcomes) == ["done", "user.invalid"]
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username_key == "race.one")) == 1


def test_the_migration_keys_existing_usernames_and_keeps_old_look_alikes_working(make_app, templates, tmp_path):
    """A deployment upgraded with accounts that fold alike (made before this rule): the oldest
    gets the key, the later ones ``<key>#<id>``; each still logs in by its exact username, any
    other spelling finds the oldest, and no new spelling of it can be created."""
    from flask_migrate import upgrade

    created: list[str] = []
    app = make_app(SQLALCHEMY_DATABASE_URI=fresh_database(templates, tmp_path, created, "ukey"))
    try:
        with app.app_context():
            folder = app.extensions["migrate"].directory
            upgrade(directory=folder, revision="d5a1c7e3b902")
            for name in ("teacher1", "Teacher1", "ｔｅａｃｈｅｒ１", "Zhang"):
                db.session.execute(text(
                    "INSERT INTO user_account (username, display_name, password_hash, active, session_version,"
                    " created_at) VALUES (:u, :u, :h, :t, 1, CURRENT_TIMESTAMP)"),
                    {"u": name, "h": users.hash_password("password-123"), "t": True})
            db.session.commit()
            upgrade(directory=folder)
            keys = dict(db.session.execute(select(User.username, User.username_key).order_by(User.id)).all())
            ids = dict(db.session.execute(select(User.username, User.id)).all())
            assert keys == {"teacher1": "teacher1", "Teacher1": f"teacher1#{ids['Teacher1']}",
                            "ｔｅａｃｈｅｒ１": f"teacher1#{ids['ｔｅａｃｈｅｒ１']}", "Zhang": "zhang"}
            for typed, owner in (("Teacher1", "Teacher1"), ("ｔｅａｃｈｅｒ１", "ｔｅａｃｈｅｒ１"), ("TEACHER1", "teacher1"),
                                 ("teacher1", "teacher1"), ("zhang", "Zhang")):
                assert users.by_username(typed).id == ids[owner], typed
            with pytest.raises(Invalid) as refused:
                users.create_user("TeAcHeR1", "password-123", "", None, ["district_reviewer"])
            assert refused.value.fields == {"username": users.USERNAME_UNAVAILABLE}
            db.session.remove()
            db.engine.dispose()
    finally:
        templates.drop_databases(created)


def test_the_audit_filter_finds_a_person_however_the_username_is_typed(app, demo):
    from portal.audit import service as audit

    school = _demo()
    for view in ("transitions", "ledger"):
        exact = audit.page(school, audit.parse_filter({"view": view, "person": "teacher1"})).items
        assert exact, view
        for spelt in ("TEACHER1", "ｔｅａｃｈｅｒ１"):
            assert audit.page(school, audit.parse_filter({"view": view, "person": spelt})).items == exact, (view, spelt)
