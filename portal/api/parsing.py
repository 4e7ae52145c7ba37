"""Reading a request: the JSON body or query string, checked against the operation's declared
JSON Schema. A body that is not JSON is 400 ``invalid``; JSON that breaks the schema is 422
``invalid`` with per-field messages. Business rules are the services' job."""

from __future__ import annotations

import json
import math
import re
from functools import cache
from typing import Any

from flask import request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from portal import input_guard
from portal.api import schemas
from portal.api.spec import SCHOOL_PARAMS, Operation, Param
from portal.errors import DomainError, Invalid

_INT = re.compile(r"^-?[0-9]{1,12}$")


class MalformedBody(DomainError):
    status = 400
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, Any] | None = None):
        super().__init__(message, fields=fields or {})


@cache
def _validator(schema_json: str) -> Draft202012Validator:
    root = {"components": {"schemas": schemas.COMPONENTS}, **json.loads(schema_json)}
    return Draft202012Validator(root)


_field_name = input_guard.field_name


def _messages(error: ValidationError) -> dict[str, str]:
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        return {_field_name([*path, k]): "required" for k in missing}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set((error.schema or {}).get("properties", {}))
        return {_field_name([*path, k]): "unknown field" for k in error.instance if k not in known}
    if isinstance(error.schema, dict) and isinstance(error.schema.get("x-error"), str):
        return {_field_name(path): error.schema["x-error"]}  # the schema's own words (a long enum)
    return {_field_name(path): error.message[:300]}


def _number_problems(value: Any, path: list[Any]) -> dict[str, str]:
    """Numbers that are not finite: a JSON number too large for a float (``1e400``) is parsed
    as infinity, which no column stores and no schema check survives."""
    out: dict[str, str] = {}
    stack: list[tuple[Any, list[Any]]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            out.setdefault(_field_name(where), "must be a finite number")
        elif isinstance(item, dict):
            stack.extend((v, [*where, k]) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, [*where, i]) for i, v in enumerate(item))
    return out


def validate(value: Any, schema: dict[str, Any], what: str = "request") -> Any:
    """Raise :class:`Invalid` (422) with per-field messages unless ``value`` fits ``schema``.

    Text that cannot be stored (NUL, unpaired surrogates) and numbers that are not finite are
    refused first; a value with a non-finite number is not checked against the schema at all.
    """
    fields: dict[str, str] = input_guard.text_problems(value, [])
    numbers = _number_problems(value, [])
    if numbers:
        raise Invalid(f"the {what} is not valid", {**fields, **numbers})
    validator = _validator(json.dumps(schema, sort_keys=True))
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
        for name, message in _messages(error).items():
            fields.setdefault(name, message)
    if fields:
        raise Invalid(f"the {what} is not valid", fields)
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _number(text: str) -> int | float:
    """A JSON number with a fraction or exponent. JSON does not tell ``288.0`` from ``288`` (nor
    does JSON Schema's ``integer``), so a whole one is read as an integer, as the services expect."""
    value = float(text)
    return int(value) if value.is_integer() and abs(value) <= 2**53 else value


def json_body(schema: dict[str, Any]) -> Any:
    """The request's JSON body, validated against ``schema``."""
    if not request.is_json:
        raise MalformedBody("send a JSON body with Content-Type: application/json", {"body": "not JSON"})
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_number)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise MalformedBody("the body is not valid JSON", {"body": str(exc)[:200]}) from None
    return validate(data, schema, "request body")


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    if schema.get("type") == "integer" and _INT.match(value):
        return int(value)
    return value


def query(params: tuple[Param, ...]) -> dict[str, Any]:
    """The declared query parameters (first value of each), typed and validated."""
    values: dict[str, Any] = {}
    for p in params:
        raw = request.args.get(p.name)
        if raw is not None:
            values[p.name] = _coerce(raw, p.schema)
    schema = {
        "type": "object",
        "properties": {p.name: p.schema for p in params},
        "required": [p.name for p in params if p.required],
    }
    return validate(values, schema, "query string")


def multipart_form(schema: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """Form fields (typed, validated, without the file) and the uploaded file of a multipart body."""
    if request.mimetype != "multipart/form-data":
        raise MalformedBody("send multipart/form-data", {"body": "not multipart/form-data"})
    props = schema.get("properties", {})
    values: dict[str, Any] = {}
    for name, sub in props.items():
        if sub.get("format") == "binary":
            continue
        raw = request.form.get(name)
        if raw is not None:
            values[name] = _coerce(raw, sub)
    upload = request.files.get("file")
    fields_schema = {
        "type": "object",
        "properties": {k: v for k, v in props.items() if v.get("format") != "binary"},
        "required": [k for k in schema.get("required", []) if props.get(k, {}).get("format") != "binary"],
    }
    fields: dict[str, str] = {}
    try:
        validate(values, fields_schema, "form")
    except Invalid as exc:
        fields.update(exc.fields)
    if upload is None or not upload.filename:
        fields["file"] = "required"
    elif input_guard.text_problem(upload.filename):
        fields["file"] = f"the file name {input_guard.text_problem(upload.filename)}"
    if fields:
        raise Invalid("the form is not valid", fields)
    return values, upload


def reject_unknown_query(op: Operation) -> None:
    """A query parameter the operation does not declare is an error (it is usually a typo)."""
    known = {p.name for p in op.query} | ({p.name for p in SCHOOL_PARAMS if p.location == "query"} if op.school else set())
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise Invalid("unknown query parameter", {name or "(empty)": "unknown query parameter" for name in unknown})
