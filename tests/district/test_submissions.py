"""Submission of the year → return → resubmit → accept (locked) → reopen, and the refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.models import SubmissionEvent, YearLock
from portal.policy import Actor
from portal.services import access, submissions
from tests.district.conftest import YEAR
from tests.support import factories as f


def _admin(world) -> Actor:
    return access.actor(world.staff["admin"].id, world.s1.id)


def _reviewer(world, who=None) -> Actor:
    return Actor.of((who or world.reviewer1).id, ["district_reviewer"])


def test_submit_freezes_every_teacher_from_the_one_builder(world):
    sub = submissions.submit(world.s1, YEAR, by=_admin(world))
    assert sub.status == "submitted" and sub.round == 1 and sub.district_id == world.d1.id
    rows = {r["username"]: r for r in sub.rows}
    assert rows["t1"]["total"] == "4" and rows["t1"]["by_type"] == {"lecture": "4"}
    assert rows["t3"]["total"] == "0" and rows["t3"]["status"] == "short"
    assert sub.total_hours == Decimal("8") and sub.teachers == len(sub.rows)
    assert sub.summary_xlsx[:2] == b"PK"  # the 学时汇总表 as submitted
    assert [e.action for e in db.session.execute(select(SubmissionEvent)).scalars()] == ["submit"]


def test_only_a_school_admin_submits_and_only_once_at_a_time(world):
    with pytest.raises(Forbidden):
        submissions.submit(world.s1, YEAR, by=access.actor(world.staff["t1"].id, world.s1.id))
    submissions.submit(world.s1, YEAR, by=_admin(world))
    with pytest.raises(Conflict):
        submissions.submit(world.s1, YEAR, by=_admin(world))
    with pytest.raises(Invalid):
        submissions.submit(world.s1, "2026", by=_admin(world))
    with pytest.raises(Conflict):  # the district collects whole years
        submissions.submit(world.s1, YEAR, 1, by=_admin(world))
    with pytest.raises(Invalid):
        submissions.submit(world.s1, YEAR, 3, by=_admin(world))


def test_return_needs_a_comment_and_the_school_resubmits(world):
    sub = submissions.submit(world.s1, YEAR, by=_admin(world))
    with pytest.raises(Invalid):
        submissions.decide(sub.id, False, "  ", by=_reviewer(world), district_id=world.d1.id)
    with pytest.raises(Invalid):  # a teacher not in the submission
        submissions.decide(sub.id, False, "", {"999999": "x"}, by=_reviewer(world), district_id=world.d1.id)
    t3 = str(world.staff["t3"].id)
    done = submissions.decide(sub.id, False, "", {t3: "缺少学时"}, by=_reviewer(world), district_id=world.d1.id)
    assert done.status == "returned" and done.teacher_comments == {t3: "缺少学时"}
    with pytest.raises(Conflict):  # decided already
        submissions.decide(sub.id, True, by=_reviewer(world), district_id=world.d1.id)
    again = submissions.submit(world.s1, YEAR, by=_admin(world))
    assert again.round == 2 and again.status == "submitted"


def test_a_district_admin_does_not_decide_and_another_district_sees_nothing(world):
    sub = submissions.submit(world.s1, YEAR, by=_admin(world))
    with pytest.raises(Forbidden):
        submissions.decide(sub.id, True, by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    with pytest.raises(NotFound):
        submissions.decide(sub.id, True, by=_reviewer(world, world.reviewer2), district_id=world.d2.id)
    assert submissions.queue(world.d2.id).total == 0
    assert [r.school.code for r in submissions.queue(world.d1.id).rows] == ["S1"]


def test_accept_locks_and_reopen_needs_a_reason(world):
    sub = submissions.submit(world.s1, YEAR, by=_admin(world))
    submissions.decide(sub.id, True, "好", by=_reviewer(world), district_id=world.d1.id)
    assert db.session.execute(select(YearLock)).scalar_one().school_id == world.s1.id
    with pytest.raises(Conflict):
        submissions.submit(world.s1, YEAR, by=_admin(world))
    with pytest.raises(Invalid):
        submissions.reopen(sub.id, "", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    done = submissions.reopen(sub.id, "更正学时", by=Actor.of(world.admin1.id, ["district_admin"]),
                              district_id=world.d1.id)
    assert done.status == "reopened" and db.session.execute(select(YearLock)).first() is None
    actions = [e.action for e in db.session.execute(select(SubmissionEvent).order_by(SubmissionEvent.id)).scalars()]
    assert actions == ["submit", "accept", "reopen"]
    with pytest.raises(Conflict):
        submissions.reopen(sub.id, "再来", by=_reviewer(world), district_id=world.d1.id)
    assert submissions.submit(world.s1, YEAR, by=_admin(world)).round == 2


def test_the_queue_is_paged_and_counts_by_status(world):
    s2_admin = f.person(world.s2, "s2.adm", "school_admin")
    for school, admin in ((world.s1, world.staff["admin"]), (world.s2, s2_admin)):  # each by its own admin
        submissions.submit(school, YEAR, by=access.actor(admin.id, school.id))
    page = submissions.queue(world.d1.id, per_page=1)
    assert page.total == 2 and page.pages == 2 and len(page.rows) == 1 and page.counts["submitted"] == 2
    with pytest.raises(Invalid):
        submissions.queue(world.d1.id, "nonsense")
    # S1's round returned and submitted again: one school waiting, nothing returned
    s1_round = next(r.submission for r in submissions.queue(world.d1.id).rows if r.school.code == "S1")
    submissions.decide(s1_round.id, False, "请补充", by=_reviewer(world), district_id=world.d1.id)
    assert submissions.queue(world.d1.id, "returned").counts == {**page.counts, "submitted": 1, "returned": 1}
    again = submissions.submit(world.s1, YEAR, by=_admin(world))
    assert again.round == 2
    for status, listed in (("submitted", ["S1", "S2"]), ("returned", [])):
        now = submissions.queue(world.d1.id, status)
        assert sorted(r.school.code for r in now.rows) == listed and now.total == len(listed), status
        assert (now.counts["submitted"], now.counts["returned"]) == (2, 0), status


def test_figures_changed_since_the_submission_are_not_accepted_and_locked(app, world):
    """The school submits t1 at 4 h, then credits t1 1.5 h more. Accepting used to lock a ledger
    the district never saw: the accepted submission said t1 4 h (short, 0 met) while every page,
    the 学时证明 and the district's own page said 5.5 h. Now the district is told the figures
    changed and the year stays open until the school submits them again."""
    from tests.credits.helpers import credited, login

    t1 = world.staff["t1"]
    sub = submissions.submit(world.s1, YEAR, by=_admin(world))
    assert {r["username"]: r["total"] for r in sub.rows}["t1"] == "4"
    credited(world.s1, world.staff, "lecture", [(t1, "attendee")], hours="1.5")
    with pytest.raises(Conflict) as err:
        submissions.decide(sub.id, True, by=_reviewer(world), district_id=world.d1.id)
    assert err.value.msg.code == "submission.changed" and dict(err.value.msg.params)["teachers"] == 1
    db.session.rollback()
    assert db.session.get(type(sub), sub.id).status == "submitted"
    assert db.session.execute(select(YearLock)).first() is None
    # the district reviewer's page says so, in Chinese
    client = app.test_client()
    login(client, world.reviewer1)
    # said before anyone acts: on the district's page of the submission and on the school's
    shown = client.get(f"/district/submissions/{sub.id}").get_data(as_text=True)
    assert 'data-testid="changed-since" data-teachers="1"' in shown
    assert "学校报送后学时数据已有变动（涉及 1 名教师）：不能按原样通过" in shown
    school = app.test_client()
    login(school, world.staff["admin"])
    assert 'data-testid="changed-since" data-teachers="1"' in school.get(f"/submission?year={YEAR}").get_data(as_text=True)
    page = client.post(f"/district/submissions/{sub.id}/decide", data={"decision": "accept"}, follow_redirects=True)
    assert "学校报送后学时数据已有变动" in page.get_data(as_text=True)
    # returned and submitted again, the year is accepted with the figures every page shows
    submissions.decide(sub.id, False, "请重新报送", by=_reviewer(world), district_id=world.d1.id)
    assert 'data-testid="changed-since"' not in client.get(f"/district/submissions/{sub.id}").get_data(as_text=True)
    again = submissions.submit(world.s1, YEAR, by=_admin(world))
    assert {r["username"]: r["total"] for r in again.rows}["t1"] == "5.5"
    assert 'data-testid="changed-since"' not in client.get(f"/district/submissions/{again.id}").get_data(as_text=True)
    assert 'data-testid="changed-since"' not in school.get(f"/submission?year={YEAR}").get_data(as_text=True)
    assert submissions.decide(again.id, True, by=_reviewer(world), district_id=world.d1.id).status == "accepted"


def test_a_semesters_acceptance_is_compared_with_that_semesters_figures(app, world):
    """With the district collecting semesters, a school submitted semester 1 with t1 at 4 h and
    then credited t1 more in semester 1: the acceptance went through and locked figures the
    accepted submission did not show (only a whole year was compared, since a semester's rows are
    the year so far, which the other semester moves on). Now a semester is compared by its own
    figures: hours credited in the other semester meanwhile are no change, more in its own are."""
    from portal.services import districts
    from tests.credits.helpers import PAST_STARTS, credited

    year, (autumn, spring) = "2025-2026", (PAST_STARTS[0], PAST_STARTS[2])  # semesters 1 and 2
    districts.update_settings(world.d1, {"submission_period": "semester"},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    t1, staff = world.staff["t1"], world.staff
    credited(world.s1, staff, "lecture", [(t1, "attendee")], hours="4", start=autumn)
    first = submissions.submit(world.s1, year, 1, by=_admin(world))
    assert {r["username"]: r for r in first.rows}["t1"]["semester_hours"] == {"1": "4"}
    credited(world.s1, staff, "lecture", [(t1, "attendee")], hours="2", start=spring, title="春季活动")
    assert submissions.decide(first.id, True, by=_reviewer(world), district_id=world.d1.id).status == "accepted"

    second = submissions.submit(world.s1, year, 2, by=_admin(world))
    assert {r["username"]: r for r in second.rows}["t1"]["semester_hours"] == {"1": "4", "2": "2"}
    credited(world.s1, staff, "lecture", [(t1, "attendee")], hours="1.5", start=spring, title="补充活动")
    with pytest.raises(Conflict) as err:
        submissions.decide(second.id, True, by=_reviewer(world), district_id=world.d1.id)
    assert err.value.msg.code == "submission.changed" and dict(err.value.msg.params)["teachers"] == 1
    db.session.rollback()
    assert db.session.get(type(second), second.id).status == "submitted"
    assert [lock.semester for lock in db.session.execute(select(YearLock)).scalars()] == [1]


def test_a_semester_of_a_year_accepted_whole_is_not_submitted_again(app, world):
    """The district accepted the school's whole year, then began collecting semesters: semester 1
    of that year could be submitted and accepted on its own, a second lock over figures already
    locked, which stayed when the district reopened the whole year. Now there is nothing left to
    submit in it (``submission.already_accepted``), and nothing is written."""
    from portal.services import districts

    whole = submissions.submit(world.s1, YEAR, by=_admin(world))
    submissions.decide(whole.id, True, by=_reviewer(world), district_id=world.d1.id)
    districts.update_settings(world.d1, {"submission_period": "semester"},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    before = db.session.execute(select(func.count()).select_from(SubmissionEvent)).scalar_one()
    for semester in (1, 2):
        with pytest.raises(Conflict) as err:
            submissions.submit(world.s1, YEAR, semester, by=_admin(world))
        assert err.value.msg.code == "submission.already_accepted"
        db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(SubmissionEvent)).scalar_one() == before
    assert submissions.unfinished_before_submitting(world.s1.id, YEAR, (1, 2), submissions.rounds(world.s1.id, YEAR)[0]) == []
    submissions.reopen(whole.id, "更正", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    assert submissions.submit(world.s1, YEAR, 1, by=_admin(world)).status == "submitted"  # reopened: open again


def test_a_district_reviewer_does_not_reopen_a_year_with_their_own_hours(app, world):
    """Accepting a year one teaches in was refused (``submission.own_year``), reopening it was not:
    a district reviewer who also teaches at the school could unlock their own locked hours for the
    school to change. Now reopening asks the same, and the page offers it only to others."""
    from portal.services import users
    from tests.credits.helpers import login
    from tests.support import factories as f

    teaching = users.create_user("rev.t", f.PASSWORD, "区审核兼教师", world.s1, ["teacher", "district_reviewer"],
                                 district_id=world.d1.id)
    sub = submissions.submit(world.s1, YEAR, by=_admin(world))
    assert teaching.id in submissions.teacher_ids(sub)
    submissions.decide(sub.id, True, by=_reviewer(world), district_id=world.d1.id)
    with pytest.raises(Forbidden) as err:
        submissions.reopen(sub.id, "更正", by=Actor.of(teaching.id, ["district_reviewer"]), district_id=world.d1.id)
    assert err.value.msg.code == "submission.own_year"
    db.session.rollback()
    assert db.session.execute(select(YearLock)).first() is not None
    page = f"/district/submissions/{sub.id}"
    assert 'data-testid="reopen-form"' not in login(app.test_client(), teaching).get(page).get_data(as_text=True)
    assert 'data-testid="reopen-form"' in login(app.test_client(), world.reviewer1).get(page).get_data(as_text=True)
    assert submissions.reopen(sub.id, "更正", by=_reviewer(world), district_id=world.d1.id).status == "reopened"
