"""The web pages for every role: blueprints, error pages and template helpers."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.web import activities, admin, auth, district, errors, helpers, home, review

    for bp in (auth.bp, home.bp, activities.bp, review.bp, admin.bp, district.bp):
        app.register_blueprint(bp)
    errors.init_app(app)
    helpers.init_app(app)
    app.before_request(_fresh_request_state)


def _fresh_request_state() -> None:
    """Forget the user and school cached on ``g`` by an earlier request.

    In production every request has its own app context; a test that holds one app
    context around several requests would otherwise see the first request's user.
    """
    from flask import g

    for key in ("_login_user", "yanxiu_school", "yanxiu_roles", "yanxiu_schools", "yanxiu_memberships"):
        g.pop(key, None)
