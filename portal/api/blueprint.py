"""The API blueprint and the check that runs before every API view: the bearer token."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from portal.api.context import authenticate
from portal.api.parsing import reject_unknown_query
from portal.api.spec import API_PREFIX, operation_of

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)


@bp.before_request
def _authenticate() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    op = operation_of(view) if view else None
    if op is None or op.auth:
        authenticate()
    if op is not None:
        reject_unknown_query(op)
