"""Schemathesis against the app's own OpenAPI document, over real HTTP to a live server.

The app runs in a threaded werkzeug server on 127.0.0.1 (a free port) on the test database —
PostgreSQL in the second pass of ``make test`` (``YANXIU_TEST_DATABASE_URL``), a SQLite file
otherwise — and schemathesis fetches ``/api/v1/openapi.json`` from it and sends its requests
with ``requests``, as any client would. Every operation gets a bounded number of generated
requests, schema-conforming and not, with a real token of the demo school admin.

Checks: no 5xx; every response matches the document (status code, content type, headers,
body schema); schema-violating requests are refused with a 4xx; and **schema-valid requests
are not refused** (``positive_data_acceptance``). The document is exact for what JSON Schema
can say (``portal.api.typed_schemas``); a few rules compare two fields or depend on stored
data (an activity's end before its start, a user who is not a participant, a guard), and each
operation lists them in its ``x-data-rules``. A schema-valid request refused with 422 passes
only when every field the refusal names is covered by one of those declared rules, message
included; anything else is a failure. The counts are printed at the end of the run.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select
from werkzeug.serving import make_server

from portal.extensions import db
from portal.models import User
from portal.services import tokens
from tests.api import fuzz_stats

MAX_EXAMPLES = 25
SHARDS = 3  # the operations are split over this many tests, which pytest-xdist runs side by side
#: Refusals of schema-valid requests that a declared ``x-data-rules`` rule covers, by (operation, rule).
DECLARED: Counter = Counter()


def _leaves(value: Any, path: str) -> list[tuple[str, str]]:
    """(field path, message) for every message in an ``invalid`` error's ``fields``."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v, path)]
    return [(path, str(value))]


def declared_refusal(case, response) -> list[str] | None:
    """The ``x-data-rules`` rules that account for this 422, or None when any part of the refusal
    is not declared (then the document is wrong and the check fails)."""
    if response.status_code != 422:
        return None
    rules = case.operation.definition.raw.get("x-data-rules") or []
    try:
        body = response.json()
    except ValueError:
        return None
    if body.get("error") == "guard_failed":
        matched = [r["rule"] for r in rules if r.get("error") == "guard_failed"]
        return matched or None
    if body.get("error") != "invalid" or not body.get("fields"):
        return None
    used = []
    for path, message in _leaves(body["fields"], ""):
        rule = next(
            (
                r for r in rules
                if "field" in r and (path == r["field"] or path.startswith(r["field"] + "."))
                and re.search(r["message"], message)
            ),
            None,
        )
        if rule is None:
            return None
        used.append(rule["rule"])
    return used


def positive_data_acceptance_with_declared_rules(ctx, response, case):
    """``positive_data_acceptance``, except for a refusal every part of which a rule of the
    operation's ``x-data-rules`` declares (counted in ``DECLARED``)."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        rules = declared_refusal(case, response)
        if rules is None:
            raise
        for rule in sorted(set(rules)):
            DECLARED[(case.operation.label, rule)] += 1
        return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance_with_declared_rules,
    ignored_auth,
]


def _dialect(app) -> str:
    return "postgresql" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "sqlite"


@pytest.fixture
def live_api(make_app):
    """The app with the demo school, served over HTTP on 127.0.0.1 by a threaded werkzeug server."""
    app = make_app(demo=True)
    fuzz_stats.reset()
    DECLARED.clear()

    @app.after_request
    def _count(response):
        fuzz_stats.record(response.status_code)
        return response

    with app.app_context():
        admin = db.session.execute(select(User).where(User.username == "admin")).scalar_one()
        admin_id, token = admin.id, tokens.issue(admin).token
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), name="schemathesis-live-server", daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}", admin_id, token
    finally:
        server.shutdown()
        thread.join(timeout=30)
        server.server_close()


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS))
def test_schemathesis_live_server_no_server_error_and_no_schema_valid_input_refused(live_api, record_property, shard):
    """Every ``SHARDS``-th operation of the document, from the ``shard``-th (each shard has a
    live server and demo data of its own)."""
    app, base, admin_id, token = live_api
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json", timeout=30)
    every = [result.ok() for result in schema.get_all_operations()]
    assert len(every) >= 14 + len(app.extensions["yanxiu.registry"].types) - 1  # one PUT per type
    operations = every[shard::SHARDS]
    served_by = set()
    for operation in operations:
        revokes_token = operation.method.upper() == "DELETE" and operation.path.endswith("/auth/token")
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=MAX_EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                bearer = token
                if revokes_token:  # noqa: B023 - run() is called in this iteration; a fresh token per call
                    with app.app_context():
                        bearer = tokens.issue(db.session.get(User, admin_id)).token
                        db.session.remove()
                response = case.call_and_validate(
                    base_url=base, headers={"Authorization": f"Bearer {bearer}"}, checks=CHECKS
                )
                served_by.add(response.request.url.split("/api/")[0])

            run()
    assert served_by == {base}  # every request went over the network to the live server
    declared = sum(DECLARED.values())
    record_property("schemathesis_requests", fuzz_stats.requests)
    record_property("schemathesis_server_errors", fuzz_stats.server_errors)
    record_property(
        "figure",
        f"schemathesis (live HTTP, {_dialect(app)}, operations {shard + 1}/{SHARDS}): "
        f"{fuzz_stats.requests} requests, {fuzz_stats.server_errors} server errors, 0 schema-valid requests "
        f"refused outside the declared data rules ({declared} refused by them: "
        + "; ".join(f"{op} — {rule}: {n}" for (op, rule), n in sorted(DECLARED.items()))
        + ")",
    )
    assert fuzz_stats.requests > len(operations) * MAX_EXAMPLES
    assert fuzz_stats.server_errors == 0
