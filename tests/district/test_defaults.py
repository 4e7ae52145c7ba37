"""District defaults: schools may be stricter, never more lenient; the district admin creates
schools with their admins and enables types district-wide."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.errors import Forbidden, Invalid
from portal.extensions import db
from portal.models import School, SchoolActivityType, StaffChange
from portal.policy import SYSTEM, Actor
from portal.services import credits, districts, schools
from tests.credits.helpers import login
from tests.district.conftest import YEAR
from tests.support import factories as f


def _dadmin(world) -> Actor:
    return Actor.of(world.admin1.id, ["district_admin"])


def test_a_school_may_raise_the_district_minimum_but_not_lower_it(world):
    districts.update_settings(world.d1, {"required_hours": 60, "absence_limit_hours": 4}, by=_dadmin(world))
    assert world.s1.rule("required_hours") == 60 and world.s1.rule("absence_limit_hours") == 4
    assert credits.teacher_year(world.staff["t1"], world.s1, YEAR).facts.required_hours == 60
    with pytest.raises(Invalid) as info:
        schools.update_rules(world.s1, {"required_hours": 50}, by=SYSTEM)
    assert info.value.fields["required_hours"].code == "rules.below_district"
    with pytest.raises(Invalid) as info:
        schools.update_rules(world.s1, {"absence_limit_hours": 6}, by=SYSTEM)
    assert info.value.fields["absence_limit_hours"].code == "rules.above_district"
    schools.update_rules(world.s1, {"required_hours": 72, "absence_limit_hours": 3, "absence_warning_hours": 2},
                         by=SYSTEM)  # the warning comes before the limit
    assert world.s1.rule("required_hours") == 72 and world.s1.rule("absence_limit_hours") == 3
    # a school's older, looser rule never undercuts a district minimum set later
    districts.update_settings(world.d1, {"required_hours": 80}, by=_dadmin(world))
    assert world.s1.rule("required_hours") == 80
    assert world.t1.rule("required_hours") == 60  # another district: its own minimum (60, as some seeds)


def test_negative_zero_hours_rules_are_zero_hours(app, world):
    """-0.0 (JSON allows it) passes "at least 0" but is no figure to show: the teacher's home,
    the API and the printed record say 0 hours, never -0."""
    districts.update_settings(world.d1, {"required_hours": -0.0, "absence_limit_hours": -0.0}, by=_dadmin(world))
    assert [str(world.d1.setting(k)) for k in ("required_hours", "absence_limit_hours")] == ["0.0", "0.0"]
    # no hours asked is a school whose writing decides the year (``models.school.asks_nothing``)
    schools.update_rules(world.s2, {"required_hours": -0.0, "absence_warning_hours": -0.0, "quotas_decide": True,
                                    "papers_per_year": 1}, by=SYSTEM)
    teacher = f.person(world.s2, "s2.t1", "teacher")
    facts = credits.teacher_year(teacher, world.s2, YEAR).facts
    assert (str(facts.required_hours), str(facts.absence_warning_hours)) == ("0.0", "0.0")
    home = login(app.test_client(), teacher, world.s2).get(f"/?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="hours-required">0</span>' in home


def test_the_rules_page_refuses_a_lower_value_with_a_clear_message(app, world):
    districts.update_settings(world.d1, {"required_hours": 60}, by=_dadmin(world))
    client = login(app.test_client(), world.staff["admin"], world.s1)
    r = client.post("/admin/rules", data={"required_hours": "50", "absence_limit_hours": "5"})
    assert r.status_code == 422 and "60" in r.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(School, world.s1.id).rule("required_hours") == 60


def test_bad_district_settings_are_refused_and_change_nothing(world):
    for bad in ({"required_hours": -1}, {"required_hours": 50.3}, {"submission_period": "month"},
                {"plan_deadline": "13-01"}, {"colour": "red"}, {"required_hours": float("nan")}):
        with pytest.raises(Invalid):
            districts.update_settings(world.d1, bad, by=_dadmin(world))
    with pytest.raises(Invalid):
        districts.update_settings(world.d1, ["x"], by=_dadmin(world))
    with pytest.raises(Forbidden):
        districts.update_settings(world.d1, {"required_hours": 60}, by=Actor.of(world.reviewer1.id, ["district_reviewer"]))
    db.session.expire_all()
    assert world.d1.settings == {}


def test_the_district_admin_creates_a_school_with_its_admin_and_enables_types(app, world):
    districts.enable_type(world.d1, "research", True, by=_dadmin(world))
    school, admin = districts.create_school_with_admin(world.d1, "S9", "新建学校", "s9.admin", "新校长",
                                                       "a-good-password-9", by=_dadmin(world))
    assert school.district_id == world.d1.id
    enabled = set(db.session.execute(select(SchoolActivityType.type_key).where(
        SchoolActivityType.school_id == school.id, SchoolActivityType.enabled.is_(True))).scalars())
    assert enabled == {"research"}
    # the school's first admin is in its staff log, given by the district admin
    log = db.session.execute(select(StaffChange).where(StaffChange.school_id == school.id)).scalars().all()
    assert [(e.user_id, e.before, e.after, e.changed_by) for e in log] == [
        (admin.id, [], ["school_admin", "teacher"], world.admin1.id)]
    with pytest.raises(Invalid):  # a bad admin: no school either
        districts.create_school_with_admin(world.d1, "S10", "又一所", "bad name!", "", "x", by=_dadmin(world))
    assert db.session.execute(select(School.id).where(School.code == "S10")).first() is None
    client = login(app.test_client(), world.admin1)
    assert client.get("/district/settings").status_code == 200
    r = client.post("/district/settings", data={"form": "defaults", "required_hours": "lots",
                                                 "absence_limit_hours": "", "submission_period": "year",
                                                 "plan_deadline": "06-30"})
    assert r.status_code == 422
    reviewer = login(app.test_client(), world.reviewer1)
    assert reviewer.get("/district/settings").status_code == 403


def test_district_defaults_and_schools_through_the_api(app, world):
    from portal.services import tokens

    client = app.test_client()
    head = {"Authorization": f"Bearer {tokens.issue(world.admin1).token}"}
    r = client.put("/api/v1/district/settings", json={"required_hours": 60}, headers=head)
    assert r.status_code == 200 and r.get_json()["settings"]["required_hours"] == 60
    assert client.put("/api/v1/district/settings", json={"required_hours": "x"}, headers=head).status_code == 422
    r = client.put("/api/v1/district/activity-types/lecture", json={"enabled": True}, headers=head)
    assert r.get_json()["settings"]["enabled_types"] == ["lecture"]
    r = client.post("/api/v1/district/schools", json={"code": "S7", "name": "七中", "admin_username": "s7.adm",
                                                       "admin_password": "a-good-password-7"}, headers=head)
    assert r.status_code == 201
    admin = {"Authorization": f"Bearer {tokens.issue(world.staff['admin']).token}", "X-School": "S1"}
    rev = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    assert client.put("/api/v1/district/settings", json={"required_hours": 70}, headers=rev).status_code == 403
    r = client.put("/api/v1/district/settings", json={"required_hours": 60}, headers=admin)
    assert r.status_code == 403  # a school admin holds no district role


def test_the_stored_years_follow_a_new_district_minimum_at_once(world):
    """The district's figures read the teacher-year rows: tightening the district's absence
    limit recomputes them in the same transaction (as a school's own rule change does), and they
    are the rows a rebuild gives."""
    from portal.models import TeacherYearRow
    from portal.services import teacher_years
    from tests.credits.helpers import credited

    t4 = world.staff["t4"]
    credited(world.s1, world.staff, "lecture", [(t4, "attendee")], hours="3", attended={t4.id: "0"},
             absent={t4.id: "3"}, title="缺席的讲座")  # 3 h unexcused: under the default limit of 5

    def status() -> str:
        db.session.expire_all()
        return db.session.execute(select(TeacherYearRow.status).where(
            TeacherYearRow.user_id == t4.id, TeacherYearRow.school_year == YEAR)).scalar_one()

    assert status() != "not_recognised"
    districts.update_settings(world.d1, {"absence_limit_hours": 3}, by=_dadmin(world))
    assert status() == "not_recognised"  # at once, not at the next change in the school
    maintained = teacher_years.stored(YEAR)
    teacher_years.rebuild([YEAR])
    db.session.commit()
    assert teacher_years.stored(YEAR) == maintained


def test_a_school_moved_to_another_district_is_judged_by_its_rules_everywhere(world):
    """``move_school`` gave the school the new district's rules but left its stored teacher-year
    rows as they were: the district's counts (stored) said t1 short of the old 50 h while the
    school's summary judged the same 4 h by the new district's 4 h and said met."""
    from portal.services import teacher_years

    d3 = districts.create_district("D3", "第三区", {"required_hours": 4})
    districts.move_school(world.s1, d3)
    db.session.commit()
    summary = {ty.user.id: ty.assessment.status for ty in credits.school_summary(world.s1, YEAR)}
    stored = {r[2]: r[8] for r in teacher_years.stored(YEAR) if r[0] == world.s1.id}
    assert summary[world.staff["t1"].id] == "met" and stored == summary
