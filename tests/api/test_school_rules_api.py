"""The school's rules through the API: ``GET /api/v1/school/rules`` for anyone of the school,
``PUT`` for its admin — a partial body, each value checked by its declaration and by the same
service as the rules page (the district's floor too); a refused body changes nothing, not even
the audit log."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from portal.demo import load_demo
from portal.extensions import db
from portal.models import School
from portal.models.school import SchoolChange
from portal.school_rules import HOUR_RULES, SCHOOL_RULES
from tests.api.conftest import login
from tests.support import factories as f

URL = "/api/v1/school/rules"
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def district_floor(as_user):
    """The district asks at least 10000 characters of reading notes a year (its admin's API)."""
    r = as_user("district").put("/api/v1/district/settings", json={"reading_notes_chars": 10000})
    assert r.status_code == 200, r.get_json()


def _school() -> School:
    db.session.expire_all()
    return load_demo()


def _state() -> tuple[str, int]:
    """The demo school's own rules and the length of its audit log."""
    school = _school()
    changes = db.session.scalar(select(func.count()).select_from(SchoolChange)
                                .where(SchoolChange.school_id == school.id))
    return json.dumps(school.rules, sort_keys=True), changes or 0


def _by_key(body: dict) -> dict[str, dict]:
    return {r["key"]: r for r in body["rules"]}


def test_a_teacher_and_the_admin_read_every_rule_with_its_value_bounds_and_label(as_user):
    school = _school()
    for who in ("teacher1", "admin", "organizer", "reviewer"):
        r = as_user(who).get(URL, headers=EN)
        assert r.status_code == 200, (who, r.get_json())
        body = r.get_json()
        assert body["school"] == school.code
        assert [row["key"] for row in body["rules"]] == list(SCHOOL_RULES)
        rules = _by_key(body)
        assert {k: row["value"] for k, row in rules.items()} == {k: school.rule(k) for k in SCHOOL_RULES}
    district = as_user("district").get(URL, headers={"X-School": school.code})  # who sets its floors reads them
    assert district.status_code == 200 and _by_key(district.get_json()).keys() == rules.keys()
    hours = rules["required_hours"]
    assert (hours["type"], hours["minimum"], hours["maximum"], hours["step"]) == ("number", 0, 999.5, 0.5)
    assert hours["label"] == "Required hours per school year" and hours["label_zh"] == "每学年应修学时"
    switch = rules["quotas_decide"]
    assert switch["type"] == "boolean" and isinstance(switch["value"], bool)
    assert not {"minimum", "maximum", "step", "district"} & set(switch)
    quiet = rules["quiet_hours_start"]
    assert (quiet["type"], quiet["minimum"], quiet["maximum"], quiet["step"]) == ("integer", 0, 23, 1)
    # the demo district asks at least 10000 characters of reading notes: the least the school may set
    notes = rules["reading_notes_chars"]
    assert notes["district"] == 10000 and notes["minimum"] == 10000 and notes["value"] >= 10000
    assert "district" not in rules["paper_chars"] and rules["paper_chars"]["minimum"] == 0


def test_labels_in_the_language_asked_for(as_user):
    zh = _by_key(as_user("teacher1").get(URL, headers=ZH).get_json())
    en = _by_key(as_user("teacher1").get(URL, headers=EN).get_json())
    for key, spec in SCHOOL_RULES.items():
        assert spec.label is not None
        assert (zh[key]["label"], en[key]["label"]) == (spec.label.zh, spec.label.en)
        assert CJK.search(zh[key]["label"]) and not CJK.search(en[key]["label"])


def test_the_admin_changes_only_the_rules_sent(as_user):
    before_rules = {k: _school().rule(k) for k in SCHOOL_RULES}
    _, logged = _state()
    sent = {"required_hours": 61.5, "papers_per_year": 3, "quotas_decide": not before_rules["quotas_decide"],
            "reading_notes_chars": 12000.0}  # a whole number written with a fraction is one
    r = as_user("admin").put(URL, json=sent, headers=EN)
    assert r.status_code == 200, r.get_json()
    school = _school()
    after = {k: school.rule(k) for k in SCHOOL_RULES}
    assert {k: after[k] for k in sent} == {**sent, "reading_notes_chars": 12000}
    assert {k: v for k, v in after.items() if k not in sent} == {k: v for k, v in before_rules.items() if k not in sent}
    assert {k: row["value"] for k, row in _by_key(r.get_json()).items()} == after
    assert _state()[1] == logged + len(sent)  # one audit line per rule changed, as the page writes
    whole = as_user("admin").put(URL, json={"required_hours": 62.0}).get_json()
    assert _by_key(whole)["required_hours"]["value"] == 62 and _school().rules["required_hours"] == 62
    assert as_user("admin").put(URL, json={}).status_code == 200  # nothing sent: nothing changes
    assert {k: _school().rule(k) for k in SCHOOL_RULES} == {**after, "required_hours": 62}


@pytest.mark.parametrize("who", ["teacher1", "organizer", "reviewer", "district"])
def test_only_the_school_admin_may_change_them(as_user, who):
    before = _state()
    here = {"X-School": _school().code, **EN}  # the district admin names the school
    for body in ({"required_hours": 80}, {"required_hours": "not even valid"}):  # refused before the body is read
        r = as_user(who).put(URL, json=body, headers=here)
        assert r.status_code == 403, r.get_json()
        assert r.get_json()["error"] == "forbidden" and "school admin" in r.get_json()["message"]
    assert _state() == before


def test_another_schools_admin_cannot_reach_this_school(client, as_user):
    demo = _school()
    f.person(f.school("OTHER1", types=()), "other-admin", "school_admin")
    db.session.commit()
    before = _state()
    other = login(client, "other-admin", f.PASSWORD)
    r = other.put(URL, json={"required_hours": 80}, headers={"X-School": demo.code, **EN})
    assert r.status_code == 404, r.get_json()  # another school is "not found", as everywhere in the API
    assert other.get(URL, headers={"X-School": demo.code}).status_code == 404
    own = other.put(URL, json={"required_hours": 80})  # their own school's rules: theirs to change
    assert own.status_code == 200 and own.get_json()["school"] == "OTHER1"
    assert _state() == before


ASKS_NOTHING = ("must be at least 0.5 hours, unless the writing quotas decide the year and ask for some writing: "
                "a year must ask something of its teachers")
BAD = [
    ({"required_hours": "60"}, {"required_hours": "must be a number"}),
    ({"required_hours": None}, {"required_hours": "must be a number"}),
    ({"quotas_decide": None}, {"quotas_decide": "must be true or false"}),
    ({"quotas_decide": 1}, {"quotas_decide": "must be true or false"}),
    ({"papers_per_year": True}, {"papers_per_year": "must be an integer"}),
    ({"papers_per_year": 2.5}, {"papers_per_year": "must be an integer"}),
    ({"papers_per_year": 21}, {"papers_per_year": "must be at most 20"}),
    ({"quiet_hours_start": 24}, {"quiet_hours_start": "must be at most 23"}),
    ({"required_hours": -1}, {"required_hours": "must be at least 0"}),
    ({"required_hours": 1000}, {"required_hours": "must be at most 999.5"}),  # the most of any hours
    ({"required_hours": 0.3}, {"required_hours": "must be a multiple of 0.5"}),
    ({"absence_limit_hours": 10.25}, {"absence_limit_hours": "must be a multiple of 0.5"}),
    ({"reading_notes_chars": 10**30}, {"reading_notes_chars": "must be at most 1000000"}),
    ({"required_hours": 10**400}, {"required_hours": "must be a number"}),
    ({"required_hours": 70, "no_such_rule": 1}, {"no_such_rule": "unknown field"}),
    ({"required_hours": 70, "reading_notes_chars": 5000},
     {"reading_notes_chars": "the district requires at least 10000; a school may raise it, not lower it"}),
    ({"absence_warning_hours": 100},
     {"absence_warning_hours": re.compile(r"must be below the absence at which the year is not recognised "
                                          r"\(\d+ hours\), or 0 for no warning")}),
    (["required_hours"], {"body": "must be an object"}),
    # a year must ask something (``models.school.asks_nothing``): the demo's quotas do not decide its years
    ({"required_hours": 0}, {"required_hours": ASKS_NOTHING}),
    ({"required_hours": 0, "quotas_decide": True, "reflections_per_semester": 0, "books_per_semester": 0,
      "papers_per_year": 0, "reading_notes_per_month": 0, "reading_notes_chars": 0},
     {"reading_notes_chars": "the district requires at least 10000; a school may raise it, not lower it"}),
]


@pytest.mark.parametrize(("body", "fields"), BAD, ids=[str(i) for i in range(len(BAD))])
def test_a_bad_body_is_refused_and_changes_nothing(as_user, body, fields):
    before = _state()
    r = as_user("admin").put(URL, json=body, headers=EN)
    assert r.status_code == 422, r.get_json()
    got = r.get_json()["fields"]
    assert r.get_json()["error"] == "invalid" and set(got) == set(fields), got
    for key, expected in fields.items():
        assert expected.fullmatch(got[key]) if isinstance(expected, re.Pattern) else got[key] == expected, got
    assert _state() == before
    zh = as_user("admin").put(URL, json=body, headers=ZH)
    assert zh.status_code == 422 and set(zh.get_json()["fields"]) == set(fields)
    assert all(CJK.search(m) for m in [zh.get_json()["message"], *zh.get_json()["fields"].values()])
    assert _state() == before


def test_no_hours_only_where_the_writing_decides_the_year(as_user):
    """0 hours with no district minimum: every teacher would be "met" for nothing, unless the
    writing quotas decide the year (and the district's 10000 characters of notes ask some)."""
    admin = as_user("admin")
    r = admin.put(URL, json={"required_hours": 0, "quotas_decide": True}, headers=EN)
    assert r.status_code == 200, r.get_json()
    assert _school().rule("required_hours") == 0
    before = _state()
    for body in ({"quotas_decide": False}, {"required_hours": 0, "quotas_decide": False}):
        r = admin.put(URL, json=body, headers=EN)
        assert r.status_code == 422 and r.get_json()["fields"] == {"required_hours": ASKS_NOTHING}, r.get_json()
        assert _state() == before
    assert admin.put(URL, json={"required_hours": 0.5, "quotas_decide": False}, headers=EN).status_code == 200


def test_a_rule_of_no_hours_stored_before_reads_as_half_an_hour(as_user):
    """A database holding 0 hours and quotas that do not decide (saved before the rule): read as
    0.5, so nobody is "met" for nothing; a save of another rule leaves it, the page shows 0.5."""
    school = _school()
    school.rules = {**(school.rules or {}), "required_hours": 0, "quotas_decide": False}
    db.session.commit()
    assert _school().rule("required_hours") == 0.5
    assert _by_key(as_user("admin").get(URL, headers=EN).get_json())["required_hours"]["value"] == 0.5
    assert as_user("admin").put(URL, json={"papers_per_year": 2}, headers=EN).status_code == 200
    school = _school()
    school.rules = {**(school.rules or {}), "quotas_decide": True}
    db.session.commit()
    assert _school().rule("required_hours") == 0  # the writing decides: 0 is the school's to choose


def test_numbers_too_large_for_a_float_are_refused(as_user):
    before = _state()
    r = as_user("admin").put(URL, data=b'{"required_hours": 1e400}', content_type="application/json")
    assert r.status_code == 422 and "required_hours" in r.get_json()["fields"]
    assert _state() == before


def test_the_document_declares_each_rule_as_its_declaration_says(as_user):
    doc = as_user("admin").get("/api/v1/openapi.json").get_json()
    body = doc["components"]["schemas"]["SchoolRulesUpdate"]
    assert body["additionalProperties"] is False and set(body["properties"]) == set(SCHOOL_RULES)
    for key, spec in SCHOOL_RULES.items():
        prop = body["properties"][key]
        if not spec.is_number:
            assert prop["type"] == "boolean"
            continue
        assert (prop["minimum"], prop["maximum"]) == spec.bounds
        assert prop["type"] == ("integer" if spec.integer else "number")
        assert prop.get("multipleOf") == (0.5 if key in HOUR_RULES else None)
    op = doc["paths"][URL]["put"]
    fields = {rule["field"] for rule in op["x-data-rules"]}
    assert {"required_hours", "reading_notes_chars", "absence_limit_hours", "absence_warning_hours"} <= fields
    assert set(op["responses"]) >= {"200", "403", "422"}
    assert doc["paths"][URL]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SchoolRules"}
