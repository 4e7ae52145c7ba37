"""Error pages (403, 404, 500 …) in the portal's look and language, and domain errors
raised by a service during a page request."""

from __future__ import annotations

from flask import Flask, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from portal.database import schema_missing
from portal.errors import DomainError, Forbidden, NotFound
from portal.messages import msg, tr


def _titles() -> dict[int, str]:
    return {
        400: _("Bad request"),
        403: _("Not allowed"),
        404: _("Page not found"),
        405: _("Not allowed"),
        409: _("Conflict"),
        413: _("The upload is too large"),
        422: _("The input could not be used"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
        503: _("Not ready yet"),
    }


def _explanations() -> dict[int, str]:
    return {
        403: _("Your role does not allow this page."),
        404: _("There is no such page here."),
        413: _("The file is larger than the portal accepts."),
        500: _("The portal could not finish this request. Nothing was changed; please try again."),
    }


def render_error(status: int, message: str | None = None):
    title = _titles().get(status, _("Error"))
    text = message or _explanations().get(status, "")
    return render_template("errors/error.html", status=status, title=title, message=text), status


def _wants_page() -> bool:
    return not request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(400, _("The form has expired. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not _wants_page() or exc.code is None or exc.code < 400:
            return exc
        return render_error(exc.code)

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        if not _wants_page():
            return exc.to_dict(), exc.status
        if isinstance(exc, NotFound):
            return render_error(404)
        if isinstance(exc, Forbidden):
            return render_error(403, tr(exc))
        if request.method == "POST" and request.referrer:
            flash(tr(exc), "danger")
            return redirect(request.referrer)
        return render_error(exc.status, tr(exc))

    @app.errorhandler(500)
    def server_error(exc):
        return render_error(500)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError):
        """A page that reads a table or column the database lacks: not set up or not upgraded
        for this code (``database.schema_missing``) — said so, 503; any other database error
        goes on to the 500 page as before."""
        if not schema_missing(exc):
            raise exc
        app.logger.error("the database lacks a table or column: run 'flask db upgrade' (%s)", exc.orig)
        return render_error(503, tr(msg("db.not_ready")))
