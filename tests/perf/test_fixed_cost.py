"""What every request pays before its page's own work (round 32): the security headers added in
one pass, the session's signing serializer and the request's babel ``Locale`` kept — each with
the answers Flask, werkzeug and flask-babel gave before."""

from __future__ import annotations

from flask import Response, session
from flask_babel import force_locale, get_locale

from portal.security import BASE_HEADERS, NO_STORE


def _with_routes(app):
    @app.get("/_t/plain")
    def plain() -> str:
        return "ok"

    @app.get("/_t/own-headers")
    def own_headers() -> Response:
        r = Response("ok")
        r.headers["x-frame-options"] = "SAMEORIGIN"  # its own, spelt in lower case
        r.headers["Cache-Control"] = "private, no-cache"
        r.headers["Expires"] = "Thu, 01 Jan 2099 00:00:00 GMT"
        return r

    @app.get("/_t/weak-cache")
    def weak_cache() -> Response:
        r = Response("ok")
        r.headers["Cache-Control"] = "public, max-age=600"
        return r

    @app.get("/_t/remember")
    def remember() -> str:
        session["seen"] = session.get("seen", 0) + 1
        return str(session["seen"])

    @app.get("/_t/locale")
    def locale() -> str:
        first = get_locale()
        with force_locale("en" if first.language != "en" else "zh_Hans_CN"):
            forced = str(get_locale())
        return f"{id(first)} {first} {forced} {get_locale() is first}"

    return app


def test_security_headers_as_setdefault_gave_them(make_app):
    client = _with_routes(make_app()).test_client()
    r = client.get("/_t/plain")
    for name, value in BASE_HEADERS.items():
        assert r.headers.getlist(name) == [value], name
    assert r.headers.getlist("Cache-Control") == [NO_STORE]
    # a view's own header stays, once, whatever its case; its private no-cache stays; Expires goes
    r = client.get("/_t/own-headers")
    assert r.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert r.headers.getlist("Content-Security-Policy") == [BASE_HEADERS["Content-Security-Policy"]]
    assert r.headers.getlist("Cache-Control") == ["private, no-cache"]
    assert "Expires" not in r.headers
    # anything weaker than no-store or private no-cache is replaced, not added to
    assert client.get("/_t/weak-cache").headers.getlist("Cache-Control") == [NO_STORE]
    # static assets keep their own caching
    static = client.get("/static/favicon.svg")
    assert static.status_code == 200 and static.headers.get("Cache-Control") != NO_STORE
    assert static.headers["X-Content-Type-Options"] == "nosniff"


def test_the_session_serializer_is_built_once_and_follows_the_key(make_app):
    app = _with_routes(make_app())
    client = app.test_client()
    assert [client.get("/_t/remember").text for _ in range(3)] == ["1", "2", "3"]
    kept = app.session_interface.get_signing_serializer(app)
    client.get("/_t/remember")
    assert app.session_interface.get_signing_serializer(app) is kept  # not one per request
    # a new key: the old cookie is no longer good (a fresh session), the new one is
    old_key = app.secret_key
    app.secret_key = "another-secret-key-for-the-test"
    assert app.session_interface.get_signing_serializer(app) is not kept
    assert client.get("/_t/remember").text == "1"
    assert client.get("/_t/remember").text == "2"
    # the old key as a fallback: a cookie it signed is read again
    signed_by_old = client.get_cookie("session")
    assert signed_by_old is not None
    app.secret_key = "a-third-secret-key-for-the-test"
    app.config["SECRET_KEY_FALLBACKS"] = ["another-secret-key-for-the-test"]
    assert client.get("/_t/remember").text == "3"
    app.secret_key = old_key


def test_the_locale_object_is_kept_and_force_locale_still_changes_it(make_app):
    client = _with_routes(make_app()).test_client()
    zh = [client.get("/_t/locale").text.split() for _ in range(2)]
    assert zh[0][0] == zh[1][0]  # the same Locale object on every request
    assert zh[0][1:] == ["zh_Hans_CN", "en", "True"]
    en = client.get("/_t/locale?lang=en").text.split()
    assert en[0] != zh[0][0] and en[1:] == ["en", "zh_Hans_CN", "True"]
    assert client.get("/_t/locale").text.split() == en  # remembered in the session: the same object again
