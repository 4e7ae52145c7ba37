"""Schemathesis against the app's own OpenAPI document, in-process (WSGI, no network).

Every operation gets a bounded number of generated requests, schema-conforming and not, sent
with a real token of a demo school admin. No response may be a 5xx, and every response must
match the document (status code, content type, headers, body schema); schema-violating
requests must be refused with a 4xx. The number of requests is printed at the end of the run.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from portal.demo import load_demo
from portal.extensions import db
from portal.models import User
from portal.services import tokens
from tests.api import fuzz_stats

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]


@pytest.fixture
def fuzz_app(make_app):
    app = make_app()
    fuzz_stats.reset()

    @app.after_request
    def _count(response):
        fuzz_stats.record(response.status_code)
        return response

    with app.app_context():
        load_demo()
        admin = db.session.execute(select(User).where(User.username == "admin")).scalar_one()
        admin_id, token = admin.id, tokens.issue(admin).token
        db.session.remove()
    return app, admin_id, token


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_schemathesis_finds_no_server_error_and_no_undocumented_response(fuzz_app, record_property):
    app, admin_id, token = fuzz_app
    operations = _operations(app)
    assert len(operations) >= 14  # every operation but the document itself
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
                if revokes_token:  # a fresh token per call, so the shared one stays valid
                    with app.app_context():
                        bearer = tokens.issue(db.session.get(User, admin_id)).token
                        db.session.remove()
                case.call_and_validate(headers={"Authorization": f"Bearer {bearer}"}, checks=CHECKS)

            run()
    record_property("schemathesis_requests", fuzz_stats.requests)
    record_property("schemathesis_server_errors", fuzz_stats.server_errors)
    assert fuzz_stats.requests > len(operations) * MAX_EXAMPLES
    assert fuzz_stats.server_errors == 0
