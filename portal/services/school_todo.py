"""What waits on a school's admin (and, for the plans, on its reviewers): the to-do list at the
top of their home. Each item is asked of the policy (who does it) and of the service that owns
it — the development plans (:mod:`portal.services.plans`) and the year sent to the district
(:mod:`portal.services.submissions`) — never computed a second way:

* plans sent and waiting for sign-off (``plans.SUBMITTED``), those the viewer may decide
  (``policy.may_decide_plan``: not their own); dated by the oldest sent;
* teachers whose plan deadline is near (the reminders' window, ``district_notices.SOON`` days,
  the day itself too) and who have not sent theirs (``plans.unsent``, each by their own deadline,
  ``plans.own_deadline``); dated by the nearest deadline;
* this school year's round waiting for the district whose figures changed since it was sent
  (``submissions.changes_since``, as /submission counts them), or a round the district returned
  (send it again); dated by the day it was sent or returned;
* correction requests waiting (``corrections.waiting_on``), those the viewer may close
  (``policy.may_close_correction``: not their own); dated by the oldest asked.

A fixed number of statements (``tests/perf/test_admin_todo.py``): one for the plans waiting and
the teachers not sent (``plans.waiting_and_unsent``), one for the year's rounds with its accepted
periods (``submissions.rounds_and_locks``) and, for a round waiting for the district, the
comparison of its figures (``submissions.changed_since``, flat in the number of teachers: the
teachers' year rows, and a semester's round its semesters' hours), and one for the correction
requests. The home keeps the list
as a cached part of its own, under the school's data stamp and the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal import policy
from portal.models import School
from portal.services import corrections, district_notices, plans, submissions
from portal.timeutil import current_school_year, to_local, zone_of

PLANS_WAITING, PLANS_NOT_SENT = "plans_waiting", "plans_not_sent"
FIGURES_CHANGED, ROUND_RETURNED = "figures_changed", "round_returned"
CORRECTIONS_WAITING = "corrections_waiting"


@dataclass(frozen=True)
class Todo:
    kind: str  # one of the five above: the words and the link are the page's
    count: int  # plans, teachers, teachers, requests; a returned round: 1
    day: date  # the oldest plan sent, the deadline, the day the round was sent or returned
    year: str
    semester: int = 0  # a round's period (submissions.period: 0 the whole year)


def for_actor(school: School, actor: policy.Actor, today: date) -> list[Todo]:
    """The viewer's to-do list in ``school`` on ``today`` (the school's day)."""
    year = current_school_year(school.timezone)
    zone = zone_of(school)
    out: list[Todo] = []
    waiting_plans, unsent = plans.waiting_and_unsent(  # one statement for both
        school.id, year, policy.may_review_plans(actor), policy.may_set_plan_deadline(actor))
    waiting = [(uid, at) for uid, at in waiting_plans if policy.may_decide_plan(actor, uid)]
    if waiting:
        days = [to_local(at, zone).date() for _uid, at in waiting if at is not None]
        out.append(Todo(PLANS_WAITING, len(waiting), min(days) if days else today, year))
    # a teacher who joined late has a deadline of their own
    dues = [due for _uid, since in unsent
            if 0 <= ((due := plans.own_deadline(school, year, since)) - today).days <= district_notices.SOON]
    if dues:
        out.append(Todo(PLANS_NOT_SENT, len(dues), min(dues), year))
    if policy.may_submit_year(actor):
        rounds, _judging, accepted = submissions.rounds_and_locks(school.id, year)
        for sub in submissions.latest_of_each_period(rounds).values():
            if sub.status == submissions.SUBMITTED and (n := submissions.changed_since(sub, accepted)):
                out.append(Todo(FIGURES_CHANGED, n, to_local(sub.submitted_at, zone).date(), year, sub.semester))
            elif sub.status == submissions.RETURNED:
                out.append(Todo(ROUND_RETURNED, 1, to_local(sub.decided_at or sub.submitted_at, zone).date(), year,
                                sub.semester))
    if policy.may_see_corrections(actor):
        n, oldest = corrections.waiting_on(school.id, actor)
        if n:
            out.append(Todo(CORRECTIONS_WAITING, n, to_local(oldest, zone).date() if oldest else today, year))
    return out
