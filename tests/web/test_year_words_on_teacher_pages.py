"""A school year written as data on a Chinese page: 「2026-2027 学年已由区里审核通过并锁定」 (a locked
year's refusal, on the activity pages and beside a form's field), 「区里已认定本校 2026-2027 学年学时」
(the home and the writing page of a year not theirs, the refusal of its 学时证明), 「2026-2027 学年个人
发展计划截止日期」 (the plans' deadline), 「2026-2027学年第一学期于 2027-01-31 结束」 (an activity
planned across semesters), 「2026-2027 学年：病假」 (an exemption in the staff audit trail). Now as
every page writes it: 2026—2027学年, "the 2026–2027 school year"."""

from __future__ import annotations

import re

from portal.messages import SchoolYear, msg


def test_the_messages_say_the_year_in_words(app):
    said = SchoolYear.said("2026-2027")
    for code in ("year.locked", "year.joined_after_acceptance", "year.joined_after_year"):
        zh, en = msg(code, year=said).render("zh_Hans_CN"), msg(code, year=said).english
        assert "2026—2027学年" in zh and "2026-2027" not in zh and "学年 学年" not in zh, zh
        assert "the 2026–2027 school year" in en and "school year the" not in en, en
    locked = msg("year.locked", year=said).render("zh_Hans_CN")
    assert locked == "2026—2027学年已由区里审核通过并锁定；如需更改，请申请区里重新开放"


def test_an_activity_ending_in_another_semester_is_refused_in_words(app):
    from datetime import datetime

    from portal.services.activities import other_semester

    why = other_semester(datetime(2027, 1, 30, 1, 0), datetime(2027, 2, 2, 4, 0), "Asia/Shanghai")
    assert why is not None
    assert why.render("zh_Hans_CN") == "须与开始时间在同一学期：2026—2027学年第一学期于 2027-01-31 结束"
    assert why.english.endswith("the first semester of the 2026–2027 school year ends on 2027-01-31")


def test_the_plans_deadline_is_labelled_with_the_year_in_words(site, as_user):
    admin = as_user("admin")
    for lang, words in (("zh", "学年个人发展计划截止日期"), ("en", "Deadline for the plans of the ")):
        page = admin.get(f"/plans?lang={lang}").get_data(as_text=True)
        label = re.search(r'<label[^>]*for="plan-deadline">([^<]*)</label>', page)
        assert label and words in label.group(1), (lang, label)
        assert not re.search(r"\d{4}-\d{4}", label.group(1)), label.group(1)
