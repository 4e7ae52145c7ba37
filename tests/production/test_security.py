"""CSRF, copied cookies after logout / password change, login throttling shared by workers,
and uploads (content checks, generated names outside the static folder)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Evidence, User
from tests.production.helpers import login_as, row_counts
from tests.production.two_schools import PDF
from tests.support import factories as f

UNCOUNTED = {"login_attempt", "api_token"}  # a refused login is *meant* to leave a trace


def _counts() -> dict[str, int]:
    return {k: v for k, v in row_counts().items() if k not in UNCOUNTED}


def _login(client, username: str, password: str = f.PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


@pytest.fixture
def app(make_app):
    """No app context stays pushed: each request gets its own ``g``, as under a real server."""
    return make_app()


@pytest.fixture
def school_a(app):
    with app.app_context():
        s = f.school("SA")
        people = f.staff(s, "sa")
        super_a = f.person(s, "sasuper", "school_admin", "reviewer", "organizer", "teacher")
        act = f.plan(s, people["organizer"], "lecture", [(people["t1"], "attendee"), (super_a, "attendee")],
                     {"topic": "安全"})
        f.fire(act, people["organizer"], "hold")
        return s.id, {k: u.id for k, u in people.items()}, super_a.id, act.id


def _user(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id)


#: Web routes that take a POST without the session's CSRF token, each on purpose: an email's
#: one-click unsubscribe (RFC 8058: a mail provider POSTs with no session; the signed token in
#: its path is the authority, and a token not signed by the portal changes nothing).
CSRF_EXEMPT = {"notifications.unsubscribe_link"}


def test_csrf_refused_on_every_web_post(make_app, record_property):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        s = f.school("CS")
        user = f.person(s, "csuser", "school_admin", "reviewer", "organizer", "teacher")
        act = f.plan(s, user, "lecture", [(user, "attendee")], {"topic": "csrf"})
        ids = {"activity_id": act.id, "user_id": user.id, "school_id": s.id, "evidence_id": 1}
        before = _counts()
    tried = 0
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or "POST" not in (rule.methods or ()):
            continue
        values = {name: ids.get(name, 1) if name.endswith("id") else "lecture" for name in rule.arguments}
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **values)
        client = login_as(app.test_client(), _user(app, ids["user_id"]), ids["school_id"])
        r = client.post(url, data={"title": "x", "comment": "x", "action": "credit", "username": "csuser",
                                   "password": f.PASSWORD})
        tried += 1
        if rule.endpoint in CSRF_EXEMPT:  # past the CSRF check; a token it did not sign is not found
            assert r.status_code == 404, f"POST {url} with a forged token → {r.status_code}"
            continue
        assert r.status_code == 400, f"POST {url} without a CSRF token → {r.status_code}"
    assert tried >= 5
    with app.app_context():
        assert _counts() == before
    # and with the token the login form works (the check is not simply refusing everything)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"csrf_token": token, "username": "csuser", "password": f.PASSWORD})
    assert r.status_code == 302
    record_property("figure", f"CSRF: {tried} web POST routes refused without a token")


def test_logout_kills_a_copied_cookie(app, school_a):
    _s, people, _super, _act = school_a
    client = app.test_client()
    assert _login(client, "sat1").status_code == 302
    assert client.get("/").status_code == 200
    stolen = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    r = thief.get("/")
    assert r.status_code == 302 and "login" in r.headers["Location"]


def test_password_change_kills_other_sessions(app, school_a):
    first, second = app.test_client(), app.test_client()
    assert _login(first, "sat2").status_code == 302
    assert _login(second, "sat2").status_code == 302
    copied = second.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    r = first.post("/password", data={"current": f.PASSWORD, "password": "a-new-password-9", "confirm": "a-new-password-9"})
    assert r.status_code == 302
    assert first.get("/").status_code == 200  # the session that changed it stays in
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    r = thief.get("/")
    assert r.status_code == 302 and "login" in r.headers["Location"]
    assert _login(app.test_client(), "sat2").status_code == 401  # the old password is gone
    assert _login(app.test_client(), "sat2", "a-new-password-9").status_code == 302


def test_login_lock_is_shared_by_two_workers(make_app):
    """Two app instances on one database (two gunicorn workers): failures add up across them."""
    one = make_app()
    two = make_app(SQLALCHEMY_DATABASE_URI=one.config["SQLALCHEMY_DATABASE_URI"])
    limit = one.config["LOGIN_MAX_FAILURES"]
    with one.app_context():
        s = f.school("LK")
        f.person(s, "lockme", "teacher")
        f.person(s, "happy", "teacher")
    workers = [one.test_client(), two.test_client()]
    for i in range(limit):
        r = _login(workers[i % 2], "lockme", "wrong-password")
        assert r.status_code == 401, (i, r.status_code)
    for client in workers:  # locked on both, even with the right password
        assert _login(client, "lockme").status_code == 429
    # successful logins are never throttled, however many (from another address than the attacker's)
    for i in range(3 * limit):
        client = workers[i % 2].application.test_client()
        client.environ_base["REMOTE_ADDR"] = "10.1.2.3"
        assert _login(client, "happy").status_code == 302, i


def test_upload_checked_stored_privately_and_served_to_members_only(app, school_a):
    s, people, super_a, act = school_a
    client = login_as(app.test_client(), _user(app, super_a), s)
    with app.app_context():
        before = _counts()
    folder = Path(app.config["UPLOAD_FOLDER"])
    files_before = set(os.listdir(folder)) if folder.exists() else set()
    fake = client.post(f"/activities/{act}/evidence", data={
        "kind": "reflection", "title": "假PDF", "user_id": str(super_a),
        "file": (io.BytesIO(b"<html><script>alert(1)</script></html>"), "report.pdf"),
    }, content_type="multipart/form-data")
    assert fake.status_code == 422
    with app.app_context():
        assert _counts() == before
    assert (set(os.listdir(folder)) if folder.exists() else set()) == files_before
    app.config["UPLOAD_MAX_BYTES"] = 1024
    big = client.post(f"/activities/{act}/evidence", data={
        "kind": "reflection", "title": "大文件", "user_id": str(super_a),
        "file": (io.BytesIO(PDF + b"0" * 2048), "big.pdf"),
    }, content_type="multipart/form-data")
    assert big.status_code == 422
    with app.app_context():
        assert _counts() == before
    app.config["UPLOAD_MAX_BYTES"] = 10 * 1024 * 1024
    good = client.post(f"/activities/{act}/evidence", data={
        "kind": "reflection", "title": "真PDF", "user_id": str(super_a),
        "file": (io.BytesIO(PDF), "../../static/evil name.pdf"),
    }, content_type="multipart/form-data")
    assert good.status_code == 302, good.get_data(as_text=True)[:500]
    with app.app_context():
        ev = db.session.execute(select(Evidence).where(Evidence.title == "真PDF")).scalar_one()
        db.session.expunge(ev)
    assert ev.stored_name and ev.stored_name.endswith(".pdf") and len(ev.stored_name) == 32 + 4
    stored = folder / ev.stored_name
    assert stored.read_bytes() == PDF
    static = Path(app.static_folder).resolve()
    assert static not in stored.resolve().parents
    assert not list(static.rglob(ev.stored_name))
    assert app.test_client().get(f"/static/{ev.stored_name}").status_code == 404
    # a member of the school gets it, as a download; a stranger is sent to log in
    r = client.get(f"/evidence/{ev.id}")
    assert r.status_code == 200 and r.data == PDF
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    anon = app.test_client().get(f"/evidence/{ev.id}")
    assert anon.status_code in (302, 401) and anon.data != PDF
    with app.app_context():
        other = f.school("SB")
        outsider = f.person(other, "sboutsider", "school_admin", "teacher")
        ids = other.id, outsider.id
    r = login_as(app.test_client(), _user(app, ids[1]), ids[0]).get(f"/evidence/{ev.id}")
    assert r.status_code == 404 and PDF not in r.data


def test_a_text_upload_is_sent_with_its_charset_once(app, school_a):
    """A .txt upload is stored as ``text/plain; charset=utf-8``; sent with it as the mimetype,
    werkzeug added its own charset: ``text/plain; charset=utf-8; charset=utf-8`` on the page's
    download (and the district's and the API's, one helper: ``downloads.evidence_response``)."""
    s, _people, super_a, act = school_a
    client = login_as(app.test_client(), _user(app, super_a), s)
    r = client.post(f"/activities/{act}/evidence", data={
        "kind": "reflection", "title": "文本", "user_id": str(super_a),
        "file": (io.BytesIO("今天的课堂上学生积极发言。".encode()), "反思.txt"),
    }, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    with app.app_context():
        ev = db.session.execute(select(Evidence).where(Evidence.title == "文本")).scalar_one()
        assert ev.content_type == "text/plain; charset=utf-8"
        from portal.downloads import evidence_response

        with app.test_request_context():
            assert evidence_response(ev).headers["Content-Type"] == "text/plain; charset=utf-8"
        evidence_id = ev.id
    r = client.get(f"/evidence/{evidence_id}")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/plain; charset=utf-8", r.headers["Content-Type"]


def _login_from(app, address: str, username: str, password: str = f.PASSWORD):
    client = app.test_client()
    return client.post("/login", data={"username": username, "password": password},
                       headers={"X-Forwarded-For": address})


def test_behind_a_trusted_proxy_the_client_address_is_counted(make_app):
    """With YANXIU_TRUSTED_PROXIES=1 (nginx in front) one guesser locks only their own address."""
    app = make_app(TRUSTED_PROXIES=1)
    with app.app_context():
        s = f.school("PX")
        f.person(s, "pxhappy", "teacher")
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for i in range(limit):
        assert _login_from(app, "203.0.113.9", f"guess{i}", "wrong-password").status_code == 401
    assert _login_from(app, "203.0.113.9", "pxhappy").status_code == 429  # the guesser's address is locked
    assert _login_from(app, "198.51.100.7", "pxhappy").status_code == 302  # everyone else logs in


def test_without_a_trusted_proxy_forwarded_headers_are_ignored(make_app):
    """A guesser cannot dodge the address lock by inventing X-Forwarded-For values."""
    app = make_app()
    limit = app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for i in range(limit):
        assert _login_from(app, f"10.9.9.{i}", f"guess{i}", "wrong-password").status_code == 401
    assert _login_from(app, "10.9.9.200", "another-guess", "wrong-password").status_code == 429


def test_a_school_behind_one_nat_address_is_not_locked_out_by_one_teachers_typos(make_app):
    """Failures per address have a higher limit than per account: the whole school shares it."""
    app = make_app()
    with app.app_context():
        s = f.school("NAT")
        f.person(s, "typist", "teacher")
        f.person(s, "colleague", "teacher")
    per_account = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(per_account):
        assert _login_from(app, "192.0.2.50", "typist", "wrong-password").status_code == 401
    assert _login_from(app, "192.0.2.50", "typist").status_code == 429  # that account is locked
    assert _login_from(app, "192.0.2.50", "colleague").status_code == 302  # the school is not
