"""Every hours figure of the API is a JSON number (its description: "Hours are JSON numbers in
steps of 0.5; strings such as "3" are refused"), in answers as in requests.

Left by hED (1.1.0, the district submissions): the schools' figures, the dashboard's
``hours_by_type`` and behind-plan hours, and the school plan's hours were still strings
(``"8"``, ``"1.5"``); an activity's history gave the hours its steps recorded as their stored text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from sqlalchemy import select

from portal.extensions import db
from portal.models import TransitionLog

#: a property whose name says hours: ``hours``, ``*_hours``, ``hours_*``
HOURS_NAME = re.compile(r"^hours$|_hours$|^hours_")


def _resolve(doc: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def _types(doc: dict, schema: dict, seen: frozenset[int] = frozenset()) -> Iterator[str]:
    """Every JSON type a value (or, for an object or array of them, each value within) may take."""
    schema = _resolve(doc, schema)
    if id(schema) in seen:
        return
    seen = seen | {id(schema)}
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _types(doc, sub, seen)
    kinds = schema.get("type", [])
    for kind in [kinds] if isinstance(kinds, str) else kinds:
        if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
            yield from _types(doc, schema["additionalProperties"], seen)
        elif kind == "array" and isinstance(schema.get("items"), dict):
            yield from _types(doc, schema["items"], seen)
        else:
            yield kind
    if "enum" in schema and not kinds:  # a constant's type, in JSON's words
        yield from {"string" if isinstance(v, str) else "number" for v in schema["enum"]}


def _properties(doc: dict, schema: dict, where: str, seen: set[int]) -> Iterator[tuple[str, str, dict]]:
    """(where, property name, property schema) of every object within ``schema``."""
    schema = _resolve(doc, schema)
    if id(schema) in seen:
        return
    seen.add(id(schema))
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _properties(doc, sub, where, seen)
    for name, prop in schema.get("properties", {}).items():
        yield where, name, prop
        yield from _properties(doc, prop, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _properties(doc, schema[key], where, seen)


def _response_properties(doc: dict) -> Iterator[tuple[str, str, dict]]:
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status, response in op.get("responses", {}).items():
                for media in response.get("content", {}).values():
                    if "schema" in media:
                        yield from _properties(doc, media["schema"], f"{method.upper()} {path} {status}", set())


def test_no_response_gives_hours_as_a_string(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    hours = [(where, name, set(_types(doc, prop))) for where, name, prop in _response_properties(doc)
             if HOURS_NAME.search(name)]
    assert len({name for _, name, _ in hours}) >= 10, hours  # the walk finds them: hours, total_hours, hours_by_type …
    strings = sorted({f"{where}: {name}" for where, name, kinds in hours if "string" in kinds})
    assert strings == [], "\n".join(strings)
    # and each is declared a number (or an object or list of numbers), maybe null
    assert all(kinds and kinds <= {"number", "integer", "null"} for _, _, kinds in hours), hours


#: a step's payload: user id → hours; recorded attendance's: user id → field → [old, new]
BY_USER, CHANGES = ("approved_hours", "adjusted", "credited", "reversed"), "changes"


def test_an_activitys_history_gives_its_hours_as_numbers(as_user, demo):
    """An activity's history (``GET /api/v1/activities/{id}/history``) gave the hours its steps
    recorded as the text they are stored as (``{"approved_hours": {"4": "4.5"}}``, an attendance
    entry's ``["2", "3"]``): numbers now, exactly the stored hours, the rest as it is."""
    logs = list(db.session.execute(select(TransitionLog).where(TransitionLog.school_id == demo.id)).scalars())
    stored = {log.id: log.payload for log in logs}
    admin = as_user("admin")
    seen: list[tuple[object, object]] = []  # (stored, given)
    for act_id in sorted({log.activity_id for log in logs}):
        for entry in admin.get(f"/api/v1/activities/{act_id}/history").get_json():
            was, now = stored[entry["id"]], entry["payload"]
            for key in BY_USER:
                seen += [(was[key][uid], now[key][uid]) for uid in was.get(key, {})]
            for uid, fields in was.get(CHANGES, {}).items():
                seen += [(pair[i], now[CHANGES][uid][field][i]) for field, pair in fields.items() for i in (0, 1)]
            rest = {k: v for k, v in was.items() if k not in (*BY_USER, CHANGES)}
            assert {k: v for k, v in now.items() if k not in (*BY_USER, CHANGES)} == rest
    given = [now for _was, now in seen if now is not None]
    assert len(given) >= 10 and any(h % 1 for h in given), seen  # the demo's, half hours among them
    assert all(type(h) is float for h in given), seen
    assert all(now is was is None or Decimal(str(was)) == Decimal(str(now)) for was, now in seen), seen
