"""Sessions and tokens ("Trustworthy hours"): a password change or a deactivation ends every
API token; logout and the school switch work in every session although the navigation bar
is cached; the login lock-out holds under simultaneous guesses; creating a person never
tells a school who exists in another one; nothing but static assets is cacheable, and
evidence files and the SQLite database are not readable by everyone.

No app context stays pushed: each request gets its own, as under a real server.
"""

from __future__ import annotations

import io
import os
import re
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from portal import create_app
from portal.errors import Invalid, Unauthenticated
from portal.extensions import db
from portal.models import ApiToken, Evidence, LoginAttempt, School, User
from portal.page_cache import NAV_MEMO_KEY, STATS_KEY
from portal.services import login_guard, notifications, staff, tokens, users
from tests.conftest import base_config
from tests.production.helpers import login_as
from tests.production.two_schools import PDF
from tests.support import factories as f

TOKEN_URL = "/api/v1/auth/token"
NEW_PASSWORD = "brand-new-pass-1"
# the same words on the staff page and the roster: they say a teacher of another school is moved, not made twice
NEUTRAL_ZH = ("该用户名不能使用，请另选一个。如果这位教师是从区内其他学校调来的，请联系区里办理教师调动，"
              "不要另建账号：另建账号会把其学时分散在两个账号上")
NEUTRAL_EN = ("this username cannot be used; choose another. If this teacher comes from another school of the "
              "district, ask the district to move them there instead: a second account would split their hours")


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def school(app):
    """School ST with an admin, an organizer, a reviewer and four teachers (st…)."""
    with app.app_context():
        s = f.school("ST", types=("lecture",))
        people = f.staff(s, "st")
        return s.id, {k: u.id for k, u in people.items()}


def _user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def _token(client, username: str, password: str = f.PASSWORD) -> str:
    r = client.post(TOKEN_URL, json={"username": username, "password": password})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["token"]


def _me(client, token: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def _live_tokens(app, user_id: int) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
        )


# -- 1. a password change or a deactivation ends every API token ------------------------------


def test_a_password_change_on_the_page_revokes_every_api_token(app, school):
    _sid, ids = school
    api = app.test_client()
    first, second = _token(api, "stt1"), _token(api, "stt1")
    someone_else = _token(api, "stt2")
    assert _me(api, first) == _me(api, second) == 200
    web = app.test_client()
    assert web.post("/login", data={"username": "stt1", "password": f.PASSWORD}).status_code == 302
    r = web.post("/password", data={"current": f.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 302
    assert _me(api, first) == _me(api, second) == 401
    assert _live_tokens(app, ids["t1"]) == 0
    assert _me(api, someone_else) == 200  # only the person's own tokens end
    assert _me(api, _token(api, "stt1", NEW_PASSWORD)) == 200  # the new password gets a new one


def _address(app, user_id: int) -> str:
    with app.app_context():
        return notifications.setting(user_id).email


def test_a_password_change_forgets_the_notification_address_someone_may_have_set(app, school):
    """Attack: one who had a teacher's password set the teacher's notification email to their
    own address; the teacher changed the password (every session, token and calendar feed
    ended) and the notices — activities, returns with their comments, credits — kept going to
    the outsider. A new password forgets the address (the kinds stay), in the same transaction,
    as it ends the feeds; a refused change forgets nothing; another person's address stays."""
    _sid, ids = school
    with app.app_context():
        notifications.save_setting(ids["t1"], "outsider@elsewhere.test", ["credited"])
        notifications.save_setting(ids["t2"], "wang@school.test", list(notifications.KINDS))
        db.session.commit()
    web = app.test_client()
    assert web.post("/login", data={"username": "stt1", "password": f.PASSWORD}).status_code == 302
    r = web.post("/password", data={"current": "wrong-pass-1", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 422 and _address(app, ids["t1"]) == "outsider@elsewhere.test"
    r = web.post("/password", data={"current": f.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                 headers={"Accept-Language": "zh-CN"}, follow_redirects=True)
    assert r.status_code == 200 and "通知邮箱已随旧密码一并清除" in r.get_data(as_text=True)
    assert _address(app, ids["t1"]) == "" and _address(app, ids["t2"]) == "wang@school.test"
    with app.app_context():
        assert notifications.setting(ids["t1"]).email_off != []  # the kinds chosen stay
        users.set_password(db.session.get(User, ids["t2"]), NEW_PASSWORD)  # an admin's reset, the operator's
    assert _address(app, ids["t2"]) == ""


def test_the_revocation_commits_with_the_password_change_and_only_with_it(app, school):
    _sid, ids = school
    with app.app_context():
        user = db.session.get(User, ids["t2"])
        tokens.issue(user)
        tokens.issue(user)
        db.session.commit()
        with pytest.raises(Invalid):
            users.set_password(user, "short")  # refused: nothing changes, tokens live on
        db.session.rollback()
    assert _live_tokens(app, ids["t2"]) == 2
    with app.app_context():
        user = db.session.get(User, ids["t2"])
        # the password is compared with the username before the write: kept loaded through the
        # commit, or reading it again would open a read transaction that the write, on SQLite,
        # finishes with a commit of its own (a commit of nothing)
        db.session().expire_on_commit = False
        db.session.commit()  # no transaction open: the change is the only commit below
        commits: list[int] = []
        event.listen(db.session(), "after_commit", lambda _s: commits.append(1))
        users.set_password(user, NEW_PASSWORD)
        assert len(commits) == 1
    assert _live_tokens(app, ids["t2"]) == 0
    with app.app_context():
        assert users.verify_password(db.session.get(User, ids["t2"]), NEW_PASSWORD)


def test_a_token_is_not_issued_for_a_password_changed_after_it_was_checked(app, school):
    """A login that checked the old password just before a change gets no token."""
    _sid, ids = school
    with app.app_context():
        verified = login_guard.verify("stt4", f.PASSWORD, "127.0.0.1")
        assert verified is not None
        users.set_password(db.session.get(User, ids["t4"]), NEW_PASSWORD)
        with pytest.raises(Unauthenticated):
            tokens.issue(verified.user, verified.password_hash)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.user_id == ids["t4"])) == 0


def test_deactivation_revokes_every_token_and_a_new_role_does_not_revive_them(app, school):
    sid, ids = school
    api = app.test_client()
    token, admin_token = _token(api, "stt3"), _token(api, "stadm")
    admin = login_as(app.test_client(), _user(app, ids["admin"]), sid)
    r = admin.post(f"/admin/staff/{ids['admin']}/deactivate")  # refused (yourself): nothing revoked
    assert r.status_code == 302 and _me(api, admin_token) == 200
    r = admin.post(f"/admin/staff/{ids['t3']}/deactivate")
    assert r.status_code == 302
    assert _me(api, token) == 401
    assert _live_tokens(app, ids["t3"]) == 0
    with app.app_context():  # the person is given a role again
        users.add_role(db.session.get(User, ids["t3"]), db.session.get(School, sid), "teacher")
        assert [m.user.id for m in staff.list_staff(sid) if m.active and m.user.id == ids["t3"]] == [ids["t3"]]
    assert _me(api, token) == 401  # the old token stays dead
    assert _me(api, _token(api, "stt3")) == 200


# -- 2. logout and the school switch after a second login (cached navigation bar) -------------


def _form_token(html: str, action: str) -> str:
    m = re.search(rf'action="{re.escape(action)}">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', html)
    assert m, f"no form posting to {action}"
    return m.group(1)


def _log_in_with_the_form(client, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"csrf_token": token, "username": username, "password": f.PASSWORD})
    assert r.status_code == 302, r.status_code


def test_logout_and_school_switch_work_in_every_session_with_a_cached_nav(make_app):
    """Two browsers of one person: the second gets the bar the first one's page kept (and put in
    the cache); its forms must carry the second session's token. Then both log in again."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        a, b = f.school("NA", types=("lecture",)), f.school("NB", types=("lecture",))
        f.person(a, "navboth", "teacher")
        f.person(b, "navboth", "teacher")
        a_id, b_id = a.id, b.id
    stats = app.extensions[STATS_KEY]
    one, two = app.test_client(), app.test_client()
    served: list[str] = []
    for _round in range(2):  # the second round: the same browsers log in again
        _log_in_with_the_form(one, "navboth")
        _log_in_with_the_form(two, "navboth")
        assert 'data-testid="school-switcher"' in one.get("/").get_data(as_text=True)
        rendered = stats["nav rendered"]
        home = two.get("/").get_data(as_text=True)
        assert stats["nav rendered"] == rendered  # the first browser's bar, kept
        to_b = _form_token(home, f"/school/{b_id}")
        assert two.post(f"/school/{b_id}", data={"csrf_token": to_b}).status_code == 302
        page = two.get("/").get_data(as_text=True)
        assert 'data-testid="school-switcher">测试学校NB<' in page
        to_a = _form_token(page, f"/school/{a_id}")
        assert two.post(f"/school/{a_id}", data={"csrf_token": to_a}).status_code == 302
        page = two.get("/").get_data(as_text=True)
        logout = _form_token(page, "/logout")
        served += [to_b, to_a, logout]
        done = two.post("/logout", data={"csrf_token": logout})
        assert done.status_code == 302 and "/login" in done.headers["Location"]
        assert two.get("/").status_code == 302  # the session really ended
        assert one.get("/").status_code == 302  # logging out ends the person's other sessions
    # the bar in the cache, and those kept in the process, hold no session's token
    cached = b"".join(p.read_bytes() for p in Path(app.config["CACHE_DIR"]).rglob("*") if p.is_file())
    cached += "".join(app.extensions[NAV_MEMO_KEY].values()).encode()
    assert b'name="csrf_token"' in cached
    for token in set(served):
        assert token.encode() not in cached


# -- 3. the lock-out holds under simultaneous guesses -------------------------------------------


def test_simultaneous_wrong_passwords_cannot_pass_the_limit(make_app, record_property):
    """12 wrong passwords at once (half on the login page, half for an API token), each its own
    client and app context: the first LOGIN_MAX_FAILURES are checked, the rest are locked out."""
    # a realistic (slow) hash, so the guesses really overlap
    app = make_app(PASSWORD_HASH_METHOD="pbkdf2:sha256:200000")
    limit = int(app.config["LOGIN_MAX_FAILURES"])
    with app.app_context():
        f.person(f.school("LG", types=("lecture",)), "racer", "teacher")
    n = 12
    start = threading.Barrier(n)

    def guess(i: int) -> int:
        client = app.test_client()
        start.wait(timeout=60)
        if i % 2:
            return client.post("/login", data={"username": "racer", "password": f"wrong-guess-{i}"}).status_code
        return client.post(TOKEN_URL, json={"username": "racer", "password": f"wrong-guess-{i}"}).status_code

    with ThreadPoolExecutor(max_workers=n) as pool:
        statuses = list(pool.map(guess, range(n), timeout=120))
    checked = statuses.count(401)
    record_property("figure", f"login lock-out: {n} simultaneous wrong passwords, {checked} checked (limit {limit})")
    assert sorted(set(statuses)) == [401, 429], statuses
    assert checked == limit, statuses
    # locked: the right password is refused too, on the page and for a token
    assert app.test_client().post("/login", data={"username": "racer", "password": f.PASSWORD}).status_code == 429
    r = app.test_client().post(TOKEN_URL, json={"username": "racer", "password": f.PASSWORD})
    assert r.status_code == 429 and r.get_json()["error"] == "too_many_attempts"
    with app.app_context():
        counted = db.session.scalar(
            select(func.count()).select_from(LoginAttempt).where(LoginAttempt.username == "racer")
        )
    assert counted == limit


def test_a_success_still_clears_the_failures_and_is_not_counted(app, school):
    api = app.test_client()
    for _ in range(2):
        assert api.post(TOKEN_URL, json={"username": "stt1", "password": "nope-nope"}).status_code == 401
    _token(api, "stt1")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginAttempt)) == 0
    for _ in range(3 * int(app.config["LOGIN_MAX_FAILURES"])):
        _token(api, "stt1")


# -- 4. creating a person never tells a school who exists in another one ------------------------


@pytest.fixture
def schools_a_and_b(app):
    with app.app_context():
        a, b = f.school("UA", types=("lecture",)), f.school("UB", types=("lecture",))
        f.person(a, "alice.a", "teacher", name="甲校的老师")
        f.person(None, "district.boss", "district_admin", name="区里的人")
        f.person(b, "bob.b", "teacher", name="乙校的老师")
        admin_b = f.person(b, "admin.b", "school_admin")
        return b.id, admin_b.id


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _username_error(html: str) -> str:
    m = re.search(r'data-testid="error-username">([^<]*)<', html)
    assert m, "no username error"
    return m.group(1)


def test_the_staff_page_does_not_confirm_a_username_of_another_school(app, schools_a_and_b):
    b_id, admin_b = schools_a_and_b
    client = login_as(app.test_client(), _user(app, admin_b), b_id)
    before = _users(app)

    def add(username: str, lang: str = ""):
        return client.post("/admin/staff" + lang, data={
            "username": username, "name": "新同事", "password": "password-123", "roles": "teacher",
        })

    elsewhere, district, ours = add("alice.a"), add("district.boss"), add("bob.b")
    assert elsewhere.status_code == district.status_code == ours.status_code == 422
    page = elsewhere.get_data(as_text=True)
    # the same neutral words as any other unavailable username, naming nobody and no school
    assert _username_error(page) == _username_error(district.get_data(as_text=True)) == NEUTRAL_ZH
    for leak in ("已被使用", "甲校的老师", "测试学校UA", "is taken"):
        assert leak not in page
    # someone of this school is named as taken (the admin sees them on this very page)
    assert _username_error(ours.get_data(as_text=True)) == "用户名“bob.b”（乙校的老师）已在本校教职工名单中，无需再添加"
    assert _username_error(add("alice.a", "?lang=en").get_data(as_text=True)) == NEUTRAL_EN
    assert _users(app) == before
    assert add("carol.b").status_code == 302 and _users(app) == before + 1


def test_roster_import_and_the_service_do_not_confirm_a_username_of_another_school(app, schools_a_and_b):
    b_id, admin_b = schools_a_and_b
    client = login_as(app.test_client(), _user(app, admin_b), b_id)
    roster = (
        "username,name,roles,password\n"
        "alice.a,甲,teacher,password-123\n"
        "district.boss,区,teacher,password-123\n"
        "bob.b,乙,teacher,password-123\n"
        "dora.b,丁,teacher,password-123\n"
    )
    r = client.post("/admin/staff/import", data={"file": (io.BytesIO(roster.encode()), "roster.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    errors = {line: re.findall(rf'data-testid="roster-error-{line}">([^<]*)<', html) for line in (2, 3, 4, 5)}
    # each problem is named by its cell and the column's heading in the file
    assert errors == {2: [f"A2 单元格（username）：{NEUTRAL_ZH}"], 3: [f"A3 单元格（username）：{NEUTRAL_ZH}"],
                      4: ["A4 单元格（username）：用户名“bob.b”（乙校的老师）已在本校教职工名单中，无需再添加"], 5: []}
    assert "甲校的老师" not in html and "测试学校UA" not in html
    # the rule lives in the services, so every caller (page, import, API, CLI) gets it
    with app.app_context():
        b = db.session.get(School, b_id)
        with pytest.raises(Invalid) as refused:
            users.create_user("alice.a", "password-123", "甲", b, ["teacher"])
        assert refused.value.fields == {"username": users.USERNAME_UNAVAILABLE}
        rows = staff.parse_roster(b, "roster.csv", roster.encode()).rows
        neutral = NEUTRAL_EN
        assert [[e.english for e in r.errors] for r in rows[:2]] == [[f"cell A{n} (username): {neutral}"] for n in (2, 3)]
        assert [e.english for e in rows[2].errors] == [
            "cell A4 (username): 'bob.b' (乙校的老师) is on the staff already: there is nothing to add"]


# -- 5. no-store on everything but static assets; private evidence files and database ----------


def _evidence(app, sid: int, ids: dict[str, int]) -> int:
    from portal.registry import registry
    from portal.services import activities

    with app.app_context():
        org, t1 = db.session.get(User, ids["organizer"]), db.session.get(User, ids["t1"])
        act = f.plan(db.session.get(School, sid), org, "lecture", [(t1, "attendee")], {"topic": "缓存"})
        f.fire(act, org, "hold")
        kind = next(iter(registry().get("lecture").type.all_evidence_kinds()))
        ev = activities.add_evidence(act, t1, None, kind, title="私密文件", filename="notes.pdf", data=PDF)
        return ev.id


def test_signed_in_pages_and_api_answers_are_never_stored(app, school):
    sid, ids = school
    evidence_id = _evidence(app, sid, ids)
    web = login_as(app.test_client(), _user(app, ids["admin"]), sid)
    reviewer = login_as(app.test_client(), _user(app, ids["reviewer"]), sid)
    pages = [(web, p) for p in ("/", "/activities", "/admin/staff", "/password", "/admin/audit", "/no-such-page",
                                f"/evidence/{evidence_id}")]
    pages += [(reviewer, p) for p in ("/reports/summary", "/reports/summary.csv", "/review")]
    for client, path in pages:
        r = client.get(path)
        assert r.status_code in (200, 404), (path, r.status_code)
        assert r.headers["Cache-Control"] == "no-store", (path, r.headers.get("Cache-Control"))
    api = app.test_client()
    issued = api.post(TOKEN_URL, json={"username": "strev", "password": f.PASSWORD})
    assert issued.headers["Cache-Control"] == "no-store"  # the answer carries the token
    bearer = {"Authorization": "Bearer " + issued.get_json()["token"]}
    for path in ("/api/v1/me", "/api/v1/activities", "/api/v1/reports/credits", "/api/v1/reports/credits?format=csv",
                 f"/api/v1/users/{ids['t1']}/credits", "/api/v1/activities/999999"):
        r = api.get(path, headers=bearer)
        assert r.status_code in (200, 404), (path, r.status_code)
        assert r.headers["Cache-Control"] == "no-store", path
    assert api.get("/api/v1/me").headers["Cache-Control"] == "no-store"  # a 401 too
    # static assets keep their caching (revalidated by ETag), signed in or not
    for client in (app.test_client(), web):
        r = client.get("/static/css/portal.css")
        assert r.status_code == 200 and "no-store" not in r.headers.get("Cache-Control", "")
        assert r.headers.get("ETag")
        assert client.get("/static/css/portal.css", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


def test_evidence_files_are_written_for_the_portal_only(app, school):
    sid, ids = school
    old = os.umask(0o022)  # the usual umask, which would leave a plain write world-readable
    try:
        evidence_id = _evidence(app, sid, ids)
        client = login_as(app.test_client(), _user(app, ids["organizer"]), sid)
        with app.app_context():
            act_id = db.session.get(Evidence, evidence_id).activity_id
        r = client.post(f"/activities/{act_id}/evidence", data={
            # an attachment: the same file again as a reflection is the same piece, refused
            "kind": "attachment", "title": "网页上传", "user_id": str(ids["t1"]),
            "file": (io.BytesIO(PDF), "page.pdf"),
        }, content_type="multipart/form-data")
        assert r.status_code == 302, r.get_data(as_text=True)[:300]
    finally:
        os.umask(old)
    with app.app_context():
        names = list(db.session.execute(select(Evidence.stored_name).where(Evidence.stored_name.is_not(None))).scalars())
    assert len(names) == 2
    for name in names:
        path = Path(app.config["UPLOAD_FOLDER"]) / name
        assert path.read_bytes() == PDF
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, oct(path.stat().st_mode)


def test_the_sqlite_database_file_is_not_world_readable(tmp_path):
    from flask_migrate import upgrade

    path = tmp_path / "fresh" / "yanxiu.db"
    path.parent.mkdir()
    old = os.umask(0o022)
    try:
        app = create_app(base_config(tmp_path, f"sqlite:///{path}"))
        with app.app_context():
            upgrade()  # what `flask db upgrade` runs on a new install
            db.session.remove()
            db.engine.dispose()
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if name.exists():
                assert stat.S_IMODE(name.stat().st_mode) == 0o640, (name, oct(name.stat().st_mode))
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        # a database left world-readable by an older version is narrowed when the app starts
        os.chmod(path, 0o644)
        again = create_app(base_config(tmp_path, f"sqlite:///{path}"))
        with again.app_context():
            db.engine.dispose()
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
    finally:
        os.umask(old)
