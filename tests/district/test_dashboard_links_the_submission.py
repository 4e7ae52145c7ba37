"""The dashboard's row of a school links its submission of the year — also in the district a
school joined (``districts.move_school``) for the year it sent the district it left, which the
new district reads (``policy.sees_submission``) and may reopen: "not submitted" (to it, as its
exports say), and a link to the round sent to the district it left.

Walker: D2's dashboard showed S1, which joined it after D1 accepted its year, as "not submitted
yet", with no way to the accepted year D2 itself may reopen; no row of any dashboard linked its
submission. Now each row's state links its round, and D2's row of S1 the round sent to D1."""

from __future__ import annotations

from portal.extensions import db
from portal.policy import Actor
from portal.services import access, dashboard, districts, submissions
from tests.credits.helpers import login
from tests.district.conftest import YEAR


def test_the_district_a_school_joined_sees_and_opens_the_year_it_sent_before(app, world):
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    districts.move_school(world.s1, world.d2)
    db.session.commit()
    rows = {s.school.code: s for s in dashboard.dashboard(world.d2.id, YEAR).schools}
    assert rows["S1"].submission is None and rows["S1"].elsewhere.id == sub.id  # its figures are not D2's
    assert rows["T1"].submission is None and rows["T1"].elsewhere is None
    for reviewer, testid in ((world.reviewer2, "share-S1-elsewhere"), (world.reviewer1, "share-S1-link")):
        client = login(app.test_client(), reviewer)  # the new district, then the old
        page = client.get(f"/district/dashboard?year={YEAR}&lang=zh_Hans_CN").get_data(as_text=True)
        row = page.split('data-testid="share-S1"', 1)[1].split("</tr>", 1)[0]
        assert f'href="/district/submissions/{sub.id}" data-testid="{testid}"' in row, row
        assert client.get(f"/district/submissions/{sub.id}").status_code == 200, testid
        if testid.endswith("elsewhere"):
            assert "已报送原属区" in row, row  # Chinese first
    page = login(app.test_client(), world.reviewer2).get(f"/district/dashboard?year={YEAR}").get_data(as_text=True)
    t1 = page.split('data-testid="share-T1"', 1)[1].split("</tr>", 1)[0]
    assert "/district/submissions/" not in t1  # T1 sent nothing: no link
