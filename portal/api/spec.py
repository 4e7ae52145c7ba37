"""Each API view declares its operation (parameters, body, responses) next to it with
:func:`operation`; :func:`build_document` assembles the OpenAPI 3.1 document from the app's
URL map and those declarations, so the document and the routes cannot drift apart.

The same declared JSON Schemas validate the requests (``portal.api.parsing``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from flask import Flask

from portal.api import schemas, typed_schemas
from portal.security import MAX_ID

API_PREFIX = "/api/v1"
ATTR = "_api_operation"

ERROR_DESCRIPTIONS = {
    400: "Malformed request (the body is not JSON, or not the expected multipart form)",
    401: "Missing, unknown, expired or revoked token",
    403: "The caller's roles do not allow this",
    404: "Not found (also another school's objects, and a school the caller does not belong to)",
    409: "Conflict: an illegal transition (with `allowed`) or a state that forbids the change",
    413: "Request body too large",
    422: "Invalid input (`invalid` with `fields`) or a failed workflow guard (`guard_failed` with `missing`)",
    429: "Too many failed logins",
}


@dataclass(frozen=True)
class Param:
    name: str
    schema: dict[str, Any]
    description: str = ""
    location: str = "query"
    required: bool = False

    def to_openapi(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "in": self.location, "required": self.required, "schema": self.schema}
        if self.description:
            out["description"] = self.description
        return out


SCHOOL_PARAMS = (
    Param(
        "X-School",
        {"type": "string", "minLength": 1, "maxLength": 32, "pattern": "^[A-Za-z0-9_-]+$"},
        "Code of the school to act in; needed only by a user who belongs to several schools "
        "(a district admin may name any school). Same as the `school` query parameter.",
        location="header",
    ),
    Param(
        "school",
        {"type": "string", "minLength": 1, "maxLength": 32, "pattern": "^[A-Za-z0-9_-]+$"},
        "Code of the school to act in (alternative to the `X-School` header).",
    ),
)


@dataclass(frozen=True)
class Operation:
    """What one view function does, for the document and the request parser."""

    summary: str
    responses: dict[int, dict[str, Any] | None]  # status → response object (None: no content)
    description: str = ""
    tag: str = "activities"
    body: dict[str, Any] | None = None  # JSON Schema of an application/json body
    multipart: dict[str, Any] | None = None  # JSON Schema of a multipart/form-data body
    query: tuple[Param, ...] = ()
    auth: bool = True
    school: bool = True  # acts in a school: takes X-School / ?school
    errors: tuple[int, ...] = ()
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The path parameter ``key`` names an activity type and the body depends on it: the document
    #: lists one path per installed type, each with the body component ``<per_type_body>_<key>``.
    per_type_body: str | None = None

    def all_errors(self, has_path_params: bool) -> list[int]:
        codes = set(self.errors)
        if self.auth:
            codes.add(401)
        if self.school:
            codes |= {404, 422}
        if has_path_params:
            codes.add(404)
        if self.body is not None or self.multipart is not None:
            codes |= {400, 413, 422}
        if self.query:
            codes.add(422)
        return sorted(codes)


def operation(**kwargs: Any) -> Callable[[Callable], Callable]:
    """Attach an :class:`Operation` to a view; put it under ``@bp.route``."""
    op = Operation(**kwargs)

    def decorate(view: Callable) -> Callable:
        setattr(view, ATTR, op)
        return view

    return decorate


def operation_of(view: Callable) -> Operation | None:
    return getattr(view, ATTR, None)


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_CONVERTER = re.compile(r"<(?:(?P<conv>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")
_CONVERTER_SCHEMAS = {
    "int": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    None: {"type": "string", "minLength": 1, "maxLength": 64},
    "string": {"type": "string", "minLength": 1, "maxLength": 64},
}


def openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """``/a/<int:id>`` → ``/a/{id}`` and its path parameters."""
    params: list[dict[str, Any]] = []

    def repl(m: re.Match) -> str:
        conv = m.group("conv")
        schema = dict(_CONVERTER_SCHEMAS.get(conv, _CONVERTER_SCHEMAS[None]))
        params.append({"name": m.group("name"), "in": "path", "required": True, "schema": schema})
        return "{" + m.group("name") + "}"

    return _CONVERTER.sub(repl, rule), params


def api_rules(app: Flask) -> list[tuple[str, str, Callable]]:
    """(rule, method, view) for every documented-or-not API rule (HEAD/OPTIONS left out)."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/") and rule.rule != API_PREFIX:
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.rule, method, view))
    return out


def _operation_object(op: Operation, method: str, endpoint: str, path_params: list[dict[str, Any]]) -> dict[str, Any]:
    for p in path_params:
        p["schema"].update(op.path_params.get(p["name"], {}))
    params = list(path_params)
    params += [p.to_openapi() for p in op.query]
    if op.school:
        params += [p.to_openapi() for p in SCHOOL_PARAMS]
    out: dict[str, Any] = {
        "operationId": endpoint.rsplit(".", 1)[-1],
        "summary": op.summary,
        "tags": [op.tag],
    }
    if op.description:
        out["description"] = op.description
    if params:
        out["parameters"] = params
    content: dict[str, Any] = {}
    if op.body is not None:
        content["application/json"] = {"schema": op.body}
    if op.multipart is not None:
        content["multipart/form-data"] = {"schema": op.multipart}
    if content:
        out["requestBody"] = {"required": True, "content": content}
    responses: dict[str, Any] = {}
    for status, resp in sorted(op.responses.items()):
        responses[str(status)] = resp if resp is not None else {"description": "No content"}
    for status in op.all_errors(bool(path_params)):
        responses.setdefault(str(status), {"$ref": f"#/components/responses/E{status}"})
    out["responses"] = responses
    out["security"] = [{"bearerAuth": []}] if op.auth else []
    return out


def _per_type(op: Operation, path: str, params: list[dict[str, Any]], types: list[str]):
    """(path, path parameters, operation, type key) for each installed type of a per-type operation."""
    for key in types:
        concrete = path.replace("{key}", key)
        body = schemas.ref(typed_schemas.update_component(key))
        yield concrete, [p for p in params if p["name"] != "key"], replace(op, body=body), key


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every API rule in ``app.url_map``, its request schemas made
    exact for the installed activity types and their workflow (``portal.api.typed_schemas``)."""
    reg = app.extensions["yanxiu.registry"]
    types = {key: r.type for key, r in reg.types.items()}
    paths: dict[str, dict[str, Any]] = {}
    for rule_text, method, view in api_rules(app):
        op = operation_of(view)
        if op is None:
            continue  # an undocumented rule: the drift test names it
        path, params = openapi_path(rule_text)
        endpoint = next(r.endpoint for r in app.url_map.iter_rules() if r.rule == rule_text and method in (r.methods or ()))
        if op.per_type_body:
            for concrete, own_params, typed_op, key in _per_type(op, path, params, list(types)):
                obj = _operation_object(typed_op, method, endpoint, own_params)
                obj["operationId"] += f"_{key}"
                obj["x-path-template"] = path
                paths.setdefault(concrete, {})[method.lower()] = obj
            continue
        obj = _operation_object(op, method, endpoint, params)
        rules = typed_schemas.DATA_RULES.get(obj["operationId"])
        if obj["operationId"] == "create_activity":  # and each installed type's own checks (check_plan)
            rules = [*(rules or []), *(r for t in types.values() for r in t.plan_rules)]
        if rules:
            obj["x-data-rules"] = rules
        paths.setdefault(path, {})[method.lower()] = obj
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Yanxiu (研修) API",
            "version": "1.0.0",
            "description": schemas.API_DESCRIPTION,
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": typed_schemas.document_components(
                types, [r.engine.definition for r in reg.types.values()]
            ),
            "responses": {
                f"E{code}": json_response(text, schemas.ref("Error")) for code, text in sorted(ERROR_DESCRIPTIONS.items())
            },
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `POST /api/v1/auth/token`.",
                }
            },
        },
    }
