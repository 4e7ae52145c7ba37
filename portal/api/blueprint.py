"""The API blueprint and what runs before every API view: the bearer token, the school and the
path's object (404 first, as before any body is read), then the body's form (JSON or multipart,
well-formed) — the caller's right (``operation(may=…)``) asked before the body is. spectree then
validates against the view's models."""

from __future__ import annotations

from flask import Blueprint, current_app, g, request

from portal.api.context import authenticate, require_right, school_context
from portal.api.openapi import API_PREFIX, declared
from portal.api.validation import check_body

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)


@bp.before_request
def _authenticate() -> None:
    for name in ("api_school", "api_activity", "api_round"):  # what a view looks up once per request
        g.pop(name, None)
    view = current_app.view_functions.get(request.endpoint or "")
    op = declared(view) if view is not None else None
    if op is None or not op.public:
        authenticate()
    if op is not None and op.school:
        school_context()
    if op is not None and op.finds is not None:
        op.finds(**(request.view_args or {}))
    if op is not None and op.may is not None:
        require_right(op.may, op.school)
    if op is not None and (op.json or op.form):
        check_body(op.json, op.form)
