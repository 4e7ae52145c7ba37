"""Notifications about deadlines and the district's decisions (issue 17 point 3).

* a deadline the district announced: when announced (or changed), and 7 and 1 days before;
* the school's personal-plan deadline (``plans.deadline``; a teacher who joined after it, their
  own: ``plans.deadline_for``): 7 and 1 days before, to teachers whose plan is not sent; the
  district's deadline for the school's annual plan, to the admins of a school that has not sent it;
* a writing quota behind schedule (``forecast.behind``, the judgement the home page shows): at
  most once per quota and month;
* the district's decision on the school's annual plan (accept / return) and on its submitted
  year (accept / return / reopen): to the school's admins, queued by the service after its commit.

Every notification has an idempotency key (``notifications.notify_many``), so a job run twice
tells nobody twice; each function takes ``now`` (naive UTC) from its caller.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal import jobs, outbox, year_texts
from portal.assessment import QuotaFact
from portal.extensions import db
from portal.models import (
    DeadlineAnnouncement,
    Membership,
    Notification,
    School,
    SubmissionEvent,
    User,
)
from portal.policy import SCHOOL_ADMIN
from portal.services import notifications
from portal.services.notifications import NewNotification, notify_many
from portal.timeutil import current_school_year, to_local, utcnow, zone_of

#: Reminders this many days before a deadline (and the range the 7-day one covers, in case a
#: daily run was missed).
SOON, LAST = 7, 1
SCHOOL_PLAN_LINK, SUBMISSION_LINK, PLAN_LINK = "/school-plan", "/submission", "/plan"


def _zh_en(text: str, **params: Any) -> dict[str, str]:
    """A catalogue text in both languages, stored in a notification's parameters."""
    out = {}
    for lang, locale in (("zh", "zh_Hans_CN"), ("en", "en")):
        with force_locale(locale):
            out[lang] = _(text, **params)
    return out


def reminder_level(days_left: int) -> int | None:
    """Which reminder is due ``days_left`` days before a deadline: 7 (2–7 days), 1 (the day
    before), else none."""
    if days_left == LAST:
        return LAST
    if LAST < days_left <= SOON:
        return SOON
    return None


# -- deadlines announced by the district --------------------------------------------------------


@jobs.job("notifications.deadline_announced")
def deadline_announced(announcement_id: int) -> list[int]:
    """Everyone the announcement concerns, told its day unless the last they were told of it
    was that day: once per announcement, day and audience, and once more for a day they were
    told before and then told another (moved back: the key of that day taken, they kept the
    other day)."""
    from portal.services import announcements

    row = db.session.get(DeadlineAnnouncement, announcement_id)
    if row is None:
        return []
    params = _deadline_params(row)
    day = row.due_on.isoformat()
    told: dict[int, list[str]] = defaultdict(list)  # the days each was told, in order
    for uid, said in db.session.execute(
        select(Notification.user_id, Notification.params)
        .where(Notification.kind == "deadline_announced", Notification.key.like(f"deadline:{row.id}:%"))
        .order_by(Notification.id)
    ):
        told[uid].append(str((said or {}).get("date")))
    items = []
    for uid, sid in announcements.audience_of(row):
        days = told.get(uid, [])
        if days and days[-1] == day:
            continue
        again = f":{len(days)}" if day in days else ""  # moved back to a day told before
        items.append(NewNotification(uid, "deadline_announced", f"deadline:{row.id}:{day}:new:{uid}{again}", params,
                                     "/", sid))
    return notify_many(items)


def _deadline_params(row: DeadlineAnnouncement) -> dict[str, Any]:
    return {"title": row.title, "date": row.due_on.isoformat(), "note": row.note or "", "announcement": row.id}


@notifications.stands_while("deadline_announced", "deadline_due")
def _deadline_stands(n: Notification) -> bool:
    """The announcement is still there, for the same day, and still for this person (the
    district may withdraw it, move it or narrow its audience to school admins while quiet hours
    hold the email; a move is told anew)."""
    from portal.services import announcements

    ref = n.params.get("announcement")
    if ref is None:  # written before notices named their announcement
        return True
    row = db.session.get(DeadlineAnnouncement, ref)
    return (row is not None and row.due_on.isoformat() == n.params.get("date")
            and announcements.concerns_person(row, n.user_id))


def remind_deadlines(now: datetime) -> list[int]:
    """7 and 1 days before each announced deadline, everyone it concerns — the days counted by
    the calendar of the person's school, as its own deadlines are (a school west of the
    deployment's zone is still on the day before)."""
    from portal.services import announcements

    around = now.date()  # every zone's today is within a day of UTC's
    rows = db.session.execute(
        select(DeadlineAnnouncement).where(DeadlineAnnouncement.due_on >= around,
                                           DeadlineAnnouncement.due_on <= around + timedelta(days=SOON + 1))
    ).scalars().all()
    items: list[NewNotification] = []
    for row in rows:
        for uid, sid in announcements.audience_of(row):
            days = (row.due_on - to_local(now, zone_of(db.session.get(School, sid))).date()).days
            level = reminder_level(days)
            if level is None:
                continue
            key = f"deadline:{row.id}:{row.due_on.isoformat()}:{level}"
            items.append(NewNotification(uid, "deadline_due", f"{key}:{uid}", {**_deadline_params(row), "days": days},
                                         "/", sid))
    return notify_many(items)


# -- the school's own deadline: personal plans ----------------------------------------------------


def remind_plan_deadline(now: datetime) -> list[int]:
    """Teachers whose personal plan for the year is not sent, 7 and 1 days before their
    deadline: the school's, or for one who joined after it their own (``plans.deadline_for``)."""
    from portal.services import plans, schools

    items: list[NewNotification] = []
    for school in schools.all_schools():
        today = to_local(now, school.timezone).date()
        year = current_school_year(school.timezone, now)
        for uid, since in plans.unsent(school.id, year):
            due = plans.own_deadline(school, year, since)
            days = (due - today).days
            level = reminder_level(days)
            if level is None:
                continue
            params = {"year": year, "date": due.isoformat(), "days": days}
            items.append(NewNotification(
                uid, "plan_deadline", f"plan_deadline:{school.id}:{year}:{due.isoformat()}:{level}:{uid}", params,
                PLAN_LINK, school.id))
    return notify_many(items)


def remind_school_plan_deadline(now: datetime) -> list[int]:
    """The admins of schools whose annual plan is not sent, 7 and 1 days before the district's
    deadline for it (``school_plans.deadline``)."""
    from portal.models import District, SchoolPlan
    from portal.services import school_plans, schools

    items: list[NewNotification] = []
    for school in schools.all_schools():
        if school.district_id is None:
            continue
        year = school_plans.next_year(school.timezone, now)
        due = school_plans.deadline(db.session.get_one(District, school.district_id), year)
        level = reminder_level((due - to_local(now, school.timezone).date()).days)
        if level is None:
            continue
        sent = db.session.execute(select(SchoolPlan.id).where(
            SchoolPlan.school_id == school.id, SchoolPlan.school_year == year,
            SchoolPlan.status.in_((school_plans.SUBMITTED, school_plans.ACCEPTED)))).first()
        if sent is not None:
            continue
        params = {"year": year, "date": due.isoformat(), "days": (due - to_local(now, school.timezone).date()).days}
        items += [
            NewNotification(uid, "school_plan_deadline",
                            f"school_plan_deadline:{school.id}:{year}:{due.isoformat()}:{level}:{uid}", params,
                            SCHOOL_PLAN_LINK, school.id)
            for uid in school_admins(school.id)
        ]
    return notify_many(items)


# -- writing quotas behind schedule ---------------------------------------------------------------


def quota_label(q: QuotaFact) -> dict[str, str]:
    """The quota's name as the home page writes it (``portal.year_texts``), in both languages."""
    return {"zh": year_texts.quota_label(q, "zh"), "en": year_texts.quota_label(q, "en")}


def quota_figures(q: QuotaFact, expected: int) -> dict[str, dict[str, str]]:
    """What is done, asked and expected of the quota, as the home page writes quota figures
    ("1,200", "10,000 字", "5,000 字"), and the months it is short in ("未达标月份：2026年11月"),
    in both languages: a notice keeps its words."""
    def both(n: int) -> dict[str, str]:
        return {lang: year_texts.quota_figure(n, q, lang) for lang in ("zh", "en")}

    # done as a bare figure ("0 / 5 篇" as the home writes it), what is asked and expected with its unit
    figures = {"done": {lang: f"{q.done:,}" for lang in ("zh", "en")}, "target": both(q.target),
               "expected": both(expected)}
    if q.short:  # the months short of notes, as the home names them (``year_texts.quota_short``)
        figures["short"] = {lang: year_texts.quota_short(q, lang) for lang in ("zh", "en")}
    return figures


def remind_quotas(now: datetime) -> list[int]:
    """Each teacher whose writing quota is behind schedule (the home page's judgement), at most
    once per quota and month."""
    from portal.services import credits, forecast, locks, schools

    items: list[NewNotification] = []
    for school in schools.all_schools():
        today = to_local(now, school.timezone).date()
        year = current_school_year(school.timezone, now)
        month = today.strftime("%Y-%m")
        accepted = locks.accepted_periods(school.id, year)  # what the district accepted is over
        for row in credits.teaching_rows(school, year):  # not to those who left
            for q in forecast.behind(row.facts, today, status=row.assessment.status, accepted=accepted):
                expected = forecast.expected_by(q, year, today, row.facts.on_staff_since)
                items.append(NewNotification(
                    row.user.id, "quota_behind", f"quota:{school.id}:{year}:{q.key}:{q.semester}:{month}:{row.user.id}",
                    {"quota": quota_label(q), **quota_figures(q, expected)},
                    "/writing", school.id,
                ))
    return notify_many(items)


# -- the district's decisions, to the school's admins ---------------------------------------------


def school_admins(school_id: int) -> list[int]:
    return sorted(set(db.session.execute(
        select(Membership.user_id).join(User, User.id == Membership.user_id).where(
            Membership.school_id == school_id, Membership.role == SCHOOL_ADMIN, Membership.active.is_(True),
            User.active.is_(True))
    ).scalars()))


def school_plan_decided(plan_id: int, status: str, comment: str, decided_at: datetime) -> None:
    """Called by ``school_plans.decide_plan`` inside its write: the school's admins are told
    once it commits (``portal.outbox``)."""
    outbox.enqueue_on_commit("notifications.school_plan_decided", plan_id, status, comment, decided_at.isoformat())


@jobs.job("notifications.school_plan_decided")
def school_plan_job(plan_id: int, status: str, comment: str, decided_at: str) -> list[int]:
    from portal.models import SchoolPlan
    from portal.services import school_plans

    plan = db.session.get(SchoolPlan, plan_id)
    kind = {school_plans.ACCEPTED: "school_plan_accepted", school_plans.RETURNED: "school_plan_returned"}.get(status)
    if plan is None or kind is None:
        return []
    params = {"year": plan.school_year, "comment": comment}
    return notify_many([
        NewNotification(uid, kind, f"school_plan:{plan.id}:{status}:{decided_at}:{uid}", params, SCHOOL_PLAN_LINK,
                        plan.school_id)
        for uid in school_admins(plan.school_id)
    ])


def submission_event(event_id: int) -> None:
    """Called by ``submissions.decide`` / ``reopen`` inside their write, the event flushed: the
    school's admins are told once it commits (``portal.outbox``)."""
    outbox.enqueue_on_commit("notifications.submission_event", event_id)


@jobs.job("notifications.submission_event")
def submission_job(event_id: int) -> list[int]:
    from portal.models import YearSubmission

    event = db.session.get(SubmissionEvent, event_id)
    kind = {"accept": "submission_accepted", "return": "submission_returned",
            "reopen": "submission_reopened"}.get(event.action if event else "")
    if event is None or kind is None:
        return []
    sub = db.session.get_one(YearSubmission, event.submission_id)
    params: dict[str, Any] = {"year": sub.school_year, "comment": event.comment or ""}
    if sub.semester:  # said in words when shown (notifications.text): 第一学期, not "(1)"
        params["semester"] = sub.semester
    return notify_many([
        NewNotification(uid, kind, f"submission:{event.id}:{uid}", params, SUBMISSION_LINK, event.school_id)
        for uid in school_admins(event.school_id) if uid != event.actor_id
    ])


# -- periodic ---------------------------------------------------------------------------------------


@jobs.periodic("reminders.deadlines", minute="27", hour="0")  # 08:27 in China
def daily() -> None:
    run_all(utcnow())


def run_all(now: datetime) -> dict[str, int]:
    return {
        "deadline_due": len(remind_deadlines(now)),
        "plan_deadline": len(remind_plan_deadline(now)),
        "school_plan_deadline": len(remind_school_plan_deadline(now)),
        "quota_behind": len(remind_quotas(now)),
    }
