"""What lies ahead in a teacher's year: the hours still needed, what the activities they are
already in would bring, whether the target is still reachable, and the warnings a school admin
and the teacher should see in time (absence nearing the limit, writing quotas behind schedule).

Warnings come from the teacher's :class:`~portal.assessment.YearFacts` alone (the one
teacher-year builder, ``credits._facts``), so the home and the school summary agree; the
forecast adds the teacher's open activities, valued by each type's credit rule.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from functools import lru_cache
from typing import Any

from portal.assessment import EXEMPT, MET, NOT_RECOGNISED, QuotaFact, YearFacts, over_absence_limit
from portal.models.district import WHOLE_YEAR
from portal.plugin_data import PluginStepFailed, hours_rule, previewing
from portal.registry import registry
from portal.services import locks, overlaps
from portal.services.ledger import core_rule, credit_ceiling, credit_hours_for
from portal.timeutil import period_bounds, to_local
from workflows.definition import Phase

ZERO = Decimal("0")
#: Phases of an activity whose hours are still to come: planned, held, reviewed but not credited.
PENDING_PHASES = (Phase.OPEN, Phase.AWAITING_REVIEW, Phase.CONFIRMED)
#: What the outlook reads of a teacher's participations (``overview.participations``): the
#: pending ones, and the credited ones, whose time is taken (:func:`pending_activities`).
OUTLOOK_PHASES = (*PENDING_PHASES, Phase.CREDITED)


@dataclass(frozen=True)
class YearWarning:
    """``absence`` (semester, hours, limit) or ``quota`` (the quota that is behind)."""

    kind: str
    semester: int = 0
    hours: Decimal = ZERO
    limit: Decimal = ZERO
    quota: QuotaFact | None = None
    severe: bool = False  # the absence limit is reached: the year is not recognised


def expected_by(q: QuotaFact, school_year: str, today: date, since: date | None = None) -> int:
    """How much of quota ``q`` should be done by ``today``: its target spread evenly over its
    period (nothing before the period starts, all of it once it is over) — for a teacher on the
    staff only ``since`` a day within it (joined, or came back after a gap:
    ``YearFacts.on_staff_since``), over what is left of it from that day, as their plan's
    deadline counts from it (``plans.own_deadline``): the whole target is still theirs by the
    period's end, but nobody is behind for the weeks before they were there. A quota whose
    target is due in full (``QuotaFact.due_in_full``: the months over, each asked its notes) is
    behind as soon as one of them is short."""
    if q.due_in_full:
        return q.target
    return _expected(q.semester, q.target, school_year, today, since)


@lru_cache(maxsize=4096)
def _expected(semester: int, target: int, school_year: str, today: date, since: date | None = None) -> int:
    """:func:`expected_by` of its values (a pure function, asked for each teacher's quotas of a
    summary: the same few answers)."""
    start, end = period_bounds(school_year, semester)
    if since is not None and since > start:
        start = since
    if today < start:
        return 0
    if today >= end:
        return target
    share = Decimal((today - start).days) / Decimal((end - start).days + 1)
    return int(share * target)


def period_over(semester: int, school_year: str, today: date, accepted: Collection[int]) -> bool:
    """Whether the semester (0: the whole school year) is over on ``today``, or the district
    accepted it (``accepted``: the periods of the year it locked, :func:`locks.accepted_periods`;
    the whole year by both its semesters too, :func:`locks.covers`): nothing more can be done in
    it, so what it lacks is no longer behind schedule but not met."""
    if locks.covers(accepted, semester):
        return True
    return today > period_bounds(school_year, semester)[1]  # its last day is in it


def behind(facts: YearFacts, today: date, *, status: str, accepted: Collection[int]) -> list[QuotaFact]:
    """The quotas behind schedule on ``today``, in periods neither over nor ``accepted`` by the
    district (:func:`period_over`: a past semester's quota not done is not met — its figures and
    the assessment say so — and writing now counts for today's period); none for a teacher whose
    ``status`` (the assessment's) is exempt: nothing is asked of them this year."""
    if status == EXEMPT:
        return []
    year = facts.school_year
    since = facts.on_staff_since
    return [q for q in facts.quotas if not q.met and q.done < expected_by(q, year, today, since)
            and not period_over(q.semester, year, today, accepted)]


def warnings(facts: YearFacts, today: date, *, status: str, accepted: Collection[int]) -> list[YearWarning]:
    """What the teacher and the school admin should act on now: every page, export, API answer
    and reminder asks here, so an exempt teacher (``status``, the assessment's) is warned of
    nothing anywhere, and nothing of a period that is over or ``accepted`` by the district
    (:func:`period_over`) is called behind or near its limit."""
    if status == EXEMPT:
        return []
    out: list[YearWarning] = []
    threshold = facts.absence_warning_hours
    for semester, hours in sorted(facts.absent_hours.items()):
        severe = over_absence_limit(hours, facts.absence_limit_hours)  # what the verdict asks
        # nearing the limit warns while the semester lasts; reaching it says why the year is not recognised
        nearing = (threshold > 0 and hours >= threshold
                   and not period_over(semester, facts.school_year, today, accepted))
        if nearing or severe:
            out.append(YearWarning("absence", semester, hours, facts.absence_limit_hours, severe=severe))
    out.extend(YearWarning("quota", q.semester, quota=q) for q in behind(facts, today, status=status, accepted=accepted))
    return out


@dataclass(frozen=True)
class PendingActivity:
    activity: Any  # the activity, or a read-only row with its attributes (``overview.participations``)
    role: str
    hours: Decimal  # what it would bring: the type's credit rule (full attendance until recorded)
    absent_hours: Decimal = ZERO  # unexcused absence recorded: why it brings less (or nothing)
    same_time_as: str = ""  # another activity of theirs holds (part of) its time: why it brings less


@dataclass(frozen=True)
class Forecast:
    needed: Decimal  # hours still needed for the requirement (0 once met)
    pending: list[PendingActivity]
    outlook: str  # met / on_track / needs_more / unreachable / not_assessed
    beyond_planned: Decimal  # hours to find in activities not planned yet

    @property
    def pending_hours(self) -> Decimal:
        return sum((p.hours for p in self.pending), ZERO)


def pending_activities(
    rows: Sequence[tuple[Any, Any]], settings: Mapping[str, dict], school_year: str
) -> list[PendingActivity]:
    """Of the teacher's participations (``overview.participations`` in :data:`OUTLOOK_PHASES`),
    those of ``school_year`` still to be credited, each with the hours it would bring; one whose
    type's credit rule raises is left out (reported with its plugin's name), so the page still
    shows the others.

    No one attends two things at once (:mod:`portal.services.overlaps`: the attendance of the
    second is refused), so an activity whose attendance is not recorded yet brings only what its
    time still holds beside the others (:func:`_time_left`): two lectures at the same hour
    bring the hours of one, not their sum, and one at the hour of a credited activity (among
    ``rows``: it brings nothing more, its attendance holds its time) brings what is left."""
    out: list[PendingActivity] = []
    types = registry()
    credited = set(types.states_in(Phase.CREDITED))
    taken: list[overlaps.Attended] = [  # the credited activities' time, as their attendance says
        _attended(p, act) for p, act in rows if act.state in credited and act.school_year == school_year
    ]
    rules: dict[str, Callable[..., Decimal]] = {}  # each type's credit rule, its boundary set up once
    shared: dict[str, bool] = {}  # whether the type credits by the core rule (its answers kept in ``known``)
    # the core rule's answers by all it and its bounds read (type — one settings a page —, the
    # activity's hours, the participant's role and figures): a teacher's lectures of two hours ask once
    known: dict[tuple[Any, ...], Decimal] = {}
    valued: list[tuple[Any, Any, Decimal, bool]] = []  # (participation, activity, hours, recorded)
    with previewing():
        for p, act in rows:
            reg = types.get(act.type_key)
            if reg is None or act.school_year != school_year or act.state in credited:
                continue
            rule = rules.get(act.type_key)
            if rule is None:
                rule = rules[act.type_key] = hours_rule(reg.type, "credit_hours")
                shared[act.type_key] = core_rule(reg.type)
            recorded = p.attended_hours is not None or p.adjusted_hours is not None
            key = (act.type_key, act.hours, recorded, p.role, p.attended_hours, p.adjusted_hours,
                   p.absent_hours, p.excused_hours) if shared[act.type_key] else None
            hours = known.get(key) if key is not None else None
            if hours is None:
                value = credit_hours_for if recorded else credit_ceiling
                try:
                    hours = value(reg.type, act, p, settings[act.type_key], rule=rule)
                except PluginStepFailed:
                    continue
                if key is not None:
                    known[key] = hours
            valued.append((p, act, hours, recorded))
    held = _time_left(valued, taken)
    for (p, act, hours, _recorded), (there, other) in zip(valued, held, strict=True):
        if there < act.hours:  # what is left of its time: that share of its credit
            hours = (hours * there / act.hours).quantize(Decimal("0.1"), ROUND_DOWN) if act.hours else ZERO
        out.append(PendingActivity(act, p.role, hours, p.absent_hours or ZERO, other))
    return out


def coming_first(pending: Sequence[PendingActivity], today: date, tz: str) -> list[PendingActivity]:
    """The outlook's activities in the order a teacher reads them: first those still ahead or
    under way on ``today`` (ending on it or later, in the school's zone ``tz``), the soonest
    first; then those held and waiting for review or credit, the latest first. The home shows
    the first five and folds the rest: in date order over the year they were the past ones.
    The order turns on the day alone, as the home's cached body is keyed on it."""
    def ahead(p: PendingActivity) -> bool:
        return to_local(p.activity.ends_at, tz).date() >= today

    def start(p: PendingActivity) -> tuple[Any, int]:
        return p.activity.starts_at, int(p.activity.id)

    return (sorted((p for p in pending if ahead(p)), key=start)
            + sorted((p for p in pending if not ahead(p)), key=start, reverse=True))


def _attended(p: Any, act: Any) -> overlaps.Attended:
    """The time participation ``p`` of ``act`` holds, as its recorded attendance says."""
    return overlaps.Attended(act.title, act.starts_at, act.ends_at,
                             overlaps.present(p.attended_hours, p.adjusted_hours, act.hours,
                                              (p.absent_hours or ZERO) + (p.excused_hours or ZERO)))


def _time_left(
    valued: Sequence[tuple[Any, Any, Decimal, bool]], credited: Sequence[overlaps.Attended] = (),
) -> list[tuple[Decimal, str]]:
    """For each activity of ``valued`` (participation, activity, hours, recorded), the hours of
    its time the teacher can still be there (:func:`overlaps.clash`) and the first other
    activity that holds the rest ("" when none). Recorded attendance passed that check when it
    was written and holds its time as recorded, as the ``credited`` activities' does; the
    others, by start, hold what is left beside it and the earlier ones at full attendance."""
    taken = [*credited, *(_attended(p, act) for p, act, _hours, recorded in valued if recorded)]
    out: list[tuple[Decimal, str]] = []
    for _p, act, _hours, recorded in valued:
        full = Decimal(act.hours)
        if recorded:
            out.append((full, ""))
            continue
        found = overlaps.clash(act.starts_at, act.ends_at, full, taken)
        there = full if found is None else found.left
        out.append((there, "" if found is None else found.title))
        taken.append(overlaps.Attended(act.title, act.starts_at, act.ends_at, there))
    return out


def forecast(
    facts: YearFacts, status: str, pending: list[PendingActivity], today: date, *, accepted: Collection[int],
    open_to_credits: bool,
) -> Forecast:
    """Whether the requirement is met, on track with what is planned, needs more, or out of reach
    (the absence rule voided the year, the year is over, or the district accepted it — ``accepted``,
    the periods it locked: the year whole or both its semesters (:func:`period_over`) — so
    nothing pending can be credited in it any more, and it promises nothing). Nothing is needed
    of an exempt teacher (``status``): not 50 hours still to come, as the API said beside "not
    assessed". Hours reached with the year still short (a writing quota the school requires)
    are no "met": more is needed, though no hours (``needed`` 0). ``open_to_credits``: whether
    hours of the year may still be posted (``transitions.may_credit_in``); a year before the last
    is closed to credits, and what is pending in it — even approved — brings nothing more."""
    if locks.covers(accepted, WHOLE_YEAR) or not open_to_credits:
        pending = []
    needed = ZERO if status == EXEMPT else max(facts.required_hours - facts.total_hours, ZERO)
    coming = sum((p.hours for p in pending), ZERO)
    beyond = max(needed - coming, ZERO)
    if status == EXEMPT:
        outlook = "not_assessed"
    elif status == NOT_RECOGNISED:
        outlook = "unreachable"
    elif status == MET:
        outlook = "met"
    elif period_over(WHOLE_YEAR, facts.school_year, today, accepted):
        outlook = "unreachable"
    elif needed and beyond == 0:
        outlook = "on_track"
    else:
        outlook = "needs_more"
    return Forecast(needed, pending, outlook, beyond)
