"""The two routes that exist only under benchmark, added to a built app (``add_bench_routes``).

``/_bench/bare`` is the bare endpoint every page is compared with (same app, same hooks,
same server, no work); ``/_bench/login/<username>`` logs a generated user in without a
password form, so the client can fetch a session cookie. Never served in production: only the
benchmarks add them — ``bench/wsgi_bench.py`` (gunicorn's app) and ``bench.run.make_app`` (the
in-process app). Importing this module builds no app (``bench.wsgi_bench`` builds and settles
one as it is imported).
"""

from __future__ import annotations

from flask import Flask
from flask_login import login_user

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
