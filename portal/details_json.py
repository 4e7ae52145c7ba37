"""The JSON type each field of an activity type's details form takes.

``details`` arrive as JSON and go through the type's WTForms form (one validation path with
the web page); a form only sees text, so a JSON value is first checked to be of the field's
type: text and choice fields take strings, a checkbox true or false, a number field a number.
``null`` stands for a value not given. The OpenAPI document (``portal.api.typed_schemas``)
publishes the same types.
"""

from __future__ import annotations

from typing import Any

from wtforms import Form

from portal.messages import Msg, msg

TEXT_FIELDS = frozenset({"StringField", "TextAreaField", "SearchField", "TelField", "URLField", "EmailField",
                         "PasswordField", "HiddenField", "ColorField"})
CHOICE_FIELDS = frozenset({"SelectField", "RadioField"})
BOOLEAN_FIELDS = frozenset({"BooleanField"})
INTEGER_FIELDS = frozenset({"IntegerField", "IntegerRangeField"})
NUMBER_FIELDS = frozenset({"DecimalField", "FloatField", "DecimalRangeField"})


def field_kind(field: Any) -> str:
    """``text``, ``choice``, ``boolean``, ``integer``, ``number`` or ``other``: the JSON type a
    field of a type's form takes in ``details``."""
    name = field.type
    if name in CHOICE_FIELDS:
        return "choice"
    if name in TEXT_FIELDS:
        return "text"
    if name in BOOLEAN_FIELDS:
        return "boolean"
    if name in INTEGER_FIELDS:
        return "integer"
    if name in NUMBER_FIELDS:
        return "number"
    return "other"


def json_type_errors(form_cls: type[Form], details: Any) -> dict[str, list[Msg]]:
    """Values of ``details`` whose JSON type the form's field does not take (a number or an object
    for a text field …), by field, as the catalogue's messages (the reader's language); ``null``
    stands for a value not given."""
    if not isinstance(details, dict):
        return {}
    fields = {f.name: f for f in form_cls()}
    errors: dict[str, list[Msg]] = {}
    for name, value in details.items():
        field = fields.get(name)
        if field is None or value is None:
            continue
        kind = field_kind(field)
        if kind in ("text", "choice") and not isinstance(value, str):
            errors[name] = [msg("api.must_be_text")]
        elif kind == "boolean" and not isinstance(value, bool):
            errors[name] = [msg("must_be_bool")]
        elif kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            errors[name] = [msg("must_be_whole")]
        elif kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            errors[name] = [msg("api.must_be_number")]
    return errors
