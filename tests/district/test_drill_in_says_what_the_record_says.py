"""The district's drill-in of a teacher of a submitted year says what their record says of the
lines behind the figures: a line revoked is marked so, with the reason, and the activities they
missed are listed with the hours missed, excused or not.

Audit (hDW, a district auditor's afternoon): 孙嘉怡's drill-in listed a lecture at 3 学时 and the
same lecture at -3 学时 with nothing to say why (her record: 已撤销：签到表登记有误…), and 王雅琴's
said 未请假缺席学时 3 / 0 without naming the activity she missed, which her record lists."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.services import access, submissions
from tests.credits.helpers import credited, login
from tests.district.conftest import YEAR
from tests.support import factories as f


def _cells(html: str, testid: str) -> list[str]:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, testid
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)]


def test_the_drill_in_marks_a_revoked_line_and_lists_the_absences(app, world):
    t1, t2 = world.staff["t1"], world.staff["t2"]
    f.fire(world.act, world.staff["reviewer"], "revoke", "签到表登记有误")
    missed = credited(world.s1, world.staff, "lecture", [(t1, "attendee"), (t2, "attendee")], hours="3",
                      attended={t1.id: "1", t2.id: "3"}, absent={t1.id: "2"}, title="第二次讲座")
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()
    reviewer = login(app.test_client(), world.reviewer1)
    html = reviewer.get(f"/district/submissions/{sub.id}/teachers/{t1.id}?lang=zh_Hans_CN").get_data(as_text=True)
    remarks = {hours: remark for _id, hours, remark in re.findall(
        r'data-testid="entry-hours-(\d+)">([^<]*)<.*?data-testid="entry-remark-\1">([^<]*)<', html, re.S)}
    assert remarks["-4"] == "已撤销：签到表登记有误" and remarks["4"] == "", remarks
    assert _cells(html, f"absence-of-{missed.id}")[-1] == "未请假缺席 2 学时"
    assert 'data-testid="teacher-absent-1">2<' in html  # the figure the list accounts for
    other = reviewer.get(f"/district/submissions/{sub.id}/teachers/{t2.id}?lang=zh_Hans_CN").get_data(as_text=True)
    assert 'data-testid="teacher-absences"' not in other  # nothing missed: no list
    english = reviewer.get(f"/district/submissions/{sub.id}/teachers/{t1.id}?lang=en").get_data(as_text=True)
    assert _cells(english, f"absence-of-{missed.id}")[-1] == "unexcused absence 2 h"
    assert "Revoked: 签到表登记有误" in " ".join(english.split()), english


def test_the_activity_page_gives_each_ones_role_and_hours_as_the_submission_counted_them(app, world):
    """A speaker credited twice a 2-学时 lecture's length: the page said 出勤 2 beside a drill-in
    line of 4 学时, with nothing to say why. Now it gives the role and the hours credited, as the
    ledger held them when the year was sent: a revocation since is not read as sent."""
    t1, t2 = world.staff["t1"], world.staff["t2"]
    talk = credited(world.s1, world.staff, "lecture", [(t1, "speaker"), (t2, "attendee")], hours="2", title="主讲")
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()
    f.fire(talk, world.staff["reviewer"], "revoke", "主讲人信息有误")
    db.session.commit()
    reviewer = login(app.test_client(), world.reviewer1)
    html = reviewer.get(f"/district/submissions/{sub.id}/activities/{talk.id}?lang=zh_Hans_CN").get_data(as_text=True)
    assert _cells(html, f"attendance-{t1.id}")[1:] == ["主讲人", "2", "0", "0", "4"]
    assert _cells(html, f"attendance-{t2.id}")[1:] == ["听讲教师", "2", "0", "0", "2"]
    english = reviewer.get(f"/district/submissions/{sub.id}/activities/{talk.id}?lang=en").get_data(as_text=True)
    assert _cells(english, f"attendance-{t1.id}")[1] == "Speaker" and "Hours credited" in english
