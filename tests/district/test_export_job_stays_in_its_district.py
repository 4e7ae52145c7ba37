"""A district export queued as a job is fetched only by its asker while they work for the district
it was made for: one whose seat moved to another district (the operator gave them a seat there)
no longer opens a file of the district they left — its schools' figures are not theirs now.
Before, the job was tied to its asker and their district roles, not to the district."""

from __future__ import annotations

from sqlalchemy import update

from portal.extensions import db
from portal.models import Membership
from portal.services import tokens
from tests.credits.helpers import login
from tests.district.conftest import YEAR


def test_a_district_export_is_not_opened_from_another_district(app, world):
    page = login(app.test_client(), world.admin1)
    r = page.post("/district/export-job", data={"year": YEAR, "ledger": "1"})
    assert r.status_code == 302
    job = r.headers["Location"]
    assert page.get(job).status_code == 200 and page.get(f"{job}.json").status_code == 200
    db.session.execute(update(Membership).where(Membership.user_id == world.admin1.id, Membership.school_id.is_(None))
                       .values(district_id=world.d2.id))  # the same person, now D2's district admin
    db.session.commit()
    for url in (job, f"{job}.json", f"{job}/file"):
        assert page.get(url).status_code == 404, url
    api = {"Authorization": f"Bearer {tokens.issue(world.admin1).token}"}
    job_id = job.rsplit("/", 1)[1]
    for url in (f"/api/v1/exports/{job_id}", f"/api/v1/exports/{job_id}/file"):
        assert app.test_client().get(url, headers=api).status_code == 404, url
