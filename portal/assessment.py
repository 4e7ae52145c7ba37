"""The yearly assessment of one teacher: the facts, the verdict, and the seeds' default policy.

The policy is the ``portal_assess_year`` hook; :func:`seed_policy` is the built-in default,
registered like any plugin, so a district with other rules installs a plugin instead of
editing the core (the first implementation returning a verdict wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from portal.timeutil import first_calendar_year

MET, SHORT, NOT_RECOGNISED, EXEMPT = "met", "short", "not_recognised", "exempt"
STATUSES = (MET, SHORT, NOT_RECOGNISED, EXEMPT)
#: Not a verdict: how a verdict of the hours reads in a period that does not end the year (a
#: first semester's submission, :func:`period_status`) — the year's requirement is still to come.
IN_PROGRESS = "in_progress"
#: The order every page lists the statuses in (a table's columns, a chart's legend): the verdicts
#: and, where a year under way is counted (:func:`counts_so_far`) or a first semester's round
#: read (:func:`period_status`), in progress.
SHOWN_ORDER = (MET, IN_PROGRESS, SHORT, NOT_RECOGNISED, EXEMPT)

RETIREMENT_AGE = {"F": 50, "M": 55}  # seeds: women 50, men 55, reached by 31 December


def hours_recognised(status: str) -> bool:
    """Whether a teacher's credited hours of the year count in a school's or the district's
    totals of hours credited (认定学时): not when the year is not recognised (seed ``004``:
    "学校不认定当年度学分"). The teacher's own row still shows what the ledger holds, with the status."""
    return status != NOT_RECOGNISED


def absence_reason(semester: int | str) -> str:
    """The reason of a year voided by ``semester``'s unexcused absence (:func:`seed_policy`)."""
    return f"absent_semester_{semester}"


def period_status(status: str, reason: str, judges_the_year: bool) -> tuple[str, str]:
    """How a verdict of the year so far (``status`` and its ``reason``) reads for a period: the
    whole year's, or a semester's that ends the year, says it; a first semester's says neither
    met nor short of the year's hours (``IN_PROGRESS``, no reason: half the year is still to
    come). A year voided by the first semester's absence is decided already (seed ``004``
    counts absence each semester), and an exemption is the school's decision: both read as
    they are; one voided by the second semester's absence (a first semester sent late) is not
    the first semester's to say."""
    if judges_the_year or status not in (MET, SHORT, NOT_RECOGNISED) or (
            status == NOT_RECOGNISED and reason != absence_reason(2)):
        return status, reason
    return IN_PROGRESS, ""


def so_far(status: str, reason: str, under_way: bool) -> tuple[str, str]:
    """How a teacher-year's verdict reads where a person reads it (their record, its printed
    学时证明 and ``/verify``, the school's summary and its exports, the API): a year still under
    way — not over yet, and not closed by the district's acceptance — is not judged short before
    its end (``IN_PROGRESS``: 进行中（学年结束时评定）), as a first semester's round reads it
    (:func:`period_status`); its reason stays — what is missing so far (a writing quota). What is
    reached stands as soon as it is: met, and an exemption (the school's decision) and a year
    voided by absence (the semester's absence is counted already) read as they are. A year that
    is over, or closed, reads its verdict; so do the district's live counts of its schools
    (:func:`counts_so_far`). The rounds a school sends keep the verdict they froze, read as
    :func:`period_status` says."""
    return (IN_PROGRESS if under_way and status == SHORT else status), reason


def counts_so_far(by_status: Mapping[str, int], under_way: bool) -> dict[str, int]:
    """Teachers by verdict (``by_status``) as the district's live counts of a year read them: each
    verdict as :func:`so_far` reads it, so a year under way counts in progress whom no school
    page calls short. Every status of :data:`SHOWN_ORDER` keyed, none lost."""
    out = dict.fromkeys(SHOWN_ORDER, 0)
    for status, n in by_status.items():
        shown = so_far(status, "", under_way)[0]
        out[shown] = out.get(shown, 0) + n
    return out


@dataclass(frozen=True)
class QuotaFact:
    """One writing quota of the year (``semester`` 0) or of a semester: done against target.

    ``unit`` is ``chars`` (characters as Chinese readers count them) or ``pieces``."""

    key: str  # reading_notes / paper / reflections / books
    semester: int
    done: int
    target: int
    unit: str = "pieces"
    #: the months short of the reading notes asked each month (``notes_monthly``: "2026-10" …)
    short: tuple[str, ...] = ()

    @property
    def met(self) -> bool:
        return self.done >= self.target

    @property
    def due_in_full(self) -> bool:
        """Whether all of the target is due already (``forecast.expected_by``): a quota of months
        (``notes_monthly``) asks only months that are over, so one of them short is behind
        schedule — its target is not spread over the year as a quota of pieces or characters is."""
        return self.unit == "months"


@dataclass(frozen=True)
class YearFacts:
    """What the ledger and attendance say about one teacher in one school and year."""

    user_id: int
    school_year: str  # "2026-2027"
    required_hours: Decimal
    absence_limit_hours: Decimal
    total_hours: Decimal
    by_type: dict[str, Decimal] = field(default_factory=dict)
    absent_hours: dict[int, Decimal] = field(default_factory=dict)  # semester → unexcused hours
    excused_hours: dict[int, Decimal] = field(default_factory=dict)
    gender: str | None = None
    birth_date: date | None = None
    exemption_reason: str | None = None  # set by the school admin
    absence_warning_hours: Decimal = Decimal("0")  # the school warns at this much absence (0: never)
    quotas: tuple[QuotaFact, ...] = ()  # the school's writing quotas (those with a target)
    quotas_decide: bool = False  # the school's rule: an unmet quota makes the year short
    # the day (school's time) their stretch on the school's staff began — joined, or came back
    # after a gap — or None (not known): what is expected of them by a day counts from it
    # (``forecast.expected_by``); the verdict does not read it
    on_staff_since: date | None = None

    @property
    def unmet_quotas(self) -> list[QuotaFact]:
        return [q for q in self.quotas if not q.met]

    def over_absence_limit(self, semester: int) -> bool:
        """Whether the semester's unexcused absence reached the limit (:func:`over_absence_limit`):
        what the teacher's page marks, asked of the rule the verdict asks."""
        return over_absence_limit(self.absent_hours.get(semester, Decimal("0")), self.absence_limit_hours)


@dataclass(frozen=True)
class Assessment:
    status: str  # one of STATUSES
    reason: str = ""


#: The longest ``reason`` a policy may give (a school's exemption reason is at most 500
#: characters; several reason codes joined stay far below): a longer one, or one that is no
#: text, is the policy plugin's failure (``plugin_loader.year_assessor``).
REASON_MOST = 1000

#: Between the codes of a reason that has several (every writing quota not met, not the first).
REASON_JOIN = "+"


def joined_reasons(codes: Iterable[str]) -> str:
    """Several reason codes as one ``reason`` (each once, in their order): what the pages show
    as one sentence (``messages.reason_label``) and the API gives as it is."""
    return REASON_JOIN.join(dict.fromkeys(codes))


@dataclass(frozen=True)
class Shortfall:
    """One reason in figures why a year is not met (:func:`shortfalls`): ``absence`` (the
    semester's unexcused ``hours`` reached the ``limit``), ``hours`` (the ``hours`` credited below
    the ``limit`` required) or ``quota`` (a writing quota not met, when the school's quotas decide)."""

    kind: str
    semester: int = 0
    hours: Decimal = Decimal("0")
    limit: Decimal = Decimal("0")
    quota: QuotaFact | None = None


def shortfalls(facts: YearFacts, status: str) -> list[Shortfall]:
    """Why a year assessed ``status`` is not met, in figures, by the rules of :func:`seed_policy`:
    not recognised, each semester whose unexcused absence reached the limit; short, the hours
    below the required and (when the school's quotas decide) every writing quota not met —
    all of them, not only the first the verdict met. None for a year met or exempt (an
    exemption says its own reason). The teacher's record and their 学时证明 print these
    (``year_texts.shortfall_text``), and ``/verify`` compares them."""
    if status == NOT_RECOGNISED:
        return [Shortfall("absence", semester, hours, facts.absence_limit_hours)
                for semester, hours in sorted(facts.absent_hours.items()) if facts.over_absence_limit(semester)]
    if status != SHORT:
        return []
    out = []
    if facts.total_hours < facts.required_hours:
        out.append(Shortfall("hours", hours=facts.total_hours, limit=facts.required_hours))
    if facts.quotas_decide:
        out += [Shortfall("quota", q.semester, quota=q) for q in facts.unmet_quotas]
    return out


def reaches_retirement_age(gender: str | None, birth_date: date | None, school_year: str) -> bool:
    """Women 50, men 55 by 31 December of the school year's first calendar year."""
    if gender not in RETIREMENT_AGE or birth_date is None:
        return False
    first_year = first_calendar_year(school_year)
    return first_year - birth_date.year >= RETIREMENT_AGE[gender]


def over_absence_limit(hours: Decimal, limit: Decimal) -> bool:
    """Whether a semester's unexcused absence voids the year (seed 004: "擅自不参加…累计缺席5个
    学时以上": 以上 includes the number): some absence, as much as the school's limit or more.
    A limit of 0 is the strictest — any unexcused absence voids the year — and no absence never
    does (a teacher who merely took part in a confirmed activity was not absent). The verdict
    and the warnings both ask this."""
    return hours > 0 and hours >= limit


def seed_policy(facts: YearFacts) -> Assessment:
    """The rules of the source documents (seed 004 and the training plans)."""
    if facts.exemption_reason:
        return Assessment(EXEMPT, facts.exemption_reason)
    if reaches_retirement_age(facts.gender, facts.birth_date, facts.school_year):
        return Assessment(EXEMPT, "retirement_age")
    for semester, hours in sorted(facts.absent_hours.items()):
        if over_absence_limit(hours, facts.absence_limit_hours):
            return Assessment(NOT_RECOGNISED, absence_reason(semester))
    if facts.total_hours < facts.required_hours:
        return Assessment(SHORT)
    if facts.quotas_decide and facts.unmet_quotas:  # the school counts its writing quotas
        return Assessment(SHORT, joined_reasons(f"quota_{q.key}" for q in facts.unmet_quotas))
    return Assessment(MET)
