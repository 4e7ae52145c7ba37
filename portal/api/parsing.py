"""Reading a request: the JSON body or query string, checked against the operation's declared
JSON Schema. A body that is not JSON is 400 ``invalid``; JSON that breaks the schema is 422
``invalid`` with per-field messages. Business rules are the services' job."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from flask import request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from portal.api import schemas
from portal.api.spec import SCHOOL_PARAMS, Operation, Param
from portal.errors import DomainError, Invalid

_INT = re.compile(r"^-?[0-9]{1,12}$")


class MalformedBody(DomainError):
    status = 400
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, Any] | None = None):
        super().__init__(message, fields=fields or {})


@lru_cache(maxsize=None)
def _validator(schema_json: str) -> Draft202012Validator:
    root = {"components": {"schemas": schemas.COMPONENTS}, **json.loads(schema_json)}
    return Draft202012Validator(root)


def _field_name(path: list[Any]) -> str:
    return ".".join(str(p) for p in path) or "body"


def _messages(error: ValidationError) -> dict[str, str]:
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        return {_field_name([*path, k]): "required" for k in missing}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set((error.schema or {}).get("properties", {}))
        return {_field_name([*path, k]): "unknown field" for k in error.instance if k not in known}
    return {_field_name(path): error.message[:300]}


def _nul_fields(value: Any, path: list[Any]) -> dict[str, str]:
    """Text with NUL characters, which no database column takes (PostgreSQL refuses them)."""
    out: dict[str, str] = {}
    if isinstance(value, str):
        if "\x00" in value:
            out[_field_name(path)] = "must not contain NUL characters"
    elif isinstance(value, dict):
        for k, v in value.items():
            out.update(_nul_fields(k, [*path, "(key)"]))
            out.update(_nul_fields(v, [*path, k]))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(_nul_fields(v, [*path, i]))
    return out


def validate(value: Any, schema: dict[str, Any], what: str = "request") -> Any:
    """Raise :class:`Invalid` (422) with per-field messages unless ``value`` fits ``schema``."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    fields: dict[str, str] = _nul_fields(value, [])
    for error in sorted(validator.iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
        for name, message in _messages(error).items():
            fields.setdefault(name, message)
    if fields:
        raise Invalid(f"the {what} is not valid", fields)
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def json_body(schema: dict[str, Any]) -> Any:
    """The request's JSON body, validated against ``schema``."""
    if not request.is_json:
        raise MalformedBody("send a JSON body with Content-Type: application/json", {"body": "not JSON"})
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
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
    elif "\x00" in upload.filename:
        fields["file"] = "the file name must not contain NUL characters"
    if fields:
        raise Invalid("the form is not valid", fields)
    return values, upload


def reject_unknown_query(op: Operation) -> None:
    """A query parameter the operation does not declare is an error (it is usually a typo)."""
    known = {p.name for p in op.query} | ({p.name for p in SCHOOL_PARAMS if p.location == "query"} if op.school else set())
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise Invalid("unknown query parameter", {name or "(empty)": "unknown query parameter" for name in unknown})
