"""A school that leaves its district (``districts.move_school``, the operator's decision) after
the district accepted (and locked) its year: the year the district reviewed stays in that
district's figures of the year — its dashboard and its export of the submitted figures — as it
was accepted, and the district the school joins reads the year as locked, as it is (the school
cannot send it again)."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from portal.errors import Conflict, Forbidden
from portal.extensions import db
from portal.policy import Actor
from portal.services import access, dashboard, districts, submissions
from tests.credits.helpers import login
from tests.district.conftest import YEAR


@pytest.fixture
def moved(world):
    """S1's year accepted by D1; then S1 moves to D2 (T1's district)."""
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    districts.move_school(world.s1, world.d2)
    db.session.commit()
    return sub


def _csv(client, year: str = YEAR) -> list[list[str]]:
    r = client.get(f"/district/submitted.csv?year={year}")
    assert r.status_code == 200
    return list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_district_keeps_the_year_it_accepted_of_a_school_that_left(app, world, moved):
    d = dashboard.dashboard(world.d1.id, YEAR)
    assert {s.school.code: s.submission and s.submission.status for s in d.schools} == {
        "S1": "accepted", "S2": None}
    assert d.by_status["accepted"] == 1 and d.by_status["none"] == 1  # S2 sent nothing
    assert dict(d.hours_by_type) == {"lecture": 8}  # the hours of the schools it shows: S1's accepted year
    client = login(app.test_client(), world.reviewer1)
    page = client.get(f"/district/dashboard?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="share-S1"' in page and 'data-testid="bar-S1"' in page
    rows = _csv(client)
    s1 = [row for row in rows[1:] if row[0] == "S1"]
    assert [row[5] for row in s1] == [r["username"] for r in moved.rows] and s1  # every teacher as accepted
    assert {(row[3], row[4]) for row in s1} == {("已通过，已锁定", "是")}
    wb = load_workbook(io.BytesIO(client.get(f"/district/submitted.xlsx?year={YEAR}").data))
    assert wb.sheetnames[1:] == ["S1"]
    summary = {row[0]: row for row in list(wb.worksheets[0].iter_rows(values_only=True))[1:]}
    assert set(summary) == {"S1", "S2"} and summary["S1"][4:6] == ("已通过，已锁定", "是")
    assert summary["S1"][12] == moved.total_hours
    # a year it sent nothing for is not the old district's
    assert [row for row in _csv(client, "2027-2028")[1:] if row[0] == "S1"] == []


def test_the_district_it_joined_reads_the_year_as_locked(app, world, moved):
    with pytest.raises(Conflict) as refused:
        submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    assert refused.value.msg.code == "submission.already_accepted"
    db.session.rollback()
    wb = load_workbook(io.BytesIO(login(app.test_client(), world.reviewer2).get(
        f"/district/submitted.xlsx?year={YEAR}").data))
    summary = {row[0]: row for row in list(wb.worksheets[0].iter_rows(values_only=True))[1:]}
    assert summary["S1"][4:6] == ("未报送", "是")  # not sent to D2, and locked all the same
    assert summary["T1"][4:6] == ("未报送", "否")


def _state(sub_id: int) -> tuple:
    """The submission's status, its events and the year's locks: what a refused decision leaves as it was."""
    from sqlalchemy import func, select

    from portal.models import SubmissionEvent, YearLock, YearSubmission
    sub = db.session.get_one(YearSubmission, sub_id)
    db.session.refresh(sub)
    return (sub.status, sub.decided_by,
            db.session.scalar(select(func.count()).select_from(SubmissionEvent)),
            db.session.scalar(select(func.count()).select_from(YearLock)))


def _bearer(user) -> dict[str, str]:
    from tests.district.test_pages_and_api import _bearer as bearer
    return bearer(user)


def test_the_old_district_no_longer_decides_the_year_of_a_school_that_left(app, world):
    """S1 sends its year to D1 and is in D2 while it waits: D1's reviewer may not accept (nor
    return) it — on the service, the page or the API — and nothing changes. ``move_school``
    refuses to move a school whose year waits (below); the school's row is moved here as a move
    racing the send would leave it."""
    from sqlalchemy import update

    from portal.models import School

    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()
    db.session.execute(update(School).where(School.id == world.s1.id)
                       .values(district_id=world.d2.id, data_version=School.data_version + 1))
    db.session.commit()
    before = _state(sub.id)
    reviewer = Actor.of(world.reviewer1.id, ["district_reviewer"])
    for accept in (True, False):
        with pytest.raises(Forbidden) as refused:
            submissions.decide(sub.id, accept, "请核对", by=reviewer, district_id=world.d1.id)
        assert refused.value.msg.code == "submission.school_left"
        db.session.rollback()
    assert _state(sub.id) == before
    page = login(app.test_client(), world.reviewer1)
    r = page.post(f"/district/submissions/{sub.id}/decide?lang=zh_Hans_CN", data={"decision": "accept"},
                  follow_redirects=True)
    assert "该校已调出本区" in r.get_data(as_text=True)
    r = app.test_client().post(f"/api/v1/district/submissions/{sub.id}/decision", json={"decision": "accept"},
                               headers=_bearer(world.reviewer1))
    assert r.status_code == 403 and "left your district" in r.get_json()["message"]
    assert _state(sub.id) == before


def test_the_year_of_a_school_that_left_is_reopened_by_the_district_it_is_in_now(app, world, moved):
    """D1 accepted S1's year, then S1 moved to D2: D1 may not reopen it (the school is no longer
    its own); D2, which holds the school now, may (a mistake can still be corrected)."""
    before = _state(moved.id)
    with pytest.raises(Forbidden) as refused:
        submissions.reopen(moved.id, "更正", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    assert refused.value.msg.code == "submission.school_left"
    db.session.rollback()
    r = app.test_client().post(f"/api/v1/district/submissions/{moved.id}/reopen", json={"reason": "更正"},
                               headers=_bearer(world.admin1))
    assert r.status_code == 403 and "left your district" in r.get_json()["message"]
    assert _state(moved.id) == before
    reopened = submissions.reopen(moved.id, "更正", by=Actor.of(world.reviewer2.id, ["district_reviewer"]),
                                  district_id=world.d2.id)
    db.session.commit()
    assert reopened.status == "reopened"
    assert _state(moved.id)[3] == 0  # the lock is gone: the school submits its year again, to D2


def test_a_school_whose_year_waits_for_its_district_does_not_move_until_it_is_decided(app, world):
    """A round sent to D1 and not yet decided would, once the school is in D2, be decided by no
    one (D1 no longer decides for the school, D2 was not sent it) and the school could not send
    the year again while it waits: the move is refused, saying why, and changes nothing; once D1
    has returned the year, the school moves and sends it to D2."""
    from sqlalchemy import select

    from portal.models import School, YearSubmission

    admin = access.actor(world.staff["admin"].id, world.s1.id)
    sub = submissions.submit(world.s1, YEAR, by=admin)
    db.session.commit()
    before = db.session.execute(select(School.district_id, School.district_rules, School.data_version)
                                .where(School.id == world.s1.id)).one()
    with pytest.raises(Conflict) as refused:
        districts.move_school(world.s1, world.d2)
    assert refused.value.msg.code == "school.move_pending"
    db.session.rollback()
    assert db.session.execute(select(School.district_id, School.district_rules, School.data_version)
                              .where(School.id == world.s1.id)).one() == before
    submissions.decide(sub.id, False, "请补充", by=Actor.of(world.reviewer1.id, ["district_reviewer"]),
                       district_id=world.d1.id)
    db.session.commit()
    districts.move_school(world.s1, world.d2)
    db.session.commit()
    again = submissions.submit(world.s1, YEAR, by=admin)
    assert again.district_id == world.d2.id
    assert db.session.execute(select(YearSubmission.district_id).order_by(YearSubmission.id)).scalars().all() == [
        world.d1.id, world.d2.id]


def _reviewer_of_a_third_district():
    from portal.services import users
    from tests.support import factories as f

    d3 = districts.create_district("D3", "第三区")
    user = users.create_user("rev.d3", f.PASSWORD, "区审核三", None, ["district_reviewer"], district_id=d3.id)
    db.session.commit()
    return user


def test_the_district_it_joined_reopens_the_year_on_the_page(app, world, moved):
    """The page agrees with the policy (``policy.sees_submission``, ``decides_for_school``): D2,
    which holds S1 now, reads the year D1 accepted and reopens it there (it was 404); D1 reads it
    with no reopen form but a note of why; a third district finds nothing. Every refusal
    changes nothing."""
    url = f"/district/submissions/{moved.id}"
    before = _state(moved.id)
    old = login(app.test_client(), world.reviewer1)
    page = old.get(f"{url}?lang=zh_Hans_CN").get_data(as_text=True)
    assert 'data-testid="school-left-note"' in page and "该校已调出本区" in page
    assert 'data-testid="reopen-form"' not in page
    r = old.post(f"{url}/reopen?lang=zh_Hans_CN", data={"reason": "更正"}, follow_redirects=True)
    assert r.status_code == 200 and "您不能再通过、退回或重新开放其学年" in r.get_data(as_text=True)
    assert _state(moved.id) == before
    stranger = login(app.test_client(), _reviewer_of_a_third_district())
    for path in ("", "/summary.xlsx", f"/teachers/{moved.rows[0]['user_id']}"):
        assert stranger.get(url + path).status_code == 404, path
    assert stranger.post(f"{url}/reopen", data={"reason": "更正"}).status_code in (302, 303, 404)
    assert _state(moved.id) == before
    new = login(app.test_client(), world.reviewer2)
    page = new.get(url).get_data(as_text=True)
    assert 'data-testid="reopen-form"' in page and 'data-testid="school-left-note"' not in page
    for path in ("/summary.xlsx", f"/teachers/{moved.rows[0]['user_id']}"):
        assert new.get(url + path).status_code == 200, path
    r = new.post(f"{url}/reopen?lang=zh_Hans_CN", data={"reason": "  "})
    assert r.status_code == 422 and 'data-testid="reopen-reason-error"' in r.get_data(as_text=True)
    assert _state(moved.id) == before  # no reason: refused, on the page it came from (the reason beside the box)
    r = new.post(f"{url}/reopen", data={"reason": "更正"}, follow_redirects=True)
    assert r.status_code == 200 and 'data-testid="reopen-form"' not in r.get_data(as_text=True)
    assert _state(moved.id)[0] == "reopened" and _state(moved.id)[3] == 0


def test_the_district_it_joined_reopens_the_year_on_the_api(app, world, moved):
    """The API agrees: D2 reads the submission and reopens it (both were 404); D1's read stays
    and its reopen is refused (403); a third district's are 404. Refusals change nothing."""
    api = app.test_client()
    url = f"/api/v1/district/submissions/{moved.id}"
    before = _state(moved.id)
    stranger = _bearer(_reviewer_of_a_third_district())
    assert api.get(url, headers=stranger).status_code == 404
    assert api.post(f"{url}/reopen", json={"reason": "更正"}, headers=stranger).status_code == 404
    assert api.get(url, headers=_bearer(world.reviewer1)).status_code == 200
    assert api.post(f"{url}/reopen", json={"reason": "更正"}, headers=_bearer(world.reviewer1)).status_code == 403
    assert _state(moved.id) == before
    mine = _bearer(world.reviewer2)
    r = api.get(url, headers=mine)
    assert r.status_code == 200 and r.get_json()["status"] == "accepted"
    assert api.post(f"{url}/reopen", json={"reason": ""}, headers=mine).status_code == 422
    assert _state(moved.id) == before
    r = api.post(f"{url}/reopen", json={"reason": "更正"}, headers=mine)
    assert r.status_code == 200 and r.get_json()["status"] == "reopened"
    assert _state(moved.id)[3] == 0
