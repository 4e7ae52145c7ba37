"""What an audit of the Chinese pages found: a word or an order that differed from page to page.
Each test names the page that differed and asserts it as the others have it."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, User
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


def test_lists_and_labels_in_a_refusal_take_the_readers_punctuation(site, as_user):
    """「可进行：审核通过, 退回修改」 and 「缺少材料：…; 缺少材料：…」: the separators of a list
    and the colon after a name were ASCII inside Chinese sentences. They are msgids now."""
    from portal.messages import Joined, msg, tr

    parts = {"王雅琴": msg("hours.steps"), "赵子涵": msg("hours.steps")}
    with site.test_request_context("/"):
        assert tr(Joined(["甲", "乙"], ", ")) == "甲、乙" and tr(Joined(["甲", "乙"])) == "甲；乙"
        assert tr(parts) == "王雅琴：学时以 0.5 为单位；赵子涵：学时以 0.5 为单位"
    with site.test_request_context("/?lang=en"):
        assert tr(Joined(["a", "b"], ", ")) == "a, b" and tr(Joined(["a", "b"])) == "a; b"
        assert tr(parts).startswith("王雅琴: ") and "; 赵子涵: " in tr(parts)

    with site.app_context():
        held = db.session.execute(select(Activity.id).where(Activity.state == "held", Activity.type_key == "lecture")
                                  .order_by(Activity.id)).scalars().first()
    client = as_user("reviewer")
    page = client.get(f"/activities/{held}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    html = client.post(f"/activities/{held}/trigger", data={"trigger": "credit", "comment": "", "csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    allowed = re.search(r"（可进行：([^）]*)）", html)
    assert allowed, html[:2000]
    assert "、" in allowed.group(1) and ", " not in allowed.group(1)
