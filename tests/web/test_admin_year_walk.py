"""A school admin's year, walked as an outsider (hEP): what the pages said that an admin would
read wrongly. Each test fails on the code before its fix."""

from __future__ import annotations

import re

import pytest


def _headings(html: str) -> list[str]:
    table = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<th[^>]*>(.*?)</th>", table, re.S)]


@pytest.mark.parametrize(("login", "path"), [("admin", "/plans"), ("district", "/district/plans")])
def test_a_list_of_plans_heads_their_state_as_a_state(site, as_user, login, path):
    """The personal plans' list (已同意, 已退回) and the district's list of annual plans headed
    the plan's state 考核结果, the word of a teacher's year assessed (the screen's "Status" is
    that in the summary): a plan is not an assessment."""
    c = as_user(login)
    zh = _headings(c.get(path).get_data(as_text=True))
    assert "状态" in zh and "考核结果" not in zh, zh
    assert "Status" in _headings(c.get(f"{path}?lang=en").get_data(as_text=True))


def test_a_quota_behind_schedule_is_told_in_the_units_the_pages_use(site, as_user):
    """The admin's own notices said 「第一学期教学反思进度落后：已完成 0 / 5，按进度此时应完成 3」
    and 「读书笔记达标月数进度落后：已完成 0 / 3。」 — no 篇, no 个月 — where her home and the
    school's summary read 0 / 5 篇 and 0 / 3 个月 (characters alone had their 字)."""
    c = as_user("admin")
    zh = re.sub(r"<[^>]+>", " ", c.get("/notifications").get_data(as_text=True))
    assert re.search(r"第一学期教学反思进度落后：已完成 0 / 5 篇，按进度此时应完成 \d+ 篇", zh), zh
    assert re.search(r"读书笔记达标月数进度落后：已完成 0 / 3 个月", zh), zh
    assert re.search(r"读书笔记进度落后：已完成 0 / 10,000 字，按进度此时应完成 [\d,]+ 字", zh), zh  # as before
    en = re.sub(r"<[^>]+>", " ", c.get("/notifications?lang=en").get_data(as_text=True))
    assert re.search(r"0 of 3 months done", en) and re.search(r"0 of 5 done, \d+ expected by now", en), en


def test_a_teacher_of_the_school_imported_again_is_told_apart_from_a_taken_name(site, as_user):
    """Importing the roster of a new year, the admin met 「用户名“teacher7”已被使用」 for a teacher
    who had left and come back, and the same words for one on the staff today: neither said the
    person was the school's own, nor what to do. Now each row names the person and the way (her
    roles ticked again on the staff page), and nothing is written."""
    import io

    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Membership, User

    def count() -> tuple[int, int]:
        with site.app_context():
            return (db.session.scalar(select(func.count()).select_from(User)),
                    db.session.scalar(select(func.count()).select_from(Membership)))

    c, before = as_user("admin"), count()
    roster = "用户名,姓名,角色\nteacher7,唐婉清,教师\nTeacher1,王雅琴,教师\n"
    for lang, left, here in (
            ("zh_Hans_CN", "用户名“teacher7”（唐婉清）是本校已停用的教职工：如其回校任教，请在教职工页面为其重新勾选角色",
             "用户名“Teacher1”（王雅琴）已在本校教职工名单中，无需再添加"),
            ("en", "&#39;teacher7&#39; (唐婉清) was on the staff and left: if they are back, tick their roles again",
             "&#39;Teacher1&#39; (王雅琴) is on the staff already: there is nothing to add")):
        html = c.post(f"/admin/staff/import?lang={lang}", data={"file": (io.BytesIO(roster.encode()), "roster.csv")},
                      content_type="multipart/form-data").get_data(as_text=True)
        assert left in html and here in html, html
    page = c.post("/admin/staff?lang=zh_Hans_CN", data={"username": "teacher7", "name": "唐婉清", "password": "password-123",
                                        "roles": "teacher"})
    assert page.status_code == 422 and "是本校已停用的教职工" in page.get_data(as_text=True)
    assert count() == before


def test_a_refusal_and_what_it_names_are_joined_in_the_readers_punctuation(site, as_user):
    """Returning a plan without a reason said 「计划未保存: 请写明退回的理由」, an English colon in
    Chinese (the activity, evidence and writing pages joined theirs so too); the plan stays as sent."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import DevelopmentPlan, User

    sent = as_user("teacher3").post("/plan", data={"goals": "提高课堂提问的有效性", "studies": "读《给教师的建议》",
                                                   "target_hours": "50", "action": "submit"})
    assert sent.status_code == 302
    with site.app_context():
        plan_id, status = db.session.execute(
            select(DevelopmentPlan.id, DevelopmentPlan.status).join(User, User.id == DevelopmentPlan.user_id)
            .where(User.username == "teacher3")).one()
    c = as_user("admin")
    for lang, said in (("zh_Hans_CN", "计划未保存：请写明退回的理由"), ("en", "not saved: ")):
        r = c.post(f"/plans/{plan_id}?lang={lang}", data={"decision": "return", "comment": "  "})
        assert r.status_code == 422
        alert = re.search(r'data-testid="form-errors">([^<]*)<', r.get_data(as_text=True))
        assert alert and said in alert[1], (lang, alert and alert[1])
    with site.app_context():
        assert db.session.get(DevelopmentPlan, plan_id).status == status


@pytest.mark.parametrize("path", ["/admin/groups", "/plans"])
def test_a_list_of_names_is_joined_in_the_readers_language(site, as_user, path):
    """The English groups page listed a group's members 「何立新、吴浩然、郑佳慧」, and the plans page
    those with no plan so: the Chinese enumeration comma on an English page (、 in Chinese, as before)."""
    c = as_user("admin")
    en = c.get(f"{path}?lang=en").get_data(as_text=True)
    zh = c.get(f"{path}?lang=zh_Hans_CN").get_data(as_text=True)
    names = r"[\u4e00-\u9fff]{2,4}"
    assert re.search(rf"{names}, {names}", en) and not re.search(rf"{names}、{names}", en), path
    assert re.search(rf"{names}、{names}", zh), path
