"""Correction requests attacked (hFF's walk): a reason or a wanted row of invisible characters
only, markup and spreadsheet formulas in what is asked, two identical requests sent at the same
moment, two admins closing one request at once, an asker posing as another, and a request on a
year the district accepted. Each refusal changes nothing."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from portal import policy
from portal.errors import Conflict, Invalid
from portal.extensions import db
from portal.models import Activity, School, YearLock, YearSubmission
from portal.services import access, corrections, staff
from tests.corrections.test_corrections_api import _api
from tests.corrections.test_corrections_service import _notices, _recorded_by_admin, _requests, _talk
from tests.credits.helpers import login
from tests.support import factories
from tests.support.at_once import at_once, side_by_side

PAGE = 20  # the lists' page on /corrections (``corrections.PAGE_SIZE``)
INVISIBLE = ("\u200b\u2060", "\ufeff", "\u00ad \u200c", "。，", "  ")


def _org(w):
    return access.actor(w.people["organizer"].id, w.school.id)


@pytest.mark.parametrize("blank", INVISIBLE)
def test_a_reason_or_a_row_of_invisible_characters_says_nothing_and_is_refused(client, world, blank):
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    told = _notices(p["admin"], "correction_asked")
    for wanted, reason, field in (("出席 3 小时", blank, "reason"), (blank, "签到表漏签", "wanted")):
        with pytest.raises(Invalid) as e:
            corrections.ask(act, _org(w), "row", wanted, reason)
        assert field in e.value.fields
    r = _api(client, p["organizer"]).post(f"/api/v1/activities/{act.id}/corrections",
                                         json={"kind": "cancel", "reason": blank})
    assert r.status_code == 422 and r.get_json()["fields"]["reason"] == "say why: a reason is required"
    doc = client.get("/api/v1/openapi.json").get_json()  # a refusal the document declares (schemathesis's check)
    rules = doc["paths"]["/api/v1/activities/{activity_id}/corrections"]["post"]["x-data-rules"]
    assert any(x["field"] == "reason" and re.search(x["message"], r.get_json()["fields"]["reason"]) for x in rules)
    web = login(client.application.test_client(), p["organizer"], w.school)
    r = web.post(f"/activities/{act.id}/corrections/new", data={"kind": "cancel", "reason": blank})
    assert r.status_code == 422
    assert _requests() == [] and _notices(p["admin"], "correction_asked") == told
    # a decline of invisible characters tells its asker nothing: refused, the request stays open
    req = corrections.ask(act, _org(w), "row", "出席 3 小时", "签到表漏签")
    with pytest.raises(Invalid) as e:
        corrections.close(req, access.actor(p["admin"].id, w.school.id), "declined", blank)
    assert "reason" in e.value.fields and _requests()[0][1] == "open"
    assert _notices(p["organizer"], "correction_closed") == 0


def test_markup_and_formulas_in_a_request_stay_text(app, world):
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    corrections.ask(act, _org(w), "row", "=1+2", '=HYPERLINK("x")<script>alert(1)</script>')
    req = corrections.listed(w.school.id)[0].request
    admin = login(app.test_client(), p["admin"], w.school)
    for url in (f"/corrections/{req.id}", "/admin/audit?view=corrections", "/notifications"):
        html = admin.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html, url
    assert "&lt;script&gt;alert(1)" in admin.get(f"/corrections/{req.id}").get_data(as_text=True)
    csv = admin.get("/admin/audit.csv?view=corrections").get_data(as_text=True)
    assert "\"'=HYPERLINK(" in csv and ",=" not in csv and '"=' not in csv  # the formula is text to a spreadsheet


def test_an_open_request_reads_waiting_in_chinese_not_a_link_word(app, world):
    """Its status read 查看 (the catalogue's "Open" of a link) on the request, the lists and the audit CSV."""
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    req = corrections.ask(act, _org(w), "row", "出席 3 小时", "签到表漏签")
    admin = login(app.test_client(), p["admin"], w.school)
    for url in (f"/corrections/{req.id}?lang=zh_CN", "/corrections?lang=zh_CN"):
        html = admin.get(url).get_data(as_text=True)
        assert '<span data-testid="correction-status">待处理</span>' in html, url
    assert ",待处理," in admin.get("/admin/audit.csv?view=corrections&lang=zh_CN").get_data(as_text=True)
    html = admin.get(f"/corrections/{req.id}?lang=en").get_data(as_text=True)
    assert '<span data-testid="correction-status">Waiting to be handled</span>' in html


def test_the_same_request_sent_twice_at_once_is_written_once(app, world):
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    act_id, org_id, school_id = act.id, p["organizer"].id, w.school.id
    db.session.commit()
    db.session.remove()

    def ask() -> None:
        corrections.ask(db.session.get_one(Activity, act_id), access.actor(org_id, school_id), "row", "出席 3 小时",
                        "签到表漏签")

    assert at_once(app, 2, ask, Conflict) == [201, 422]
    assert [r[1] for r in _requests()] == ["open"]


def test_two_admins_closing_one_request_at_once_close_it_once(app, world):
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    req_id = corrections.ask(act, _org(w), "row", "出席 3 小时", "签到表漏签").id
    ids, school_id, org = (p["admin"].id, p["admin2"].id), w.school.id, SimpleNamespace(id=p["organizer"].id)
    db.session.commit()
    db.session.remove()

    def close(uid: int, outcome: str):
        return lambda: corrections.close(corrections.get(school_id, req_id), access.actor(uid, school_id), outcome,
                                         "已核对")

    out = side_by_side(app, close(ids[0], "done"), close(ids[1], "declined"))
    assert sorted(out) == ["correction.closed_already", "done"]
    assert len(_requests()) == 1 and _requests()[0][1] in ("done", "declined")
    assert _notices(org, "correction_closed") == 1


def test_no_one_asks_as_another_or_of_another_school(client, world):
    """A requester named in the body is refused (the caller asks, always); another school's
    activity and request are 'not found'; a teacher reads only their own requests."""
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    t1 = _api(client, p["t1"])
    r = t1.post(f"/api/v1/activities/{act.id}/corrections",
                json={"kind": "row", "wanted": "出席", "reason": "代他申请", "requester_id": p["organizer"].id})
    assert r.status_code == 422 and "requester_id" in r.get_json()["fields"]
    req = corrections.ask(act, _org(w), "row", "出席 3 小时", "签到表漏签")
    assert t1.get("/api/v1/corrections").get_json()["items"] == []
    assert t1.post(f"/api/v1/corrections/{req.id}/close", json={"outcome": "done"}).status_code == 403
    other = _api(client, w.people2["admin"])
    assert other.get("/api/v1/corrections").get_json()["items"] == []
    assert other.post(f"/api/v1/corrections/{req.id}/close", json={"outcome": "done", "reason": "x"}).status_code == 404
    assert other.post(f"/api/v1/activities/{act.id}/corrections",
                      json={"kind": "cancel", "reason": "x"}).status_code == 404
    assert _requests()[0][1] == "open" and len(_requests()) == 1


def _accepted(w, act):
    """The district accepts the semester of ``act``: its year is locked."""
    school = db.session.get_one(School, w.school.id)
    sub = YearSubmission(district_id=school.district_id, school_id=school.id, school_year=act.school_year,
                         semester=act.semester, status="accepted", submitted_by=w.people["admin"].id)
    db.session.add(sub)
    db.session.flush()
    db.session.add(YearLock(school_id=school.id, school_year=act.school_year, semester=act.semester,
                            submission_id=sub.id, locked_by=w.people["admin"].id))
    db.session.commit()


def test_a_request_on_a_year_the_district_accepted(app, world):
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    _accepted(w, act)
    """Nobody changes a row or cancels an activity there: the page offers no request, the service
    refuses one saying the year is accepted (it was sent, and no admin could do it)."""
    assert corrections.offered_now(act, _org(w)) == []
    for kind in corrections.KINDS:
        with pytest.raises(Conflict) as e:
            corrections.ask(act, _org(w), kind, "出席 3 小时", "签到表漏签")
        assert e.value.msg.code == "year.locked"
    assert _requests() == [] and _notices(p["admin"], "correction_asked") == 0
    html = login(app.test_client(), p["organizer"], w.school).get(f"/activities/{act.id}").get_data(as_text=True)
    assert 'data-testid="ask-correction"' not in html


def test_a_school_whose_only_admin_asks_sends_nobody_a_request(app, world):
    """Nobody closes their own request: where the asker is the school's only admin it went to no
    one, waited on nobody's to-do list and could never be closed. Not offered, refused saying why."""
    s = factories.school("S3")
    org = factories.person(s, "s3org", "organizer", "teacher")
    adm = factories.person(s, "s3adm", "school_admin", "teacher")
    act = factories.plan(s, org, "lecture", [(org, "speaker"), (adm, "attendee")], details={"topic": "作业设计"},
                         title="单人管理员学校的讲座")
    factories.attend(act, org, hours={adm.id: "0"}, absent={adm.id: str(act.hours)})
    me = access.actor(adm.id, s.id)
    assert corrections.offered_now(act, me) == []
    for kind in corrections.KINDS:
        with pytest.raises(Conflict) as e:
            corrections.ask(act, me, kind, "出席 3 小时", "我当天在场")
        assert e.value.msg.code == "correction.nobody_to_close"
    assert _requests() == []
    web = login(app.test_client(), adm, s)
    assert 'data-testid="ask-correction"' not in web.get(f"/activities/{act.id}").get_data(as_text=True)
    r = web.post(f"/activities/{act.id}/corrections/new?lang=zh_CN", data={"kind": "row", "wanted": "出席", "reason": "在场"})
    assert r.status_code == 409 and "本校须先增设一名学校管理员" in r.get_data(as_text=True)
    assert _requests() == []
    # the organiser (not an admin) still asks for their own recorded row: the admin closes it
    assert corrections.offered_now(act, access.actor(org.id, s.id)) == [corrections.ROW]


def test_an_admin_makes_no_second_admin_account_to_close_their_own(world):
    """A second admin account the asker controls: one they add has a password they typed, and a
    role that decides hours is not given to it (``policy.may_give_role``)."""
    w, p = world, world.people
    act = _talk(w, p["admin"])
    factories.attend(act, p["organizer"])
    me = access.actor(p["admin"].id, w.school.id)
    corrections.ask(act, me, "row", "请假 3 小时", "外出开会")
    with pytest.raises(Invalid):
        staff.add_person(w.school, "adminalt", "Sock-puppet-9", "郑小号", ["school_admin"], by=me)
    alt = staff.add_person(w.school, "adminalt", "Sock-puppet-9", "郑小号", ["teacher"], by=me)
    with pytest.raises(Invalid):
        staff.set_roles(w.school, alt.id, ["teacher", "school_admin"], by=me)
    assert not policy.may_see_corrections(access.actor(alt.id, w.school.id))
    assert _requests()[0][1] == "open"


def _walk(client, url: str, testid: str) -> list[str]:
    """The statuses of the requests of every page of a list on /corrections, following its pager's
    next links from ``url`` (each page at most 20)."""
    seen: list[str] = []
    while url:
        r = client.get(url)
        assert r.status_code == 200, url
        html = r.get_data(as_text=True)
        section = html.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]
        found = re.findall(r'data-testid="correction-(\d+)" data-status="(\w+)"', section)
        assert 0 < len(found) <= PAGE
        seen += [f"{i}:{st}" for i, st in found]
        nxt = re.search(rf'href="([^"#]*)" data-testid="{testid}-pager-next"', section)
        url = nxt.group(1).replace("&amp;", "&") if nxt else ""
    return seen


def test_the_lists_and_the_api_page_past_100(app, client, world):
    """101 teachers each ask about their row: the to-do list counted 101, the admins' list (then
    every open one on one page) and the API (at most 100, no paging) stopped short. Each pages now:
    the web by its pager (the oldest, waiting longest, on the last page), the API by ``page`` and
    ``per_page`` as its other lists; a bad page value is refused clearly."""
    w, p = world, world.people
    crowd = [factories.person(w.school, f"crowd{i:03}", "teacher") for i in range(101)]
    act = factories.plan(w.school, p["organizer"], "lecture", [(u, "attendee") for u in crowd],
                         details={"topic": "单元整体教学"}, title="全校大会")
    factories.attend(act, p["admin"])
    made = [corrections.ask(act, access.actor(u.id, w.school.id), "row", "请假 3 小时", "当天病假").id for u in crowd]
    admin = access.actor(p["admin"].id, w.school.id)
    assert corrections.waiting_on(w.school.id, admin)[0] == 101
    web = login(app.test_client(), p["admin"], w.school)
    seen = _walk(web, "/corrections", "corrections-waiting")
    assert seen == [f"{i}:open" for i in reversed(made)]  # newest first, each once, the oldest last
    assert web.get("/corrections?wafter=not-a-cursor").status_code == 422

    api = _api(client, p["admin"])
    body = api.get("/api/v1/corrections?per_page=100").get_json()
    assert (len(body["items"]), body["page"], body["per_page"], body["total"], body["pages"]) == (100, 1, 100, 101, 2)
    last = api.get("/api/v1/corrections?per_page=100&page=2").get_json()
    assert [x["id"] for x in body["items"] + last["items"]] == list(reversed(made))
    assert api.get("/api/v1/corrections").get_json()["per_page"] == PAGE
    assert api.get("/api/v1/corrections?page=9").get_json()["items"] == []  # past the end: none, not an error
    for bad, field in (("page=0", "page"), ("page=x", "page"), ("per_page=101", "per_page"), ("per_page=0", "per_page"),
                       ("page=-1", "page")):
        r = api.get(f"/api/v1/corrections?{bad}")
        assert r.status_code == 422 and field in r.get_json()["fields"], (bad, r.get_json())
    assert [s for _id, s, *_ in _requests()] == ["open"] * 101


def test_ones_own_requests_page_too(app, world):
    """我的申请 listed the 100 newest of one's requests: it pages as the admins' list does."""
    w, p = world, world.people
    me = access.actor(p["t1"].id, w.school.id)
    made = []
    for i in range(PAGE + 1):
        act = factories.plan(w.school, p["organizer"], "lecture", [(p["t1"], "attendee")],
                             details={"topic": "单元整体教学"}, title=f"讲座{i}")
        factories.attend(act, p["organizer"])
        made.append(corrections.ask(act, me, "row", "请假 3 小时", "当天病假").id)
    web = login(app.test_client(), p["t1"], w.school)
    assert _walk(web, "/corrections", "corrections-mine") == [f"{i}:open" for i in reversed(made)]
    assert web.get("/corrections?before=2026-01-01~x").status_code == 422


def _three_asked(w):
    """The organiser's, t1's and t2's row requests on one talk, its rows recorded by the admin."""
    p = w.people
    act = _talk(w, p["t2"])
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    asked = [corrections.ask(act, _org(w), "row", "出席 3 小时", "签到表漏签"),
             corrections.ask(act, access.actor(p["t1"].id, w.school.id), "row", "请假 3 小时", "当天病假"),
             corrections.ask(act, access.actor(p["t2"].id, w.school.id), "row", "请假 3 小时", "外出开会")]
    db.session.commit()
    return act, asked


def _closed_whatever_picked(app, client, w, asked, status: str, said: SimpleNamespace) -> None:
    """Each of ``asked`` closes as ``status`` whatever an admin picks (done on the page, declined
    with no reason by the service, done in the API), the page saying why and offering no decline,
    the requester's list and notice saying so."""
    p = w.people
    row, t1, t2 = asked
    admin = login(app.test_client(), p["admin"], w.school)
    page = admin.get(f"/corrections/{row.id}?lang=zh_CN").get_data(as_text=True)
    assert f'data-testid="{said.testid}"' in page and said.page in page
    assert 'data-testid="correction-decline"' not in page
    assert admin.post(f"/corrections/{row.id}", data={"outcome": "done", "reason": ""}).status_code == 302
    corrections.close(t1, access.actor(p["admin"].id, w.school.id), "declined", "")  # no reason asked
    r = _api(client, p["admin2"]).post(f"/api/v1/corrections/{t2.id}/close", json={"outcome": "done"})
    assert r.status_code == 200 and r.get_json()["status"] == status
    assert [s for _id, s, *_ in _requests()] == [status] * 3
    mine = login(app.test_client(), p["organizer"], w.school).get("/corrections?lang=zh_CN").get_data(as_text=True)
    assert said.status in mine
    told = login(app.test_client(), p["t1"], w.school).get("/notifications?lang=zh_CN").get_data(as_text=True)
    assert said.notice in told and _notices(p["t1"], "correction_closed") == 1


def test_a_request_open_when_the_district_accepts_its_semester_closes_saying_so(app, client, world):
    """Asked before the district accepted the semester, it was closed as done or declined though
    nothing could change any more: it closes as locked (学期已验收，无法更改) whatever the admin picks,
    on the page, in the API and in its requester's notice; no reason is asked to decline it."""
    act, asked = _three_asked(world)
    _accepted(world, act)
    _closed_whatever_picked(app, client, world, asked, corrections.LOCKED, SimpleNamespace(
        testid="correction-locked", page="区里已验收该活动所在学期", status="已关闭：学期已验收，无法更改",
        notice="该学期已验收，无法更改"))


def test_a_request_open_when_its_school_year_is_over_closes_saying_so(app, client, world, time_machine):
    """Asked in its year, still open once that year is over (a year before the last: no row of it
    changes any more, ``activities.year_over_refusal``), it closed as done or declined, a decline
    asking a reason, as if something could still change: it closes as year over (学年已结束，无法更改)
    whatever the admin picks, on the page, in the API and in its requester's notice."""
    from datetime import timedelta

    from portal.timeutil import utcnow

    act, asked = _three_asked(world)
    time_machine.move_to(utcnow() + timedelta(days=2 * 366))
    assert corrections.closes_as(db.session.get_one(Activity, act.id)) == corrections.YEAR_OVER
    _closed_whatever_picked(app, client, world, asked, corrections.YEAR_OVER, SimpleNamespace(
        testid="correction-year-over", page="该活动所在学年已结束", status="已关闭：该学年已结束，无法更改",
        notice="该学年已结束，无法更改"))



def _waiting_everywhere(app, client, w) -> tuple[str | None, list[str], list[str]]:
    """What waits on the admin: the home's to-do count of requests (None: no item), the statuses
    /corrections lists as waiting, and the statuses the API lists (by id)."""
    admin = login(app.test_client(), w.people["admin"], w.school)
    home = admin.get("/?lang=zh_CN").get_data(as_text=True)
    todo = re.search(r'data-testid="todo-corrections_waiting" data-count="(\d+)"', home)
    page = admin.get("/corrections?lang=zh_CN").get_data(as_text=True)
    section = page.split('data-testid="corrections-waiting"')[1].split("</section>")[0]
    items = _api(client, w.people["admin"]).get("/api/v1/corrections").get_json()["items"]
    return (todo.group(1) if todo else None, re.findall(r'data-status="(\w+)"', section),
            [i["status"] for i in sorted(items, key=lambda i: i["id"])])


@pytest.mark.parametrize("how", ["locked", "year_over"])
def test_a_request_that_can_no_longer_be_granted_waits_on_nobody(app, client, world, time_machine, how):
    """Open when its semester is accepted, or still open once its school year is over, a request
    can no longer be granted (``corrections.closes_as``): the admin's to-do no longer counts it
    (the home's cached part: a new data stamp on the accept, a new day at the year's end), the
    waiting list of /corrections no longer lists it, and both lists — the web's and the API's — read
    it as closed as locked or year over: one rule, ``corrections._reads_as``."""
    from datetime import timedelta

    from sqlalchemy import update

    from portal.timeutil import utcnow

    act, _asked = _three_asked(world)
    assert _waiting_everywhere(app, client, world) == ("3", ["open"] * 3, ["open"] * 3)
    if how == "locked":
        _accepted(world, act)
        db.session.execute(update(School).where(School.id == world.school.id)  # as the accept does (its restamp)
                           .values(data_version=School.data_version + 1))
        db.session.commit()
    else:
        time_machine.move_to(utcnow() + timedelta(days=2 * 366))
    assert corrections.closes_as(db.session.get_one(Activity, act.id)) == how
    assert _waiting_everywhere(app, client, world) == (None, [], [how] * 3)
    asker = login(app.test_client(), world.people["organizer"], world.school)
    assert f'data-status="{how}"' in asker.get("/corrections?lang=zh_CN").get_data(as_text=True)
    page = asker.get(f"/corrections/{_asked[0].id}?lang=zh_CN").get_data(as_text=True)  # its own page reads so too
    assert f'data-testid="correction" data-status="{how}"' in page


@pytest.mark.parametrize("how", ["locked", "year_over"])
def test_the_requester_of_one_that_can_no_longer_be_granted_reads_what_happened(app, client, world, time_machine, how):
    """Open when its semester is accepted, or once its school year is over: its requester's page
    read that another admin closes it, as if it still waited. It says what happened and what is
    left to do (a reopening by the district, asked through the school's admins; nothing for a
    year over), in both languages; the admin's page says its own (close it, or have it reopened)."""
    from datetime import timedelta

    from portal.timeutil import utcnow

    act, asked = _three_asked(world)
    if how == "locked":
        _accepted(world, act)
    else:
        time_machine.move_to(utcnow() + timedelta(days=2 * 366))
    asker = login(app.test_client(), world.people["organizer"], world.school)
    said = {"locked": ("correction-own-locked", "区里已验收该活动所在学期", "请联系学校管理员申请区里重新开放该学期",
                       "ask the school's admins to have the district reopen the semester"),
            "year_over": ("correction-own-year-over", "该活动所在学年已结束", "该学年的记录保持不变",
                          "The year's record stays as it is.")}[how]
    zh = asker.get(f"/corrections/{asked[0].id}?lang=zh_CN").get_data(as_text=True)
    assert f'data-testid="{said[0]}"' in zh and said[1] in zh and said[2] in zh
    assert 'data-testid="correction-own"' not in zh and "由另一位学校管理员处理" not in zh
    en = asker.get(f"/corrections/{asked[0].id}?lang=en").get_data(as_text=True)
    assert said[3] in en and "Another school admin closes it" not in en
    admin = login(app.test_client(), world.people["admin"], world.school)
    page = admin.get(f"/corrections/{asked[0].id}?lang=zh_CN").get_data(as_text=True)
    assert 'data-testid="correction-close-form"' in page and f'data-testid="{said[0]}"' not in page
    if how == "locked":  # the admin may have it reopened instead of closing it
        assert "请先申请区里重新开放该学期" in page
    # closed, it reads so to its requester still
    corrections.close(asked[0], access.actor(world.people["admin"].id, world.school.id), "done", "")
    assert said[1] in asker.get(f"/corrections/{asked[0].id}?lang=zh_CN").get_data(as_text=True)
