"""Tokens, the caller, and the OpenAPI document."""

from __future__ import annotations

from flask import Response, current_app, request

from portal.api.blueprint import bp
from portal.api.context import caller, parsed
from portal.api.models import Document, Me, MeSchool, Token, TokenRequest
from portal.api.openapi import document, operation
from portal.services import access, tokens


@bp.post("/auth/token")
@operation(200, Token, "A new token", json=TokenRequest, tag="auth", public=True, school=False, errors=(401, 429))
def create_token() -> Token:
    """Exchange a username and password for a bearer token"""
    data = parsed(TokenRequest)
    issued = tokens.login(data.username, data.password, request.remote_addr or "")
    return Token.issued(issued.token, issued.row.expires_at)


@bp.delete("/auth/token")
@operation(204, None, "No content", tag="auth", school=False)
def revoke_token() -> Response:
    """Revoke the token this request is made with"""
    tokens.revoke(caller().token)
    return Response(status=204)


@bp.get("/me")
@operation(200, Me, "The caller", tag="auth", school=False)
def me() -> Me:
    """The caller, with their schools and roles"""
    user = caller().user
    return Me(
        id=user.id, username=user.username, name=user.display_name, district_admin=access.is_district_admin(user.id),
        schools=[MeSchool(code=s.code, name=s.name, roles=roles) for s, roles in access.schools_of(user.id)],
    )


@bp.get("/openapi.json")
@operation(200, Document, "The OpenAPI 3.1 document", tag="meta", public=True, school=False)
def openapi_document() -> Document:
    """This OpenAPI document"""
    return Document(document(current_app))
