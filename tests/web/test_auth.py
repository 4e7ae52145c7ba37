"""Login, the lock after failures, logout and password change ending copied sessions,
the school switcher and the language switch."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import LoginAttempt


def login(client, username: str, password: str = DEMO_PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def _site(make_app, **config):
    return make_app(demo=True, **config)


def test_login_lands_on_the_persons_home(site):
    c = site.test_client()
    r = login(c, "teacher1")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert 'data-testid="hours-card"' in c.get("/").get_data(as_text=True)
    d = site.test_client()
    r = login(d, "district")
    assert r.headers["Location"] == "/district"
    assert d.get("/").headers["Location"] == "/district"


def test_login_follows_only_local_next(site):
    c = site.test_client()
    r = c.post("/login?next=/activities", data={"username": "teacher1", "password": DEMO_PASSWORD})
    assert r.headers["Location"] == "/activities"
    c = site.test_client()
    r = c.post("/login?next=https://evil.example/x", data={"username": "teacher1", "password": DEMO_PASSWORD})
    assert r.headers["Location"] == "/"


def test_wrong_password_keeps_the_username_and_says_so(site):
    c = site.test_client()
    r = login(c, "teacher1", "wrong-password")
    assert r.status_code == 401
    html = r.get_data(as_text=True)
    assert "用户名或密码错误" in html and 'value="teacher1"' in html


def test_lock_after_failures_even_with_the_right_password(make_app):
    app = _site(make_app, LOGIN_MAX_FAILURES=3, LOGIN_LOCK_MINUTES=15)
    c = app.test_client()
    for _ in range(3):
        assert login(c, "teacher2", "nope-nope").status_code == 401
    r = login(c, "teacher2")  # right password, but locked
    assert r.status_code == 429
    assert "登录失败次数过多" in r.get_data(as_text=True)
    assert c.get("/").status_code == 302  # not logged in


def test_the_lock_holds_for_every_spelling_of_the_username_on_the_page_and_the_api(make_app):
    """Once a username is locked, no variant of it signs in as that person, on the login page
    or at the API's token endpoint: spaces around it (ASCII or 全角), another case and
    full-width letters are the same username (looked up and counted folded) and locked; a
    zero-width space names nobody, so it is wrong — never a way round the lock. The failures
    themselves may be spent in any spelling: ``TEACHER2`` got no fresh guesses."""
    app = _site(make_app, LOGIN_MAX_FAILURES=3, LOGIN_LOCK_MINUTES=15)
    for spelt in ("teacher2", "TEACHER2", "ｔｅａｃｈｅｒ２"):
        assert login(app.test_client(), spelt, "nope-nope").status_code == 401
    for name, status in ((" teacher2 ", 429), ("teacher2\u3000", 429), ("\tteacher2\n", 429), ("Teacher2", 429),
                         ("ｔｅａｃｈｅｒ２", 429), ("teacher２", 429), ("teacher2\u200b", 401)):
        assert login(app.test_client(), name).status_code == status, name
        token = app.test_client().post("/api/v1/auth/token", json={"username": name, "password": DEMO_PASSWORD})
        assert token.status_code == status, name


def test_a_success_is_never_throttled_and_clears_the_failures(make_app):
    app = _site(make_app, LOGIN_MAX_FAILURES=3)
    c = app.test_client()
    for _ in range(2):
        login(c, "teacher3", "nope-nope")
    assert login(c, "teacher3").status_code == 302
    with app.app_context():
        left = db.session.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.username == "teacher3"))
    assert left == 0
    for _ in range(2):  # two new failures do not reach the limit of three
        login(app.test_client(), "teacher3", "nope-nope")
    assert login(app.test_client(), "teacher3").status_code == 302


def test_failures_from_one_address_lock_that_address(make_app):
    app = _site(make_app, LOGIN_MAX_FAILURES=3, LOGIN_MAX_FAILURES_PER_ADDRESS=3)
    c = app.test_client()
    for name in ("ghost1", "ghost2", "ghost3"):
        login(c, name, "whatever-1")
    assert login(c, "teacher4").status_code == 429  # same address
    other = app.test_client()
    r = other.post("/login", data={"username": "teacher4", "password": DEMO_PASSWORD},
                   environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert r.status_code == 302


def test_logout_makes_a_copied_cookie_useless(site):
    c = site.test_client()
    login(c, "teacher1")
    cookie = c.get_cookie("session")
    assert cookie is not None
    assert c.post("/logout").status_code == 302
    thief = site.test_client()
    thief.set_cookie(cookie.key, cookie.value)
    r = thief.get("/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_password_change_ends_other_sessions_and_keeps_this_one(site):
    mine, other = site.test_client(), site.test_client()
    login(mine, "teacher1")
    login(other, "teacher1")
    r = mine.post("/password", data={"current": DEMO_PASSWORD, "password": "new-secret-9", "confirm": "new-secret-9"})
    assert r.status_code == 302
    assert mine.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert login(site.test_client(), "teacher1", "new-secret-9").status_code == 302


def test_password_form_errors_stay_beside_the_field(site):
    c = site.test_client()
    login(c, "teacher1")
    r = c.post("/password", data={"current": "wrong-one", "password": "new-secret-9", "confirm": "new-secret-9"})
    assert r.status_code == 422 and 'data-testid="error-current"' in r.get_data(as_text=True)
    r = c.post("/password", data={"current": DEMO_PASSWORD, "password": "new-secret-9", "confirm": "other-secret"})
    assert 'data-testid="error-confirm"' in r.get_data(as_text=True)
    r = c.post("/password", data={"current": DEMO_PASSWORD, "password": "short", "confirm": "short"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'data-testid="error-password"' in html and "至少 8 个字符" in html


def test_the_current_password_on_the_password_page_is_guessed_no_faster_than_at_login(make_app):
    """Whoever holds a signed-in session (a staffroom computer left signed in) could guess the
    current password on the password page without limit — and with it change the password and
    keep the account. Its wrong guesses now count as failed logins: after the limit the page
    refuses even the right password, and so does the login; the password is unchanged."""
    app = _site(make_app, LOGIN_MAX_FAILURES=3, LOGIN_LOCK_MINUTES=15)
    c = app.test_client()
    assert login(c, "teacher2").status_code == 302
    for guess in ("guess-one-1", "guess-two-2", "x" * 1_000_000):  # a 1 MB guess is refused unhashed, still counted
        r = c.post("/password", data={"current": guess, "password": "taken-over-9", "confirm": "taken-over-9"})
        assert r.status_code == 422 and 'data-testid="error-current"' in r.get_data(as_text=True)
    r = c.post("/password", data={"current": DEMO_PASSWORD, "password": "taken-over-9", "confirm": "taken-over-9"})
    assert r.status_code == 429 and "登录失败次数过多" in r.get_data(as_text=True)
    assert login(app.test_client(), "teacher2").status_code == 429
    assert login(app.test_client(), "teacher2", "taken-over-9").status_code == 429
    assert c.get("/").status_code == 200  # the session itself is not ended by the lock


def test_language_switch_is_remembered(site, as_user):
    c = as_user("teacher1")
    assert "我的培训学时" in c.get("/").get_data(as_text=True)
    r = c.get("/lang/en", headers={"Referer": "http://localhost/activities"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/activities")
    html = c.get("/").get_data(as_text=True)
    assert "My training hours" in html and '<html lang="en">' in html
    c.get("/lang/zh")
    assert "我的培训学时" in c.get("/").get_data(as_text=True)
    assert "My training hours" in c.get("/?lang=en").get_data(as_text=True)
    assert c.get("/lang/fr").status_code == 404


def test_language_switch_goes_back_only_to_a_local_page(site):
    """The switch goes back to the page it was clicked on (the Referer). A portal page at
    ``//evil.example/x`` (any unknown path is a 404 page with the switch on it, and the
    portal sends its full address as Referer to itself) made it redirect to
    ``//evil.example/x``: another site, one click from a link to the portal. Now what is not a
    local path goes home, as the login's ``next`` does."""
    c = site.test_client()
    assert "/lang/en" in c.get("//evil.example/x").get_data(as_text=True)  # the 404 page offers the switch
    for ref in ("http://localhost//evil.example/x", "http://localhost/\t/evil.example", "https://evil.example/x"):
        r = c.get("/lang/en", headers={"Referer": ref})
        assert r.status_code == 302 and r.headers["Location"] == "/", ref
    r = c.get("/lang/en", headers={"Referer": "http://localhost/activities?page=2"})
    assert r.headers["Location"] == "/activities?page=2"


def test_school_switcher_for_a_person_in_two_schools(site):
    from portal.models import School, User
    from portal.services import schools, users

    with site.app_context():
        second = schools.create_school("SECOND", "第二实验小学")
        teacher = db.session.execute(select(User).where(User.username == "teacher1")).scalar_one()
        users.add_role(teacher, second, "teacher")
        second_id = second.id
        demo_id = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
    c = site.test_client()
    login(c, "teacher1")
    html = c.get("/").get_data(as_text=True)
    assert 'data-testid="school-switcher"' in html and 'data-testid="school-SECOND"' in html
    assert c.post(f"/school/{second_id}").status_code == 302
    assert 'data-testid="school-switcher">第二实验小学<' in c.get("/").get_data(as_text=True)
    assert c.post("/school/999999").status_code == 404
    assert c.post(f"/school/{demo_id}").status_code == 302
    assert 'data-testid="school-switcher">研修示范小学<' in c.get("/").get_data(as_text=True)
