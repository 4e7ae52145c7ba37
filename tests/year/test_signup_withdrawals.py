"""Withdrawn sign-ups are listed: the organizer and the school admin see on the activity page
who withdrew and when, and who moved up from the waiting list; a teacher sees only their own
withdrawal. Read from what ``signup.py`` stores (``changed_at``, ``promoted_at``)."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.demo_year import signup_title
from portal.extensions import db
from portal.models import Activity
from portal.services import signup
from tests.year.helpers import actor, closes_in, future_activity, school_with_teachers

CJK_FREE_ENGLISH = re.compile(r"\b(withdr|moved up|waiting)", re.I)


def test_the_view_keeps_withdrawals_and_promotions(app):
    s, p, ts = school_with_teachers("WD", 4)
    act = future_activity(s, p["organizer"])
    signup.open_signup(act, 2, closes_in(7), by=actor(p["organizer"], s), tz=s.timezone)
    for t in ts:
        signup.sign_up(act, t, by=actor(t, s))
    signup.withdraw(act, ts[0], by=actor(ts[0], s))  # ts[2] moves up
    signup.withdraw(act, ts[2], by=actor(ts[2], s))  # the promoted one leaves too: ts[3] moves up
    signup.withdraw(act, ts[1], by=actor(ts[1], s))  # nobody left waiting
    view = signup.view(act, p["organizer"].id)
    assert [u.username for _r, u in view.withdrawn] == [ts[1].username, ts[2].username, ts[0].username]  # latest first
    gone = {u.username: r for r, u in view.withdrawn}
    assert gone[ts[2].username].promoted_at is not None and gone[ts[0].username].promoted_at is None
    assert all(r.changed_at >= r.signed_at for r in gone.values())
    assert [(u.username, r.promoted_at is not None) for r, u in view.seats] == [(ts[3].username, True)]
    signup.sign_up(act, ts[0], by=actor(ts[0], s))  # back again: a fresh seat, no promotion, not withdrawn
    view = signup.view(act, ts[0].id)
    assert view.mine.status == "seat" and view.mine.promoted_at is None
    assert ts[0].username not in {u.username for _r, u in view.withdrawn}


def _section(page: str) -> str:
    return page.split('data-testid="signup"')[1].split("</section>")[0]


def test_the_page_lists_withdrawals_for_the_organizer_and_admin_only(site, as_user):
    with site.app_context():
        act = db.session.execute(select(Activity.id).where(Activity.title == signup_title())).scalar_one()
    for who in ("organizer", "admin"):
        page = _section(as_user(who).get(f"/activities/{act}").get_data(as_text=True))
        assert 'data-testid="withdrawn-teacher1"' in page and "退出" in page, who
        assert 'data-testid="promoted-teacher4"' in page and "由候补转为正式名额" in page
        assert not CJK_FREE_ENGLISH.search(re.sub(r"<[^>]+>", " ", page))
    en = _section(as_user("organizer").get(f"/activities/{act}?lang=en").get_data(as_text=True))
    assert "Withdrawn" in en and "withdrew 20" in en and "moved up from the waiting list 20" in en
    for who in ("teacher2", "teacher5"):  # other teachers: no one else's withdrawal
        page = _section(as_user(who).get(f"/activities/{act}").get_data(as_text=True))
        assert 'data-testid="signup-withdrawn-list"' not in page and "teacher1" not in page
        assert 'data-testid="promoted-teacher4"' in page  # the seat list is public; when it moved up too
    mine = _section(as_user("teacher1").get(f"/activities/{act}").get_data(as_text=True))
    assert 'data-testid="signup-mine"' in mine and "您已于" in mine and "退出报名" in mine
    assert 'data-testid="signup-withdrawn-list"' not in mine


def test_a_teacher_lists_their_own_sign_ups(site, as_user):
    with site.app_context():
        act = db.session.execute(select(Activity.id).where(Activity.title == signup_title())).scalar_one()
    t1 = as_user("teacher1")
    assert 'data-testid="my-signups-link"' in t1.get("/").get_data(as_text=True)
    page = t1.get("/signups").get_data(as_text=True)
    assert f'data-testid="my-signup-{act}" data-status="withdrawn"' in page
    assert "已退出" in page and 'data-testid="my-signup-withdrawn-at"' in page and "我的报名" in page
    assert not CJK_FREE_ENGLISH.search(re.sub(r"<[^>]+>", " ", page.split("<main")[-1]))
    t4 = as_user("teacher4").get("/signups?lang=en").get_data(as_text=True)
    assert f'data-testid="my-signup-{act}" data-status="seat"' in t4 and "moved up from the waiting list" in t4
    assert 'data-testid="my-signups-none"' in as_user("teacher5").get("/signups?year=2020-2021").get_data(as_text=True)
    assert as_user("teacher1").get("/signups?year=2026").status_code == 404  # not a school year
    assert as_user("district").get("/signups").status_code in (302, 403)
