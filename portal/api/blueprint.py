"""The API blueprint and what runs before every API view: the bearer token, then the body's
form (JSON or multipart, well-formed). spectree then validates against the view's models."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from portal.api.context import authenticate
from portal.api.openapi import API_PREFIX, declared
from portal.api.validation import check_body

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)


@bp.before_request
def _authenticate() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    op = declared(view) if view is not None else None
    if op is None or not op.public:
        authenticate()
    if op is not None and (op.json or op.form):
        check_body(op.json, op.form)
