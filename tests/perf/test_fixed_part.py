"""What every signed-in page pays before its own work (round 43): Flask asks each hook's kind
once per function, its default template context processor runs once per render (not once per
blueprint), the navigation bar's key resolves the viewer once, and a session that sends no
cookie says ``Vary: Cookie`` without Flask's cookie settings read — each with the context,
answers, headers and page Flask and Flask-Login gave before.

The counts are cProfile's (the real calls of a request, nothing replaced)."""

from __future__ import annotations

import cProfile
import inspect
import pstats
import re

import pytest
from flask import Blueprint, Response, g, render_template_string, request, session
from flask.sessions import SecureCookieSessionInterface
from flask.templating import _default_template_ctx_processor
from flask_login import current_user, login_required
from flask_login import utils as login_utils

from portal.current import current_school
from portal.demo import DEMO_PASSWORD
from portal.page_cache import nav_parts


def _calls(run, *functions) -> list[int]:
    """How many times each of ``functions`` was called while ``run()`` ran."""
    prof = cProfile.Profile()
    prof.enable()
    try:
        run()
    finally:
        prof.disable()
    codes = [f.__code__ for f in functions]
    counts = [0] * len(codes)
    for (file, line, name), (_cc, calls, *_rest) in pstats.Stats(prof).stats.items():  # type: ignore[attr-defined]
        for i, code in enumerate(codes):
            if (file, line, name) == (code.co_filename, code.co_firstlineno, code.co_name):
                counts[i] += calls
    return counts


def _signed_in(app, username: str = "teacher1"):
    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert r.status_code == 302
    return client


TEMPLATE = "{{ g.marker }}|{{ request.path }}|{{ current_user.username }}|{{ csrf_token is defined }}|{{ mine }}|{{ given }}"


def _nested_pages(app):
    outer, inner = Blueprint("t_outer", __name__, url_prefix="/_t"), Blueprint("t_inner", __name__, url_prefix="/in")

    @inner.context_processor
    def _mine():
        return {"mine": "inner", "given": "processor"}

    @inner.get("/page")
    @login_required
    def page() -> str:
        g.marker = "g"
        return render_template_string(TEMPLATE, given="view")

    outer.register_blueprint(inner)
    app.register_blueprint(outer)
    return app


def test_flasks_default_context_processor_runs_once_per_render_with_the_same_context(make_app):
    app = _nested_pages(make_app(demo=True))
    client = _signed_in(app)
    r = client.get("/_t/in/page")
    # g, request, the user, flask-wtf's csrf_token, the blueprint's own processor, and the
    # view's values winning over a processor's: the context Flask gave
    assert r.text == "g|/_t/in/page|teacher1|True|inner|view"
    # Flask 3.1 lists its default processor for the app and for each blueprint: three runs
    # here (two on a page of one blueprint, the home's), one now
    assert _calls(lambda: client.get("/_t/in/page"), _default_template_ctx_processor) == [1]
    home = _calls(lambda: client.get("/"), _default_template_ctx_processor)[0]
    assert home == 2  # the home renders its body, then the layout: once each (4 before)
    with app.test_request_context("/"):  # outside a request's blueprints, as Flask does
        context: dict = {"given": 1}
        app.update_template_context(context)
        assert context["given"] == 1 and context["request"] is request._get_current_object()


def test_flask_asks_a_functions_kind_once(make_app):
    app = make_app()

    @app.get("/_t/plain")
    def plain() -> str:
        return "ok"

    @app.get("/_t/async")
    async def not_here() -> str:  # Flask runs ``async def`` views through asgiref, when installed
        return "async"

    client = app.test_client()
    assert client.get("/_t/plain").text == "ok"
    # every hook, the view and the teardowns were asked ``iscoroutinefunction`` on every
    # request (eight on this page); their kind is their code's
    asked = _calls(lambda: client.get("/_t/plain"), inspect.iscoroutinefunction)[0]
    assert asked == 0
    try:
        import asgiref  # noqa: F401
    except ImportError:  # Flask's "install the async extra", as before: each time, not only the first
        for _ in range(2):
            with pytest.raises(RuntimeError, match="async"):
                client.get("/_t/async")
    else:
        assert [client.get("/_t/async").text for _ in range(2)] == ["async", "async"]
    assert app.ensure_sync(plain) is plain


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_navigation_bars_key_resolves_the_viewer_once(make_app, lang):
    app = make_app(demo=True)
    seen: dict[str, object] = {}

    @app.get("/_t/nav")
    @login_required
    def nav() -> str:
        user = current_user._get_current_object()
        current_school()  # the request's school read (a page's body asks first)
        seen["calls"] = _calls(nav_parts, login_utils._get_user)[0]
        seen["parts"] = nav_parts()
        seen["user"] = (user.get_id(), user.display_name)
        return "ok"

    client = _signed_in(app, "admin")
    assert client.get(f"/_t/nav?lang={lang}").text == "ok"
    # Flask-Login's look-up, once by the key and once by the unread count (five times before)
    assert seen["calls"] == 2
    parts = seen["parts"]
    assert isinstance(parts, tuple)
    assert parts[1] == lang and parts[3:5] == seen["user"]
    assert client.get("/").status_code == 200


def _session_pages(app):
    @app.get("/_t/read")
    def read() -> str:
        return str(session.get("n", 0))

    @app.get("/_t/own-vary")
    def own_vary() -> Response:
        r = Response(str(session.get("n", 0)))
        r.headers["Vary"] = "Accept-Language"
        return r

    @app.get("/_t/count")
    def count() -> str:
        session["n"] = session.get("n", 0) + 1
        return str(session["n"])

    @app.get("/_t/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    @app.get("/_t/untouched")
    def untouched() -> str:
        return "ok"

    return app


SESSION_STEPS = ["/_t/untouched", "/_t/count", "/_t/read", "/_t/own-vary", "/_t/count", "/_t/read", "/", "/_t/clear",
                 "/_t/read", "/_t/untouched"]


def _headers_of_steps(app) -> list[list[tuple[str, str]]]:
    client = _signed_in(app)
    out = []
    for path in SESSION_STEPS:
        r = client.get(path)
        out.append([(k, v) for k, v in r.headers.items() if k in ("Vary", "Set-Cookie")] + [("status", str(r.status_code))])
    return out


def test_a_session_sending_no_cookie_says_vary_cookie_as_flask_did_without_reading_the_cookie_settings(make_app):
    app = _session_pages(make_app(demo=True))
    client = _signed_in(app)
    client.get("/_t/read")
    # an unchanged session sends no cookie: Flask read its seven cookie settings all the same
    assert _calls(lambda: client.get("/_t/read"), SecureCookieSessionInterface.get_cookie_httponly) == [0]
    r = client.get("/_t/read")
    assert r.headers.getlist("Vary") == ["Cookie"] and "Set-Cookie" not in r.headers
    assert client.get("/_t/own-vary").headers.getlist("Vary") == ["Accept-Language, Cookie"]
    # the same headers, step by step, as Flask's own session interface gives (times aside)
    ours = _headers_of_steps(app)
    app.session_interface = SecureCookieSessionInterface()
    flasks = _headers_of_steps(app)
    stamp = re.compile(r"session=[^;]*")
    assert [[(k, stamp.sub("session=…", v)) for k, v in step] for step in ours] == \
        [[(k, stamp.sub("session=…", v)) for k, v in step] for step in flasks]
    assert any(k == "Set-Cookie" for step in ours for k, _v in step)  # the steps did send and clear cookies
