"""The web pages for every role: blueprints, error pages and template helpers."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from portal.web import activities, admin, auth, district, errors, helpers, home, review, writing, year

    for bp in (auth.bp, home.bp, activities.bp, review.bp, admin.bp, district.bp, writing.bp):
        app.register_blueprint(bp)
    year.init_app(app)
    from portal.web import calendar, checkin, corrections, deadlines, export_jobs, notifications

    for bp in (notifications.bp, checkin.bp, calendar.bp, export_jobs.bp, deadlines.bp, corrections.bp):
        app.register_blueprint(bp)
    errors.init_app(app)
    helpers.init_app(app)
