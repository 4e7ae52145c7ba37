"""Every API error is JSON: ``{"error": CODE, "message": TEXT, ...}``.

Domain errors carry their own status and code. Werkzeug's errors (unknown URL, wrong method,
body too large …) raised in an API view are answered by the blueprint's handler; the ones
raised before a view is found (routing) are turned into JSON by an ``after_request`` hook, so
whatever HTML error pages other blueprints register, ``/api/v1`` always answers JSON.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.api.blueprint import bp
from portal.api.openapi import API_PREFIX
from portal.errors import DomainError
from portal.messages import TEXTS, msg

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_attempts",
}


def error_response(status: int, code: str, message: str, **extra: Any) -> Response:
    response = jsonify({"error": code, "message": message, **extra})
    response.status_code = status
    return response


def _http_message(status: int) -> str:
    """The status's coded message (``api.http_<status>``) in the language asked for."""
    code = f"api.http_{status}" if f"api.http_{status}" in TEXTS else ("api.http_500" if status >= 500 else "api.http_400")
    return msg(code).render(message_locale())


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = HTTP_CODES.get(status, "server_error" if status >= 500 else "error")
    response = error_response(status, code, _http_message(status))
    methods = getattr(exc, "valid_methods", None)  # a MethodNotAllowed's
    if status == 405 and methods:
        response.headers["Allow"] = ", ".join(methods)
    return response


def message_locale() -> str:
    """The language of API messages (errors, an export's failure): the request's
    (``Accept-Language``), English by default (see ``portal.i18n.select_locale``) — a program
    reads the code, a developer the message. The school's own words (:func:`content_lang`) are
    Chinese by default."""
    locale = get_locale()
    return str(locale) if locale is not None else "en"


def content_lang() -> str:
    """The language of what the API hands on to the school's people, ``zh`` or ``en``: the labels
    of the school's rules and the names of its activity types, and the headings of its files
    (the 学时汇总表, the district's exports) — the request's (``Accept-Language``), Chinese by
    default, as every export of the portal is (the overview of the OpenAPI document says both)."""
    return request.accept_languages.best_match(["zh", "en"]) or "zh"


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    response = jsonify(exc.to_dict(message_locale()))
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="yanxiu"'
    return response


@bp.errorhandler(HTTPException)
def _blueprint_http_error(exc: HTTPException) -> Response:
    return _http_error(exc)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    log.exception("API error on %s %s", request.method, request.path)
    return _http_error(InternalServerError())


def _is_api_path() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def init_error_handling(app: Flask) -> None:
    @app.after_request
    def _json_errors_under_api(response: Response) -> Response:
        if response.status_code < 400 or not _is_api_path() or response.mimetype == "application/json":
            return response
        status = response.status_code
        code = HTTP_CODES.get(status, "server_error" if status >= 500 else "error")
        out = error_response(status, code, _http_message(status))
        for name in ("Allow", "Retry-After", "WWW-Authenticate"):
            if name in response.headers:
                out.headers[name] = response.headers[name]
        return out
