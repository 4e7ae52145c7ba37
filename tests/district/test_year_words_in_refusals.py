"""The refusals that named a school year as data on a Chinese page: 「2026-2027 学年已报送，正等待区里
审核」 (submitting a year twice), 「2027-2028 学年尚未开始」, 「须在 2026-2027 学年之内」 (the plans'
deadline), 「最晚为下一学年（2027-2028）」 (an exemption), 「2019-2020 学年已结束」 (planning in a
year long over), and from the services 「2026-2027 学年已由区里审核通过并锁定」, the figures changed
since they were submitted, 「该校 2026-2027 学年的报送正待本区审核」 (the school's move to another
district), a semester not begun. Each now says the year as every page writes it (2026—2027学年,
"the 2026–2027 school year": :class:`portal.messages.SchoolYear`), and changes nothing."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict
from portal.extensions import db
from portal.models import Activity, Exemption, School, SubmissionEvent, YearSubmission
from portal.policy import Actor
from portal.services import access, districts, submissions
from tests.credits.helpers import credited, login
from tests.district.conftest import YEAR

#: a school year as data: 2026-2027
AS_DATA = re.compile(r"\d{4}-\d{4}")


def _in_words(text: str) -> str:
    """``text`` names a school year, and only in words (2026—2027学年), its 学年 said once."""
    assert "学年" in text and not AS_DATA.search(text), text
    assert "学年学年" not in text and "学年 学年" not in text, text
    return text


def _said(page: str, stem: str) -> str:
    """The sentence of ``page`` holding ``stem`` (a refusal's fixed words), in words."""
    found = re.findall(rf"[^<>\n]*{re.escape(stem)}[^<>\n]*", html.unescape(page))
    assert found, stem
    return _in_words(found[0].strip())


def _rows() -> tuple[int, ...]:
    return tuple(db.session.execute(select(func.count()).select_from(model)).scalar_one()
                 for model in (YearSubmission, SubmissionEvent, Exemption, Activity))


def test_the_refusals_on_chinese_pages_say_the_year_in_words(app, world):
    admin = login(app.test_client(), world.staff["admin"], world.s1)
    assert admin.post("/submission", data={"year": YEAR}).status_code == 303
    db.session.expire_all()
    before = _rows()
    # the year sent again while it waits for the district
    page = admin.post("/submission", data={"year": YEAR}, follow_redirects=True).get_data(as_text=True)
    assert _said(page, "已报送，正等待区里审核").startswith("2026—2027学年")
    # a year still to come
    page = admin.post("/submission", data={"year": "2027-2028"}, follow_redirects=True).get_data(as_text=True)
    assert _said(page, "尚未开始：自").startswith("2027—2028学年尚未开始：自 2027-09-01")
    # the plans' deadline outside its year
    r = admin.post(f"/plans/deadline?year={YEAR}", data={"deadline": "2030-01-01"})
    assert r.status_code == 422
    assert "须在2026—2027学年之内（2026-09-01 至 2027-08-31）" in _said(r.get_data(as_text=True), "之内（")
    # an exemption after the next school year
    r = admin.post("/admin/exemptions", data={"action": "set", "user_id": world.staff["t1"].id,
                                               "year": "2029-2030", "reason": "临近退休"})
    assert "最晚为下一学年，即2027—2028学年" in _said(r.get_data(as_text=True), "最晚为下一学年")
    # an activity planned in a year long over
    organizer = login(app.test_client(), world.staff["organizer"], world.s1)
    r = organizer.post("/activities/new/lecture", data={
        "title": "往年讲座", "starts_at": "2019-10-15 14:00", "ends_at": "2019-10-15 17:00", "hours": "3",
        "details-topic": "往年"})
    assert r.status_code == 422
    assert _said(r.get_data(as_text=True), "已结束：活动只能安排").startswith("2019—2020学年已结束")
    db.session.expire_all()
    assert _rows() == before


def _refused(doing: Callable[[], object], code: str) -> str:
    """``doing`` refused with ``code``, nothing written: the refusal in Chinese."""
    before = _rows()
    with pytest.raises(Conflict) as refused:
        doing()
    db.session.rollback()
    assert refused.value.msg.code == code
    assert _rows() == before
    return _in_words(refused.value.msg.render("zh_Hans_CN"))


def test_the_submissions_refusals_say_the_year_in_words(app, world):
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    reviewer = Actor.of(world.reviewer1.id, ["district_reviewer"])
    sub = submissions.submit(world.s1, YEAR, by=admin)
    db.session.commit()
    said = _refused(lambda: districts.move_school(world.s1, world.d2), "school.move_pending")
    assert said.startswith("该校2026—2027学年的报送正待本区审核")
    credited(world.s1, world.staff, "lecture", [(world.staff["t1"], "attendee")], hours="1.5")
    db.session.commit()
    said = _refused(lambda: submissions.decide(sub.id, True, by=reviewer, district_id=world.d1.id),
                    "submission.changed")
    assert "（2026—2027学年，涉及 1 名教师）" in said
    submissions.decide(sub.id, False, "请重新报送", by=reviewer, district_id=world.d1.id)
    again = submissions.submit(db.session.get_one(School, world.s1.id), YEAR, by=admin)
    submissions.decide(again.id, True, by=reviewer, district_id=world.d1.id)
    db.session.commit()
    said = _refused(lambda: submissions.submit(world.s1, YEAR, by=admin), "submission.already_accepted")
    assert said == "2026—2027学年已由区里审核通过并锁定"
    # a semester not begun, in a district that collects semesters (the next year's first)
    districts.update_settings(world.d1, {"submission_period": "semester"},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    db.session.commit()
    said = _refused(lambda: submissions.submit(world.s1, "2027-2028", 1, by=admin), "submission.semester_not_begun")
    assert said.startswith("2027—2028学年第一学期尚未开始")
