"""The school admin's home said 「目前没有需要您处理的事项」 while a development plan waited for
sign-off, the plan deadline was days away with teachers who had not sent theirs, and the year
sent to the district had changed since. The home now keeps the school's to-do list: each item its
count, its date and a link to where it is done, asked of the policy (a teacher has none, a
reviewer the plans only) and of the services that own them."""

from __future__ import annotations

import re
from datetime import timedelta

from portal import policy
from portal.extensions import db
from portal.services import access, plans, submissions
from portal.timeutil import to_local, utcnow
from tests.credits.helpers import credited, login
from tests.district.conftest import YEAR


def _todo(client) -> dict[str, tuple[int, str, str]]:
    """The to-do list's items by kind: (count, date, link)."""
    page = client.get("/").get_data(as_text=True)
    if 'data-testid="school-todo"' not in page:
        return {}
    part = page.split('data-testid="school-todo"')[1].split("</section>")[0]
    return {kind: (int(n), day, href) for kind, n, day, href in re.findall(
        r'data-testid="todo-(\w+)" data-count="(\d+)" data-date="([\d-]+)">\s*<a class="tap-link" href="([^"]+)"', part)}


def test_the_admins_home_lists_what_waits_on_the_school(app, world):
    staff, school = world.staff, world.s1
    today = to_local(utcnow(), school.timezone).date()
    admin = login(app.test_client(), staff["admin"])
    page = admin.get("/").get_data(as_text=True)
    assert 'data-testid="school-todo-empty"' in page and "目前没有需要您处理的学校事务" in page  # nothing yet
    # the deadline three days away: the other teachers (t2–t4, the organizer and the reviewer) have not sent
    # one; t1's plan is sent, waiting for sign-off
    due = today + timedelta(days=3)
    plans.set_deadline(school, YEAR, due.isoformat(), by=policy.SYSTEM)
    teacher = staff["t1"]
    plans.save(school, teacher, YEAR, "每月听课两节并写评课稿。", "", "200", by=access.actor(teacher.id, school.id),
               submit=True)
    # the year sent, then t2 credited 1.5 h more: its figures changed since
    submissions.submit(school, YEAR, by=access.actor(staff["admin"].id, school.id))
    credited(school, staff, "lecture", [(staff["t2"], "attendee")], hours="1.5")
    db.session.commit()
    assert _todo(admin) == {
        "plans_waiting": (1, today.isoformat(), f"/plans?year={YEAR}"),
        "plans_not_sent": (5, due.isoformat(), f"/plans?year={YEAR}"),
        "figures_changed": (1, today.isoformat(), f"/submission?year={YEAR}"),
    }
    page = admin.get("/").get_data(as_text=True)
    assert "1 份个人发展计划待您审核" in page and "5 名教师尚未提交个人发展计划，截止日期 " + due.isoformat() in page
    assert "此后 1 名教师的学时数据有变动" in page
    assert "目前没有需要您处理的事项" not in page  # the admin's own activities: said as theirs
    english = admin.get("/?lang=en").get_data(as_text=True)
    assert "1 development plan waits for your sign-off" in english and "5 teachers have not sent" in english
    # a reviewer signs plans off: the plans waiting only; a teacher keeps no list (and is told as before)
    assert _todo(login(app.test_client(), staff["reviewer"])) == {
        "plans_waiting": (1, today.isoformat(), f"/plans?year={YEAR}")}
    teacher_page = login(app.test_client(), staff["t3"]).get("/").get_data(as_text=True)
    assert 'data-testid="school-todo"' not in teacher_page and "目前没有需要您处理的事项" in teacher_page
    # the plan signed off, the others sent, the round returned: what is left is to send it again
    plans.decide(plans.plan_of(school.id, teacher.id, YEAR), "approve", "", by=access.actor(staff["reviewer"].id, school.id))
    for key in ("t2", "t3", "t4", "organizer", "reviewer"):
        who = staff[key]
        plans.save(school, who, YEAR, "每月听课两节。", "", "200", by=access.actor(who.id, school.id), submit=True)
        plans.decide(plans.plan_of(school.id, who.id, YEAR), "approve", "",
                     by=access.actor(staff["admin"].id, school.id))
    sub = submissions.latest(school.id, YEAR, 0)
    submissions.decide(sub.id, False, "请重新报送", by=policy.Actor.of(world.reviewer1.id, ["district_reviewer"]),
                       district_id=world.d1.id)
    db.session.commit()
    assert _todo(admin) == {"round_returned": (1, today.isoformat(), f"/submission?year={YEAR}")}
