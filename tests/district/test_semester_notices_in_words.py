"""A district that collects semesters: its decisions on one semester were told to the school's
admins as 「区里已认定本校报送的 2026-2027 (1) 学年学时」, the semester a bare number in brackets.
The notice now names the semester as every page does (第一学期 / first semester)."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import Notification, SubmissionEvent
from portal.services import district_notices, notifications
from tests.credits.helpers import login
from tests.district.conftest import YEAR, first_accepted_second_returned


def test_a_semesters_decision_is_told_with_the_semester_in_words(app, by_semester):
    world = by_semester
    first_accepted_second_returned(world, "请补录签到。")
    for event in db.session.execute(select(SubmissionEvent.id).order_by(SubmissionEvent.id)).scalars():
        district_notices.submission_job(event)  # as the queued job does (a second run writes nothing)
    db.session.commit()
    admin = world.staff["admin"]
    told = {n.kind: n for n in db.session.execute(
        select(Notification).where(Notification.user_id == admin.id)).scalars()}
    accepted, returned = told["submission_accepted"], told["submission_returned"]
    # the year as every page writes it too (test_notice_years_in_words)
    assert YEAR == "2026-2027"
    assert notifications.text(accepted).render("zh_Hans_CN") == "区里已认定本校报送的2026—2027学年第一学期学时，该学期已锁定"
    assert notifications.text(returned).render("zh_Hans_CN") == "区里退回了本校报送的2026—2027学年第二学期学时：请补录签到。"
    assert notifications.text(accepted).render("en") == (
        "The district accepted the school's submission of the first semester of the 2026–2027 school year; "
        "the semester is locked")
    page = login(app.test_client(), admin, world.s1).get("/notifications").get_data(as_text=True)
    assert "学年第一学期学时，该学期已锁定" in page and "学年第二学期学时" in page
    assert not re.search(r"\(\d\)", page)
