"""``flask demo`` shows the district level: schools at every stage, two districts."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import School, YearLock, YearSubmission
from portal.services import dashboard


def test_flask_demo_loads_a_district_with_schools_in_every_stage(app):
    r = app.test_cli_runner().invoke(args=["demo"])
    assert r.exit_code == 0, r.output
    rounds = db.session.execute(
        select(School.code, YearSubmission.status).join(School, School.id == YearSubmission.school_id)
        .order_by(YearSubmission.id)  # each round is a row: the latest says where the school stands
    ).all()
    stages = dict(rounds)
    assert stages == {"DEMO": "submitted", "EAST1": "submitted", "WEST1": "returned", "NORTH1": "accepted", "SOUTH1": "submitted"}
    assert [status for code, status in rounds if code == "NORTH1"] == ["reopened", "accepted"]
    assert db.session.execute(select(YearLock)).scalar_one().school_id == db.session.execute(
        select(School.id).where(School.code == "NORTH1")).scalar_one()
    # what issue 16's open points added: plans with activities planned from their lines, the
    # schools behind their plan, the district's quotas frozen in the submissions
    from portal.models import Activity, District, SchoolPlan
    from portal.services import school_plans
    from portal.timeutil import current_school_year

    year = current_school_year()
    plans = db.session.execute(select(SchoolPlan).join(School, School.id == SchoolPlan.school_id).where(
        SchoolPlan.school_year == year, School.code.in_(("EAST1", "WEST1", "NORTH1")))).scalars().all()
    assert {p.status for p in plans} == {"accepted"} and len(plans) == 3
    linked = db.session.execute(select(Activity.id).where(Activity.plan_line_id.is_not(None))).all()
    assert linked  # (both demo lectures may fall in last school year on the first days of September)
    district = db.session.execute(select(District).where(District.code == "DEFAULT")).scalar_one()
    assert district.settings["reading_notes_chars"] == 10000
    assert [b.school.code for b in dashboard.dashboard(district.id, year).behind]
    assert all(p.school_id for p in plans) and school_plans.activities_per_line(plans[0].id)
    sub = db.session.execute(select(YearSubmission).join(School, School.id == YearSubmission.school_id)
                             .where(School.code == "EAST1")).scalar_one()
    assert all(r["quotas"] for r in sub.rows)
    districts = dict(db.session.execute(select(School.code, School.district_id)).all())
    assert districts["SOUTH1"] != districts["DEMO"] == districts["EAST1"]
    # the second district collects semesters: its school submitted the first
    south = db.session.execute(select(YearSubmission).join(School, School.id == YearSubmission.school_id)
                               .where(School.code == "SOUTH1")).scalar_one()
    assert south.semester == 1 and db.session.get(District, districts["SOUTH1"]).setting("submission_period") == "semester"
    # the district chart's hours by type (the schools' kept type totals) show in every district
    for district_id, year in db.session.execute(
        select(School.district_id, YearSubmission.school_year).join(School, School.id == YearSubmission.school_id)
        .distinct()
    ).all():
        assert dashboard.dashboard(district_id, year).hours_by_type, (district_id, year)
    # a teacher of EAST1 moved to WEST1 by the district admin (demo_district.MOVED): both staff logs say so
    from portal.demo_district import MOVED
    from portal.models import Membership, StaffChange, User

    mover = db.session.execute(select(User.id).where(User.username == MOVED[0])).scalar_one()
    held = dict(db.session.execute(select(School.code, Membership.active).join(
        School, School.id == Membership.school_id).where(Membership.user_id == mover, Membership.role == "teacher")).all())
    assert held == {"EAST1": False, "WEST1": True}
    logged = db.session.execute(select(School.code, StaffChange.changed_by).join(
        School, School.id == StaffChange.school_id).where(StaffChange.user_id == mover, StaffChange.what == "roles")).all()
    assert {code for code, by in logged if by is not None} == {"EAST1", "WEST1"}
    # their home at WEST1 points to the hours EAST1 credited them this year, as EAST1's (credits.earlier_schools)
    from tests.credits.helpers import login

    east, west = (db.session.execute(select(School).where(School.code == code)).scalar_one() for code in ("EAST1", "WEST1"))
    home = login(app.test_client(), db.session.get(User, mover), west).get("/?lang=zh_Hans_CN").get_data(as_text=True)
    card = home.split('data-testid="earlier-schools"', 1)[-1].split("</section>", 1)[0]
    assert east.name in card and "已认定" in card and "已认定 0 学时" not in card, card
    # the talk they organised at EAST1, days ahead, stays there for its admin to hand over: what
    # the move's confirmation lists ("to hand over"), and what EAST1's admin is told
    from portal.demo_district import SCHOOLS
    from portal.services import handover

    east1 = db.session.execute(select(School.id).where(School.code == "EAST1")).scalar_one()
    left = handover.organised_open(east1, mover)
    assert [a.state for a in left] == ["planned"] and "作业设计研讨" in left[0].title
    assert handover.who_hands_over(east1) == [SCHOOLS[0][3][0]]
    assert handover.left_behind(east1, mover, []) == 1
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0  # idempotent
