"""The wire format of the district's API (``portal.api.views_district``): its schools, the
queue of submitted school years, decisions, the district's settings, and the school's annual
plan. The request models check the shapes; each string's document schema is the exact one
(``WithJsonSchema``: no NUL, not blank where the services strip), and the services check the
rest with their own coded messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, RootModel, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from portal.activity_types import HOURS_STEP
from portal.api.models import Body, Out, Query, SchoolCode, SchoolYear, _whole, absent
from portal.api.typed_schemas import text
from portal.models import SchoolPlan, YearSubmission
from portal.school_rules import SCHOOL_RULES
from portal.services import school_plans, submissions, users
from portal.services.dashboard import Dashboard
from portal.services.overview import SchoolRow
from portal.timeutil import MONTH_DAYS, is_month_day

SubmissionStatus = Literal["submitted", "returned", "accepted", "reopened"]
assert set(SubmissionStatus.__args__) == set(submissions.STATUSES), "the API's statuses are the service's"  # type: ignore[attr-defined]


# each string: the shape checked here, the exact schema (storable, not blank) in the document
#: A teacher's user id as a JSON object key.
USER_ID_KEY = r"^[1-9][0-9]{0,9}$"
UserIdKey = Annotated[str, StringConstraints(pattern=USER_ID_KEY)]
Comment = Annotated[str, StringConstraints(max_length=submissions.COMMENT_MAX),
                    WithJsonSchema(text(submissions.COMMENT_MAX))]
#: Per-teacher comments: only user ids as keys (a closed object in the document too).
TeacherComments = Annotated[
    dict[UserIdKey, "Comment"],
    WithJsonSchema({
        "type": "object",
        "patternProperties": {USER_ID_KEY: {"type": "string", "maxLength": submissions.COMMENT_MAX,
                                                    "pattern": "^[^\\x00]*$"}},
        "additionalProperties": False,
    }),
]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=submissions.COMMENT_MAX),
                   WithJsonSchema(text(submissions.COMMENT_MAX, nonblank=True))]
SchoolName = Annotated[str, StringConstraints(min_length=1, max_length=200), WithJsonSchema(text(200, nonblank=True))]
PersonName = Annotated[str, StringConstraints(max_length=100), WithJsonSchema(text(100))]
Password = Annotated[str, StringConstraints(min_length=8, max_length=200), WithJsonSchema(text(200, min_length=8))]
Title = Annotated[str, StringConstraints(min_length=1, max_length=school_plans.TITLE_MAX),
                  WithJsonSchema(text(school_plans.TITLE_MAX, nonblank=True))]
Responsible = Annotated[str, StringConstraints(max_length=school_plans.RESPONSIBLE_MAX),
                        WithJsonSchema(text(school_plans.RESPONSIBLE_MAX))]
Aims = Annotated[str, StringConstraints(max_length=school_plans.AIMS_MAX), WithJsonSchema(text(school_plans.AIMS_MAX))]
# the school's rules of hours, as declared (``hours=True``): half hours within 0..999.5
DistrictHours = Annotated[float, Field(ge=0, le=SCHOOL_RULES["required_hours"].bounds[1], multiple_of=HOURS_STEP,
                                       allow_inf_nan=False, description="Hours in steps of 0.5")]
def _month_day(value: str) -> str:
    if not is_month_day(value):
        raise PydanticCustomError("month_day", "not a day of the year")
    return value


MonthDay = Annotated[str, WithJsonSchema({"type": "string", "enum": list(MONTH_DAYS),
                                          "description": "A day of the year as MM-DD, e.g. 06-30"}),
                     AfterValidator(_month_day)]


def _username(value: str) -> str:
    if not users.is_username(value):
        raise PydanticCustomError("username_format", "not a username")
    return value


#: A new person's username: the rule of the forms that create people (``users.USERNAME_PATTERN``:
#: Latin letters, digits, '.', '_', '-' and Chinese characters), refused with their words.
Username = Annotated[str, WithJsonSchema({
    "type": "string", "pattern": users.USERNAME_PATTERN, "minLength": 1, "maxLength": users.USERNAME_MAX,
    "description": "1–64 Latin letters, Chinese characters, digits, '.', '_' or '-'"}),
    AfterValidator(_username)]



Month = Annotated[int, Field(strict=True, ge=1, le=12), BeforeValidator(_whole)]
Semester = Annotated[int, Field(strict=True, ge=1, le=2), BeforeValidator(_whole)]  # not true: JSON true is no 1
TypeKey = Annotated[str, StringConstraints(pattern="^[A-Za-z_][A-Za-z0-9_]{0,63}$"),
                    Field(description="An installed activity type (another: 404)")]


# -- requests -------------------------------------------------------------------------------------


class DistrictYearQuery(Query):
    year: SchoolYear = absent("School year, e.g. 2026-2027 (default: the current one)")


class QueueQuery(DistrictYearQuery):
    year: SchoolYear = absent("Only this school year")
    status: SubmissionStatus = absent("Submissions in this status (default submitted)")
    page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1")
    per_page: int = Field(submissions.PER_PAGE, ge=1, le=100, description="Items per page (default 20)")


class DashboardQuery(DistrictYearQuery):
    page: int = Field(1, ge=1, le=1_000_000, description="Page of schools")


class SubmittedQuery(DistrictYearQuery):
    format: Literal["csv", "xlsx"] = Field("csv", description="csv (default) or xlsx")


class SubmissionDecision(Body):
    decision: Literal["accept", "return"]
    comment: Comment = ""
    teacher_comments: TeacherComments = absent("user id → what the school must correct for that teacher")


class Reopen(Body):
    reason: Reason


class YearSubmit(Body):
    year: SchoolYear
    semester: Semester = absent("1 or 2, if the district collects semesters")


def _most(key: str) -> int:
    """The most a writing quota may ask (the school rule's declared range)."""
    return int(SCHOOL_RULES[key].bounds[1])


# A district's minimum of a writing quota: a whole number in the school rule's range.
ReadingChars = Annotated[int, Field(strict=True, ge=0, le=_most("reading_notes_chars"))]
Papers = Annotated[int, Field(strict=True, ge=0, le=_most("papers_per_year"))]
Reflections = Annotated[int, Field(strict=True, ge=0, le=_most("reflections_per_semester"))]
Books = Annotated[int, Field(strict=True, ge=0, le=_most("books_per_semester"))]
NoteChars = Annotated[int, Field(strict=True, ge=0, le=_most("reading_note_chars"))]


class DistrictSettings(Body):
    required_hours: DistrictHours | None = absent("schools may require more, never less (null: none set)")
    absence_limit_hours: DistrictHours | None = absent("schools may allow less absence, never more (null: none set)")
    submission_period: Literal["year", "semester"] = absent()
    plan_deadline: MonthDay = absent()
    reading_notes_chars: ReadingChars | None = absent(
        "least reading-note characters a year schools may ask (more, never less; null: none set)")
    papers_per_year: Papers | None = absent(
        "least papers or teaching essays a year (null: none set)")
    reflections_per_semester: Reflections | None = absent(
        "least teaching reflections a semester (null: none set)")
    books_per_semester: Books | None = absent(
        "least books read a semester (null: none set)")
    reading_note_chars: NoteChars | None = absent(
        "least characters of each reading note schools may ask (more, never less; null: none set)")


class NewSchool(Body):
    code: SchoolCode
    name: SchoolName
    admin_username: Username
    admin_name: PersonName = ""
    admin_password: Password


class TypeSwitch(Body):
    enabled: bool


class SchoolPlanLineIn(Body):
    type: TypeKey
    month: Month
    title: Title
    hours: DistrictHours
    responsible: Responsible = absent()


class SchoolPlanBody(Body):
    year: SchoolYear
    aims: Aims = ""
    target_hours: DistrictHours = 0
    lines: Annotated[list[SchoolPlanLineIn], Field(max_length=school_plans.LINES_MAX)]


class SchoolPlanYear(Body):
    year: SchoolYear


class SchoolPlanDecision(Body):
    decision: Literal["accept", "return"]
    comment: Comment = ""


# -- responses ------------------------------------------------------------------------------------


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat() + "Z"


class SchoolFigures(Out):
    school: str
    name: str
    staff: int
    teachers: int
    by_status: dict[str, int] = Field(description="teachers per status (met, in_progress, short, not_recognised, exempt): "
                                      "of a year still under way, nobody is short yet — in progress, as the school's pages say")
    hours: float = Field(description="hours credited, in steps of 0.5; a teacher whose year is not recognised adds none")

    @classmethod
    def of(cls, r: SchoolRow) -> SchoolFigures:
        return cls(school=r.school.code, name=r.school.name, staff=r.staff, teachers=r.teachers,
                   by_status=dict(r.by_status), hours=float(r.hours))


class DistrictSchools(RootModel[list[SchoolFigures]]):
    pass


#: a frozen row's hours, kept as text (exact half hours: ``submissions._frozen_row``): numbers on the wire
_ROW_HOURS = ("total", "required")
_ROW_HOURS_BY_KEY = ("by_type", "semester_hours", "absent", "excused")


def _hours_as_numbers(row: dict[str, Any]) -> dict[str, Any]:
    """A frozen row with its hours as JSON numbers, as every hours of the API (a round stored
    before a field was kept has none of it)."""
    out = {**row, **{k: float(row[k]) for k in _ROW_HOURS if k in row}}
    out.update({k: {key: float(h) for key, h in row[k].items()} for k in _ROW_HOURS_BY_KEY if k in row})
    return out


class JudgedRule(Out):
    key: str = Field(description="the rule, as `GET /api/v1/school/rules` names it")
    label_zh: str
    label_en: str
    value: bool | int | float | None = Field(description="as the round kept it (hours in steps of 0.5); null: a "
                                                        "rule declared after the round was sent")
    district: int | float | None = Field(description="what the school's district sets for it now (null: nothing, "
                                                     "so a school may set it as it likes)")
    more_lenient: bool = Field(description="`value` is more lenient than `district`: fewer hours or a smaller quota, "
                                           "a higher absence limit")

    @classmethod
    def of(cls, r: submissions.JudgedRule) -> JudgedRule:
        label = SCHOOL_RULES[r.key].label
        return cls(key=r.key, label_zh=label.zh if label else r.key, label_en=label.en if label else r.key,
                   value=r.value, district=r.district, more_lenient=r.laxer)


class Submission(Out):
    id: int
    school: str = Field(description="school code")
    school_name: str
    year: str
    semester: int = Field(description="0: the whole school year; 1 or 2: a semester")
    round: int
    status: SubmissionStatus
    locked: bool
    teachers: int
    met: int
    short: int
    not_recognised: int
    exempt: int
    total_hours: float = Field(description="the school's hours credited, in steps of 0.5 (a teacher whose year is not "
                                           "recognised adds none)")
    by_type: dict[str, float] = Field(description="activity type key → hours credited, in steps of 0.5 (numbers, as "
                                                  "`total_hours`)")
    comment: str
    teacher_comments: dict[str, Any]
    submitted_at: str
    decided_at: str | None
    judges_year: bool = Field(description=(
        "whether the round says the year's verdict: false for a first semester's round (the year's hours are not "
        "judged yet: its rows say `in_progress` for met or short, and give the first semester's absence only; "
        "`met` and `short` count the hours so far)"))
    rows: list[dict[str, Any]] = absent("every teacher's frozen figures (one submission only), as the round is read: "
                                        "see `judges_year`; their hours (`total`, `required`, `by_type`, "
                                        "`semester_hours`, `absent`, `excused`) are numbers in steps of 0.5")
    rules: list[JudgedRule] | None = absent(
        "the district's reads of one round: the school's rules its year was judged by (kept with the round: the "
        "hours required, the absence limit, the writing quotas and whether they decide the year), each beside "
        "what the district sets now; null: the round was sent before rules were kept with submissions")
    unfinished: int = absent(
        "the school's own reads: how many activities of the year (or semester) are, now, neither credited nor "
        "closed; once the district accepts it they can no longer be credited")
    unfinished_ids: list[int] = absent(
        f"the school's own reads: the oldest of those activities (at most {submissions.UNFINISHED_SHOWN}), by id")

    @classmethod
    def of(cls, sub: YearSubmission, code: str, name: str, rows: bool = False,
           unfinished: submissions.Unfinished | None = None, judging: set[int] | None = None) -> Submission:
        """``judging``: :func:`submissions.judging_rounds` of a list the round is in (asked here if not given)."""
        judges = sub.id in (submissions.judging_rounds([sub]) if judging is None else judging)
        out = cls(
            id=sub.id, school=code, school_name=name, year=sub.school_year, semester=sub.semester,
            round=sub.round, status=sub.status, locked=sub.status == submissions.ACCEPTED,  # type: ignore[arg-type]
            teachers=sub.teachers, met=sub.met, short=sub.short, not_recognised=sub.not_recognised,
            exempt=sub.exempt, total_hours=float(sub.total_hours),
            by_type={k: float(v) for k, v in (sub.by_type or {}).items()},  # stored as text (exact half hours)
            comment=sub.comment or "", teacher_comments=dict(sub.teacher_comments or {}),
            submitted_at=_utc(sub.submitted_at) or "", decided_at=_utc(sub.decided_at), judges_year=judges,
        )
        if rows:
            out.rows = [_hours_as_numbers(r) for r in submissions.rows_as_read(sub, judges)]
        if unfinished is not None:
            out.unfinished = unfinished.count
            out.unfinished_ids = [a.id for a in unfinished.activities]
        return out


class Submissions(RootModel[list[Submission]]):
    pass


class SubmissionPage(Out):
    items: list[Submission]
    page: int
    pages: int
    total: int
    counts: dict[str, int]


class DistrictOut(Out):
    code: str
    name: str
    settings: dict[str, Any]

    @classmethod
    def of(cls, d: Any) -> DistrictOut:
        return cls(code=d.code, name=d.name, settings=dict(d.settings or {}))


class CreatedSchool(Out):
    school: str
    name: str
    admin: str


class DashboardSchool(Out):
    school: str
    name: str
    status: SubmissionStatus | None
    semester: int | None = Field(description="what the round covers: 0 the whole school year, 1 or 2 a semester "
                                             "(null: not submitted)")
    shares: dict[str, Any]


class BehindPlan(Out):
    school: str = Field(description="school code")
    name: str
    planned: int = Field(description="activities of the accepted plan in the months begun so far")
    planned_hours: float = Field(description="their hours, in steps of 0.5")
    held: int = Field(description="activities held (held, reviewed or credited) in the year")
    held_hours: float = Field(description="their hours, in steps of 0.5")
    behind_hours: float = Field(description="planned_hours less held_hours (never below 0)")


class DistrictDashboard(Out):
    year: str
    page: int
    pages: int
    total_schools: int
    by_status: dict[str, int] = Field(description="the year's submissions by status, as the queue counts them (each "
                                                  "semester a school sent, when the district collects semesters); "
                                                  "none: schools that sent nothing for the year")
    hours_by_type: dict[str, float] = Field(description="activity type key → the schools' hours credited, in steps "
                                                        "of 0.5, largest first")
    schools: list[DashboardSchool]
    behind_plan: list[BehindPlan] = Field(description="the schools furthest behind their accepted plan, first")

    @classmethod
    def of(cls, d: Dashboard) -> DistrictDashboard:
        return cls(
            year=d.year, page=d.page, pages=d.pages, total_schools=d.total_schools, by_status=dict(d.by_status),
            hours_by_type={k: float(h) for k, h in d.hours_by_type},
            schools=[DashboardSchool(school=r.school.code, name=r.school.name,
                                     status=r.submission.status if r.submission else None,  # type: ignore[arg-type]
                                     semester=r.submission.semester if r.submission else None,
                                     shares=dict(r.shares)) for r in d.schools],
            behind_plan=[BehindPlan(school=b.school.code, name=b.school.name, planned=b.planned,
                                    planned_hours=float(b.planned_hours), held=b.held, held_hours=float(b.held_hours),
                                    behind_hours=float(b.gap_hours)) for b in d.behind],
        )


class SchoolPlanLineOut(Out):
    id: int = Field(description="pass it as `plan_line_id` when planning an activity from this line")
    activities: int = Field(description="activities planned from this line")
    type: str
    month: int
    title: str
    hours: float = Field(description="in steps of 0.5")
    responsible: str


class PlannedHeld(Out):
    type: str
    month: int
    planned: int
    planned_hours: float = Field(description="in steps of 0.5")
    held: int
    held_hours: float = Field(description="in steps of 0.5")


class SchoolPlanOut(Out):
    id: int
    school: str
    year: str
    status: Literal["draft", "submitted", "returned", "accepted"]
    late: bool
    aims: str
    target_hours: float = Field(description="in steps of 0.5")
    comment: str
    lines: list[SchoolPlanLineOut]
    planned_vs_held: list[PlannedHeld]

    @classmethod
    def of(cls, plan: SchoolPlan, code: str) -> SchoolPlanOut:
        grid = school_plans.planned_vs_held(plan)
        per_line = school_plans.activities_per_line(plan.id)
        return cls(
            id=plan.id, school=code, year=plan.school_year, status=plan.status,  # type: ignore[arg-type]
            late=bool(plan.late), aims=plan.aims or "", target_hours=float(plan.target_hours),
            comment=plan.comment or "",
            lines=[SchoolPlanLineOut(id=ln.id, activities=per_line.get(ln.id, 0), type=ln.type_key, month=ln.month,
                                     title=ln.title, hours=float(ln.planned_hours), responsible=ln.responsible or "")
                   for ln in school_plans.lines_of(plan.id)],
            planned_vs_held=[PlannedHeld(type=k, month=m, planned=c.planned, planned_hours=float(c.planned_hours),
                                         held=c.held, held_hours=float(c.held_hours))
                             for (k, m), c in sorted(grid.items())],
        )
