"""``flask demo`` shows the district level: schools at every stage, two districts."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import School, YearLock, YearSubmission
from portal.services import dashboard


def test_flask_demo_loads_a_district_with_schools_in_every_stage(app):
    r = app.test_cli_runner().invoke(args=["demo"])
    assert r.exit_code == 0, r.output
    stages = dict(db.session.execute(
        select(School.code, YearSubmission.status).join(School, School.id == YearSubmission.school_id)
    ).all())
    assert stages == {"DEMO": "submitted", "EAST1": "submitted", "WEST1": "returned", "NORTH1": "accepted", "SOUTH1": "submitted"}
    assert db.session.execute(select(YearLock)).scalar_one().school_id == db.session.execute(
        select(School.id).where(School.code == "NORTH1")).scalar_one()
    districts = dict(db.session.execute(select(School.code, School.district_id)).all())
    assert districts["SOUTH1"] != districts["DEMO"] == districts["EAST1"]
    # the district chart's hours by type (the schools' kept type totals) show in every district
    for district_id, year in db.session.execute(
        select(School.district_id, YearSubmission.school_year).join(School, School.id == YearSubmission.school_id)
        .distinct()
    ).all():
        assert dashboard.dashboard(district_id, year).hours_by_type, (district_id, year)
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0  # idempotent
