"""Demo data of correction requests (``services.corrections``): two teachers on activities whose
rows someone else records ask the school's admin to correct them — one request waits on the
admin's to-do list, the other the admin declined with a reason, and its requester was told (their
notices, /corrections). Invented people and words; no figure of the demo changes."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, Participation, School, User
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
