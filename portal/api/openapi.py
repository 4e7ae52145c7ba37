"""The API's spectree: each view declares its operation with :func:`operation` (its models from
``portal.api.models``, its summary and description in its docstring); spectree validates the
request against the models and generates the OpenAPI 3.1 document from them.

:func:`document` adds, in one place, what spectree has no words for: the error responses each
operation can give, the school parameters, the per-type paths and ``x-data-rules``, and the
request schemas made exact for the installed activity types (``portal.api.typed_schemas``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from spectree import Response, SpecTree

from portal.api import models, typed_schemas, validation

API_PREFIX = "/api/v1"

API_DESCRIPTION = """\
JSON API of the Yanxiu school-based teacher training portal.

* **Authentication**: `POST /api/v1/auth/token` with `{"username", "password"}` returns a bearer
  token; send it as `Authorization: Bearer <token>`. `DELETE /api/v1/auth/token` revokes it.
* **School**: requests act in the caller's school. A user in several schools (or a district
  admin) names one with the `X-School: CODE` header or the `?school=CODE` query parameter.
* **Times** are ISO 8601; a time without an offset is in the school's time zone. Responses give
  times with their offset.
* **Hours** are JSON numbers in steps of 0.5 (`1.5`, `3`); strings such as `"3"` are refused.
* **Text** may not contain NUL characters, nor unpaired surrogates (not Unicode text; I-JSON).
* **Exact schemas**: the request schemas are built from the installed activity types and their
  workflow (types, roles, details fields, settings and their ranges, triggers, evidence kinds). Rules
  no JSON Schema can state (an end before the start, a user who is not a participant, a type's
  guards) are listed per operation in `x-data-rules`, with the message a refusal gives.
* **Errors** are always `{"error": CODE, "message": TEXT, ...}`: `invalid` (400 malformed body,
  422 with per-field `fields`), `unauthenticated` (401), `forbidden` (403), `not_found` (404, also
  for another school's objects), `illegal_transition` (409 with `allowed`, checked before
  permissions), `conflict` (409), `guard_failed` (422 with `missing`), `too_many_attempts` (429).
  Messages are in the language `Accept-Language` asks for (English by default, or Chinese).
* **Language**: messages (errors, an export's `failure`) are English unless `Accept-Language` asks
  for Chinese; what is meant for the school's people — the labels of the school's rules, the names
  of activity types (`name`; `name_zh` and `name_en` always), the headings of CSV and XLSX files —
  is Chinese unless `Accept-Language` asks for English.

**Changes** (newest first; the document's `version` says which apply):

* 1.3.0: `GET /api/v1/district/submissions/{submission_id}` (and the answers of its `decision` and
  `reopen`) gives `rules`: the school's rules the round's year was judged by, each with what the
  district sets now and whether the school's is `more_lenient`; `null` for a round sent before
  rules were kept with submissions.
* 1.2.0: every other hours figure is a number too (they were strings such as `"8"` or `"1.5"`):
  `GET /api/v1/district/schools`' `hours`; `GET /api/v1/district/dashboard`'s `hours_by_type` and
  its `behind_plan`'s `planned_hours`, `held_hours` and `behind_hours`; the school plan's
  `target_hours`, its `lines`' `hours` and its `planned_vs_held`'s `planned_hours` and `held_hours`
  (`GET`, `PUT /api/v1/school-plan`, `POST /api/v1/school-plan/submit`,
  `POST /api/v1/school-plans/{plan_id}/decision`); and `GET /api/v1/activities/{activity_id}/history`'s
  `payload`: `approved_hours`, `adjusted`, `credited`, `reversed` and recorded attendance's `changes`.
* 1.1.0: `GET /api/v1/district/submissions` (and `/{submission_id}`) gives `by_type`'s hours as
  numbers, as `total_hours` and every other hours (they were strings such as `"8"`); so do its
  `rows` (`total`, `required`, `by_type`, `semester_hours`, `absent`, `excused`).
"""

ERROR_DESCRIPTIONS = {
    400: "Malformed request (the body is not JSON, names a field twice in one object, or is not the expected multipart form)",
    401: "Missing, unknown, expired or revoked token",
    403: "The caller's roles do not allow this",
    404: "Not found (also another school's objects, and a school the caller does not belong to)",
    409: "Conflict: an illegal transition (with `allowed`) or a state that forbids the change",
    413: "Request body too large",
    422: "Invalid input (`invalid` with `fields`) or a failed workflow guard (`guard_failed` with `missing`)",
    429: "Too many failed logins",
}

api = SpecTree(
    "flask",
    mode="strict",  # only the views declared with :func:`operation`
    annotations=False,
    before=validation.refuse,
    validation_error_model=models.Error,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    title="Yanxiu (研修) API",
    version="1.3.0",  # and a line in API_DESCRIPTION's **Changes**
    description=API_DESCRIPTION,
)


ATTR = "api_declared"


@dataclass(frozen=True)
class Declared:
    """What the API layer itself needs to know of an operation (spectree keeps the rest)."""

    errors: tuple[int, ...]
    public: bool
    school: bool
    json: type | None
    form: type | None
    content: dict[str, Any] | None
    finds: Callable[..., Any] | None  # looks up the path's object (404) before the body is read
    may: Callable[..., bool] | None  # the caller's right (``portal.policy``), asked before the body is read


def operation(
    ok: int,
    out: type | None,
    described: str,
    *,
    json: type | None = None,
    form: type | None = None,
    query: type | None = None,
    tag: str = "activities",
    public: bool = False,
    school: bool = True,
    errors: tuple[int, ...] = (),
    other_content: dict[str, Any] | None = None,
    finds: Callable[..., Any] | None = None,
    queued: type | None = None,
    may: Callable[..., bool] | None = None,
) -> Callable[[Callable], Callable]:
    """Declare a view's operation: its success status, response model and description, its
    request models, and the errors it can give beyond those its kind implies (a token: 401; a
    school: 404 and 422; a body: 400, 413, 422; a query: 422). ``school`` views also take the
    ``X-School`` header and the ``school`` query parameter. The school, then ``finds`` (given the
    path's parameters), are resolved before the request is validated: another school's object is
    404 whatever the body. ``queued``: the model of a 202 answer (an export queued as a job).
    ``may``: the right the operation needs, a question of :mod:`portal.policy` on the caller's
    roles (in the school, or in their district for ``school=False``), asked after ``finds`` and
    before the body is validated: a caller without it is 403 whatever they send, never told the
    body's fields. The services enforce the exact rule (of this activity, this person) still."""
    codes = set(errors) | ({401} if not public else set()) | ({404, 422} if school else set())
    codes |= {400, 413, 422} if (json or form) else set()
    codes |= {422} if query else set()
    query = query or (models.SchoolQuery if school else models.NoQuery)

    def decorate(view: Callable) -> Callable:
        declared = api.validate(
            query=query,
            json=json,
            form=form,
            headers=models.SchoolHeaders if school else None,
            resp=Response(**{f"HTTP_{ok}": (out, described)},
                          **({"HTTP_202": (queued, "Queued as a job: more rows than EXPORT_JOB_THRESHOLD")}
                             if queued else {})),
            tags=[tag],
            security={} if public else {"bearerAuth": []},
            operation_id=view.__name__,
        )(view)
        setattr(declared, ATTR, Declared(tuple(sorted(codes | ({403} if may else set()))), public, school, json, form,
                                        other_content, finds, may))
        return declared

    return decorate


def declared(view: Callable) -> Declared | None:
    """What :func:`operation` declared for ``view`` (None: not an operation of this API)."""
    return getattr(view, ATTR, None) if api.get_function_metadata(view) is not None else None


def _finish_operation(op: dict[str, Any], view: Declared, path: str) -> None:
    op["parameters"] = [{k: v for k, v in p.items() if v != ""} for p in op.get("parameters", [])]
    for p in op["parameters"]:  # (a model's field schema, shared by every operation that takes it)
        p["schema"] = {k: v for k, v in p["schema"].items()
                       if k != "title" and (k != "description" or v != p.get("description"))}
        if p["in"] == "path" and p["schema"].get("type") == "integer":
            p["schema"] = {"type": "integer", "minimum": 1, "maximum": models.MAX_ID}
        elif p["in"] == "path":
            p["schema"] = {"type": "string", "minLength": 1, "maxLength": 64}
    if not op["parameters"]:
        del op["parameters"]
    if not op.get("description"):
        op.pop("description", None)
    codes = set(view.errors) | ({404} if "{" in path else set())
    responses = {s: r for s, r in op["responses"].items() if int(s) < 400}
    for s, r in responses.items():
        if view.content and int(s) < 300 and s != "202":  # 202: a queued export's state, JSON only
            r["content"] = {**r.get("content", {}), **view.content}
        if "content" not in r and int(s) == 204:
            r["description"] = "No content"
    responses.update({str(c): {"$ref": f"#/components/responses/E{c}"} for c in sorted(codes)})
    op["responses"] = responses


def _per_type(paths: dict[str, Any], types: list[str]) -> None:
    """The body of ``PUT /activity-types/{key}`` depends on the type: one path per installed type."""
    template = API_PREFIX + "/activity-types/{key}"
    op = paths.pop(template)["put"]
    for key in types:
        typed = copy.deepcopy(op)
        typed["operationId"] += f"_{key}"
        typed["x-path-template"] = template
        typed["parameters"] = [p for p in typed.get("parameters", []) if p["name"] != "key"]
        typed["requestBody"]["content"]["application/json"]["schema"] = {
            "$ref": f"#/components/schemas/{typed_schemas.update_component(key)}"
        }
        paths[template.replace("{key}", key)] = {"put": typed}


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document: spectree's, finished for this app (``app.url_map`` and its
    installed activity types)."""
    doc = copy.deepcopy(api.spec)
    doc.pop("tags", None)
    doc.pop("security", None)
    reg = app.extensions["yanxiu.registry"]
    types = {key: r.decl for key, r in reg.types.items()}
    for path, ops in doc["paths"].items():
        for op in ops.values():
            view = declared(app.view_functions[f"api.{op['operationId']}"])
            assert view is not None  # spectree documents only the views declared with operation()
            _finish_operation(op, view, path)
            rules = list(typed_schemas.DATA_RULES.get(op["operationId"], []))
            if op["operationId"] in ("create_activity", "reschedule"):  # and each installed type's own (check_plan)
                rules += [dict(r) for t in types.values() for r in t.plan_rules]
            if rules:
                op["x-data-rules"] = rules
    _per_type(doc["paths"], list(types))
    doc["paths"] = dict(sorted(doc["paths"].items()))
    for model in (models.SchoolSummary,):  # in a response of several media types, which spectree cannot declare
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
        doc["components"]["schemas"].update({**schema.pop("$defs", {}), model.__name__: schema})
    for name in [m.__name__ for m in models.subclasses(models.Parameters)]:
        doc["components"]["schemas"].pop(name, None)  # spectree lists them as parameters
    doc["components"]["schemas"] = typed_schemas.document_components(
        doc["components"]["schemas"], dict(reg.types), [r.engine.definition for r in reg.types.values()]
    )
    doc["components"]["responses"] = {
        f"E{code}": {"description": text, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for code, text in sorted(ERROR_DESCRIPTIONS.items())
    }
    doc["components"]["securitySchemes"] = {
        "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A token from `POST /api/v1/auth/token`."}
    }
    return doc

