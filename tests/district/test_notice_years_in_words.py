"""Every notice that names a school year wrote it as data, 「区里已通过本校 2026-2027 学年的年度研修计划」,
where every page writes 2026—2027学年 (``messages.school_year_text``). A notice keeps the year
as data (its parameters, not a sentence) and says it in the reader's words wherever it is read:
the notification centre, the email, in Chinese and in English — notices stored before read
the same."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import Notification
from portal.services import delivery, notifications
from portal.services.notifications import NewNotification
from tests.credits.helpers import login
from tests.district.conftest import YEAR

#: each kind that names the year, with its parameters as the services store them
_STORED = {
    "plan_deadline": {"year": YEAR, "date": "2026-10-31", "days": 3},
    "school_plan_deadline": {"year": YEAR, "date": "2026-10-31", "days": 1},
    "school_plan_accepted": {"year": YEAR},
    "school_plan_returned": {"year": YEAR, "comment": "请补充教研安排。"},
    "submission_accepted": {"year": YEAR},
    "submission_returned": {"year": YEAR, "comment": "请补录签到。"},
    "submission_reopened": {"year": YEAR, "comment": "请更正缺勤。"},
}


def _told(world) -> list[Notification]:
    admin = world.staff["admin"]
    notifications.notify_many([NewNotification(admin.id, kind, f"year-words:{kind}", params, school_id=world.s1.id)
                               for kind, params in _STORED.items()])
    db.session.commit()
    return list(db.session.execute(
        select(Notification).where(Notification.user_id == admin.id).order_by(Notification.id)).scalars())


def test_every_notice_of_a_year_says_it_as_every_page_does(app, world):
    told = _told(world)
    assert len(told) == len(_STORED)
    for n in told:
        zh, en = notifications.text(n).render("zh_Hans_CN"), notifications.text(n).render("en")
        assert "2026—2027学年" in zh and YEAR not in zh and "学年 学年" not in zh and "学年学年" not in zh, zh
        assert "the 2026–2027 school year" in en and YEAR not in en, en
    by_kind = {n.kind: n for n in told}
    assert notifications.text(by_kind["school_plan_accepted"]).render("zh_Hans_CN") == "区里已通过本校2026—2027学年的年度研修计划"
    assert notifications.text(by_kind["submission_reopened"]).render("en") == (
        "The district reopened the 2026–2027 school year for the school: 请更正缺勤。")
    page = login(app.test_client(), world.staff["admin"], world.s1).get("/notifications").get_data(as_text=True)
    assert page.count("2026—2027学年") >= len(_STORED) and YEAR not in page
    assert "本校报送的2026—2027学年学时：请补录签到。" in page


def test_the_email_says_the_year_in_the_persons_language(app, world):
    admin = world.staff["admin"]
    told = _told(world)
    mails = [delivery.outgoing(n, admin, world.s1).text for n in told]
    assert all("2026—2027学年" in m and YEAR not in m for m in mails), mails
    admin.locale = "en"
    db.session.commit()
    mails = [delivery.outgoing(n, admin, world.s1).text for n in told]
    assert all("the 2026–2027 school year" in m and not re.search(r"\d{4}-\d{4}", m) for m in mails), mails
