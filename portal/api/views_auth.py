"""Tokens, the caller, and the OpenAPI document."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from portal.api import parsing, serialize
from portal.api.blueprint import bp
from portal.api.context import caller
from portal.api.schemas import ref
from portal.api.spec import build_document, json_response, operation
from portal.services import access, tokens


@bp.post("/auth/token")
@operation(
    summary="Exchange a username and password for a bearer token",
    tag="auth",
    auth=False,
    school=False,
    body=ref("TokenRequest"),
    responses={200: json_response("A new token", ref("Token"))},
    errors=(401, 429),
)
def create_token() -> Response:
    data = parsing.json_body(ref("TokenRequest"))
    issued = tokens.login(data["username"], data["password"], request.remote_addr or "")
    return jsonify(
        {"token": issued.token, "token_type": "Bearer", "expires_at": serialize.utc_time(issued.row.expires_at)}
    )


@bp.delete("/auth/token")
@operation(
    summary="Revoke the token this request is made with",
    tag="auth",
    school=False,
    responses={204: None},
)
def revoke_token() -> Response:
    tokens.revoke(caller().token)
    return Response(status=204)


@bp.get("/me")
@operation(
    summary="The caller, with their schools and roles",
    tag="auth",
    school=False,
    responses={200: json_response("The caller", ref("Me"))},
)
def me() -> Response:
    user = caller().user
    return jsonify(
        {
            "id": user.id,
            "username": user.username,
            "name": user.display_name,
            "district_admin": access.is_district_admin(user.id),
            "schools": [{"code": s.code, "name": s.name, "roles": roles} for s, roles in access.schools_of(user.id)],
        }
    )


@bp.get("/openapi.json")
@operation(
    summary="This OpenAPI document",
    tag="meta",
    auth=False,
    school=False,
    responses={200: json_response("The OpenAPI 3.1 document", {"type": "object"})},
)
def openapi_document() -> Response:
    return jsonify(build_document(current_app))
