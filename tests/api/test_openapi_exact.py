"""The OpenAPI document declares what the server refuses, built from the installed types and
their workflow when it is asked for: activity type keys, roles and details fields, triggers (with
the comment and adjusted hours each takes), evidence kinds, school years, and each type's settings
with their declared ranges. And the server refuses what the document calls invalid."""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator
from wtforms import BooleanField, Form, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.activity_types import ActivityType, EvidenceKind, Role, Setting, Text
from portal.hookspecs import hookimpl
from portal.registry import registry
from tests.api.conftest import login
from tests.api.test_schemathesis import declared_refusal
from tests.support import factories
from tests.support.factories import PASSWORD
from workflows import Phase, State, Transition, WorkflowExtension


class ProbeForm(Form):
    headline = StringField(Text("标题", "Headline"), validators=[DataRequired(), Length(max=30)])
    grade = SelectField(Text("年级", "Grade"), choices=[SelectChoice("g1", "一"), SelectChoice("g2", "二")],
                        validators=[DataRequired()])
    rounds = IntegerField(Text("轮次", "Rounds"), validators=[Optional(), NumberRange(min=1, max=5)])
    remote = BooleanField(Text("线上", "Remote"))
    note = StringField(Text("备注", "Note"), validators=[Optional(), Length(max=10)])


class Probe(ActivityType):
    key = "exact_probe"
    name_zh, name_en = "探针", "Probe"
    roles = {"member": Role("成员", "Member"), "host": Role("主持", "Host")}
    form = ProbeForm
    evidence_kinds = {"probe_log": EvidenceKind("探针记录", "Probe log")}
    declared_settings = {
        "host_multiplier": Setting(2, 0.5, 3, Text("主持学时倍数", "Host multiplier")),
        "min_logs": Setting(3, 1, 9, Text("最少记录", "Minimum logs"), integer=True),
        "open": Setting(True, label=Text("开放", "Open")),
        "motto": Setting("学", label=Text("口号", "Motto"), max_length=8),
    }

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension(
            states=(State("prepared", "已备课", "Prepared", phase=Phase.OPEN),),
            transitions=(
                Transition("prepare", ("planned",), "prepared", frozenset({"owner"}), "完成备课", "Mark prepared",
                           comment_required=True),
                Transition("hold", ("prepared",), "held", frozenset({"owner", "school_admin"}), "标记为已举行",
                           "Mark held"),
            ),
        )


class ProbePlugin:
    @hookimpl
    def portal_activity_types(self):
        return [Probe()]


@pytest.fixture
def probe_app(make_app):
    app = make_app(EXTRA_PLUGINS=[("exact_probe", ProbePlugin())])
    with app.app_context():
        assert "exact_probe" in registry().types, registry().plugins.failures
        yield app


def _doc(app) -> dict:
    return app.test_client().get("/api/v1/openapi.json").get_json()


def _validator(doc: dict, name: str) -> Draft202012Validator:
    return Draft202012Validator({"components": doc["components"], **{"$ref": f"#/components/schemas/{name}"}})


def test_activity_types_roles_and_details_come_from_the_installed_types(probe_app):
    doc = _doc(probe_app)
    schemas = doc["components"]["schemas"]
    installed = registry().types
    mapping = schemas["ActivityCreate"]["discriminator"]["mapping"]
    assert set(mapping) == set(installed) and "exact_probe" in mapping
    for key, reg in installed.items():
        variant = schemas[f"ActivityCreate_{key}"]
        assert variant["properties"]["type"] == {"const": key}
        assert variant["properties"]["participants"]["items"]["properties"]["role"]["enum"] == list(reg.type.roles)
        details = variant["properties"]["details"]
        assert details["additionalProperties"] is False
        assert set(details["properties"]) == {f.name for f in reg.type.form()}
    probe = schemas["ActivityCreate_exact_probe"]
    assert probe["properties"]["details"]["required"] == ["headline", "grade"]
    assert "details" in probe["required"]
    body = {"type": "exact_probe", "title": "探", "starts_at": "2026-10-15T14:00", "ends_at": "2026-10-15T16:00",
            "hours": 2}
    v = _validator(doc, "ActivityCreate")
    good = {**body, "details": {"headline": "题", "grade": "g1", "rounds": 5, "remote": True, "note": None}}
    assert v.is_valid(good)
    for bad in ({"headline": " ", "grade": "g1"}, {"headline": "题", "grade": "g3"}, {"headline": 3, "grade": "g1"},
                {"headline": "题", "grade": "g1", "rounds": 6}, {"headline": "题", "grade": "g1", "colour": "red"},
                {"headline": "x" * 31, "grade": "g1"}, {"grade": "g1"}):
        assert not v.is_valid({**body, "details": bad}), bad
    assert v.is_valid({**body, "details": {"headline": "题", "grade": "g2", "note": "  " * 20}})  # Optional() blank
    assert not v.is_valid({**body, "type": "no_such_type", "details": {}})
    assert not v.is_valid({**good, "participants": [{"user_id": 1, "role": "speaker"}]})  # a lecture's role
    assert not v.is_valid({**good, "starts_at": "2026-02-29T10:00"})  # no such day
    assert v.is_valid({**good, "starts_at": "2028-02-29T10:00+08:00"})
    assert not v.is_valid({**good, "starts_at": "2100-01-01T10:00"})


def test_triggers_come_from_the_workflows_with_their_comment_and_hours(probe_app):
    doc = _doc(probe_app)
    variants = doc["components"]["schemas"]["TransitionRequest"]["anyOf"]
    triggers = {v["properties"]["trigger"]["const"] for v in variants}
    expected = {t.trigger for r in registry().types.values() for t in r.engine.definition.transitions}
    assert triggers == expected and "prepare" in triggers
    v = _validator(doc, "TransitionRequest")
    assert v.is_valid({"trigger": "hold"})
    assert not v.is_valid({"trigger": "teleport"})
    assert not v.is_valid({"trigger": "prepare"}) and v.is_valid({"trigger": "prepare", "comment": "备好了"})
    assert not v.is_valid({"trigger": "return", "comment": "  "})
    assert v.is_valid({"trigger": "approve", "hours": {}})
    assert not v.is_valid({"trigger": "approve", "hours": {"5": 2}})  # adjusted hours need a reason
    assert v.is_valid({"trigger": "approve", "hours": {"5": 2}, "comment": "缺席半小时"})
    assert not v.is_valid({"trigger": "hold", "hours": {"5": 2}, "comment": "x"})


def test_evidence_kinds_and_settings_come_from_the_types(probe_app):
    doc = _doc(probe_app)
    schemas = doc["components"]["schemas"]
    kinds = schemas["EvidenceText"]["properties"]["kind"]["enum"]
    assert set(kinds) == {k for r in registry().types.values() for k in r.type.all_evidence_kinds()}
    assert "probe_log" in kinds and "handbook" in kinds
    assert schemas["EvidenceUpload"]["properties"]["kind"]["enum"] == kinds
    for key, reg in registry().types.items():
        settings = schemas[f"ActivityTypeUpdate_{key}"]["properties"]["settings"]
        assert settings["additionalProperties"] is False
        assert set(settings["properties"]) == set(reg.type.default_settings)
    probe = schemas["ActivityTypeUpdate_exact_probe"]["properties"]["settings"]["properties"]
    assert (probe["host_multiplier"]["type"], probe["host_multiplier"]["minimum"], probe["host_multiplier"]["maximum"]) == (
        "number", 0.5, 3)
    assert probe["host_multiplier"]["title"] == "Host multiplier" and "主持学时倍数" in probe["host_multiplier"]["description"]
    assert probe["min_logs"]["type"] == "integer" and (probe["min_logs"]["minimum"], probe["min_logs"]["maximum"]) == (1, 9)
    assert probe["open"]["type"] == "boolean" and probe["motto"]["maxLength"] == 8
    assert schemas["ActivityTypeUpdate_lecture"]["properties"]["settings"]["properties"]["speaker_multiplier"]["maximum"] == 10


PROBES = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 9, 9.5, 10, 11, 20, 60, 61, 100, 101, 1e6, -1, -0.5, True, False, None,
          "2", "", "学" * 8, "学" * 9, "\x00", [], {}, 2**70]


def test_each_types_settings_schema_accepts_exactly_what_the_validator_accepts(probe_app):
    """The document's settings schema and ``validate_settings`` are one rule: on every probe value
    of every setting of every installed type they agree."""
    doc = _doc(probe_app)
    compared = 0
    for key, reg in registry().types.items():
        v = _validator(doc, f"ActivityTypeUpdate_{key}")
        for name in reg.type.default_settings:
            for value in PROBES:
                by_schema = v.is_valid({"settings": {name: value}})
                by_validator = reg.type.validate_settings({name: value}) == {}
                assert by_schema == by_validator, (key, name, value)
                compared += 1
        assert not v.is_valid({"settings": {"no_such_setting": 1}})
        assert reg.type.validate_settings({"no_such_setting": 1})["no_such_setting"].english == "unknown setting"
    assert compared > 200


def test_school_years_are_listed_because_a_pattern_cannot_say_consecutive(app, client, demo):
    doc = client.get("/api/v1/openapi.json").get_json()
    param = next(p for p in doc["paths"]["/api/v1/reports/credits"]["get"]["parameters"] if p["name"] == "year")
    years = param["schema"]["enum"]
    assert "2026-2027" in years and "2026-2030" not in years
    assert all(int(y[5:]) == int(y[:4]) + 1 for y in years)
    assert years[0] == "1999-2000" and years[-1] == "2099-2100"  # activities are dated 2000–2099
    assert all(re.fullmatch(param["schema"]["pattern"], y) for y in years)
    admin = login(client, "admin")
    for year in ("2026-2030", "1998-1999", "2100-2101", "2026"):
        for url in (f"/api/v1/reports/credits?year={year}", f"/api/v1/activities?year={year}"):
            r = admin.get(url)
            assert r.status_code == 422, (url, r.status_code)
            assert "two consecutive years" in r.get_json()["fields"]["year"]
    assert admin.get("/api/v1/reports/credits?year=1999-2000").status_code == 200


def test_every_operation_data_rule_is_a_working_pattern(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    rules = [r for ops in doc["paths"].values() for op in ops.values() for r in op.get("x-data-rules", [])]
    assert len(rules) >= 10
    for rule in rules:
        assert rule["rule"] and ("error" in rule or re.compile(rule["message"]))


# -- the server refuses what the document refuses, and accepts what it accepts -----------------------

@pytest.fixture
def organizer(client, app):
    s = factories.school("OX")
    p = factories.staff(s, "ox")
    ids = {k: u.id for k, u in p.items()}
    return login(client, "oxorg", PASSWORD), ids


BASE = {"type": "lecture", "title": "讲座", "starts_at": "2026-10-15T14:00", "ends_at": "2026-10-15T16:00", "hours": 2}


@pytest.mark.parametrize("topic", [123, 1.5, True, ["题"], {"a": "题"}])
def test_details_of_another_json_type_are_refused(organizer, topic):
    api, _ids = organizer
    r = api.post("/api/v1/activities", json={**BASE, "details": {"topic": topic}})
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["fields"]["details"]["topic"] == ["must be text"]


def test_a_whole_number_written_with_a_fraction_is_an_integer(organizer):
    """JSON (and JSON Schema's ``integer``) do not tell 288.0 from 288."""
    api, ids = organizer
    raw = json.dumps({**BASE, "details": {"topic": "题"},
                      "participants": [{"user_id": ids["t1"], "role": "attendee"}]}).replace(
        f'"user_id": {ids["t1"]}', f'"user_id": {ids["t1"]}.0')
    assert f'{ids["t1"]}.0' in raw
    r = api.client.post("/api/v1/activities", data=raw, headers={"Authorization": f"Bearer {api.token}",
                                                                 "Content-Type": "application/json"})
    assert r.status_code == 201, r.get_json()
    assert [p["user_id"] for p in r.get_json()["participants"]] == [ids["t1"]]


def test_a_multipart_part_without_a_name_is_not_a_server_error(organizer):
    api, _ids = organizer
    body = (b'--XX\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n'
            b'--XX\r\nContent-Disposition: form-data; name="kind"\r\n\r\nreflection\r\n--XX--\r\n')
    r = api.client.post("/api/v1/activities/1/evidence", data=body,
                        headers={"Authorization": f"Bearer {api.token}",
                                 "Content-Type": "multipart/form-data; boundary=XX"})
    assert r.status_code in (404, 422), r.status_code


def test_a_refusal_counts_as_declared_only_when_every_field_and_message_is(client):
    """The fuzz test's allowance, checked on its own: declared rules cover exactly their fields."""
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/activities"]["post"]

    class Case:
        class operation:
            class definition:
                raw = op

    class Response:
        status_code = 422

        def __init__(self, body):
            self.body = body

        def json(self):
            return self.body

    ends = {"error": "invalid", "fields": {"ends_at": "must not be before the start"}}
    assert declared_refusal(Case, Response(ends)) == ["`ends_at` is not before `starts_at`"]
    for said in ("#1: not a member of this school", "李娜 is no longer a member of this school"):
        members = {"error": "invalid", "fields": {"participants": [said]}}
        assert declared_refusal(Case, Response(members)), said
    members = {"error": "invalid", "fields": {"participants": ["user 99 is not a member of this school"]}}
    assert declared_refusal(Case, Response(members)) is None  # the old words, with an id, are no more
    both = {"ends_at": "must not be before the start", "title": "required"}
    assert declared_refusal(Case, Response({"error": "invalid", "fields": both})) is None
    assert declared_refusal(Case, Response({"error": "invalid", "fields": {"ends_at": "not an ISO 8601 date-time"}})) is None
    assert declared_refusal(Case, Response({"error": "guard_failed", "missing": ["x"]})) is None  # not this operation's
