"""Bad input never loses data: garbage to every JSON API write and every web form.

API bodies are derived from the OpenAPI document (so a new endpoint is swept too): each
property of the request schema gets values of the wrong type, out of range or overlong,
on top of a valid body; whole bodies are replaced by non-JSON, non-UTF-8, wrong shapes,
unknown keys. Every answer must be a 4xx with a JSON error; web forms must not answer 5xx.
Row counts (and the activity's state) must not change.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from werkzeug.routing import IntegerConverter

from portal.extensions import db
from portal.models import Activity, User
from portal.services import tokens
from tests.production.helpers import login_as, row_counts
from tests.support import factories as f

UNCOUNTED = {"login_attempt", "api_token"}
RAW_BODIES: list[bytes] = [b"\xff\xfe\xfa\x00garbage", b"{", b"[]", b"null", b'"text"', b"123", b"{}", b'{"zzz": 1}',
                           b'{"hours": NaN}', b'{"hours": Infinity}', b"[" * 5000 + b"]" * 5000]
WRONG_FOR_TYPE: dict[str, list[Any]] = {
    "string": [12345, True, [], {"a": 1}],
    "number": ["NaN", "abc", True, [], -1, 1e308, 0.3, math.nan, math.inf, -math.inf, 10**40],
    "integer": [-1, 0, 1.5, "1", True, 2**63, math.inf, [], "x"],
    "object": ["x", 5, [], True],
    "array": ["x", 5, {}, True, [1, "bad", None]],
    "boolean": ["yes", 2, [], {}],
}


def _counts() -> dict[str, int]:
    return {k: v for k, v in row_counts().items() if k not in UNCOUNTED}


@pytest.fixture
def sweep_app(make_app):
    return make_app()


@pytest.fixture
def world(sweep_app):
    with sweep_app.app_context():
        s = f.school("BI")
        p = f.staff(s, "bi")
        sweeper = f.person(s, "bisweep", "school_admin", "reviewer", "organizer", "teacher")
        held = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee"), (p["t2"], "attendee")], {"topic": "x"})
        f.fire(held, p["organizer"], "hold")
        f.attend(held, p["organizer"])
        own = f.plan(s, sweeper, "lecture", [(p["t1"], "attendee")], {"topic": "y"})
        return {"school": s.id, "code": s.code, "sweeper": sweeper.id, "held": held.id, "own": own.id,
                "t1": p["t1"].id, "t2": p["t2"].id}


def _resolve(schema: dict, doc: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = doc["components"]["schemas"][name]
    return schema


def _bases(w: dict) -> dict[tuple[str, str], Any]:
    """A valid body for each known operation (method, OpenAPI path)."""
    return {
        ("post", "/api/v1/activities"): {
            "type": "lecture", "title": "扫描", "starts_at": "2026-10-20T14:00", "ends_at": "2026-10-20T16:00",
            "hours": 2, "participants": [{"user_id": w["t1"], "role": "attendee"}], "details": {"topic": "x"},
        },
        ("put", "/api/v1/activities/{activity_id}/attendance"): [
            {"user_id": w["t1"], "attended_hours": 1, "absent_hours": 0, "excused_hours": 0}],
        ("post", "/api/v1/activities/{activity_id}/evidence"): {"kind": "reflection", "title": "t", "text": "反思"},
        ("post", "/api/v1/activities/{activity_id}/transitions"): {"trigger": "approve", "comment": "ok"},
        ("post", "/api/v1/auth/token"): {"username": "bisweep", "password": "not-the-password"},
    }


def _path_values(w: dict) -> dict[str, Any]:
    return {"activity_id": w["held"], "user_id": w["t1"], "key": "lecture", "school_id": w["school"],
            "code": w["code"]}


def _mutations(base: Any, schema: dict, doc: dict) -> list[Any]:
    """``base`` with one property at a time replaced by a wrong value, plus unknown keys."""
    out: list[Any] = []
    schema = _resolve(schema, doc)
    if schema.get("type") == "array":
        item_schema = schema.get("items", {})
        first = base[0] if isinstance(base, list) and base else {}
        return [[m] for m in _mutations(first, item_schema, doc)] + [[]]
    props = schema.get("properties", {})
    for name, prop in props.items():
        prop = _resolve(prop, doc)
        kinds = prop.get("type", "string")
        for kind in kinds if isinstance(kinds, list) else [kinds]:
            values = list(WRONG_FOR_TYPE.get(kind, []))
            if kind == "string":
                values.append("x" * (int(prop.get("maxLength", 200_000)) + 1))
                values.append("\x00\ud800" if name not in ("text",) else "")
            for value in values:
                body = dict(base) if isinstance(base, dict) else {}
                body[name] = value
                out.append(body)
    for name in schema.get("required", []):
        body = dict(base) if isinstance(base, dict) else {}
        body.pop(name, None)
        out.append(body)
    out.append({**(base if isinstance(base, dict) else {}), "unknown_key": 1})
    return out


def _encode(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    return json.dumps(body, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


def test_api_writes_refuse_garbage(sweep_app, world, record_property):
    app, w = sweep_app, world
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    bases = _bases(w)
    with app.app_context():
        before = _counts()
        state_before = db.session.get(Activity, w["held"]).state
    tried = five = 0
    failures: list[str] = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method not in ("post", "put", "patch") or "requestBody" not in op:
                continue
            url = path
            for name, value in _path_values(w).items():
                url = url.replace("{" + name + "}", str(value))
            content = op["requestBody"]["content"].get("application/json")
            if content is None:
                continue
            base = bases.get((method, path), {})
            schema = _resolve(content["schema"], doc)
            raw = RAW_BODIES if schema.get("required") else [b for b in RAW_BODIES if b != b"{}"]  # {} is valid
            bodies = raw + _mutations(base, schema, doc)
            for body in bodies:
                with app.app_context():
                    token = tokens.issue(db.session.get(User, w["sweeper"])).token
                r = app.test_client().open(url, method=method.upper(), data=_encode(body),
                                           headers={"Authorization": f"Bearer {token}",
                                                    "Content-Type": "application/json"})
                tried += 1
                shown = repr(body)[:120]
                if r.status_code >= 500:
                    five += 1
                if not 400 <= r.status_code < 500:
                    failures.append(f"{method.upper()} {url} {shown} → {r.status_code}")
                    continue
                payload = r.get_json(silent=True)
                if not isinstance(payload, dict) or not payload.get("message"):
                    failures.append(f"{method.upper()} {url} {shown} → {r.status_code} without a JSON error")
    with app.app_context():
        after = _counts()
        state_after = db.session.get(Activity, w["held"]).state
    record_property("figure", f"bad inputs tried (API): {tried}, 5xx: {five}")
    assert tried > 100
    assert not failures, "\n".join(failures[:40])
    assert after == before
    assert state_after == state_before


WEB_GARBAGE: list[dict[str, Any] | bytes] = [
    b"title=\xff\xfe&hours=\xff",
    b"%%%%=%%%",
    {},
    {"title": "x" * 100_000, "hours": "NaN", "starts_at": "not a time", "ends_at": "", "location": "y" * 5000,
     "topic": "", "kind": "\x00", "user_id": "-1", "action": "bogus", "comment": "c" * 5000, "text": "",
     "username": "u" * 500, "password": "", "current": "", "confirm": "x", "enabled": "maybe",
     "required_hours": "-50", "absence_limit_hours": "NaN", "display_name": "", "role": "emperor",
     "csv": "\xff", "ids": "abc"},
    {"hours": "-3", "starts_at": "2026-13-45T25:61", "ends_at": "1999-01-01T00:00", "required_hours": "1e400",
     "absence_limit_hours": "Infinity", "user_id": "99999999999999999999", "action": "credit", "ids": "-1"},
    {"hours": "1e308", "title": "  ", "user_id": "1.5", "action": "approve\x00", "comment": "",
     "required_hours": "nan", "ids": "999999999"}  # action: an invalid one,
]


def test_web_forms_survive_garbage(sweep_app, world, record_property):
    app, w = sweep_app, world
    values = _path_values(w)
    with app.app_context():
        before = _counts()
    tried = five = 0
    failures: list[str] = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or "POST" not in (rule.methods or ()):
            continue
        if rule.endpoint in ("auth.logout",):
            continue  # logging out on a garbage post is what a logout form does
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **{n: values.get(n, w["held"]) for n in rule.arguments})
        for body in WEB_GARBAGE:
            with app.app_context():
                client = login_as(app.test_client(), db.session.get(User, w["sweeper"]), w["school"])
            kwargs: dict[str, Any] = {"data": body}
            if isinstance(body, bytes):
                kwargs["content_type"] = "application/x-www-form-urlencoded"
            try:
                r = client.post(url, **kwargs)
                status = r.status_code
            except Exception as exc:  # TESTING propagates a crash: it is a 5xx
                status, r = 500, None
                failures.append(f"POST {url} {repr(body)[:80]} raised {exc!r}")
            tried += 1
            if status >= 500:
                five += 1
                if r is not None:
                    failures.append(f"POST {url} {repr(body)[:80]} → {status}")
    with app.app_context():
        after = _counts()
    record_property("figure", f"bad inputs tried (web forms): {tried}, 5xx: {five}")
    assert tried > 20
    assert not failures, "\n".join(failures[:40])
    assert after == before


def test_huge_ids_in_urls_are_not_found(sweep_app, world):
    """An id no column can hold is a 404 everywhere, never an overflow (SQLite) or a 500."""
    app, w = sweep_app, world
    huge = 2**64
    tried = 0
    for rule in app.url_map.iter_rules():
        ints = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        if not ints:
            continue
        path = rule.rule
        for name in rule.arguments:
            value = huge if name in ints else "lecture"
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            with app.app_context():
                client = login_as(app.test_client(), db.session.get(User, w["sweeper"]), w["school"])
            r = client.open(path, method=method)
            tried += 1
            assert r.status_code in (404, 405), f"{method} {path} → {r.status_code}"
    assert tried >= 5
