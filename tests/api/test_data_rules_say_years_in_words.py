"""The OpenAPI document's ``x-data-rules`` give the message of each refusal a valid request may
meet as a regular expression; four of them carry a school year, now said in words ("the
2025–2026 school year", ``SchoolYear``) rather than as data. Their expressions still expecting
"the school year 2025-2026" made schemathesis find a reschedule into 2000 refused with a message
the document did not list. Each message, rendered as the API sends it, is matched by a rule."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from portal.api import typed_schemas
from portal.messages import SchoolYear, msg

YEAR = SchoolYear.said("2025-2026")

#: code: its parameters, and the operations whose document lists it
SENT = {
    "plan.year_over": ({"year": YEAR, "day": "2025-09-01"}, ("create_activity", "reschedule")),
    "year.locked": ({"year": YEAR}, ("reschedule",)),
    "school_plan.line_year": ({"year": YEAR}, ("reschedule",)),
    "plan.deadline_outside_year": ({"year": YEAR, "start": "2025-09-01", "end": "2026-08-31"}, ("put_deadline",)),
}


@pytest.mark.parametrize("code", sorted(SENT))
def test_a_refusal_with_a_year_in_words_is_a_documented_data_rule(app, code):
    with app.test_request_context("/"), force_locale("en"):
        sent = msg(code, **SENT[code][0]).render("en")
    assert "2025–2026 school year" in sent
    for operation in SENT[code][1]:
        rules = [rule["message"] for rule in typed_schemas.DATA_RULES[operation] if "message" in rule]
        assert any(re.search(rule, sent) for rule in rules), (operation, sent)
