"""A teacher who joins a school after the district accepted its year: the accepted year keeps
the teachers it was accepted with, so the newcomer is none of them. Their home showed that year
at 0 h, "50 hours to go", with an outlook and quotas behind schedule for a year that takes no
more hours. Home, 成长档案 and API now say alike that the year was accepted before they joined
and assess nothing (and no 学时证明 of it is printed); a teacher of the accepted year sees it as before; reopened, the year is the
newcomer's too."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.policy import Actor
from portal.services import access, credits, submissions, tokens
from portal.timeutil import current_school_year
from tests.credits.helpers import login
from tests.district.conftest import YEAR
from tests.support import factories as f


@pytest.fixture
def accepted(world):
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    newbie = f.person(world.s1, "newbie", "teacher", name="新来")
    db.session.commit()
    return sub, newbie


def _api(app, user, path: str) -> dict:
    r = app.test_client().get(path, headers={"Authorization": f"Bearer {tokens.issue(user).token}",
                                             "X-School": "S1", "Accept-Language": "en"})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_newcomer_is_told_the_year_was_accepted_before_they_joined(app, world, accepted):
    sub, newbie = accepted
    t1 = world.staff["t1"]
    assert "newbie" not in {row["username"] for row in sub.rows}
    assert credits.teacher_year(newbie, world.s1, YEAR).joined_after_acceptance
    assert not credits.teacher_year(t1, world.s1, YEAR).joined_after_acceptance

    client = login(app.test_client(), newbie, world.s1)
    client.get("/lang/en")
    home = client.get(f"/?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="joined-after-acceptance"' in home and "before you joined" in home
    for gone in ('data-testid="hours-total"', 'data-testid="forecast"', "hours to go", 'data-testid="quotas"'):
        assert gone not in home, gone

    record = client.get(f"/teachers/{newbie.id}/record").get_data(as_text=True)
    if current_school_year() == YEAR:  # the record lists the current year (and years with entries)
        assert f'data-testid="record-not-assessed-{YEAR}"' in record
        assert 'data-testid="record-pdf"' not in record  # no 学时证明 of a year that was not theirs
    pdf = client.get(f"/teachers/{newbie.id}/record.pdf?year={YEAR}")
    assert pdf.status_code == 409 and pdf.mimetype == "text/html"  # refused (year.joined_after_acceptance)
    assert "before this teacher joined the school" in pdf.get_data(as_text=True)  # the refusal says why

    mine = _api(app, newbie, f"/api/v1/users/{newbie.id}/credits?year={YEAR}")
    assert (mine["joined_after_acceptance"], mine["status"], mine["total_hours"]) == (True, None, 0)

    # a teacher the year was accepted with: as before, on every view
    theirs = _api(app, t1, f"/api/v1/users/{t1.id}/credits?year={YEAR}")
    assert (theirs["joined_after_acceptance"], theirs["status"]) == (False, "short")
    t1_home = login(app.test_client(), t1, world.s1).get(f"/?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="hours-total"' in t1_home and 'data-testid="joined-after-acceptance"' not in t1_home


def test_the_next_year_and_a_reopened_year_are_the_newcomers_own(app, world, accepted):
    sub, newbie = accepted
    following = f"{int(YEAR[:4]) + 1}-{int(YEAR[:4]) + 2}"
    assert not credits.teacher_year(newbie, world.s1, following).joined_after_acceptance
    submissions.reopen(sub.id, "更正请假记录", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    db.session.commit()
    assert not credits.teacher_year(newbie, world.s1, YEAR).joined_after_acceptance
    mine = _api(app, newbie, f"/api/v1/users/{newbie.id}/credits?year={YEAR}")
    # reopened, the year is under way again: short so far reads in progress (closed, t1's read short above)
    assert (mine["joined_after_acceptance"], mine["status"]) == (False, "in_progress")


def test_the_writing_page_offers_no_form_for_an_accepted_year_and_tells_the_newcomer(app, world, accepted,
                                                                                     monkeypatch):
    """Writing is filed under the year under way: once the district accepted it the page offers
    no form (adding was refused with year.locked after typing the piece), and a newcomer reads
    why the year's quotas are not theirs instead of quotas behind schedule."""
    from datetime import datetime

    from portal.services import writing

    sub, newbie = accepted
    monkeypatch.setattr(writing, "utcnow", lambda: datetime(2026, 12, 1, 2, 0))  # inside YEAR
    newcomer = login(app.test_client(), newbie, world.s1)
    page = newcomer.get(f"/writing?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="writing-closed"' in page and 'data-testid="writing-form"' not in page
    assert 'data-testid="joined-after-acceptance"' in page and "您加入本校之前" in page
    t1_page = login(app.test_client(), world.staff["t1"], world.s1).get(f"/writing?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="writing-closed"' in t1_page and 'data-testid="joined-after-acceptance"' not in t1_page

    submissions.reopen(sub.id, "更正请假记录", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    db.session.commit()
    page = newcomer.get(f"/writing?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="writing-form"' in page and 'data-testid="writing-closed"' not in page
    assert 'data-testid="joined-after-acceptance"' not in page
