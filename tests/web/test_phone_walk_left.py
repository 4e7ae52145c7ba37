"""What a teacher's year walked on a phone left (hCY's walk, the demo school):

* the activity list's year filter wrote a year as its code ``2026-2027``, where every other page
  writes 2026—2027学年 / School year 2026–2027 (``messages.school_year_text``);
* a past year on the home page and on the plan page: read-only history, in its own words;
* the demo's 今日签到 lecture: its topic matches its title.
"""

from __future__ import annotations

import html as html_lib
import re

from portal.demo import DEMO_PASSWORD
from portal.messages import school_year_text

OPTION = re.compile(r'<option value="(\d{4}-\d{4})"[^>]*>([^<]*)</option>')


def test_the_activity_lists_year_filter_writes_the_year_as_every_page_does(site, as_user):
    teacher = as_user("teacher1")
    for lang in ("zh", "en"):
        page = teacher.get(f"/activities?lang={lang}").get_data(as_text=True)
        select = re.search(r'<select[^>]*data-testid="filter-year".*?</select>', page, re.S)
        assert select, page[:2000]
        options = OPTION.findall(select.group(0))
        assert options, select.group(0)
        with site.test_request_context(f"/?lang={lang}"):
            for code, shown in options:
                assert html_lib.unescape(shown).strip() == school_year_text(code, lang=lang), (lang, code, shown)
                assert code not in shown


# -- a past year: read-only history ------------------------------------------------------------

LAST, THIS = "2025-2026", "2026-2027"  # the demo is dated now: teacher3 was exempt all of last year


def _rows(site) -> list[tuple]:
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import DevelopmentPlan

    with site.app_context():
        return [tuple(r) for r in db.session.execute(select(
            DevelopmentPlan.id, DevelopmentPlan.user_id, DevelopmentPlan.school_year, DevelopmentPlan.status,
            DevelopmentPlan.goals, DevelopmentPlan.target_hours, DevelopmentPlan.updated_at).order_by(DevelopmentPlan.id))]


def _body(page: str) -> str:
    """The page's own words: less the district's announcements at its top (their text is the district's)."""
    page = re.sub(r'<div[^>]*data-testid="district-deadlines".*?</div>', "", page, flags=re.S)
    page = re.sub(r"<script.*?</script>|<style.*?</style>", "", page, flags=re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_last_years_home_is_that_years_history_in_its_own_words(site, as_user):
    """``/?year=<last year>`` said 本学年 everywhere (本学年预测, 本学年还没有认定学时), offered
    填写我的计划 and 申报校外学时, and named the months the reading notes were short in a year the
    teacher was exempt from. Now: the year's own words, no outlook, no plan to write, no month short."""
    t3 = as_user("teacher3")
    page = t3.get(f"/?year={LAST}").get_data(as_text=True)
    text = _body(page)
    assert "2025—2026学年" in text and "本学年" not in text, text
    assert 'data-testid="hours-status" data-status="exempt"' in page
    assert 'data-testid="forecast"' not in page  # a past year has no outlook
    assert "填写我的计划" not in text and 'data-testid="home-plan-none"' in page
    assert "2025—2026学年：没有填写个人发展计划。" in text and "2025—2026学年：没有认定学时。" in text
    assert 'data-testid="declare-' not in page
    assert 'data-testid="quotas"' in page and 'data-testid="quota-short"' not in page and "未达标月份" not in text
    # a year switch, the summaries' (reports/_macros.html's year_form), leads to the other years
    assert re.search(r'<form method="get" action="/"[^>]*>.*?name="year" value="2025-2026"', page, re.S)
    english = _body(t3.get(f"/?year={LAST}&lang=en").get_data(as_text=True))
    assert "School year 2025–2026: no development plan was written." in english and "this school year" not in english
    # this year's page keeps its outlook, its plan to write and its declarations
    now = t3.get("/?lang=zh").get_data(as_text=True)
    assert 'data-testid="forecast"' in now and "填写我的计划" in now and 'data-testid="declare-' in now


def test_a_months_short_show_on_a_past_year_that_was_assessed(site, as_user):
    """Only an exempt year names no month short: a past year that was assessed keeps its facts."""
    page = as_user("teacher1").get(f"/?year={LAST}").get_data(as_text=True)
    assert 'data-testid="quotas"' in page and 'data-testid="quota-short"' in page, _body(page)[:3000]


def test_last_years_plan_is_read_only_and_a_post_changes_nothing(site, as_user):
    """``/plan?year=<last year>`` offered the draft and hand-in form for a year that is over; a POST
    is now refused with a clear message (409), rows unchanged."""
    t3 = as_user("teacher3")
    page = t3.get(f"/plan?year={LAST}").get_data(as_text=True)
    assert 'data-testid="plan-form"' not in page and 'data-testid="plan-year-past"' in page
    assert "2025—2026学年已结束" in _body(page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', t3.get(f"/plan?year={THIS}").get_data(as_text=True)).group(1)
    before = _rows(site)
    r = t3.post(f"/plan?year={LAST}", data={"csrf_token": token, "goals": "补写去年的计划", "studies": "",
                                             "target_hours": "50", "action": "submit"})
    assert r.status_code == 409
    assert "2025—2026学年已结束：该学年的个人发展计划保留原样，不能再修改" in _body(r.get_data(as_text=True))
    assert _rows(site) == before
    assert 'data-testid="plan-form"' in t3.get(f"/plan?year={THIS}").get_data(as_text=True)  # this year's: the form


def test_a_returned_plan_of_a_past_year_is_not_revised_any_more(site, as_user):
    """A plan returned for revision in a year since over could still be revised (after the deadline
    a returned plan may be): a past year is history, through the pages and the API alike."""
    from decimal import Decimal

    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import DevelopmentPlan, School, User
    from portal.services import plans

    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        t3 = db.session.execute(select(User).where(User.username == "teacher3")).scalar_one()
        db.session.add(DevelopmentPlan(school_id=school.id, user_id=t3.id, school_year=LAST, goals="多读书",
                                       target_hours=Decimal(50), status=plans.RETURNED, comment="请写具体一些"))
        db.session.commit()
    before = _rows(site)
    client = as_user("teacher3")
    page = client.get(f"/plan?year={LAST}").get_data(as_text=True)
    assert 'data-testid="plan-form"' not in page and "多读书" in page
    api = site.test_client()
    token = api.post("/api/v1/auth/token", json={"username": "teacher3", "password": DEMO_PASSWORD}).get_json()["token"]
    r = api.put(f"/api/v1/plans/me?year={LAST}", json={"goals": "多读书，多反思"},
                headers={"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"})
    assert r.status_code == 409 and r.get_json()["message"].startswith("2025—2026学年已结束"), r.get_json()
    assert _rows(site) == before
    home = client.get(f"/?year={LAST}").get_data(as_text=True)
    assert 'data-testid="home-plan-status"' in home and "查看我的计划" in home and "填写我的计划" not in home


# -- the demo: an activity's details tell the topic its title names ---------------------------------


def test_the_demos_named_activities_are_about_what_their_titles_say(site, as_user):
    """The 今日签到 talk was titled 课堂提问的艺术 and its page gave the topic 新课标下的单元整体教学
    (every demo activity took its type's sample details): the talks the demo names (today's
    check-in, tomorrow's, the sign-ups, the maths group's, the one held while a teacher was away)
    now tell the topic of their titles."""
    from sqlalchemy import select

    from portal.demo_reach import checkin_title, tomorrow_title
    from portal.demo_year import away_title, confirmed_title, parallel_title, signup_title
    from portal.extensions import db
    from portal.models import Activity

    with site.app_context():
        titles = [checkin_title(), tomorrow_title(), signup_title(), confirmed_title(), parallel_title(), away_title()]
        found = {a.title: a for a in db.session.execute(select(Activity).where(Activity.title.in_(titles))).scalars()}
        assert set(found) == set(titles)
        checkin = found[checkin_title()].id
        for title, act in found.items():
            topic = next(v for v in act.details.values() if isinstance(v, str) and len(v) > 1)
            assert topic and topic in title and "新课标下的单元整体教学" not in act.details.values(), (title, act.details)
    page = as_user("teacher1").get(f"/activities/{checkin}").get_data(as_text=True)
    assert "课堂提问的艺术" in _body(page) and "新课标下的单元整体教学" not in page
