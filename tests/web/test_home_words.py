"""What a browser walk found on a teacher's home (the demo's teacher1): a semester written
第1学期 where the record and the PDF write 第一学期; a type outside the plan read "已完成 3 / 计划 0
学时" under a full green bar; the months short of reading notes named twice, in the warning at the
top and again in the quota list below it."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.demo import DISTRICT
from portal.extensions import db
from portal.models import School, User
from portal.policy import Actor
from portal.services import districts


def _home(as_user, lang: str) -> str:
    return as_user("teacher1").get(f"/?lang={lang}").get_data(as_text=True)


def _block(page: str, testid: str, end: str) -> str:
    found = re.search(rf'data-testid="{testid}"(.*?){end}', page, re.S)
    assert found, testid
    return found[1]


def test_a_semester_is_written_in_words_as_the_record_writes_it(as_user):
    zh, en = _home(as_user, "zh"), _home(as_user, "en")
    assert "第一学期" in zh and not re.search(r"第\s*\d\s*学期", zh)
    assert "First semester" in en and not re.search(r"\b[Ss]emester \d", en)
    # the absence badge and the warning both, not only one of them
    assert "第一学期：" in _block(zh, "absence", "</ul>") and "第一学期：" in _block(zh, "warnings", "</div>")


def test_a_type_outside_the_plan_says_so_with_no_bar(as_user):
    for lang, words in (("zh", "未列入计划"), ("en", "not in the plan")):
        plan = _block(_home(as_user, lang), "plan-lines", "</ul>")
        line = _block(plan, "plan-line-mentorship", "</li>")  # teacher1's plan gives mentoring no hours
        assert words in line and "<svg" not in line, line
        assert "计划 0" not in line and "of 0 hours" not in line
        assert "<svg" in _block(plan, "plan-line-lecture", "</li>")  # a planned type keeps its bar


def test_the_months_short_of_notes_are_named_once_in_the_warning_read_first(as_user):
    for lang, words in (("zh", "未达标月份"), ("en", "Months short")):
        page = _home(as_user, lang)
        assert words in _block(page, "warnings", "</div>")
        assert page.count(words) == 1
        assert words not in _block(page, "quota-list", "</ul>")


def test_the_activity_filter_and_the_submission_name_semesters_as_the_home_does(site, as_user):
    with site.app_context():  # the demo's district collects semesters: the school picks which it sends
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        by = db.session.execute(select(User.id).where(User.username == DISTRICT[0])).scalar_one()
        districts.update_settings(districts.get_district(school.district_id), {"submission_period": "semester"},
                                  by=Actor.of(by, DISTRICT[2]))
        db.session.commit()
    admin = as_user("admin")
    for lang, first, second in (("zh", "第一学期", "第二学期"), ("en", "First semester", "Second semester")):
        listing = admin.get(f"/activities?semester=1&lang={lang}").get_data(as_text=True)
        assert f'<option value="1" selected>{first}</option>' in listing and second in listing
        page = admin.get(f"/submission?lang={lang}").get_data(as_text=True)
        select_ = page.split('data-testid="submit-semester"')[1].split("</select>")[0]
        assert f'<option value="1">{first}</option>' in select_ and f'<option value="2">{second}</option>' in select_
