"""An approval on a stale card. The reviewer opened the queue; the organiser then corrected a
teacher's attendance (1 → 3 hours); the reviewer, not having touched the hours, pressed 审核通过
with the usual comment. The decision is refused ("您打开后该活动已有变动…请重新查看") and the card
comes back — but its hours box used to show the old figure, 1, as if the reviewer had typed it,
beside the new figure; pressing 审核通过 again then "lowered" the teacher to the stale 1 hour with
the comment as the reason. Now a box the reviewer left alone shows the figure as it is now, and
one the reviewer did change keeps what they typed."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, Participation, User
from portal.services import activities
from tests.web.test_queue_keeps_what_was_typed import _card, _fields, _rows


def _correct_attendance(site, aid: int, uid: int, attended: str, absent: str) -> None:
    with site.app_context():
        organizer = db.session.execute(select(User).where(User.username == "organizer")).scalar_one()
        activities.record_attendance(db.session.get(Activity, aid), organizer, [
            {"user_id": uid, "attended_hours": attended, "absent_hours": absent, "excused_hours": "0"}])
        db.session.commit()


def _credited_hours(site, aid: int) -> dict[int, tuple]:
    with site.app_context():
        rows = db.session.execute(select(Participation).where(Participation.activity_id == aid)).scalars()
        return {p.user_id: (p.attended_hours, p.adjusted_hours, p.adjust_reason) for p in rows}


def test_a_box_left_alone_shows_the_new_figure_after_a_change(site, as_user, held):
    aid, t1 = held["act"], held["t1"]
    reviewer = as_user("reviewer")
    shown = _fields(_card(reviewer.get("/review").get_data(as_text=True), aid))
    assert shown[f"hours-{t1}"] == "1"
    _correct_attendance(site, aid, t1, "3", "1")
    before = _rows(site, aid)
    r = reviewer.post(f"/review/{aid}", data={**shown, "action": "approve", "comment": "材料齐全"})
    assert r.status_code == 422
    card = _card(r.get_data(as_text=True), aid)
    assert "已有变动" in card
    assert _rows(site, aid) == before
    again = _fields(card)
    assert again[f"would-{t1}"] == "3"
    assert again[f"hours-{t1}"] == "3"  # not the 1 the page showed before the correction
    assert "材料齐全" in card  # the comment stays
    r = reviewer.post(f"/review/{aid}", data={**again, "action": "approve", "comment": "材料齐全"})
    assert r.status_code == 302
    attended, adjusted, reason = _credited_hours(site, aid)[t1]
    assert (attended, adjusted, reason) == (3, None, None)  # approved as recorded, nothing "lowered"


def test_a_box_the_reviewer_changed_keeps_what_was_typed_after_a_change(site, as_user, held):
    aid, t1, t2 = held["act"], held["t1"], held["t2"]
    reviewer = as_user("reviewer")
    shown = _fields(_card(reviewer.get("/review").get_data(as_text=True), aid))
    _correct_attendance(site, aid, t1, "3", "1")
    before = _rows(site, aid)
    r = reviewer.post(f"/review/{aid}", data={**shown, f"hours-{t2}": "2.5", "action": "approve",
                                              "comment": "少了半节"})
    assert r.status_code == 422
    assert _rows(site, aid) == before
    again = _fields(_card(r.get_data(as_text=True), aid))
    assert again[f"hours-{t2}"] == "2.5" and again[f"hours-{t1}"] == "3"
