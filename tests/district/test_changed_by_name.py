"""The school's /submission page names the teachers whose figures moved since the year was sent
(what and by how much: hours and status, sent vs now), in pinyin order — not only how many."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.services import access, submissions
from tests.credits.helpers import credited, login
from tests.district.conftest import YEAR
from tests.support import factories as f


def test_the_school_page_names_who_changed_and_what(app, world):
    staff = world.staff
    sub = submissions.submit(world.s1, YEAR, by=access.actor(staff["admin"].id, world.s1.id))
    for key in ("t1", "t2"):  # a name is no figure: renamed since, the teacher is the same
        staff[key].display_name = f.TEACHER_NAMES[key]
    credited(world.s1, staff, "lecture", [(staff["t1"], "attendee"), (staff["t2"], "attendee")], hours="1.5")
    db.session.commit()
    changes = submissions.changes_since(sub)
    assert [(c.name, c.sent_hours, c.now_hours) for c in changes] == [("艾静", "4", "5.5"), ("张伟", "4", "5.5")]
    assert submissions.changed_since(sub) == 2  # the count the pages say is the list's: one rule
    client = app.test_client()
    login(client, staff["admin"])
    page = client.get(f"/submission?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="changed-since" data-teachers="2"' in page
    table = page.split('data-testid="changed-list"')[1].split("</table>")[0]
    rows = re.findall(r'data-testid="changed-(\d+)"', table)
    assert rows == [str(staff["t2"].id), str(staff["t1"].id)]  # 艾 before 张
    assert "艾静" in table and "5.5" in table and "报送时学时" in table
    status = changes[0].now_status
    assert status and changes[0].sent_status  # what the status columns show, in words
