"""The app under benchmark: the real app plus two routes that exist only here.

``/_bench/bare`` is the bare endpoint every page is compared with (same app, same hooks,
same server, no work); ``/_bench/login/<username>`` logs a generated user in without a
password form, so the client can fetch a session cookie. Never served in production:
only ``bench/run.py`` starts gunicorn on this module, on a loopback port.
"""

from __future__ import annotations

from flask import Flask
from flask_login import login_user

from portal import create_app, settle_for_serving
from portal.extensions import csrf
from portal.services import users


def add_bench_routes(app: Flask) -> Flask:
    @app.get("/_bench/bare")
    def bare() -> str:
        return "ok"

    @app.get("/_bench/login/<username>")
    @csrf.exempt
    def bench_login(username: str) -> tuple[str, int] | str:
        user = users.by_username(username)
        if user is None:
            return "no such user", 404
        login_user(user)
        return "ok"

    return app


app = add_bench_routes(create_app())
settle_for_serving(app)  # as wsgi.py: the app frozen, GC_THRESHOLD applied
