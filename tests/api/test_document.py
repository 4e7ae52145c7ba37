"""The OpenAPI document is built from the code: it and the URL map cannot drift apart."""

from __future__ import annotations

import schemathesis

from portal.api.spec import API_PREFIX, api_rules, openapi_path, operation_of


def _documented(doc: dict) -> set[tuple[str, str]]:
    """(rule path, method) of every documented operation; an operation documented once per
    installed activity type (``/activity-types/lecture`` …) names its rule in ``x-path-template``."""
    return {
        (op.get("x-path-template", path), method.upper()) for path, ops in doc["paths"].items() for method, op in ops.items()
    }


def test_every_api_rule_is_documented_and_every_documented_path_is_a_rule(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    rules = {(openapi_path(rule)[0], method) for rule, method, _view in api_rules(app)}
    assert rules, "the API registered no rules"
    assert rules == _documented(doc)
    assert all(path.startswith(API_PREFIX + "/") for path, _ in rules)


def test_every_api_view_declares_its_operation(app):
    undeclared = [rule for rule, _method, view in api_rules(app) if operation_of(view) is None]
    assert undeclared == []


def test_contract_paths_are_all_there(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    expected = {
        ("/api/v1/auth/token", "POST"),
        ("/api/v1/auth/token", "DELETE"),
        ("/api/v1/me", "GET"),
        ("/api/v1/activity-types", "GET"),  # settings as read, and those read otherwise than stored (stored, read)
        ("/api/v1/activity-types/{key}", "PUT"),
        ("/api/v1/school/rules", "GET"),  # the school's rules: its people read them, its admin sets them
        ("/api/v1/school/rules", "PUT"),
        ("/api/v1/activities", "GET"),
        ("/api/v1/activities", "POST"),
        ("/api/v1/activities/{activity_id}", "GET"),
        ("/api/v1/activities/{activity_id}/reschedule", "POST"),  # moved to another time, before it is held
        ("/api/v1/activities/{activity_id}/participants", "POST"),  # the list changed after planning
        ("/api/v1/activities/{activity_id}/participants/{user_id}", "DELETE"),
        ("/api/v1/activities/{activity_id}/attendance", "PUT"),
        ("/api/v1/activities/{activity_id}/evidence", "POST"),
        ("/api/v1/activities/{activity_id}/transitions", "POST"),
        ("/api/v1/activities/{activity_id}/history", "GET"),
        ("/api/v1/activities/{activity_id}/organizer", "PUT"),  # a school admin hands it over
        ("/api/v1/activities/{activity_id}/corrections", "POST"),  # ask the admins to correct one's row or cancel
        ("/api/v1/corrections", "GET"),
        ("/api/v1/corrections/{request_id}/close", "POST"),  # another admin closes it: done or declined
        ("/api/v1/users/{user_id}/credits", "GET"),
        ("/api/v1/reports/credits", "GET"),
        ("/api/v1/me/writing", "GET"),  # the teacher's year (views_writing.py)
        ("/api/v1/me/writing", "POST"),
        ("/api/v1/me/writing/{piece_id}", "PUT"),  # its author corrects or deletes a piece
        ("/api/v1/me/writing/{piece_id}", "DELETE"),
        ("/api/v1/me/signups", "GET"),  # the caller's own sign-ups, withdrawn ones too
        ("/api/v1/signups/open", "GET"),  # what the caller may sign up for now
        ("/api/v1/me/outlook", "GET"),
        ("/api/v1/openapi.json", "GET"),
        # the teacher's year (portal/api/views_year.py)
        ("/api/v1/groups", "GET"),
        ("/api/v1/groups", "POST"),
        ("/api/v1/groups/{group_id}", "PUT"),
        ("/api/v1/groups/{group_id}", "DELETE"),
        ("/api/v1/users/{user_id}/groups", "PUT"),
        ("/api/v1/activities/{activity_id}/signup", "GET"),
        ("/api/v1/activities/{activity_id}/signup", "PUT"),
        ("/api/v1/activities/{activity_id}/signup/me", "POST"),
        ("/api/v1/activities/{activity_id}/signup/me", "DELETE"),
        ("/api/v1/activities/{activity_id}/signup/confirm", "POST"),
        ("/api/v1/plans", "GET"),
        ("/api/v1/plans/me", "GET"),
        ("/api/v1/plans/me", "PUT"),
        ("/api/v1/plans/{plan_id}", "GET"),
        ("/api/v1/plans/{plan_id}/decision", "POST"),
        ("/api/v1/plans/deadline", "PUT"),
        ("/api/v1/district/schools", "GET"),
        ("/api/v1/district/schools", "POST"),
        ("/api/v1/district/dashboard", "GET"),
        ("/api/v1/school-plan", "GET"),
        ("/api/v1/school-plan", "PUT"),
        ("/api/v1/school-plan/submit", "POST"),
        ("/api/v1/school-plans/{plan_id}/decision", "POST"),
        ("/api/v1/district/submitted", "GET"),
        ("/api/v1/district/settings", "PUT"),
        ("/api/v1/district/activity-types/{key}", "PUT"),
        ("/api/v1/district/submissions", "GET"),
        ("/api/v1/district/submissions/{submission_id}", "GET"),
        ("/api/v1/district/submissions/{submission_id}/decision", "POST"),
        ("/api/v1/district/submissions/{submission_id}/reopen", "POST"),
        ("/api/v1/district/submissions/{submission_id}/activities/{activity_id}", "GET"),
        ("/api/v1/district/submissions/{submission_id}/evidence/{evidence_id}", "GET"),
        ("/api/v1/district/deadlines", "GET"),
        ("/api/v1/district/deadlines", "POST"),
        ("/api/v1/district/deadlines/{announcement_id}", "PUT"),
        ("/api/v1/district/deadlines/{announcement_id}", "DELETE"),
        ("/api/v1/exports/{job_id}", "GET"),
        ("/api/v1/exports/{job_id}/file", "GET"),
        ("/api/v1/submissions", "GET"),
        ("/api/v1/submissions", "POST"),
    }
    assert _documented(doc) == expected


def test_document_is_valid_openapi_and_public(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(doc)  # raises on an invalid document
    ops = doc["paths"]
    assert ops["/api/v1/auth/token"]["post"]["security"] == []
    assert ops["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}]
    # the school can be named by header or query on school-scoped operations
    names = {p["name"] for p in ops["/api/v1/activities"]["get"]["parameters"]}
    assert {"X-School", "school", "state", "type", "year", "page"} <= names
    # error responses are documented where they can happen
    transitions = ops["/api/v1/activities/{activity_id}/transitions"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "422"} <= set(transitions)
    assert set(ops["/api/v1/openapi.json"]["get"]["responses"]) == {"200"}


def test_path_conversion():
    assert openapi_path("/api/v1/activities/<int:activity_id>/history")[0] == "/api/v1/activities/{activity_id}/history"
    path, params = openapi_path("/api/v1/activity-types/<key>")
    assert path == "/api/v1/activity-types/{key}"
    assert params[0]["name"] == "key" and params[0]["schema"]["type"] == "string"


def test_a_body_that_depends_on_the_type_is_documented_once_per_installed_type(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    installed = set(app.extensions["yanxiu.registry"].types)
    per_type = {
        path.rsplit("/", 1)[1]: op["put"] for path, op in doc["paths"].items() if path.startswith("/api/v1/activity-types/")
    }
    assert set(per_type) == installed
    for key, op in per_type.items():
        assert op["x-path-template"] == "/api/v1/activity-types/{key}"
        assert op["operationId"] == f"update_activity_type_{key}"
        assert op["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/ActivityTypeUpdate_{key}"
        }
        assert not any(p["name"] == "key" for p in op.get("parameters", []))


def test_adding_evidence_says_which_kinds_wait_for_the_start(client):
    """A reflection or an evaluation is refused before the activity's start (contract 1.12):
    the operation said nothing of it, so a client learnt it only from a refusal."""
    op = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/activities/{activity_id}/evidence"]["post"]
    assert "before the activity's start" in op["description"] and "`reflection`" in op["description"]
