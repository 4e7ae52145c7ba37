"""The web pages for every role: blueprints, error pages and template helpers."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.web import activities, admin, auth, district, errors, helpers, home, review

    for bp in (auth.bp, home.bp, activities.bp, review.bp, admin.bp, district.bp):
        app.register_blueprint(bp)
    from portal.web import calendar, checkin, export_jobs, notifications

    for bp in (notifications.bp, checkin.bp, calendar.bp, export_jobs.bp):
        app.register_blueprint(bp)
    errors.init_app(app)
    helpers.init_app(app)
