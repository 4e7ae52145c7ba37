"""The 成长档案 the district reads (``/teachers/<id>/record?school=``) shows the teacher's
development plan against what happened, as the school's own pages do: the plan is read in the
record's school, not in the viewer's (district staff have none, so the plan was missing)."""

from __future__ import annotations

from portal.services import plans
from tests.credits.helpers import login
from tests.district.conftest import YEAR, world  # noqa: F401 (fixture)
from tests.year.helpers import actor

GOALS = "提高课堂提问的有效性，本学年读完两本专业书。"


def test_the_district_reads_the_plan_in_the_record_it_is_shown(app, world):  # noqa: F811
    s1, t1 = world.s1, world.staff["t1"]
    plans.set_deadline(s1, YEAR, "2027-08-31", by=actor(world.staff["admin"], s1))
    plans.save(s1, t1, YEAR, GOALS, by=actor(t1, s1), submit=True)
    school_admin = login(app.test_client(), world.staff["admin"], s1)
    own = school_admin.get(f"/teachers/{t1.id}/record?year={YEAR}").get_data(as_text=True)
    assert f'data-testid="record-plan-{YEAR}"' in own and GOALS in own
    for who in (world.admin1, world.reviewer1):
        page = login(app.test_client(), who).get(f"/teachers/{t1.id}/record?school={s1.code}&year={YEAR}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert f'data-testid="record-plan-{YEAR}"' in text and GOALS in text, who.username
