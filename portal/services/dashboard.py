"""The district dashboard: figures of the district's schools for one year, each from one SQL
aggregate (the statement count is flat in the number of schools; schools are paged).

The submissions of the year are counted by status as the queue counts them (each period's
latest round: each semester a school sent, when the district collects semesters). Status
shares come from each school's latest submission of the year (the frozen figures the
district reviews; of a closed year, the one that closed it); hours by type from the schools' stored type totals
(``school_year_type_hours``, kept with the teacher-year rows by ``teacher_years.refresh``):
teachers' hours, the same figures as the 学时汇总表, the exports and the submissions, summed
over at most schools × types rows instead of the ledger; the schools furthest behind their
accepted annual plan from one grouped statement (``school_plans.behind_plan``: the months begun
by each school's own calendar)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)

from portal.extensions import db
from portal.models import School, SchoolYearTypeHours, YearLock, YearSubmission
from portal.services import locks, school_plans, submissions
from portal.timeutil import utcnow

PER_PAGE = 25
NONE = "none"  # the schools that sent nothing for the year, beside the submissions' statuses
BEHIND_SHOWN = 10  # schools in the "behind their plan" chart
ZERO = Decimal("0")


@dataclass
class SchoolShare:
    school: School
    submission: YearSubmission | None  # the latest round of the year (None: not submitted)
    #: none sent here: the latest round the school sent the district it left (``sent_before_joining``)
    elsewhere: YearSubmission | None = None
    #: whether ``submission`` says the year's verdict (``submissions.judging_rounds``): a first
    #: semester's does not — its shares are of its rows as read (``submissions.counts_as_read``)
    judges: bool = True

    @property
    def shares(self) -> list[tuple[str, int]]:
        s = self.submission
        if s is None:
            return []
        return list(submissions.counts_as_read(s, self.judges).items())


@dataclass
class Dashboard:
    year: str
    schools: list[SchoolShare]
    page: int
    pages: int
    total_schools: int
    #: submission status → the year's periods in it, as the queue counts them
    #: (``submissions.status_counts``); "none": schools that sent nothing for the year
    by_status: dict[str, int]
    hours_by_type: list[tuple[str, Decimal]]  # largest first
    behind: list[school_plans.Behind]  # schools furthest behind their accepted plan, up to today


def latest_rounds(district_id: Any, year: Any, sent: ColumnElement[bool] | None = None):
    """The id of each school's latest submission of ``year`` sent to the district (a subquery;
    ``sent``: another choice of submissions, :func:`sent_before_joining`) — of a year closed
    (``locks.closed_clause``), the submission whose acceptance closed it
    (``locks.closes_year``): the round whose figures and rules the closed year keeps, not the
    other semester's, sent later and accepted first."""
    sent = YearSubmission.district_id == district_id if sent is None else sent
    closing = (
        select(YearLock.submission_id)
        .join(YearSubmission, YearSubmission.id == YearLock.submission_id)
        .where(sent, YearLock.school_year == year, locks.closes_year(YearLock))
    )
    latest = (
        select(func.max(YearSubmission.id))
        .where(sent, YearSubmission.school_year == year, ~locks.closed_clause(YearSubmission.school_id, year))
        .group_by(YearSubmission.school_id)
    )
    return union_all(closing, latest)


def sent_before_joining(district_id: Any) -> ColumnElement[bool]:
    """SQL: a submission of a school in the district now, sent to another district — the one it
    left (``districts.move_school``). The district reads it (``policy.sees_submission``) and
    reopens it if accepted (``policy.decides_for_school``), though its figures are not the
    district's own (its exports say the school sent it nothing)."""
    return and_(YearSubmission.district_id != district_id,
                YearSubmission.school_id.in_(select(School.id).where(School.district_id == district_id)))


def _rounds_statement() -> Select[YearSubmission, bool]:
    """The page's schools' latest rounds of the year, sent here or before joining, with whether each
    judges the year: built once (its aliases and ``EXISTS`` cost more to build than to run), the
    district, the year and the schools bound."""
    district: BindParameter[int] = bindparam("district_id")
    year: BindParameter[str] = bindparam("year")
    return select(YearSubmission, submissions.judges_year()).where(
        or_(YearSubmission.id.in_(latest_rounds(district, year)),
            YearSubmission.id.in_(latest_rounds(district, year, sent_before_joining(district)))),
        YearSubmission.school_id.in_(bindparam("schools", expanding=True)),
    )


_ROUNDS = _rounds_statement()


def schools_of_year(district_id: int, year: str) -> Select[School]:
    """The schools a district's figures of ``year`` cover, by the pinyin of their names: those
    in the district today, and those that sent it that year's figures and have left it since
    (``districts.move_school``) — the year the district reviewed, accepted and locked perhaps,
    stays the district's, as it was sent, wherever the school has gone."""
    sent = select(YearSubmission.school_id).where(YearSubmission.district_id == district_id,
                                                  YearSubmission.school_year == year)
    return (select(School).where(or_(School.district_id == district_id, School.id.in_(sent)))
            .order_by(School.name_key, School.code))


def dashboard(district_id: int, year: str, page: int = 1, per_page: int = PER_PAGE,
              now: datetime | None = None) -> Dashboard:
    """Seven statements whatever the number of schools and teachers, a first semester's round
    among the page's too (whether each round judges the year, ``submissions.judges_year``, is a
    column of the rounds' statement) (``now``, naive UTC: the instant the months begun are
    counted at)."""
    pager = db.paginate(
        schools_of_year(district_id, year),
        page=page, per_page=per_page, error_out=False, count=True,
    )
    schools = list(pager.items)
    latest: dict[int, YearSubmission] = {}
    elsewhere: dict[int, YearSubmission] = {}
    judging: set[int] = set()  # the rounds that judge the year (``submissions.judges_year``)
    if schools:
        for s, judges in db.session.execute(  # one statement: the rounds sent here, those sent before joining
            _ROUNDS, {"district_id": district_id, "year": year, "schools": [s.id for s in schools]}
        ):
            (latest if s.district_id == district_id else elsewhere)[s.school_id] = s
            if judges:
                judging.add(s.id)
    # the queue's counts of the year (each semester a school sent, when the district collects
    # semesters), and the schools that sent nothing: one statement
    unsent = select(literal(NONE), func.count()).where(
        School.district_id == district_id,
        ~exists().where(YearSubmission.school_id == School.id, YearSubmission.district_id == district_id,
                        YearSubmission.school_year == year))
    by_status = {st: 0 for st in (*submissions.STATUSES, NONE)}
    for status, n in db.session.execute(union_all(submissions.status_count_query(district_id, year), unsent)):
        by_status[status] = int(n)
    total = pager.total or 0
    shown = schools_of_year(district_id, year).with_only_columns(School.id).order_by(None)
    hours = [  # of the schools the dashboard shows
        (key, Decimal(str(h or 0)))
        for key, h in db.session.execute(
            select(SchoolYearTypeHours.type_key, func.sum(SchoolYearTypeHours.hours))
            .where(SchoolYearTypeHours.school_id.in_(shown), SchoolYearTypeHours.school_year == year)
            .group_by(SchoolYearTypeHours.type_key)
            .order_by(func.sum(SchoolYearTypeHours.hours).desc(), SchoolYearTypeHours.type_key)
        )
    ]
    # the months begun by each school's calendar (its zone)
    behind = school_plans.behind_plan(district_id, year, now or utcnow(), BEHIND_SHOWN)
    return Dashboard(year, [SchoolShare(s, latest.get(s.id), elsewhere.get(s.id),
                                        s.id not in latest or latest[s.id].id in judging) for s in schools],
                     pager.page, pager.pages or 1,
                     total, by_status, hours, behind)
