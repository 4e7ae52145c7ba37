"""What a refused request reads: the checks spectree cannot make, and pydantic's errors as coded
messages (``portal.messages``) in the API's error body.

A body that is not JSON (or not the multipart form an operation takes), or names a field twice in
one object, is 400 ``invalid``;
JSON that breaks the operation's model is 422 ``invalid`` with a message per field
(``participants.0.role``), in the language ``Accept-Language`` asks for.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from flask import Request, request
from pydantic import BaseModel, ValidationError

from portal.api import models
from portal.errors import DomainError, Invalid
from portal.input_guard import field_name
from portal.messages import Joined, Msg, msg


class MalformedBody(DomainError):
    status = 400
    code = "invalid"

    def __init__(self, message: Any, fields: dict[str, Any] | None = None):
        super().__init__(message, fields=fields or {})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


class _DuplicateName(ValueError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object of the body with each name once: ``{"hours": 1, "hours": 999}`` is read by one
    parser as 1 and by another (a proxy, a log, an auditor's tool) as 999 — refused, not read
    as its last value."""
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise _DuplicateName(name)
        out[name] = value
    return out


def _not_finite(value: Any, path: list[Any]) -> dict[str, Msg]:
    """A JSON number too large for a float (``1e400``) is read as infinity, which no column
    stores: refused before any model sees it."""
    out: dict[str, Msg] = {}
    stack: list[tuple[Any, list[Any]]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            out.setdefault(field_name(where), msg("api.finite"))
        elif isinstance(item, dict):
            stack.extend((v, [*where, k]) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, [*where, i]) for i, v in enumerate(item))
    return out


def check_body(json_model: Any, form_model: Any) -> None:
    """Before spectree validates: the body is the JSON (or the multipart form) the operation
    takes, well-formed (no ``NaN``), its numbers finite."""
    if form_model is not None and request.mimetype == "multipart/form-data":
        if None in request.form or None in request.files:  # a part without a name
            raise Invalid(msg("api.form_invalid"), {"(empty)": msg("api.unknown_field")})
        return
    if json_model is None:
        raise MalformedBody(msg("api.send_multipart"), {"body": msg("api.not_multipart")})
    if not request.is_json:
        raise MalformedBody(msg("api.send_json"), {"body": msg("api.not_json")})
    try:
        data = json.loads(request.get_data(cache=True).decode("utf-8"), parse_constant=_reject_constant,
                          object_pairs_hook=_unique_names)
    except _DuplicateName as twice:
        raise MalformedBody(msg("api.bad_json"), {"body": msg("api.name_twice", name=twice.name[:64])}) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedBody(msg("api.bad_json"), {"body": msg("api.not_json")}) from None
    numbers = _not_finite(data, [])
    if numbers:
        raise Invalid(msg("api.body_invalid"), numbers)
    if not data and not isinstance(data, dict):  # spectree reads null, [], 0, false and "" as {}
        try:
            json_model.model_validate(data)
        except ValidationError as err:
            raise invalid(err, json_model) from None


#: pydantic error type → (message code, the error context value it names)
_TYPES: dict[str, tuple[str, str | None]] = {
    "missing": ("api.required", None),
    "extra_forbidden": ("api.unknown_field", None),
    "string_type": ("api.must_be_text", None),
    "int_type": ("must_be_integer", None),
    "int_parsing": ("must_be_integer", None),
    "int_from_float": ("must_be_integer", None),
    "float_type": ("api.must_be_number", None),
    "float_parsing": ("api.must_be_number", None),
    "finite_number": ("api.finite", None),
    "bool_type": ("must_be_bool", None),
    "bool_parsing": ("must_be_bool", None),
    "dict_type": ("must_be_object", None),
    "model_type": ("must_be_object", None),
    "model_attributes_type": ("must_be_object", None),
    "list_type": ("api.must_be_list", None),
    "string_too_short": ("api.at_least_chars", "min_length"),
    "string_too_long": ("at_most_chars", "max_length"),
    "too_short": ("api.at_least_items", "min_length"),
    "too_long": ("api.at_most_items", "max_length"),
    "greater_than_equal": ("api.at_least", "ge"),
    "greater_than": ("api.more_than", "gt"),
    "less_than_equal": ("api.at_most", "le"),
    "less_than": ("api.less_than", "lt"),
    "multiple_of": ("api.multiple_of", "multiple_of"),
    "string_pattern_mismatch": ("api.pattern", None),
    "literal_error": ("api.one_of", "expected"),
    "school_year": ("api.school_year", None),
    "username_format": ("user.username_format", None),  # ``models_district.Username``: the forms' words
}


def _message(error: Any, unknown: str) -> Msg:
    if error["type"] == "extra_forbidden":
        return msg(unknown)
    code, key = _TYPES.get(error["type"], ("api.not_valid", None))
    if code == "api.school_year":
        return msg(code, first=models.SCHOOL_YEARS[0], last=models.SCHOOL_YEARS[-1])
    if key is None:
        return msg(code)
    value = (error.get("ctx") or {}).get(key, "")
    if isinstance(value, float) and value.is_integer():  # a bound of a number field: "at most 1000", not 1000.0
        value = int(value)
    if code == "api.one_of":  # pydantic's "'a', 'b' or 'c'": the values, joined in the reader's words
        return msg(code, values=Joined(re.findall(r"'[^']*'|\d+", str(value)) or [str(value)], ", "))
    return msg(code, n=value)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p != "[key]"]
    return field_name(parts) if parts != [""] else "(empty)"


def invalid(err: ValidationError, model: type[BaseModel] | None) -> Invalid:
    """The 422 a model's :class:`ValidationError` becomes: one message per field."""
    if model is models.SchoolHeaders:
        return Invalid(msg("school.code_invalid"), {"X-School": msg("school.code_format")})
    if model is not None and issubclass(model, models.Query):
        message, unknown = msg("api.query_invalid"), "api.unknown_query"
    elif model is models.EvidenceUpload:
        message, unknown = msg("api.form_invalid"), "api.unknown_field"
    else:
        message, unknown = msg("api.body_invalid"), "api.unknown_field"
    fields: dict[str, Msg] = {}
    for error in err.errors():
        fields.setdefault(_field(tuple(error["loc"])), _message(error, unknown))
    return Invalid(message, fields)


def refuse(req: Request, _resp: Any, error: Exception | None, _instance: Any, _adapter: Any = None) -> None:
    """spectree's ``before`` hook: a request its models refuse is answered by the API's own
    error handler (``portal.api.errors``), not by spectree's body."""
    if not isinstance(error, ValidationError):
        return
    model = getattr(models, str(error.title), None)
    if model is None:  # a query model of an area's own module (``models_<area>``)
        model = next((m for m in models.subclasses(models.Query) if m.__name__ == str(error.title)), None)
    raise invalid(error, model if isinstance(model, type) and issubclass(model, BaseModel) else None)
