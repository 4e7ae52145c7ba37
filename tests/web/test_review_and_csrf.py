"""Bulk review with a report per activity; forms carry CSRF tokens when CSRF is on."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import Activity, Membership, User
from portal.services import overview


def test_bulk_approve_reports_each_activity(site, as_user):
    with site.app_context():
        held = dict(db.session.execute(select(Activity.id, Activity.type_key).where(Activity.state == "held")).all())
        oldest_first = list(db.session.execute(select(Activity.id).where(Activity.state == "held")
                                               .order_by(Activity.starts_at, Activity.id)).scalars())
    assert len(held) >= 5
    reviewer = as_user("reviewer")
    queue = reviewer.get("/review").get_data(as_text=True)
    first = oldest_first[:overview.HELD_PAGE_SIZE]  # the first page's cards, the oldest
    positions = [queue.index(f'data-testid="queue-item-{i}"') for i in first]
    assert positions == sorted(positions)  # oldest first (id breaks ties)
    assert not any(f'data-testid="queue-item-{i}"' in queue for i in oldest_first[len(first):])
    r = reviewer.post("/review/bulk", data={"action": "approve", "ids": [str(i) for i in held]}, follow_redirects=True)
    html = r.get_data(as_text=True)
    with site.app_context():
        states = dict(db.session.execute(select(Activity.id, Activity.state).where(Activity.id.in_(held))).all())
    approved = [i for i, s in states.items() if s == "reviewed"]
    refused = [i for i, s in states.items() if s == "held"]
    assert approved and refused  # the observation lacks its evaluations, for instance
    assert html.count('data-testid="flash-success"') == len(approved)
    assert html.count('data-testid="flash-danger"') == len(refused)
    assert f"{len(approved)} / {len(held)}" in html or f"已完成 {len(approved)} / {len(held)} 项活动" in html


def test_a_step_no_button_offers_is_refused_in_the_pages_words(site, as_user):
    """Auditor: the refusal named buttons the card does not have ("approve, return or post credits")."""
    with site.app_context():
        school = db.session.execute(
            select(Membership.school_id).join(User).where(User.username == "reviewer", Membership.role == "reviewer")
        ).scalar_one()
        held = db.session.execute(
            select(Activity.id).where(Activity.state == "held", Activity.school_id == school).order_by(Activity.id)
        ).scalars().first()
    reviewer = as_user("reviewer")
    for action in ("zzz", "credit_all", ""):
        r = reviewer.post(f"/review/{held}?lang=zh_Hans_CN", data={"action": action}, follow_redirects=True)
        flashed = r.get_data(as_text=True).split('data-testid="flash-danger">', 1)[1].split("<button", 1)[0]
        assert flashed.strip() == "这不是此活动可进行的操作，请点击其审核卡片上的按钮。", action
    with site.app_context():
        assert db.session.get(Activity, held).state == "held"


def test_review_queue_is_for_reviewers_only(as_user):
    assert as_user("teacher1").get("/review").status_code == 403
    assert as_user("organizer").post("/review/bulk", data={"action": "approve", "ids": ["1"]}).status_code == 403


def test_csrf_tokens_are_in_the_forms(make_app):
    app = make_app(demo=True, WTF_CSRF_ENABLED=True)
    c = app.test_client()
    html = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    r = c.post("/login", data={"username": "teacher1", "password": DEMO_PASSWORD})
    assert r.status_code == 400 and 'data-testid="error-page"' in r.get_data(as_text=True)
    r = c.post("/login", data={"username": "teacher1", "password": DEMO_PASSWORD, "csrf_token": token})
    assert r.status_code == 302
    home = c.get("/").get_data(as_text=True)
    assert 'name="csrf_token"' in home  # the logout form


def test_the_queue_offers_no_step_its_reviewer_may_not_take(site, as_user):
    """The queue offered bulk approval of an activity its reviewer took part in, and "post
    credits" (a button and a bulk selection) for a reviewed one, which the server refuses
    (nobody decides about their own hours): it offers only what the workflow allows them."""
    from datetime import timedelta

    from markupsafe import escape

    from portal import policy
    from portal.demo import walk
    from portal.messages import msg, tr
    from portal.models import School, User
    from portal.services import activities
    from tests.web.conftest import first_held_day
    from workflows.definition import Phase

    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        people = {u.username: u for u in db.session.execute(select(User)).scalars()}
        start = first_held_day(school.id)  # the held one on the queue's first page
        made = {}
        for phase in (Phase.AWAITING_REVIEW, Phase.CONFIRMED):
            act = activities.plan_activity(
                school, people["organizer"], "lecture", f"评审人听的讲座（{phase.value}）",
                start.isoformat(timespec="minutes") + "+00:00",
                (start + timedelta(hours=2)).isoformat(timespec="minutes") + "+00:00", "2",
                [{"user_id": people["reviewer"].id, "role": "attendee"}], {"topic": "作业设计"})
            walk(act, people["organizer"], people["deputy"], phase)  # the school's other reviewer (demo_declarations)
            made[phase] = act.id
    held, reviewed = made[Phase.AWAITING_REVIEW], made[Phase.CONFIRMED]
    reviewer = as_user("reviewer")
    queue = reviewer.get("/review").get_data(as_text=True)
    assert f'data-testid="queue-item-{held}"' in queue and f'data-testid="own-activity-{held}"' in queue
    assert f'data-testid="select-{held}"' not in queue
    # its card says why they cannot decide it (the policy's refusal), with no comment box to fill in vain
    card = queue.split(f'data-testid="queue-item-{held}"', 1)[1].split("</form>", 1)[0]
    with site.test_request_context("/?lang=zh_Hans_CN"):
        why = str(escape(tr(msg(policy.OWN_ACTIVITY_REFUSAL))))
    assert why == "您组织或参加了本活动，须由其他审核人审核。"
    assert f'data-testid="own-activity-{held}">{why}</p>' in card
    assert "<textarea" not in card and f'for="comment-{held}"' not in card and "<button" not in card
    assert f'data-testid="reviewed-{reviewed}"' in queue
    assert f'data-testid="select-credit-{reviewed}"' not in queue and f'data-testid="credit-{reviewed}"' not in queue
    # what it no longer offers, the server refuses
    reviewer.post("/review/bulk", data={"action": "credit", "ids": [str(reviewed)]})
    reviewer.post("/review/bulk", data={"action": "approve", "ids": [str(held)]})
    with site.app_context():
        assert db.session.get(Activity, reviewed).state == "reviewed" and db.session.get(Activity, held).state == "held"


def test_the_bulk_buttons_show_only_when_a_row_of_the_page_can_be_selected(app, client):
    """A reviewer whose queue holds only activities they took part in was shown "approve
    selected" and "post credits for selected" with nothing to select (a click said "select at
    least one"): the buttons come with the first row that can be selected for them."""
    from portal.demo import walk
    from tests.support import factories
    from tests.web.conftest import login
    from workflows.definition import Phase

    s = factories.school()
    people = factories.staff(s)
    for phase in (Phase.AWAITING_REVIEW, Phase.CONFIRMED):  # the admin stands in for the reviewer
        act = factories.plan(s, people["organizer"], "lecture", [(people["reviewer"], "attendee")], {"topic": "作业设计"})
        walk(act, people["organizer"], people["admin"], phase)
    db.session.commit()
    assert login(client, people["reviewer"].username, factories.PASSWORD).status_code == 302
    queue = client.get("/review").get_data(as_text=True)
    assert 'data-testid="queue-item-' in queue and 'data-testid="reviewed-' in queue
    for absent in ("bulk-approve-form", "bulk-approve", "select-all-held", "bulk-credit", "select-all-reviewed"):
        assert f'data-testid="{absent}"' not in queue
    # one activity they may decide brings the approval button back, and only it
    act = factories.plan(s, people["organizer"], "lecture", [(people["t1"], "attendee")], {"topic": "听评课"})
    walk(act, people["organizer"], people["admin"], Phase.AWAITING_REVIEW)
    db.session.commit()
    queue = client.get("/review").get_data(as_text=True)
    assert 'data-testid="bulk-approve"' in queue and f'data-testid="select-{act.id}"' in queue
    assert 'data-testid="bulk-credit"' not in queue
