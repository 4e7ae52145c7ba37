"""The API's wire format, declared once as pydantic models: spectree validates requests against
them and builds the OpenAPI document from them (``portal.api.openapi``); the response models
turn rows into JSON (``from_row``).

Request bodies are strict JSON (``"3"`` is not a number, ``"yes"`` not a boolean, unknown keys
refused); query strings and multipart fields are text, so their models convert. The services
check the rest (types, roles, a type's details form …) with their own coded messages; the
document makes the installed types' rules exact (``portal.api.typed_schemas``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    SerializerFunctionWrapHandler,
    StringConstraints,
    WithJsonSchema,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from portal.api.typed_schemas import DATETIME_EXACT
from portal.assessment import QuotaFact
from portal.models import Activity as ActivityRow
from portal.models import Evidence as EvidenceRow
from portal.models import Participation, School, TransitionLog, User
from portal.registry import registry
from portal.security import MAX_ID
from portal.services import activities, forecast, transitions
from portal.services.credits import TeacherYear
from portal.timeutil import MAX_YEAR, MIN_YEAR, to_local
from portal.year_texts import names_months_short


def _whole(value: Any) -> Any:
    """JSON does not tell ``288.0`` from ``288`` (nor does JSON Schema's ``integer``)."""
    return int(value) if isinstance(value, float) and value.is_integer() and abs(value) <= 2**53 else value


def _text(low: int = 0, high: int | None = None, pattern: str | None = None) -> Any:
    return StringConstraints(min_length=low or None, max_length=high, pattern=pattern)


Id = Annotated[int, Field(strict=True, ge=1, le=MAX_ID), BeforeValidator(_whole)]
Hours = Annotated[float, Field(ge=0, le=999.5, multiple_of=0.5, allow_inf_nan=False)]
PositiveHours = Annotated[float, Field(gt=0, le=999.5, multiple_of=0.5, allow_inf_nan=False)]
TextId = Annotated[str, _text(1, 64)]
DateTimeText = Annotated[
    str,
    # the shape the API holds a time to; the document publishes the exact form (years 2000–2099,
    # real calendar dates: ``typed_schemas.DATETIME_EXACT``), the services check the rest
    _text(1, 64, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?$"),
    Field(description="ISO 8601 date-time; without an offset it is in the school's time zone",
          examples=["2026-10-15T14:00"]),
]
#: Every school year an activity can fall in: activities are dated 2000–2099, and January–August
#: 2000 belongs to 1999-2000. A pattern cannot say "consecutive years", so the years are listed.
SCHOOL_YEARS = [f"{y}-{y + 1}" for y in range(MIN_YEAR - 1, MAX_YEAR + 1)]


def _school_year(value: str) -> str:
    if value not in SCHOOL_YEARS:
        raise PydanticCustomError("school_year", "not a school year")
    return value


SchoolYear = Annotated[
    str,
    WithJsonSchema({
        "type": "string", "pattern": "^[0-9]{4}-[0-9]{4}$", "enum": SCHOOL_YEARS,
        "description": f"A school year: two consecutive years, {SCHOOL_YEARS[0]} to {SCHOOL_YEARS[-1]}",
        "examples": ["2026-2027"],
    }),
    AfterValidator(_school_year),
]
SchoolCode = Annotated[str, _text(1, 32, "^[A-Za-z0-9_-]+$")]
FileField = Annotated[Any, WithJsonSchema({"type": "string", "format": "binary",
                                           "description": "pdf, png, jpg, docx, xlsx, pptx, doc or txt (UTF-8 or GB18030)"})]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def absent(description: str | None = None, **kw: Any) -> Any:
    """An optional field that is ``None`` when not given; an explicit ``null`` is refused like
    any other wrong type (the document does not offer it)."""
    return Field(None, validate_default=False, description=description, json_schema_extra=_no_default, **kw)



class Body(BaseModel):
    """A JSON request body: strict types, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Parameters(BaseModel):
    """Query or header parameters: the document lists them one by one."""


class Query(Parameters):
    """Query parameters (text, converted); ``school`` names the school on school-scoped operations."""

    model_config = ConfigDict(extra="forbid")


def subclasses(base: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model derived from ``base``, wherever declared (``models_<area>`` modules too)."""
    out: list[type[BaseModel]] = []
    stack = list(base.__subclasses__())
    while stack:
        cls = stack.pop()
        out.append(cls)
        stack.extend(cls.__subclasses__())
    return out


class Out(BaseModel):
    """A response body; an optional field that was not given is left out (not ``null``)."""

    @model_serializer(mode="wrap")
    def _leave_out_absent(self, handler: SerializerFunctionWrapHandler):
        data = handler(self)
        return {k: v for k, v in data.items() if v is not None or k in self.model_fields_set}


# -- requests -------------------------------------------------------------------------------------


class TokenRequest(Body):
    username: Annotated[str, _text(1, 64)]
    password: Annotated[str, _text(1, 200)]


class ActivityTypeUpdate(Body):
    enabled: bool = absent()
    settings: dict[str, Any] = absent()


class ParticipantInput(Body):
    user_id: Id
    role: Annotated[str, _text(1, 32)] = absent()


class ActivityCreate(Body):
    type: TextId
    title: Annotated[str, _text(1, 200)]
    starts_at: DateTimeText
    ends_at: DateTimeText
    hours: PositiveHours
    location: Annotated[str, _text(0, 200)] = ""
    participants: Annotated[list[ParticipantInput], Field(max_length=2000)] = absent()
    details: dict[str, Any] = Field({}, description="the type's own fields, validated by its form")
    plan_line_id: Id = absent("the line of the school's annual plan this activity carries out (a line of another "
                              "school: 404; its type and school year must be the activity's)")


class ParticipantsChange(Body):
    """People added to an activity after it was planned, or given another role (attendance kept)."""

    participants: Annotated[list[ParticipantInput], Field(min_length=1, max_length=2000)]


#: A time of the calendar an activity moves to: the exact form the document publishes for planning
#: (``typed_schemas.DATETIME_EXACT``: years 2000–2099, real dates), so no time it shows valid is refused
#: for its form
MovedTime = Annotated[DateTimeText, WithJsonSchema(DATETIME_EXACT)]


class Reschedule(Body):
    """The new times of an activity moved to another time (a time without an offset is the school's)."""

    starts_at: MovedTime
    ends_at: Annotated[DateTimeText, WithJsonSchema({**DATETIME_EXACT, "description": "not before `starts_at`"})]


class AttendanceRow(Body):
    user_id: Id
    attended_hours: Hours
    absent_hours: Hours = absent()
    excused_hours: Hours = absent()


class Attendance(RootModel[Annotated[list[AttendanceRow], Field(min_length=1, max_length=2000)]]):
    pass


class EvidenceText(Body):
    user_id: Id = absent()
    kind: TextId
    title: Annotated[str, _text(0, 200)] = ""
    text: Annotated[str, _text(1, 100_000)]


class EvidenceUpload(BaseModel):
    """A multipart form: its fields are text (``user_id`` converted); other fields are ignored."""

    file: FileField
    kind: TextId
    user_id: Annotated[int, Field(ge=1, le=MAX_ID)] = absent()
    title: Annotated[str, _text(0, 200)] = ""


class OrganizerChange(Body):
    organizer_id: Id = Field(description="the new organizer: a member of the school holding the organizer (or school "
                                         "admin) role")


class TransitionRequest(Body):
    trigger: TextId
    comment: Annotated[str, _text(0, 2000)] = ""
    hours: dict[Annotated[str, _text(pattern="^[1-9][0-9]{0,9}$")], Hours] = absent(
        description="approve only: user id → adjusted hours (needs a comment giving the reason)")
    version: Annotated[int, Field(ge=1, le=MAX_ID)] = absent(
        description="the activity's `version` as you read it: if attendance, evidence or the state changed since, "
                    "the step is refused (409) instead of deciding on figures you did not see")


class SchoolQuery(Query):
    school: SchoolCode = absent("Code of the school to act in (alternative to the `X-School` header).")


class NoQuery(Query):
    pass


class ActivityListQuery(SchoolQuery):
    state: Annotated[str, _text(pattern="^[a-z_]{1,32}$")] = absent("Only activities in this state")
    type: Annotated[str, _text(pattern="^[A-Za-z_][A-Za-z0-9_]{0,63}$")] = absent("Only activities of this type")
    year: SchoolYear = absent("Only activities of this school year")
    page: int = Field(1, ge=1, le=1_000_000, description="Page number, from 1")
    per_page: int = Field(20, ge=1, le=100, description="Items per page (default 20)")


class YearQuery(SchoolQuery):
    year: SchoolYear = absent("School year, e.g. 2026-2027 (default: the current one)")


class ReportQuery(YearQuery):
    format: Literal["json", "csv", "xlsx"] = Field("json", description="json (default), csv or xlsx")


class SchoolHeaders(Parameters):
    x_school: SchoolCode = absent(
        alias="X-School", description="Code of the school to act in; needed only by a user who belongs to several schools "
        "(a district admin may name any school). Same as the `school` query parameter.")


# -- responses ------------------------------------------------------------------------------------


def _hours(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def local_time(value: datetime, school: School) -> str:
    return to_local(value, school.timezone).isoformat(timespec="seconds")


class Error(Out):
    error: str
    message: str
    fields: dict[str, Any] = absent("per-field messages (code `invalid`)")
    allowed: list[str] = absent("triggers allowed now")
    missing: list[str] = absent("what a guard misses")


class Token(Out):
    token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_at: str

    @classmethod
    def issued(cls, token: str, expires_at: datetime) -> Token:
        return cls(token=token, expires_at=expires_at.replace(tzinfo=UTC).isoformat(timespec="seconds"))


class MeSchool(Out):
    code: str
    name: str
    roles: list[str]


class Me(Out):
    id: int
    username: str
    name: str
    district_admin: bool
    schools: list[MeSchool]


class FormField(Out):
    name: str
    type: str
    required: bool
    label: str = absent()
    choices: list[str] = absent()


class RoleOut(Out):
    key: str
    name_zh: str
    name_en: str


class SettingReadOtherwise(Out):
    """A stored setting the rules read otherwise than stored."""

    stored: Any = Field(description="the value the school stored")
    read: Any = Field(description="the value the rules read it as (the one `settings` gives)")


class ActivityType(Out):
    key: str
    name: str
    name_zh: str
    name_en: str
    roles: list[RoleOut]
    fields: list[FormField]
    evidence_kinds: list[str]
    evidence_after_start: list[str] = Field(description=(
        "the evidence kinds taken only once the activity has begun (a reflection, a lesson evaluation): "
        "sent before its start they are refused with `evidence.before_start`"))
    enabled: bool
    settings: dict[str, Any] = Field(description="the school's settings of the type as the rules read them, "
                                                 "the type's defaults filled in")
    settings_read_otherwise: dict[str, SettingReadOtherwise] = Field(default_factory=dict, description=(
        "the settings whose stored value the rules read otherwise, by name (an hours setting saved off the "
        "half-hour grid before it went by the half hour: 0.7 read as 0.5); `settings` gives the value read. "
        "Saving the type's settings stores the value read. Empty: each is read as stored"))

    @classmethod
    def of(cls, key: str, enabled: bool, settings: dict[str, Any], locale: str | None,
           read_otherwise: dict[str, tuple[Any, Any]] | None = None) -> ActivityType:
        reg = registry().types[key]
        d = reg.decl
        return cls(
            key=key, name=d.name(locale), name_zh=d.name_zh, name_en=d.name_en,
            roles=[RoleOut(key=k, name_zh=r.label_zh, name_en=r.label_en) for k, r in d.roles.items()],
            fields=[FormField.model_validate(f) for f in reg.decl.describe_form(locale)],
            evidence_kinds=list(d.evidence_kinds),
            evidence_after_start=[k for k, kind in d.evidence_kinds.items() if kind.after_start],
            enabled=enabled, settings=settings,
            settings_read_otherwise={name: SettingReadOtherwise(stored=stored, read=read)
                                     for name, (stored, read) in (read_otherwise or {}).items()},
        )


class Participant(Out):
    user_id: int
    name: str
    role: str
    attended_hours: float | None
    absent_hours: float
    excused_hours: float
    adjusted_hours: float | None
    adjust_reason: str | None = Field(description=(
        "why a reviewer adjusted the hours; null on a teacher's declaration for the school's other teachers "
        "(its declarer, the reviewers and the school admins read it)"))

    @classmethod
    def of(cls, p: Participation, user: User, reasons: bool = True) -> Participant:
        """``reasons``: whether the caller reads the reviewers' reasons (``policy.may_read_private``)."""
        return cls(
            user_id=p.user_id, name=user.display_name, role=p.role, attended_hours=_hours(p.attended_hours),
            absent_hours=_hours(p.absent_hours) or 0.0, excused_hours=_hours(p.excused_hours) or 0.0,
            adjusted_hours=_hours(p.adjusted_hours), adjust_reason=p.adjust_reason if reasons else None,
        )


_NOT_OPENED = ("null when the caller may not open the evidence (a teacher's own declaration's is shown to the "
               "declarer, the reviewers and the school admins only)")


class Evidence(Out):
    id: int
    user_id: int
    kind: str
    title: str
    char_count: int | None = Field(description=_NOT_OPENED)
    filename: str | None = Field(description=_NOT_OPENED)
    content_type: str | None = Field(description=_NOT_OPENED)
    size: int | None = Field(description=_NOT_OPENED)
    uploaded_by: int
    uploaded_at: str

    @classmethod
    def of(cls, ev: EvidenceRow, school: School, opened: bool = True) -> Evidence:
        """``opened``: whether the caller may open it (``policy.may_open_evidence``); if not, it is
        told as the page tells it — its kind, title, owner and time — and nothing of its contents."""
        return cls(
            id=ev.id, user_id=ev.user_id, kind=ev.kind, title=ev.title or "",
            char_count=ev.char_count or 0 if opened else None, filename=ev.filename if opened else None,
            content_type=ev.content_type if opened else None, size=ev.size or 0 if opened else None,
            uploaded_by=ev.uploaded_by, uploaded_at=local_time(ev.uploaded_at, school),
        )


class ActivitySummary(Out):
    id: int
    type: str
    title: str
    state: str
    starts_at: str
    ends_at: str
    hours: float
    school_year: str
    semester: int
    location: str
    organizer_id: int
    details: dict[str, Any] = Field(description=(
        "the type's own fields; on a teacher's declaration the school's other teachers read it without the "
        "fields its type keeps private (a certificate number), as the page shows it"))

    @classmethod
    def summary(cls, act: ActivityRow, school: School, details: dict[str, Any] | None = None) -> dict[str, Any]:
        """``details``: as the caller reads them (``activities.details_told_to``); None: all of them."""
        return {
            "id": act.id, "type": act.type_key, "title": act.title, "state": act.state,
            "starts_at": local_time(act.starts_at, school), "ends_at": local_time(act.ends_at, school),
            "hours": float(act.hours), "school_year": act.school_year, "semester": act.semester,
            "location": act.location or "", "organizer_id": act.organizer_id,
            "details": dict(act.details or {}) if details is None else details,
        }

    @classmethod
    def of(cls, act: ActivityRow, school: School, details: dict[str, Any] | None = None) -> ActivitySummary:
        return cls(**cls.summary(act, school, details))


class AttendanceCounts(Out):
    """An activity's people counted by their attendance as recorded, each in one part, so the parts add
    up to `people`: the same counting as the review queue's card and the attendance page."""

    people: int
    present: int = Field(description="attended some hours and missed none")
    partly: int = Field(description="attended some hours and missed some, without leave or on leave")
    absent: int = Field(description="attended none: missed some without leave, or recorded as attending none")
    excused: int = Field(description="attended none: all they missed was on leave")
    unrecorded: int = Field(description="no attendance recorded yet")

    @classmethod
    def of(cls, people: list[tuple[Participation, User]]) -> AttendanceCounts:
        return cls(**activities.attendance_tally(p for p, _u in people)._asdict())


class Clash(Out):
    """Another activity of the school at the same time sharing people with this one."""

    activity_id: int
    title: str
    starts_at: str
    ends_at: str
    people: int = Field(description="how many people are in both, organizing or taking part")

    @classmethod
    def of(cls, found: Any, school: School) -> Clash:
        return cls(activity_id=found.activity_id, title=found.title, starts_at=local_time(found.start, school),
                   ends_at=local_time(found.end, school), people=found.people)


class RefusedBefore(Out):
    """The teacher's declaration of it refused in review before (``transitions.refused_before``)."""

    title: str
    day: str = Field(description="its first day, YYYY-MM-DD in the school's calendar")
    comment: str = Field(description="what the reviewer said")
    by: str = Field(description="the reviewer's name")
    at: str = Field(description="when it was refused, the school's local time")

    @classmethod
    def of(cls, found: Any, school: School) -> RefusedBefore:
        return cls(title=found.title, day=found.day, comment=found.comment, by=found.by,
                   at=local_time(found.at, school))


class SharedCertificate(Out):
    """Another teacher's declaration at the school carrying a file of this one
    (``shared_certificates.shared_with_others``: the same bytes, or what shows the same)."""

    activity_id: int
    title: str
    teacher: str = Field(description="its teacher's name")
    day: str = Field(description="its first day, YYYY-MM-DD in the school's calendar")
    by: list[Literal["file", "number"]] = Field(description=(
        "what it shares with this declaration: `file` (a certificate file: the same bytes, or what shows the "
        "same), `number` (the certificate number, as the type compares them: width, case, spaces, dashes), or both"))

    @classmethod
    def of(cls, found: Any) -> SharedCertificate:
        return cls(activity_id=found.activity_id, title=found.title, teacher=found.teacher, day=found.day,
                   by=list(found.by))


class Activity(ActivitySummary):
    participants: list[Participant]
    allowed_triggers: list[str] = Field(description=(
        "the steps the caller may take now: their role and the state allow them, the activity has started "
        "where a step waits for its start, it has ended where a step waits for its end (posting credits, or a "
        "step its type declares so), and the district has not accepted (locked) its year where a step changes hours "
        "or absences; guards (evidence, comments) are checked only when the step is sent"))
    evidence: list[Evidence]
    attendance: AttendanceCounts = Field(description="its participants counted by their attendance, each in one part")
    plan_line_id: int | None = Field(None, description="the annual-plan line it was planned from (left out: none)")
    version: int = Field(description=(
        "moves whenever the activity, its attendance or its evidence change; send it with a transition "
        "(`version`) to have the step refused if it moved since you read the activity"))
    clashes: list[Clash] | None = Field(None, description=(
        "the school's other activities (not cancelled) at the same time that share its organizer or anyone on its "
        "list, by start: a warning, not a refusal (recording attendance may refuse a person in both); given to a "
        "caller who may organise it while it takes attendance, left out otherwise"))
    refused_before: list[RefusedBefore] | None = Field(None, description=(
        "a declaration its teacher declared before and a reviewer refused (the same type, the same title or days "
        "in common), newest refusal first: given to who reviews declarations and the school admin, left out "
        "otherwise and for an activity that is no declaration"))
    shared_certificate: list[SharedCertificate] | None = Field(None, description=(
        "the school's other teachers' standing declarations carrying a file of this declaration (the same bytes, "
        "or a PDF of the same words, a picture of the same pixels) or its certificate number: a list naming "
        "everyone, or a borrowed certificate, for the reviewer to judge; given to who reviews declarations and "
        "the school admin, left out otherwise and for an activity that is no declaration"))

    @classmethod
    def detail(cls, act: ActivityRow, school: School, people: list[tuple[Participation, User]],
               evidence_rows: list[EvidenceRow], allowed: list[str], clashes: list[Any] | None = None,
               opens: Callable[[int], bool] = lambda _owner: True, refused: list[Any] | None = None,
               shared: list[Any] | None = None, details: dict[str, Any] | None = None,
               reasons: bool = True) -> Activity:
        """``opens``: whether the caller may open the evidence of a person (by id); ``refused``:
        ``transitions.refusals_told_to``, ``shared``: ``shared_certificates.told_to`` (None: left out);
        ``details`` and ``reasons``: what the caller reads of a declaration (``policy.may_read_private``)."""
        fields: dict[str, Any] = cls.summary(act, school, details)
        fields["version"] = act.version
        if act.plan_line_id:  # left out when none
            fields["plan_line_id"] = act.plan_line_id
        if clashes is not None:  # left out when not the caller's to be told
            fields["clashes"] = [Clash.of(c, school) for c in clashes]
        if refused is not None:  # left out when not the caller's to be told
            fields["refused_before"] = [RefusedBefore.of(r, school) for r in refused]
        if shared is not None:  # left out when not the caller's to be told
            fields["shared_certificate"] = [SharedCertificate.of(c) for c in shared]
        return cls(
            **fields, participants=[Participant.of(p, u, reasons) for p, u in people], attendance=AttendanceCounts.of(people),
            allowed_triggers=allowed, evidence=[Evidence.of(e, school, opens(e.user_id)) for e in evidence_rows],
        )


class ActivityPage(Out):
    items: list[ActivitySummary]
    page: int
    per_page: int
    total: int
    pages: int


class Actor(Out):
    id: int
    name: str


class HistoryEntry(Out):
    id: int
    trigger: str
    from_state: str
    to_state: str
    actor: Actor
    comment: str = Field(description=(
        "what the step's actor wrote; empty on a teacher's declaration for the school's other teachers (its "
        "declarer, the reviewers and the school admins read it)"))
    payload: dict[str, Any] = Field(description=(
        "what the step recorded; its hours are numbers in steps of 0.5: user id → hours in `approved_hours`, "
        "`adjusted`, `credited` and `reversed`; user id → `attended`, `absent`, `excused` → [old, new] in "
        "recorded attendance's `changes` (old attended null: not recorded before)"))
    created_at: str

    @classmethod
    def of(cls, row: TransitionLog, actor: User, school: School, reasons: bool = True) -> HistoryEntry:
        """``reasons``: whether the caller reads the comments (``policy.may_read_private``)."""
        return cls(
            id=row.id, trigger=row.trigger, from_state=row.from_state, to_state=row.to_state,
            actor=Actor(id=actor.id, name=actor.display_name), comment=(row.comment or "") if reasons else "",
            payload=transitions.payload_with_numbers(row.payload), created_at=local_time(row.created_at, school),
        )


class History(RootModel[list[HistoryEntry]]):
    pass


class ActivityTypes(RootModel[list[ActivityType]]):
    pass


class CreditLine(Out):
    activity_id: int
    activity_title: str
    type: str
    role: str
    semester: int
    hours: float
    kind: Literal["credit", "reversal"]
    reason: str
    created_at: str

    @classmethod
    def of(cls, entry: Any, act: ActivityRow, school: School) -> CreditLine:
        return cls(
            activity_id=act.id, activity_title=act.title, type=entry.type_key, role=entry.role,
            semester=entry.semester, hours=float(entry.hours), kind=entry.kind, reason=entry.reason or "",
            created_at=local_time(entry.created_at, school),
        )


def _semesters(values: dict[int, Decimal]) -> dict[str, float]:
    out = {"1": 0.0, "2": 0.0}
    for sem, v in values.items():
        out[str(sem)] = float(v)
    return out


def teacher_year(ty: TeacherYear) -> dict[str, Any]:
    f = ty.facts
    return {
        "user_id": ty.user.id, "year": f.school_year, "required_hours": float(f.required_hours),
        "total_hours": float(f.total_hours), "by_type": {k: float(v) for k, v in sorted(f.by_type.items())},
        "absent_hours": _semesters(f.absent_hours), "excused_hours": _semesters(f.excused_hours),
        "status": ty.shown.status, "reason": ty.shown.reason,
    }


class TeacherHours(Out):
    """A teacher's year, as :func:`teacher_year` gives it."""

    user_id: int
    total_hours: float
    by_type: dict[str, float]
    absent_hours: dict[str, float]
    excused_hours: dict[str, float]
    status: str
    reason: str


class EarlierSchoolHours(Out):
    school: str = Field(description="the school's name")
    first_day: str = Field(description="the first day the teacher was on its teaching staff in the year (YYYY-MM-DD)")
    last_day: str = Field(description="the last day before they left it (YYYY-MM-DD)")
    hours: float = Field(description="the hours it credited them in the year: they count towards its assessment of "
                                     "their year there and the district's records, not this school's")


class UserCredits(TeacherHours):
    year: str
    required_hours: float
    status: Literal["met", "short", "not_recognised", "exempt", "in_progress"] | None = Field(  # type: ignore[assignment]
        description="the year's assessment; `in_progress` for a year not met yet that is still under way (not over, "
        "not closed by the district): it is judged short only at its end; null when joined_after_acceptance, "
        "joined_after_year or not_on_record: none of theirs"
    )
    not_on_record: bool = Field(
        False, description="the school year is not on the teacher's training record at the school (the school "
        "recorded nothing of it, or nothing of it counts for them and they are not on its teaching staff), as their "
        "record page says: it is not assessed for them there and no 学时证明 of it is issued"
    )
    joined_after_year: bool = Field(
        False, description="the teacher was not on the school's staff when the school year was over (they joined "
        "after it, or had left), and nothing of it is recorded for them: it is not assessed for them there"
    )
    left_school: bool = Field(False, description="the teacher has left the school: their year there holds what it "
                                                 "counts of theirs (marked 已离校 on the record, the summary and the "
                                                 "学时证明, as ``left_school`` of /reports/credits)")
    joined_after_acceptance: bool = Field(
        False, description="the district accepted the school's year before the teacher joined the school: "
        "the year is not assessed for them there and takes no more hours"
    )
    entries: list[CreditLine]
    earlier_schools: list[EarlierSchoolHours] = Field(default_factory=list, description=(
        "the schools the teacher left within the year (moved from) and the hours each credited them, which count "
        "there, not here: given to the teacher themself only, empty for anyone else"))


class Quota(Out):
    key: str = Field(description="reading_notes, paper, reflections, books or notes_monthly (the months holding "
                               "the reading notes asked each month)")
    semester: int = Field(description="0 for a quota of the whole year")
    done: int
    target: int
    unit: Literal["chars", "pieces", "months"]
    met: bool
    short: list[str] = Field(default_factory=list, description=(
        "notes_monthly: the months short of notes (2026-10); none for an exempt year, which asks nothing of the "
        "teacher (as the record, the 学时证明, /verify and the exports name none)"))

    @classmethod
    def of(cls, q: QuotaFact, status: str | None) -> Quota:
        """``status``: the year's assessment, of which an exempt one names no month short
        (``year_texts.names_months_short``, the rule of every other surface)."""
        return cls(key=q.key, semester=q.semester, done=q.done, target=q.target, unit=q.unit, met=q.met,  # type: ignore[arg-type]
                   short=list(q.short) if names_months_short(status) else [])


class OutlookWarning(Out):
    kind: Literal["absence", "quota"]
    semester: int
    hours: float = absent("unexcused absence in the semester (absence)")
    limit: float = absent("the school's absence limit (absence)")
    severe: bool = Field(description="the limit is reached: the year is not recognised")
    quota: Quota | None = absent("the quota that is behind (quota)")

    @classmethod
    def of(cls, w: forecast.YearWarning, status: str) -> OutlookWarning:
        extra: dict[str, Any] = {}
        if w.kind == "absence":
            extra.update(hours=float(w.hours), limit=float(w.limit))
        if w.quota is not None:
            extra["quota"] = Quota.of(w.quota, status)
        return cls(kind=w.kind, semester=w.semester, severe=w.severe, **extra)  # type: ignore[arg-type]


class TeacherRow(TeacherHours):
    username: str
    name: str
    left_school: bool = Field(description="the teacher has left the school: on the year for what it counts of "
                                          "theirs (marked on the summary page, noted in its exports)")
    quotas: list[Quota] = Field(description="the school's writing quotas, as the summary page shows them")
    warnings: list[OutlookWarning] = Field(description="the teacher's warnings today, as the summary page shows them")


class SchoolSummary(Out):
    school: str
    year: str
    required_hours: float
    teachers: list[TeacherRow]


class Document(RootModel[dict[str, Any]]):
    """The OpenAPI document itself."""
