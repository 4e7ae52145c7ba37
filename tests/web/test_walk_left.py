"""What an organiser's, a reviewer's and a district reviewer's walk left (the pages, on the demo
school): a held activity links its 签到表; an organiser does not sign up for their own activity
(the policy decides, the page asks it); a step that needs a comment carries what to say before
its question; a district's return shows its per-teacher comments in the history too."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.demo_year import signup_title
from portal.errors import Forbidden
from portal.extensions import db
from portal.models import Activity, School, Signup, User, YearSubmission
from portal.services import access, signup
from tests.support import factories as f
from tests.year.helpers import actor, closes_in, future_activity, school_with_teachers


def _activity(site, **where) -> int:
    with site.app_context():
        query = select(Activity.id)
        for name, value in where.items():
            query = query.where(getattr(Activity, name) == value)
        return db.session.execute(query.order_by(Activity.id)).scalars().first()


def test_a_held_activity_still_links_its_sign_in_sheet(site, as_user):
    """Once held, the page dropped the 签到表 link (the sheet still answered): an organiser files
    the signed sheet afterwards and may print it again. Its button is drawn as the others are
    (a grey outline beside blue ones looked disabled); the check-in screen stays for the open
    phase, and an activity cancelled before it took place has no sheet."""
    organizer = as_user("organizer")
    for state in ("planned", "held", "reviewed", "credited"):
        act_id = _activity(site, type_key="lecture", state=state)
        page = organizer.get(f"/activities/{act_id}").get_data(as_text=True)
        link = re.search(r'<a class="([^"]*)" href="/activities/\d+/sign-in-sheet" data-testid="sign-in-sheet-link"', page)
        assert link is not None and "btn-outline-primary" in link.group(1), state
        assert ('data-testid="checkin-screen-link"' in page) is (state == "planned"), state
        assert organizer.get(f"/activities/{act_id}/sign-in-sheet").status_code == 200
    cancelled = _activity(site, state="cancelled")
    assert 'data-testid="sign-in-sheet-link"' not in organizer.get(f"/activities/{cancelled}").get_data(as_text=True)
    teacher = as_user("teacher1")  # who does not organise it sees no link
    held = _activity(site, type_key="lecture", state="held")
    assert 'data-testid="sign-in-sheet-link"' not in teacher.get(f"/activities/{held}").get_data(as_text=True)


def _signup_activity(site) -> int:
    with site.app_context():
        return db.session.execute(select(Activity.id).where(Activity.title == signup_title())).scalar_one()


def _signups(site, act_id: int) -> list[tuple[int, str]]:
    with site.app_context():
        return sorted(db.session.execute(select(Signup.user_id, Signup.status).where(Signup.activity_id == act_id)).all())


def test_the_organiser_is_offered_no_sign_up_for_their_own_activity(site, as_user):
    """The organiser saw 加入候补 on their own activity's sign-up; pressed, they took a place in the
    queue of the teachers it is run for. They organise it (taking part, they add themselves with
    their role): no button, and the request is refused, nothing written."""
    act_id = _signup_activity(site)
    organizer = as_user("organizer")
    page = organizer.get(f"/activities/{act_id}").get_data(as_text=True)
    assert 'data-testid="signup"' in page and 'data-testid="signup-join"' not in page
    assert "您是本活动的组织者：如需参加，请在参加人员中添加自己。" in page  # why there is no button
    assert 'data-testid="participants-link"' in page  # where they put themselves on its list
    before = _signups(site, act_id)
    refused = organizer.post(f"/activities/{act_id}/signup/join", follow_redirects=True).get_data(as_text=True)
    assert "您是本活动的组织者" in refused and _signups(site, act_id) == before
    assert "add yourself to its participants." in organizer.get(f"/activities/{act_id}?lang=en").get_data(as_text=True)
    # a teacher of the school (teacher1 withdrew) still may sign up again
    theirs = as_user("teacher1").get(f"/activities/{act_id}").get_data(as_text=True)
    assert 'data-testid="signup-join"' in theirs and 'data-testid="signup-own"' not in theirs


def test_the_service_refuses_the_organisers_own_sign_up(app):
    """The service asks the policy (``may_sign_up_for``) whatever page sent it: the organiser's own
    activity refused with its reason, nothing written; another organiser's taken (SQLite and
    PostgreSQL)."""
    s, p, ts = school_with_teachers("OS", 2)
    act = future_activity(s, p["organizer"])
    signup.open_signup(act, 2, closes_in(7), by=actor(p["organizer"], s), tz=s.timezone)
    other = f.person(s, "os.org2", "organizer", "teacher", name="另一位组长")
    db.session.commit()
    count = lambda: db.session.scalar(select(func.count()).select_from(Signup))  # noqa: E731
    with pytest.raises(Forbidden) as refused:
        signup.sign_up(act, p["organizer"], by=access.actor(p["organizer"].id, s.id))
    assert refused.value.msg.code == "policy.sign_up_own" and count() == 0
    signup.sign_up(act, other, by=access.actor(other.id, s.id))
    assert count() == 1


def test_a_step_that_needs_a_comment_says_so_before_its_question(site, as_user):
    """The buttons carry what to say of a missing comment (the service's own words) beside their
    question: portal.js says it first and asks nothing (the browser test presses them). The queue's
    不予认定 asks as the activity's page does (it ends the declaration); approving asks nothing."""
    reviewer = as_user("reviewer")
    credited = _activity(site, type_key="lecture", state="credited")
    page = reviewer.get(f"/activities/{credited}").get_data(as_text=True)
    revoke = re.search(r'<button[^>]*data-testid="trigger-revoke"[^>]*>', page, re.S)
    assert revoke is not None
    assert 'data-needs-comment="“撤销学时”需要填写意见" data-confirm="参加人员已认定的学时' in revoke.group(0)
    declared = _activity(site, type_key="declared", state="held")
    queue = reviewer.get("/review").get_data(as_text=True)
    refuse = re.search(rf'<button[^>]*data-testid="refuse-{declared}"[^>]*>', queue)
    approve = re.search(rf'<button[^>]*data-testid="approve-{declared}"[^>]*>', queue)
    assert refuse is not None and approve is not None
    assert 'data-needs-comment="“不予认定”需要填写意见" data-confirm="此步之后活动即告结束，无法恢复' in refuse.group(0)
    assert "data-confirm" not in approve.group(0) and "data-needs-comment" not in approve.group(0)


def test_a_return_shows_its_teacher_comments_in_the_history(site, as_user):
    """After a district returned a year with a comment for one teacher, the history's line said
    only the comment for the school; the teacher's is there now, with their name, for the district
    and for the school."""
    from portal.demo_district import load_district_demo

    with site.app_context():
        load_district_demo()
        sub_id, school_id = db.session.execute(
            select(YearSubmission.id, YearSubmission.school_id).where(YearSubmission.status == "returned")).one()
        code = db.session.get_one(School, school_id).code.lower()
        teacher = db.session.execute(select(User).where(User.username == f"{code}.t3")).scalar_one()
        name, uid = teacher.display_name, teacher.id
        db.session.remove()
    for client, path in ((as_user("dreviewer"), f"/district/submissions/{sub_id}"), (as_user(f"{code}.t0"), "/submission")):
        page = client.get(path).get_data(as_text=True)
        line = re.search(r'<li class="mb-1" data-testid="event-return">.*?</li>\s*</ul>', page, re.S)
        assert line is not None, path
        assert f'data-testid="event-teacher-comment-{uid}"' in line.group(0), path
        assert name in line.group(0) and "缺少12月讲座的签到，请补录。" in line.group(0), path
