"""Nobody accepts their own school's year: a district reviewer who works at the school (its
admin, its reviewer), who submitted the year, or whose hours are in it leaves the decision —
accept, return, reopen — to a district reviewer from outside the school, on the page, by the
API and in the service (``policy.may_decide_submission_of`` of ``submissions.involved``).
Asked again inside the write, of the school's staff as it is then: one put on the staff as
they decide decides nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.errors import Forbidden
from portal.extensions import db
from portal.models import YearLock
from portal.policy import Actor
from portal.services import access, submissions, tokens, users
from tests.credits.helpers import login
from tests.district.conftest import YEAR
from tests.support import factories as f
from tests.support.at_once import just_before_the_write


def _seat(user) -> Actor:
    return Actor.of(user.id, ["district_reviewer"])


def _refused(world, sub, who, comment: str = "核对无误") -> None:
    """``who`` neither accepts nor returns the submission (``submission.own_year``)."""
    for accept in (True, False):
        with pytest.raises(Forbidden) as err:
            submissions.decide(sub.id, accept, comment, by=_seat(who), district_id=world.d1.id)
        assert err.value.msg.code == "submission.own_year"
        db.session.rollback()


def _left_to_another(world, sub, who) -> None:
    """The year still waits, unlocked; a reviewer from outside accepts it, and ``who`` does not
    reopen it."""
    db.session.expire_all()
    assert db.session.get_one(type(sub), sub.id).status == "submitted"
    assert db.session.scalar(select(func.count()).select_from(YearLock)) == 0
    submissions.decide(sub.id, True, by=_seat(world.reviewer1), district_id=world.d1.id)  # someone outside
    with pytest.raises(Forbidden) as err:
        submissions.reopen(sub.id, "更正", by=_seat(who), district_id=world.d1.id)
    assert err.value.msg.code == "submission.own_year"


def test_the_school_admin_who_is_a_district_reviewer_does_not_accept_the_year_they_submitted(app, world):
    """Attack: the school's admin, also a district reviewer (区教师发展中心兼职), submits the
    school's year and accepts it themself: the year is locked with figures nobody outside the
    school checked. Refused everywhere; another district reviewer decides."""
    both = users.create_user("adm.rev", f.PASSWORD, "校管理兼区审核", world.s1, ["school_admin", "district_reviewer"],
                             district_id=world.d1.id)
    sub = submissions.submit(world.s1, YEAR, by=access.actor(both.id, world.s1.id))
    assert both.id not in submissions.teacher_ids(sub)  # no hours of theirs: the school's work, not their own
    _refused(world, sub, both, "自己报送自己认定")
    page = login(app.test_client(), both)
    html = page.get(f"/district/submissions/{sub.id}").get_data(as_text=True)
    assert 'data-testid="decide-form"' not in html and 'data-testid="own-year-note"' in html
    page.post(f"/district/submissions/{sub.id}/decide", data={"decision": "accept"})
    r = app.test_client().post(f"/api/v1/district/submissions/{sub.id}/decision", json={"decision": "accept"},
                               headers={"Authorization": f"Bearer {tokens.issue(both).token}"})
    assert r.status_code == 403
    _left_to_another(world, sub, both)


def test_a_reviewer_of_the_school_who_is_a_district_reviewer_does_not_decide_its_year(app, world):
    """The school's reviewer approved the activities the year holds; as a district reviewer too
    they would check their own approvals."""
    rev = users.create_user("rev.both", f.PASSWORD, "校审核兼区审核", world.s1, ["reviewer", "district_reviewer"],
                            district_id=world.d1.id)
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    assert rev.id not in submissions.teacher_ids(sub) and rev.id in submissions.involved(sub)
    with pytest.raises(Forbidden):
        submissions.decide(sub.id, True, by=_seat(rev), district_id=world.d1.id)


@pytest.mark.parametrize("role", ["reviewer", "teacher"])
def test_a_reviewer_put_on_the_school_staff_as_they_decide_does_not_accept_its_year(world, monkeypatch, role):
    """Attack: the reviewer's request reads the school's staff (not theirs yet) and passes; just
    before it writes, the school takes them on (its reviewer, or one of its teachers). Asked only
    before the write, the year was accepted and locked by one of the school's own staff. Asked
    again inside it: refused with ``submission.own_year``, the year still waiting, no lock."""
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    rev = world.reviewer1
    just_before_the_write(monkeypatch, submissions, lambda: users.add_role(rev, world.s1, role))
    with pytest.raises(Forbidden) as err:
        submissions.decide(sub.id, True, "核对无误", by=_seat(rev), district_id=world.d1.id)
    assert err.value.msg.code == "submission.own_year"
    db.session.expire_all()
    assert db.session.get_one(type(sub), sub.id).status == "submitted"
    assert db.session.scalar(select(func.count()).select_from(YearLock)) == 0
    assert rev.id in submissions.involved(sub)


def test_a_district_admin_put_on_the_school_staff_as_they_reopen_does_not_unlock_its_year(world, monkeypatch):
    """The same for reopening an accepted year: the district admin taken on by the school just
    before the write is refused, the year stays accepted and locked."""
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(sub.id, True, by=_seat(world.reviewer1), district_id=world.d1.id)
    adm = world.admin1
    just_before_the_write(monkeypatch, submissions, lambda: users.add_role(adm, world.s1, "reviewer"))
    with pytest.raises(Forbidden) as err:
        submissions.reopen(sub.id, "更正", by=Actor.of(adm.id, ["district_admin"]), district_id=world.d1.id)
    assert err.value.msg.code == "submission.own_year"
    db.session.expire_all()
    assert db.session.get_one(type(sub), sub.id).status == "accepted"
    assert db.session.scalar(select(func.count()).select_from(YearLock)) == 1


@pytest.mark.parametrize("accept", [True, False], ids=["accept", "return"])
def test_a_reviewer_taken_on_by_the_school_at_the_same_moment_decides_nothing(app, world, monkeypatch, accept):
    """Really at once (the race is PostgreSQL's; SQLite runs one write at a time): the school's
    admin makes a former reviewer of the school, a district reviewer, one of its teachers (the
    change is written, the school's row stamped, the commit still to come) while that reviewer
    accepts or returns the school's year. Read before the school's row is held, the staff was the
    one before the admin's commit: the year was returned by one of the school's own teachers (an
    acceptance then failed only on the figures the new teacher changed). Read after
    (``submissions._involved_now``), the decision waits for the admin and sees the reviewer on the
    staff: refused, nothing decided."""
    from portal.models import Membership, School
    from portal.services import staff, teacher_years
    from tests.support.at_once import meanwhile, side_by_side

    rev = world.reviewer1
    users.add_role(rev, world.s1, "reviewer")
    db.session.execute(Membership.__table__.update()
                       .where(Membership.user_id == rev.id, Membership.school_id == world.s1.id).values(active=False))
    db.session.commit()
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    sub = submissions.submit(world.s1, YEAR, by=admin)
    assert rev.id not in submissions.involved(sub)
    sub_id, school_id, rev_id, district_id = sub.id, world.s1.id, rev.id, world.d1.id
    db.session.commit()
    db.session.remove()
    # written and stamped, then commits; the decision comes meanwhile
    meanwhile(monkeypatch, (teacher_years, "refresh_people"), (submissions, "write_transaction"))

    def take_on() -> None:
        staff.set_roles(db.session.get_one(School, school_id), rev_id, ["teacher"], by=admin)

    def decide() -> None:
        submissions.decide(sub_id, accept, "请核对", by=Actor.of(rev_id, ["district_reviewer"]), district_id=district_id)

    outcome = side_by_side(app, take_on, decide)
    monkeypatch.undo()
    assert outcome == ["done", "submission.own_year"]
    assert db.session.get_one(type(sub), sub_id).status == "submitted"
    assert db.session.scalar(select(func.count()).select_from(YearLock)) == 0


def _leaves_for_the_district_and_decides_nothing(world, who) -> None:
    """``who`` leaves the school (its admin ends their roles) and becomes a reviewer of its
    district; the school submits the year: they decide nothing of it (:func:`_refused`,
    :func:`_left_to_another`)."""
    from portal.services import staff as staff_service

    admin = access.actor(world.staff["admin"].id, world.s1.id)
    staff_service.deactivate(world.s1, who.id, by=admin)
    users.add_role(who, None, "district_reviewer", district_id=world.d1.id)
    db.session.commit()
    sub = submissions.submit(world.s1, YEAR, by=admin)
    assert who.id not in submissions.teacher_ids(sub) and not access.school_roles(who.id, world.s1.id)
    _refused(world, sub, who)
    _left_to_another(world, sub, who)


def test_a_reviewer_who_approved_the_years_activities_and_left_the_school_does_not_decide_it(app, world):
    """Attack: the school's reviewer (培训领导小组, no teaching of their own) approved and
    credited a lecture of the year, then left the school in the summer for the district's
    teacher development centre and became a district reviewer. The school submitted the year, and
    they accepted it: only the school's staff as it is now, who submitted it and its teachers
    were asked, so the check of their own approvals was theirs. Whoever had a hand in the year's
    activities (their history names them) is involved too: refused, another reviewer decides."""
    from tests.credits.helpers import DETAILS, prepare_approve, prepare_hold

    school_rev = f.person(world.s1, "rev.gone", "reviewer")
    org, t4 = world.staff["organizer"], world.staff["t4"]
    people = [(t4, "attendee")]
    act = f.plan(world.s1, org, "lecture", people, DETAILS["lecture"], hours="3", title="暑假前的讲座")
    prepare_hold(act, org, people)
    f.attend(act, org)
    f.fire(act, org, "hold")
    prepare_approve(act, org, people)
    f.fire(act, school_rev, "approve", "材料齐全")
    f.fire(act, school_rev, "credit")
    _leaves_for_the_district_and_decides_nothing(world, school_rev)


def test_an_admin_who_exempted_a_teacher_of_the_year_and_left_does_not_decide_it(app, world):
    """The same for the school's admin who exempted a teacher from the year's assessment (an
    exemption moves the verdict the submission freezes), then left for the district: their
    exemption is theirs to have checked by someone else."""
    from portal.services import exemptions

    first = f.person(world.s1, "adm.gone", "school_admin")
    exemptions.set_exemption(world.s1, access.actor(first.id, world.s1.id), world.staff["t4"].id, YEAR, "产假")
    _leaves_for_the_district_and_decides_nothing(world, first)
