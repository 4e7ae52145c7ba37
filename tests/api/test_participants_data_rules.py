"""The OpenAPI document lists every refusal of ``POST /activities/{id}/participants`` (and of
planning's participants) that its schema cannot state: each coded message the service can put on
`participants` (found in its source, so a new refusal is not forgotten) is matched by one of the
operation's ``x-data-rules``, in the words the API sends. Before, someone's role once their
attendance was recorded (``participants.role_recorded``) was refused with 422 and listed nowhere."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from portal.messages import TEXTS
from portal.services import access, activities

#: Codes the service has that a request valid by the document never meets, and why.
SCHEMA_REFUSED = {
    "participants.invalid": "the refusal's message, not a field's",
    "participants.not_list": "the schema: `participants` is an array",
    "participants.shape": "the schema: each item is an object with `user_id`",
    "participants.user_id": "the schema: `user_id` is an integer",
    "participants.none": "the schema of the call: at least one item (planning: none means none)",
    "plan.not_member_someone": "not_members is given the places of the list sent: said at a place",
}

#: Example values of a message's placeholders.
SAMPLES = {"n": 2, "user": 7, "name": "李娜", "roles": "Attendee (attendee), Speaker (speaker)"}


def _codes(*functions: Callable[..., Any]) -> set[str]:
    """The codes of every ``msg("…")`` in the source of ``functions``."""
    found: set[str] = set()
    for fn in functions:
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(fn)))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "msg"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                found.add(node.args[0].value)
    return found


def _english(code: str) -> str:
    template = TEXTS[code]
    text = template._args[0] if hasattr(template, "_args") else str(template)
    return text % {k: SAMPLES[k] for k in re.findall(r"%\((\w+)\)s", text)}


PARSED = _codes(activities._parse_participants, access.not_members)


@pytest.mark.parametrize(("operation", "codes", "by_schema"), [
    ("add_participants", PARSED | _codes(activities.set_participants), set()),
    ("create_activity", PARSED, {"participants.role"}),  # each type's body lists its roles (typed_schemas)
])
def test_every_refusal_of_the_participants_is_a_documented_data_rule(client, operation, codes, by_schema):
    doc = client.get("/api/v1/openapi.json").get_json()
    [op] = [op for ops in doc["paths"].values() for op in ops.values() if op["operationId"] == operation]
    rules = [r for r in op.get("x-data-rules", []) if r.get("field") == "participants"]
    assert "participants.twice" in codes and "plan.not_member_at" in codes  # the source was read
    undocumented = {code: _english(code) for code in sorted(codes - SCHEMA_REFUSED.keys() - by_schema)
                    if not any(re.search(r["message"], _english(code)) for r in rules)}
    assert not undocumented, undocumented
