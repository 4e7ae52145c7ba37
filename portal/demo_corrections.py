"""Demo data of correction requests (``services.corrections``): two teachers on activities whose
rows someone else records ask the school's admin to correct them — one request waits on the
admin's to-do list, the other the admin declined with a reason, and its requester was told (their
notices, /corrections). Two more are closed by no admin: one asked on the activity the reviewer then
credited (:func:`ask_before`: closed as moved on by the credit, ``corrections.MOVED_ON_PHASES``), and
one at a district school asked while its year waited for the district, which accepted it before the
school's admin answered (closed as locked, ``corrections.closes_as``: ``demo_district``), and one
asked on a talk of the school year before the last while that year was open, which the admin
closed once the year was over (closed as year over: :func:`ask_in_its_year`, ``demo_year``).
Invented people and words; no figure of the demo changes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.database import write_transaction
from portal.extensions import db
from portal.models import Activity, CorrectionRequest, Notification, Participation, School, User
from portal.services import access, corrections

#: (username, what their row should read, why); the first is declined, the second waits
ASKED = (
    ("teacher3", "请假 2 小时", "当天下午参加区教研室的命题会，已向教务处报备，考勤误记为缺勤。"),
    ("teacher4", "出席全程", "我签到时二维码已过期，由组织者补签，但记录里少了我的签到。"),
)
DECLINED = "签到表上没有您的签名，且组织者确认您当天未到场；如有请假条，请补交后再申请。"


def load(school: School) -> None:
    admin_id = db.session.execute(select(User.id).where(User.username == "admin")).scalar_one()
    admin = access.actor(admin_id, school.id)
    for n, (username, wanted, reason) in enumerate(ASKED):
        uid = db.session.execute(select(User.id).where(User.username == username)).scalar()
        if uid is None:
            continue
        who = access.actor(uid, school.id)
        acts = db.session.execute(
            select(Activity).join(Participation, Participation.activity_id == Activity.id)
            .where(Activity.school_id == school.id, Participation.user_id == uid,
                   Participation.attended_hours.is_not(None)).order_by(Activity.id)).scalars()
        act = next((a for a in acts if corrections.ROW in corrections.offered_now(a, who)), None)
        if act is None:
            continue
        req = corrections.ask(act, who, corrections.ROW, wanted, reason)
        if n == 0:
            corrections.close(req, admin, corrections.DECLINED, DECLINED)


#: What the participant on leave for an hour asks of the activity the reviewer credits next
#: (:func:`ask_before`): their row, which the credit then leaves as it is.
BEFORE_CREDIT = ("出席全程", "我当天全程在场，请假一小时是误登，请更正为出席。")
#: What a district school's teacher asks while the school's year waits for the district (``demo_district``).
BEFORE_ACCEPTANCE = ("请假 1 小时", "当天最后一小时我请假去接学生参加区运动会，已向教务处报备，考勤误记为出席。")


def ask_row(act: Activity, asked: tuple[str, str], *, on_leave: bool) -> CorrectionRequest | None:
    """A request about their own row (``asked``: what it should read, why) by the first of the
    activity's participants (by id) on leave part of it (``on_leave``; else those who were not) whom
    the portal offers one; None: nobody."""
    leave = Participation.excused_hours > 0
    people = db.session.execute(select(Participation.user_id).where(
        Participation.activity_id == act.id, leave if on_leave else ~leave).order_by(Participation.user_id)).scalars()
    for uid in people:
        who = access.actor(uid, act.school_id)
        if corrections.ROW in corrections.offered_now(act, who):
            return corrections.ask(act, who, corrections.ROW, *asked)
    return None


def ask_before(act: Activity) -> list[int]:
    """:data:`BEFORE_CREDIT` asked on ``act`` before the step that credits it: the ids asked,
    for :func:`told` once the step closed them."""
    req = ask_row(act, BEFORE_CREDIT, on_leave=True)
    return [req.id] if req is not None else []


def told(request_ids: list[int]) -> None:
    """Their requesters told now that the step closed them (as the queued job would, then finding it written)."""
    if request_ids:
        corrections.tell_moved_on(request_ids)


#: What a participant of a talk of the school year before the last asked the day it was held
#: (:func:`ask_in_its_year`): that year is over since, and the request can no longer be granted.
IN_ITS_YEAR = ("请假 2 小时", "当天下午我带学生参加区合唱比赛，已向教务处报备，考勤误记为出席全程。")


def ask_in_its_year(act: Activity) -> CorrectionRequest | None:
    """:data:`IN_ITS_YEAR` asked on ``act`` while its year is open (before the demo dates it back
    to a year before the last: :func:`closed_year_over` once it is)."""
    return ask_row(act, IN_ITS_YEAR, on_leave=False)


def closed_year_over(request_id: int, back: timedelta) -> None:
    """The request (and its notices to the admins) dated back by ``back``, as its activity was,
    then closed by the school's admin: its year over, it closes as year over whatever the admin
    picks (``corrections.closes_as``), its requester told."""
    with write_transaction() as s:
        req = s.get_one(CorrectionRequest, request_id)
        req.created_at -= back
        for note in s.execute(select(Notification).where(
                Notification.key.like(f"correction_asked:{request_id}:%"))).scalars():
            note.created_at -= back  # each row's (no date arithmetic in SQL: SQLite stores text)
    admin_id = db.session.execute(select(User.id).where(User.username == "admin")).scalar_one()
    corrections.close(req, access.actor(admin_id, req.school_id), corrections.DONE, "")
