"""What an audit of the Chinese pages found: a word or an order that differed from page to page.
Each test names the page that differed and asserts it as the others have it."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import User
from portal.sorting import by_pinyin


def test_the_login_page_asks_in_chinese_not_in_flask_logins_english(site):
    client = site.test_client()
    r = client.get("/reports/summary", follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.request.path == "/login"
    assert "请先登录，再查看此页面。" in html
    assert "Please log in" not in html
    en = site.test_client()
    en.get("/lang/en")
    assert "Please sign in to see this page." in en.get("/reports/summary", follow_redirects=True).get_data(as_text=True)


def test_the_review_queue_lists_people_in_pinyin_order_as_the_activity_page_does(site, as_user):
    html = as_user("reviewer").get("/review").get_data(as_text=True)
    rows = re.findall(r'data-testid="queue-participant-(\d+)-([^"]+)"', html)
    with site.app_context():
        names = dict(db.session.execute(select(User.username, User.display_name)).all())
    by_activity: dict[str, list[str]] = {}
    for aid, username in rows:
        by_activity.setdefault(aid, []).append(names[username])
    assert any(len(people) >= 3 for people in by_activity.values())
    for aid, people in by_activity.items():
        assert people == by_pinyin(people, str), aid


def test_an_exempt_teachers_home_says_exempt_as_the_record_and_the_summary_do(as_user):
    seen = 0
    for n in range(1, 7):
        html = as_user(f"teacher{n}").get("/").get_data(as_text=True)
        badge = re.search(r'data-testid="hours-status" data-status="([a-z_]+)">\s*(.*?)\s*</span>', html, re.S)
        assert badge, n
        if badge.group(1) == "exempt":
            seen += 1
            assert badge.group(2) == "免于考核"
    assert seen, "no exempt teacher in the demo"
