"""The demo shows the review queue's section of a school year closed to credits: a talk of the
year before the last approved and never credited, listed apart with why, and one held and
never reviewed, whose card says approving it posts no hours. Both dated in their own year, the
dating rule untouched (a new one of that year is still refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import policy
from portal.demo_year import CLOSED_YEAR, closed_year_title
from portal.errors import Invalid
from portal.extensions import db
from portal.models import Activity, Evidence, School, User
from portal.services import activities
from portal.services.activities import school_year_now
from portal.timeutil import school_year_after, utcnow


def _closed(site) -> list[Activity]:
    """The demo's talks of :data:`CLOSED_YEAR`, in its order (approved, held)."""
    with site.app_context():
        titles = [closed_year_title(subject) for _p, subject, _d in CLOSED_YEAR]
        rows = {a.title: a for a in db.session.execute(select(Activity).where(Activity.title.in_(titles))).scalars()}
        db.session.expunge_all()
    return [rows[t] for t in titles]


def test_the_demos_reviewer_sees_the_closed_year_section_and_the_held_cards_note(site, as_user):
    acts = _closed(site)
    assert len(acts) == len(CLOSED_YEAR) == 2
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        this_year = school_year_now(school)
        year = school_year_after(policy.first_year_to_date(this_year), -1)
        # dated in their own year, their evidence with them
        for act in acts:
            assert act.school_year == year and not policy.may_date_in_year(act.school_year, this_year)
            stamps = db.session.execute(select(Evidence.uploaded_at).where(Evidence.activity_id == act.id)).scalars()
            assert all(act.starts_at - timedelta(days=60) < at < act.ends_at + timedelta(days=1) for at in stamps)
    approved, waiting = acts
    said = year.replace("-", "—")
    page = as_user("reviewer").get("/review?lang=zh").get_data(as_text=True)
    assert 'data-testid="closed-table"' in page
    row = page.split(f'data-testid="closed-{approved.id}"', 1)[1].split("</tr>", 1)[0]
    assert approved.title in row and f"{said}学年已结束" in row
    assert f'data-testid="reviewed-{approved.id}"' not in page
    note = page.split(f'data-testid="closed-year-{waiting.id}"', 1)[1].split("</p>", 1)[0]
    assert f"{said}学年已结束" in note
    en = as_user("reviewer").get("/review?lang=en").get_data(as_text=True)
    note = en.split(f'data-testid="closed-year-{waiting.id}"', 1)[1].split("</p>", 1)[0]
    assert "Approving it posts no hours" in note


def test_the_dating_rule_still_refuses_that_year(site):
    acts = _closed(site)
    start = min(a.starts_at for a in acts)
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        organizer = db.session.execute(select(User).where(User.username == "organizer")).scalar_one()
        before = db.session.scalar(select(func.count(Activity.id)))
        with pytest.raises(Invalid) as refused:
            activities.plan_activity(school, organizer, "lecture", "再补一场前年的讲座", start.isoformat() + "+00:00",
                                     start.replace(hour=start.hour + 1).isoformat() + "+00:00", "1", [],
                                     {"topic": "作业设计"})
        assert refused.value.fields["starts_at"].code == "plan.year_over"
        assert db.session.scalar(select(func.count(Activity.id))) == before
        assert utcnow() > start
