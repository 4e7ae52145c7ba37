"""Correction requests on the demo, as an outside walk tried them (password ``yanxiu-demo``): the
activity page and the API offer and accept the same kinds (``corrections.offered``, asked by the
page, the form's GET and POST and the API); nothing is asked in a school year that is over (no
admin changes its rows any more: ``activities.year_over_refusal``); a request of another
calendar year is said with its year."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from portal import policy
from portal.extensions import db
from portal.models import Activity, CorrectionRequest, Participation, School, User
from portal.services import access, corrections
from portal.services.activities import school_year_now
from portal.timeutil import to_local, utcnow, zone_of
from tests.api.conftest import login as api_login
from tests.credits.helpers import login

TALK = 40  # the organizer's talk, his own absence without leave recorded on it


def _page_kinds(html: str) -> set[str]:
    """The kinds the activity page offers to ask, or says were asked (waiting)."""
    offered = re.search(r'data-testid="ask-correction" data-kinds="([^"]*)"', html)
    waiting = re.findall(r'data-testid="correction-asked" data-kind="([^"]*)"', html)
    return set(offered.group(1).split() if offered else ()) | set(waiting)


def test_the_page_the_form_and_the_api_offer_and_accept_the_same_kinds(app, demo):
    act = db.session.get_one(Activity, TALK)
    org = db.session.get_one(User, act.organizer_id)
    school = db.session.get_one(School, act.school_id)
    web = login(app.test_client(), org, school)
    # every activity of the school: what the page offers is what the service would accept
    for (aid,) in db.session.execute(select(Activity.id).where(Activity.school_id == school.id)
                                     .order_by(Activity.id)):
        html = web.get(f"/activities/{aid}").get_data(as_text=True)
        told = set(corrections.offered_now(db.session.get_one(Activity, aid), access.actor(org.id, school.id)))
        assert _page_kinds(html) == told, aid
    offered = _page_kinds(web.get(f"/activities/{TALK}").get_data(as_text=True))
    assert offered == {corrections.ROW, corrections.CANCEL}
    api = api_login(app.test_client(), org.username)
    for kind in corrections.KINDS:  # the form's GET, then the API's POST, as the page says
        assert web.get(f"/activities/{TALK}/corrections/new?kind={kind}").status_code == (
            200 if kind in offered else 403), kind
        r = api.post(f"/api/v1/activities/{TALK}/corrections",
                     json={"kind": kind, "wanted": "请假 2 小时", "reason": "当天在区里开会，已报备"})
        assert r.status_code == (201 if kind in offered else 403), (kind, r.get_json())
    assert _page_kinds(web.get(f"/activities/{TALK}").get_data(as_text=True)) == offered  # now said waiting


def test_both_kinds_offered_each_its_own_words_and_link(app, demo):
    """The organiser of :data:`TALK` may ask both (his own row, and the cancel withheld from him):
    the page wrote one sentence for the two and one link, to the row's form only. Each kind is
    offered in its own words with its own link, which opens the form on that kind."""
    act = db.session.get_one(Activity, TALK)
    org = db.session.get_one(User, act.organizer_id)
    web = login(app.test_client(), org, db.session.get_one(School, act.school_id))
    html = web.get(f"/activities/{TALK}?lang=zh_CN").get_data(as_text=True)
    links = re.findall(r'<a class="tap-link" href="([^"]+)" data-testid="ask-correction-link" data-kind="([^"]+)">([^<]+)</a>',
                       html)
    assert [kind for _href, kind, _words in links] == [corrections.ROW, corrections.CANCEL], links
    assert len({words for _h, _k, words in links}) == 2, links  # each link its own words
    said = {kind: html.split(f'data-testid="ask-correction-{kind}"', 1)[1].split("<a ", 1)[0] for _h, kind, _w in links}
    assert "您本人的考勤由他人记录" in said[corrections.ROW] and "此活动须由他人取消" in said[corrections.CANCEL], said
    for href, kind, _words in links:
        form = web.get(href.replace("&amp;", "&")).get_data(as_text=True)
        assert re.search(rf'value="{kind}" checked data-testid="correction-kind-{kind}"', form), kind


def _closed_year_rows() -> list[tuple[Activity, User]]:
    """(activity, participant) of the demo's activities of a school year that is over, the
    participant's row recorded and theirs not to record (a row request the old code accepted)."""
    school = db.session.execute(select(School).order_by(School.id)).scalars().first()
    assert school is not None
    this_year = school_year_now(school)
    rows = db.session.execute(
        select(Activity, User).join(Participation, Participation.activity_id == Activity.id)
        .join(User, User.id == Participation.user_id)
        .where(Activity.school_id == school.id, Participation.attended_hours.is_not(None),
               Activity.organizer_id != Participation.user_id)
        .order_by(Activity.id, User.id)).all()
    return [(a, u) for a, u in rows if not policy.may_date_in_year(a.school_year, this_year)]


def test_no_request_in_a_year_that_is_over(app, demo):
    rows = _closed_year_rows()
    assert rows, "the demo holds talks of the year before the last"
    on_them = select(CorrectionRequest.id, CorrectionRequest.status).where(
        CorrectionRequest.activity_id.in_({a.id for a, _u in rows})).order_by(CorrectionRequest.id)
    # the demo's one, asked while its year was open and closed as year over since (demo_corrections)
    before = db.session.execute(on_them).all()
    assert [status for _id, status in before] == [corrections.YEAR_OVER]
    seen = set()
    for act, user in rows:
        if user.id in seen:
            continue
        seen.add(user.id)
        who = access.actor(user.id, act.school_id)
        assert corrections.offered_now(act, who) == [], (act.id, user.username)
        web = login(app.test_client(), user, db.session.get_one(School, act.school_id))
        assert 'data-testid="ask-correction"' not in web.get(f"/activities/{act.id}").get_data(as_text=True)
        form = web.get(f"/activities/{act.id}/corrections/new?kind=row")
        assert form.status_code == 409 and "只能在本学年和上一学年录入" in form.get_data(as_text=True)
        r = api_login(app.test_client(), user.username).post(
            f"/api/v1/activities/{act.id}/corrections", json={"kind": "row", "wanted": "出席全程", "reason": "签到漏记"})
        assert r.status_code == 409 and "is over: attendance, participants" in r.get_json()["message"], r.get_json()
    assert db.session.execute(on_them).all() == before  # nothing asked


def test_a_request_of_another_calendar_year_is_said_with_its_year(app, demo):
    act = db.session.get_one(Activity, TALK)
    org = db.session.get_one(User, act.organizer_id)
    school = db.session.get_one(School, act.school_id)
    req = corrections.ask(act, access.actor(org.id, school.id), corrections.ROW, "请假 2 小时", "当天在区里开会")
    web = login(app.test_client(), org, school)
    today = to_local(utcnow(), zone_of(school)).date()
    html = web.get(f"/activities/{TALK}").get_data(as_text=True)
    assert f"已于{today.month}月{today.day}日申请，待处理" in html  # this year's: no year said
    db.session.execute(update(CorrectionRequest).where(CorrectionRequest.id == req.id)
                       .values(created_at=req.created_at - timedelta(days=366)))
    db.session.commit()
    then = to_local(db.session.get_one(CorrectionRequest, req.id).created_at, zone_of(school)).date()
    html = web.get(f"/activities/{TALK}").get_data(as_text=True)
    assert f"已于{then.year}年{then.month}月{then.day}日申请，待处理" in html, re.findall(r"已于[^<]*", html)
