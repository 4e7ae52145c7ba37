"""The school admin's submission page of a district that collects semesters shows each
semester's latest round: its state, the district's comment, what changed since it was sent,
its figures and history.

Audit: the page showed only semester 1's round (the first of the rounds by period). Semester 1
accepted, semester 2 sent and returned with a comment: the page still said "semester 1 ·
accepted", without the comment the district returned semester 2 with, and a change to
semester 2's figures after it was sent again was never warned of."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from portal.extensions import db
from portal.services import submissions
from tests.credits.helpers import credited, login
from tests.district.conftest import YEAR, first_accepted_second_returned, submit_semester


def _section(page: str, semester: int) -> str:
    found = re.search(rf'<div data-testid="period-{semester}">(.*?)\n</div>', page, re.S)
    assert found is not None, page
    return found.group(1)


def test_each_semester_is_shown_with_its_state_comment_and_changes(app, by_semester):
    world = by_semester
    first_accepted_second_returned(world, "请补录第二学期的签到。")
    school = login(app.test_client(), world.staff["admin"], world.s1)
    page = school.get(f"/submission?year={YEAR}").get_data(as_text=True)
    one, two = _section(page, 1), _section(page, 2)
    assert "第一学期 · " in one and 'data-testid="locked-note"' in one and "区里已审核通过本学期" in one
    assert "第二学期 · " in two and '<strong data-testid="return-comment">请补录第二学期的签到。</strong>' in two
    assert 'data-testid="figures-period-2"' in page and page.count('data-testid="frozen-table"') == 2
    # sent again, then more hours credited in semester 2: the school is told before the district
    again = submit_semester(world, 2)
    t4 = world.staff["t4"]
    credited(world.s1, world.staff, "lecture", [(t4, "attendee")], hours="2", start=datetime(2027, 5, 10, 1, 0, tzinfo=UTC),
             title="第二学期讲座")
    db.session.commit()
    assert submissions.changed_since(again) == 1
    two = _section(school.get(f"/submission?year={YEAR}").get_data(as_text=True), 2)
    assert 'data-testid="changed-since" data-teachers="1"' in two
