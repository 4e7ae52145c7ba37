"""Correction requests on the pages: asked from the activity page where it says someone else does
it, on the admin's to-do list, closed by another admin, the requester told, the audit log naming
who asked, who closed and why; both languages."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import CorrectionRequest
from portal.services import access, corrections
from tests.corrections.test_corrections_service import _recorded_by_admin, _requests, _talk
from tests.credits.helpers import login
from tests.support import factories


def _client(app, user, school):
    return login(app.test_client(), user, school)


def test_asked_from_the_activity_page_and_closed_by_an_admin(app, world):
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    org = _client(app, p["organizer"], w.school)
    admin = _client(app, p["admin"], w.school)
    assert 'data-testid="todo-corrections_waiting"' not in admin.get("/").get_data(as_text=True)  # kept in the cache
    html = org.get(f"/activities/{act.id}?lang=zh_CN").get_data(as_text=True)
    assert 'data-testid="ask-correction"' in html and "您本人的考勤由他人记录" in html and "此活动须由他人取消" in html
    assert org.get(f"/activities/{act.id}/corrections/new?kind=row").status_code == 200

    # bad input: said in place, nothing saved
    for data, said in (({"kind": "row", "wanted": "出席 4 小时", "reason": " "}, "请写明理由"),
                       ({"kind": "row", "wanted": "", "reason": "漏签"}, "请写明您的记录应为什么"),
                       ({"kind": "row", "wanted": "出席", "reason": "长" * 501}, "500"),
                       ({"kind": "other", "reason": "漏签"}, "请选择申请内容")):
        r = org.post(f"/activities/{act.id}/corrections/new?lang=zh_CN", data=data)
        assert r.status_code == 422 and said in r.get_data(as_text=True), data
        assert _requests() == []
    r = org.post(f"/activities/{act.id}/corrections/new", data={
        "kind": "row", "wanted": "出席 3 小时", "reason": "我当天主讲，签到表漏签"})
    assert r.status_code == 302
    req = db.session.execute(select(CorrectionRequest)).scalar_one()
    # asked again: refused with the day of the first
    r = org.post(f"/activities/{act.id}/corrections/new?lang=zh_CN", data={
        "kind": "row", "wanted": "出席 3 小时", "reason": "再问一次"})
    assert r.status_code == 409 and "尚未处理完毕" in r.get_data(as_text=True) and len(_requests()) == 1

    # the admin's to-do list links it (the school's data stamp moved: not the cached list); the
    # request page shows where to change the row
    home = admin.get("/?lang=zh_CN").get_data(as_text=True)
    assert 'data-testid="todo-corrections_waiting"' in home and "有 1 条更正申请待您处理" in home
    listed = admin.get("/corrections").get_data(as_text=True)
    assert f'data-testid="correction-{req.id}"' in listed
    page = admin.get(f"/corrections/{req.id}").get_data(as_text=True)
    assert 'data-testid="correction-close-form"' in page and f"/activities/{act.id}/attendance" in page
    r = admin.post(f"/corrections/{req.id}?lang=zh_CN", data={"outcome": "declined", "reason": ""})
    assert r.status_code == 422 and "请写明不予办理的理由" in r.get_data(as_text=True)
    assert _requests()[0][1] == "open"
    r = admin.post(f"/corrections/{req.id}", data={"outcome": "declined", "reason": "签到表上没有您的签名"})
    assert r.status_code == 302 and _requests()[0][1:3] == ("declined", "签到表上没有您的签名")

    # the requester reads it among their own, in English too
    mine = org.get("/corrections?lang=en").get_data(as_text=True)
    assert "Declined" in mine and "签到表上没有您的签名" in mine and 'data-testid="corrections-waiting"' not in mine
    assert org.get("/notifications?lang=en").get_data(as_text=True).count("was declined") == 1

    # the audit log: who asked, why, who closed it and why
    log = admin.get("/admin/audit?view=corrections&lang=zh_CN").get_data(as_text=True)
    for said in (p["organizer"].username, "我当天主讲，签到表漏签", p["admin"].username, "签到表上没有您的签名",
                 "不予办理", "本人记录应为：出席 3 小时"):
        assert said in log, said
    csv = admin.get("/admin/audit.csv?view=corrections").get_data(as_text=True)
    assert "签到表上没有您的签名" in csv and "处理人" in csv


def test_ones_own_request_is_not_closed_by_oneself_nor_read_by_another_school(app, world):
    w, p = world, world.people
    act = _talk(w, p["admin"])
    factories.attend(act, p["organizer"])
    req = corrections.ask(act, access.actor(p["admin"].id, w.school.id), "row", "请假 3 小时", "外出开会")
    admin = _client(app, p["admin"], w.school)
    page = admin.get(f"/corrections/{req.id}").get_data(as_text=True)
    assert 'data-testid="correction-own"' in page and 'data-testid="correction-close-form"' not in page
    assert admin.post(f"/corrections/{req.id}", data={"outcome": "done", "reason": "自己办"}).status_code == 403
    assert _requests()[0][1] == "open"
    teacher = _client(app, p["t1"], w.school)  # neither the requester nor an admin
    assert teacher.get(f"/corrections/{req.id}").status_code == 403
    other = _client(app, w.people2["admin"], w.school2)
    assert other.get(f"/corrections/{req.id}").status_code == 404
    assert other.post(f"/corrections/{req.id}", data={"outcome": "declined", "reason": "x"}).status_code == 404
    assert other.post(f"/activities/{act.id}/corrections/new", data={
        "kind": "cancel", "reason": "x"}).status_code == 404
    assert _requests()[0][1] == "open"
    admin2 = _client(app, p["admin2"], w.school)
    assert admin2.post(f"/corrections/{req.id}", data={"outcome": "done", "reason": ""}).status_code == 302
    assert _requests()[0][1:] == ("done", "", p["admin2"].id)


def test_the_ask_forms_get_refuses_as_sending_it_would(app, world):
    """The form was shown to anyone of the school, though only sending it was refused: its GET now
    answers each refusal with the POST's status and words (the one whose own row is not on the
    activity, a request open already, an activity cancelled); where something may be asked it opens."""
    w, p = world, world.people
    act = _talk(w)
    _recorded_by_admin(w, act, absent_ids=[p["organizer"].id])
    ask = f"/activities/{act.id}/corrections/new"
    send = {"wanted": "出席 3 小时", "reason": "签到表漏签"}

    def both(client, kind):
        got = client.get(f"{ask}?kind={kind}&lang=zh_CN")
        sent = client.post(f"{ask}?lang=zh_CN", data={"kind": kind, **send})
        return got, sent

    def error_of(r):
        html = r.get_data(as_text=True)
        return next((t for t in ("只有您在此活动中的本人记录由他人记录时", "只有您负责、但不能亲自取消的活动",
                                 "尚未处理完毕", "已认定学时或已取消") if t in html), html[-300:])

    t2 = _client(app, p["t2"], w.school)  # not on the activity: nothing of theirs to correct
    for kind in corrections.KINDS:
        got, sent = both(t2, kind)
        assert (got.status_code, error_of(got)) == (sent.status_code, error_of(sent)) == (403, error_of(sent)), kind
    got = t2.get(f"{ask}?lang=zh_CN")  # no kind named: refused as the first kind is
    assert got.status_code == 403 and error_of(got) == "只有您在此活动中的本人记录由他人记录时"
    assert _requests() == []

    org = _client(app, p["organizer"], w.school)
    page = org.get(f"{ask}?lang=zh_CN")  # nothing named: the first kind they may ask, chosen
    assert page.status_code == 200 and 'value="row" checked' in page.get_data(as_text=True)
    assert org.post(ask, data={"kind": "row", **send}).status_code == 302
    got, sent = both(org, "row")  # open already: both name its day
    assert (got.status_code, sent.status_code) == (409, 409) and error_of(got) == error_of(sent) == "尚未处理完毕"
    page = org.get(f"{ask}?lang=zh_CN")  # the cancel is still theirs to ask
    assert page.status_code == 200 and 'value="cancel" checked' in page.get_data(as_text=True)

    factories.fire(act, p["admin2"], "cancel", "场地冲突")
    got, sent = both(org, "cancel")
    assert (got.status_code, sent.status_code) == (409, 409) and error_of(got) == error_of(sent) == "已认定学时或已取消"
    assert len(_requests()) == 1
