"""Type-specific details: validated by the type's own WTForms form, for pages and API alike."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import Form

from portal.activity_types import Text
from portal.messages import FORM_TEXTS, msg


def json_to_formdata(details: dict[str, Any]) -> MultiDict:
    """Turn a JSON ``details`` object into form data, so the API goes through the same form."""
    md: MultiDict = MultiDict()
    for key, value in details.items():
        if value is None or value is False:
            continue
        if value is True:
            md.add(key, "y")
        elif isinstance(value, (list, tuple)):
            for v in value:
                md.add(key, str(v))
        else:
            md.add(key, str(value))
    return md


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _finite(value: Any) -> bool:
    """Whether a field's value is a number JSON holds, if a number: float and Decimal read "NaN",
    "Infinity" and "sNaN", and a Decimal too large for a float becomes infinity in the details."""
    if isinstance(value, Decimal):
        return value.is_finite() and math.isfinite(float(value))
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def validate_details(form_cls: type[Form], formdata: MultiDict) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Run the type's form; return (clean JSON-ready data, errors by field)."""
    form = form_cls(formdata=formdata)
    known = {f.name for f in form}
    errors: dict[str, list[Any]] = {}
    for key in formdata.keys():
        if key not in known:
            errors[key] = [msg("details.unknown_field")]
    if not form.validate():
        for name, errs in form.errors.items():
            errors[name] = [_coded(str(e)) for e in errs]
    odd = {f.name for f in form if not _finite(f.data)}
    for name in odd:  # no number at all (NaN), or none the details can keep (infinity)
        errors[name] = [msg("api.finite")]  # as the API says of a body's infinity
    data = {f.name: None if f.name in odd else _jsonable(f.data) for f in form}
    return data, errors


_LONGER = re.compile(r"^Field cannot be longer than (\d+) characters?\.$")
_BETWEEN = re.compile(r"^Field must be between (\d+) and (\d+) characters long\.$")
_NUMBER_BETWEEN = re.compile(r"^Number must be between (\S+) and (\S+)\.$")
_NUMBER_AT_LEAST = re.compile(r"^Number must be at least (\S+)\.$")
_NUMBER_AT_MOST = re.compile(r"^Number must be at most (\S+)\.$")


def _coded(error: str) -> Any:
    """A WTForms message as the catalogue's: its fixed texts by their codes
    (``portal.messages.FORM_TEXTS``), its length messages with their number; a plugin's own as it came."""
    if m := _LONGER.match(error):
        return msg("at_most_chars", n=int(m.group(1)))
    if m := _BETWEEN.match(error):
        return msg("between_chars", low=int(m.group(1)), high=int(m.group(2)))
    if m := _NUMBER_BETWEEN.match(error):  # NumberRange
        return msg("number_between", low=m.group(1), high=m.group(2))
    if m := _NUMBER_AT_LEAST.match(error):
        return msg("number_at_least", low=m.group(1))
    if m := _NUMBER_AT_MOST.match(error):
        return msg("number_at_most", high=m.group(1))
    if error in FORM_TEXTS:
        return msg(FORM_TEXTS[error])
    return error


def describe_form(form_cls: type[Form], lang: str | None = None) -> list[dict[str, Any]]:
    """A JSON description of a type's form: name, type, required, choices, label (a
    :class:`~portal.activity_types.Text` label in ``lang``, 'zh' or 'en', if given)."""
    form = form_cls()
    out = []
    for f in form:
        required = any(getattr(v, "field_flags", {}).get("required") for v in f.validators)
        text = f.label.text
        label = (text.en if lang == "en" else text.zh) if lang and isinstance(text, Text) else str(text)
        item: dict[str, Any] = {"name": f.name, "type": f.type, "required": bool(required), "label": str(label)}
        if hasattr(f, "iter_choices"):
            item["choices"] = [str(c[0]) for c in f.iter_choices()]
        out.append(item)
    return out
