"""Activity-type settings have a declared JSON type and range, checked by one validator.

``ActivityType.validate_settings`` (from each type's ``declared_settings``) is what the school
admin's page and ``PUT /api/v1/activity-types/<key>`` both go through: a value that is not
finite, out of range, of the wrong JSON type, or an unknown key is refused and nothing is
stored. A value already in the database past the validator (an older range, a console) falls
back to the default, so it can break neither the activity page nor the ``credit`` trigger.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from portal.activity_types import ActivityType, Role, Setting, Text
from portal.extensions import db
from portal.hookspecs import hookimpl
from portal.models import Activity, CreditEntry, School, User
from portal.policy import SYSTEM
from portal.registry import registry
from portal.services import schools
from tests.production.helpers import login_as
from tests.support import factories as f

SHIPPED = ("lecture", "mentorship", "observation", "research", "school_visit", "reading_club", "declared")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _stored(school_id: int, key: str) -> dict:
    db.session.remove()
    row = schools.type_row(school_id, key)
    return dict(row.settings or {}) if row else {}


def _bad_json_values(spec: Setting) -> list[str]:
    """Raw JSON texts the setting must refuse."""
    if isinstance(spec.default, bool):
        return ["1", '"true"', "null", "[]"]
    lo, hi = spec.bounds
    out = ["1e400", "-1e400", "1000000", json.dumps(hi + 1), json.dumps(lo - 1), '"2"', "true", "null", "{}"]
    if spec.integer:
        out.append(json.dumps(lo + 0.5))
    if spec.hours:  # hours go by the half hour: 0.7 h is no ceiling
        out += [json.dumps(lo + 0.2), json.dumps(hi - 0.25)]
    return out


# -- the declarations ---------------------------------------------------------------------------

def test_every_setting_of_the_shipped_types_is_declared_with_a_range_and_a_chinese_label(app):
    for key in SHIPPED:
        t = registry().get(key).type
        assert set(type(t).declared_settings) == set(t.default_settings), key  # nothing left to inference
        for name, spec in t.setting_declarations().items():
            assert t.default_settings[name] == spec.default
            assert spec.label is not None and CJK.search(spec.label.zh), (key, name)
            assert t.setting_label(name) == spec.label.zh  # the page (Chinese by default) shows it
            if spec.is_number:
                lo, hi = spec.bounds
                assert math.isfinite(lo) and math.isfinite(hi) and 0 <= lo <= spec.default <= hi <= 100_000
                if name.endswith("_multiplier"):
                    assert (lo, hi) == (0, 10)
            assert spec.check(spec.default) is None
    assert registry().get("observation").type.setting_declarations()["handbook_days"].bounds == (0, 60)


def test_a_declaration_must_be_coherent():
    with pytest.raises(ValueError):
        Setting(20, 0, 10)  # default out of its own range
    with pytest.raises(ValueError):
        Setting(float("inf"))
    with pytest.raises(ValueError):
        Setting(2.5, 0, 10, integer=True)
    with pytest.raises(ValueError):
        Setting(True, 0, 1)  # only numbers have a range


class _Legacy(ActivityType):
    """A type written for contract 1.0: ``default_settings`` only, no declarations."""

    key = "legacy_settings"
    name_zh, name_en = "旧式类型", "Legacy type"
    roles = {"member": Role("成员", "Member")}
    default_settings = {"member_multiplier": 1, "goal": 5000, "strict": False, "note": "x"}
    settings_labels = {"member_multiplier": Text("成员学时倍数", "Member hours multiplier")}


class _LegacyPlugin:
    @hookimpl
    def portal_activity_types(self):
        return [_Legacy()]


def test_an_hours_setting_takes_half_hours_within_0_to_999_5():
    spec = Setting(8, 0.5, 24, Text("每天学时上限", "Most hours per day"), hours=True)
    assert spec.check(1.5) is None and spec.check(24) is None and spec.check(0.5) is None
    for bad in (0.7, 0.25, 23.9, 1e-9, 0, 24.5, "1.5", True):
        assert spec.check(bad) is not None, bad
    assert spec.check(0.7).english == "must be a number of hours from 0.5 to 24, in steps of 0.5"
    assert spec.json_schema()["multipleOf"] == 0.5
    assert "multipleOf" not in Setting(2, 0, 10).json_schema()  # a multiplier is no number of hours
    for declared in (dict(default=0.7, minimum=0, maximum=10), dict(default=1, minimum=0.2, maximum=10),
                     dict(default=1, minimum=0, maximum=1000), dict(default=1, minimum=-1, maximum=10),
                     dict(default=1, minimum=0, maximum=10, integer=True), dict(default="1")):
        with pytest.raises(ValueError):
            Setting(**declared, hours=True)  # type: ignore[arg-type]


def test_every_hours_setting_of_the_declared_type_is_declared_as_hours(app):
    specs = registry().get("declared").type.setting_declarations()
    assert specs["max_hours"].hours and specs["max_hours_per_day"].hours  # the copy read at load keeps it


def test_a_type_without_declarations_gets_a_safe_range(make_app):
    app = make_app(EXTRA_PLUGINS=[("legacy_settings", _LegacyPlugin())])
    with app.app_context():
        t = registry().get("legacy_settings").type
        specs = t.setting_declarations()
        assert specs["member_multiplier"].bounds == (0, 1000)
        assert specs["goal"].bounds == (0, 5000)  # widened to take in its own default
        assert str(specs["member_multiplier"].label) == "成员学时倍数"
        assert t.validate_settings({"member_multiplier": 1.5, "goal": 4000, "strict": True, "note": "y"}) == {}
        errors = t.validate_settings(
            {"member_multiplier": float("inf"), "goal": 1e6, "strict": 1, "note": 3, "other": 1}
        )
        assert set(errors) == {"member_multiplier", "goal", "strict", "note", "other"}
        assert errors["other"].english == "unknown setting"
        assert errors["member_multiplier"].english == "must be a number from 0 to 1000"
        assert t.settings_json_schema()["properties"]["goal"]["maximum"] == 5000


# -- the one validator, through the API and the admin page --------------------------------------

class _Staff(dict):
    """Role → user, read afresh from the session on every access (tests remove the session)."""

    def __getitem__(self, role: str) -> User:
        return db.session.get(User, dict.__getitem__(self, role))


@pytest.fixture
def school_admin(app):
    s = f.school("SB")
    people = _Staff({role: u.id for role, u in f.staff(s, "sb").items()})
    school_id = s.id
    db.session.remove()
    return school_id, people


def _token(client, username: str) -> str:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": f.PASSWORD})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["token"]


def test_api_refuses_non_finite_out_of_range_mistyped_and_unknown_settings(app, client, school_admin):
    school_id, _p = school_admin
    headers = {"Authorization": f"Bearer {_token(client, 'sbadm')}", "Content-Type": "application/json"}
    refused = 0
    for key in SHIPPED:
        t = registry().get(key).type
        before = _stored(school_id, key)
        for name, spec in t.setting_declarations().items():
            for raw in _bad_json_values(spec):
                body = f'{{"settings": {{"{name}": {raw}}}}}'
                r = client.put(f"/api/v1/activity-types/{key}", data=body, headers=headers)
                assert r.status_code == 422, (key, name, raw, r.status_code, r.get_data(as_text=True))
                fields = r.get_json()["fields"]
                assert any(k.endswith(name) for k in fields), (key, name, raw, fields)
                refused += 1
        r = client.put(f"/api/v1/activity-types/{key}", json={"settings": {"no_such_setting": 1}}, headers=headers)
        assert r.status_code == 422 and any("no_such_setting" in k for k in r.get_json()["fields"])
        assert _stored(school_id, key) == before, key  # nothing refused was stored
    assert refused > 60


def test_api_stores_values_in_range_and_reads_them_back(app, client, school_admin):
    school_id, _p = school_admin
    headers = {"Authorization": f"Bearer {_token(client, 'sbadm')}"}
    for key in SHIPPED:
        specs = registry().get(key).type.setting_declarations()
        values = {}
        for name, spec in specs.items():
            if isinstance(spec.default, bool):
                values[name] = not spec.default
            else:
                values[name] = spec.bounds[1]  # the maximum is allowed
        r = client.put(f"/api/v1/activity-types/{key}", json={"enabled": True, "settings": values}, headers=headers)
        assert r.status_code == 200, (key, r.get_json())
        assert r.get_json()["settings"] == {**registry().get(key).type.default_settings, **values}
        assert _stored(school_id, key) == values
    r = client.put(
        "/api/v1/activity-types/research", data='{"settings": {"leader_multiplier": 1.25}}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert r.status_code == 200 and r.get_json()["settings"]["leader_multiplier"] == 1.25


@pytest.mark.parametrize("typed", ["inf", "nan", "1e400", "-1e400", "1000000", "11", "-1", "abc"])
def test_admin_page_refuses_values_out_of_range_in_chinese(app, client, school_admin, typed):
    school_id, p = school_admin
    login_as(client, p["admin"], school_id)
    before = _stored(school_id, "lecture")
    r = client.post("/admin/types/lecture", data={"enabled": "y", "setting-speaker_multiplier": typed})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'data-testid="error-lecture-speaker_multiplier"' in html
    expected = "请输入数字" if typed == "abc" else "必须是 0 到 10 之间的数字"
    assert expected in html
    assert "主讲人学时倍数" in html  # the setting's Chinese label
    assert _stored(school_id, "lecture") == before


def test_admin_page_refuses_a_fraction_for_a_whole_number_and_stores_good_values(app, client, school_admin):
    school_id, p = school_admin
    login_as(client, p["admin"], school_id)
    form = {"enabled": "y", "setting-handbook_days": "2.5", "setting-lesson_teacher_multiplier": "1.5",
            "setting-speaker_multiplier": "3"}
    r = client.post("/admin/types/observation", data=form)
    assert r.status_code == 422
    assert "必须是 0 到 60 之间的整数" in r.get_data(as_text=True)
    assert "handbook_days" not in _stored(school_id, "observation")
    r = client.post("/admin/types/observation", data={**form, "setting-handbook_days": "61"})
    assert r.status_code == 422
    r = client.post("/admin/types/observation", data={**form, "setting-handbook_days": "7"})
    assert r.status_code == 302
    assert _stored(school_id, "observation") == {"handbook_days": 7, "lesson_teacher_multiplier": 1.5,
                                                 "speaker_multiplier": 3}
    r = client.post("/admin/types/observation?lang=en", data={**form, "setting-handbook_days": "61"})
    assert "must be a whole number from 0 to 60" in r.get_data(as_text=True)


def test_admin_page_and_api_refuse_a_ceiling_of_0_7_hours(app, client, school_admin):
    """The outside walk's 0.7 h ceiling: refused by the page and the API, in words, nothing stored."""
    school_id, p = school_admin
    login_as(client, p["admin"], school_id)
    form = {"enabled": "y", "setting-max_hours": "0.7", "setting-max_hours_per_day": "8"}
    r = client.post("/admin/types/declared", data=form)
    assert r.status_code == 422
    assert "须为 0.5 至 200 之间的学时数，以 0.5 学时为单位" in r.get_data(as_text=True)
    assert _stored(school_id, "declared") == {}
    r = client.post("/admin/types/declared?lang=en", data={**form, "setting-max_hours_per_day": "7.75"})
    assert "must be a number of hours from 0.5 to 24, in steps of 0.5" in r.get_data(as_text=True)
    assert _stored(school_id, "declared") == {}
    r = client.post("/admin/types/declared", data={**form, "setting-max_hours": "12.5"})
    assert r.status_code == 302 and _stored(school_id, "declared") == {"max_hours": 12.5, "max_hours_per_day": 8}
    client.get("/logout")
    headers = {"Authorization": f"Bearer {_token(client, 'sbadm')}"}
    r = client.put("/api/v1/activity-types/declared", json={"settings": {"max_hours": 0.7}}, headers=headers)
    assert r.status_code == 422 and "settings.max_hours" in r.get_json()["fields"], r.get_json()
    assert _stored(school_id, "declared") == {"max_hours": 12.5, "max_hours_per_day": 8}


# -- values stored past the validator ---------------------------------------------------------

@pytest.mark.parametrize(
    "stored_json",
    [
        '{"speaker_multiplier": 1e400}',
        '{"speaker_multiplier": 1000000}',
        '{"speaker_multiplier": -3}',
        '{"speaker_multiplier": "3"}',
        '{"speaker_multiplier": null}',
        '{"speaker_multiplier": [2]}',
    ],
)
def test_a_bad_stored_setting_falls_back_to_the_default_on_the_page_and_in_the_credit(
    app, client, school_admin, stored_json
):
    school_id, p = school_admin
    school = db.session.get(School, school_id)
    act = f.plan(school, p["organizer"], "lecture", [(p["t1"], "speaker"), (p["t2"], "attendee")],
                 {"topic": "学时倍数"}, hours="3")
    f.fire(act, p["organizer"], "hold")
    f.attend(act, p["organizer"])
    f.fire(act, p["reviewer"], "approve")
    act_id, speaker, attendee = act.id, p["t1"].id, p["t2"].id
    db.session.remove()
    # written past the validator, the way a console or an older version could
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE school_activity_type SET settings = :s WHERE school_id = :sid AND type_key = 'lecture'"),
            {"s": stored_json, "sid": school_id},
        )
    assert schools.type_settings(school_id, "lecture")["speaker_multiplier"] == 2  # the default
    login_as(client, p["organizer"], school_id)
    page = client.get(f"/activities/{act_id}")
    assert page.status_code == 200
    db.session.remove()
    f.fire(db.session.get(Activity, act_id), p["reviewer"], "credit")
    hours = dict(
        db.session.execute(
            select(CreditEntry.user_id, func.sum(CreditEntry.hours)).where(CreditEntry.activity_id == act_id)
            .group_by(CreditEntry.user_id)
        ).all()
    )
    assert {uid: Decimal(str(h)) for uid, h in hours.items()} == {speaker: Decimal("6"), attendee: Decimal("3")}
    # saving the type again drops the bad stored value instead of carrying it along
    schools.set_type(db.session.get(School, school_id), "lecture", settings={"attendee_reflection": True}, by=SYSTEM)
    assert _stored(school_id, "lecture") == {"attendee_reflection": True}


def test_settings_with_defaults_keeps_good_values_and_ignores_unknown_ones(app):
    t = registry().get("mentorship").type
    merged = t.settings_with_defaults({"min_meetings": 6, "articles_per_term": 2.5, "mentor_multiplier": float("nan"),
                                       "gone": 1})
    assert merged == {"min_meetings": 6, "logs_per_week": 1, "logs_per_month": 1, "articles_per_term": 2,
                      "mentor_articles_per_term": 2, "mentor_multiplier": 1}
    assert t.settings_with_defaults(None) == t.default_settings
