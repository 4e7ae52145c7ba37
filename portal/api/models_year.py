"""The wire format of the teacher's year (``portal.api.views_year``): teaching groups, sign-up,
personal development plans. The request models check the shapes; each field's document schema
is the exact one (``WithJsonSchema``: no NUL, not blank where the services strip, real times),
and the services check the rest with their own coded messages (``x-data-rules``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import BeforeValidator, Field, RootModel, StringConstraints, WithJsonSchema

from portal.api.models import Body, DateTimeText, Id, Out, YearQuery, _whole, absent, local_time
from portal.api.typed_schemas import DATETIME_EXACT, text
from portal.models import Activity as ActivityRow
from portal.models import DevelopmentPlan, School, SignupWindow, User
from portal.services import credits, groups, plans, signup

PlanStatus = Literal["draft", "submitted", "approved", "returned"]
MySignup = Literal["seat", "waiting", "withdrawn"]
assert set(get_args(PlanStatus)) == set(plans.STATUSES), "the API's statuses are the service's"


PlanHours = Annotated[float, Field(ge=0, le=300, multiple_of=0.5, allow_inf_nan=False,
                                   description="Hours in steps of 0.5")]
# each string: the shape checked here, the exact schema (storable, not blank) in the document
GroupName = Annotated[str, StringConstraints(min_length=1, max_length=groups.NAME_MAX),
                      WithJsonSchema(text(groups.NAME_MAX, nonblank=True))]
Goals = Annotated[str, StringConstraints(min_length=1, max_length=plans.GOALS_MAX),
                  WithJsonSchema(text(plans.GOALS_MAX, nonblank=True))]
StudyLine = Annotated[str, StringConstraints(max_length=plans.STUDIES_LINE_MAX),
                      WithJsonSchema(text(plans.STUDIES_LINE_MAX))]
Comment = Annotated[str, StringConstraints(max_length=plans.COMMENT_MAX), WithJsonSchema(text(plans.COMMENT_MAX))]
ClosesAt = Annotated[DateTimeText, WithJsonSchema({
    **DATETIME_EXACT, "description": "Before the activity starts and not past; school time without an offset"})]
Day = Annotated[str, StringConstraints(pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
                Field(description="A date within the school year", examples=["2026-10-31"])]


# -- requests -------------------------------------------------------------------------------------


class GroupBody(Body):
    name: GroupName
    leader_id: Id | None = Field(None, description="A member holding the organizer role (教研组长); joins the group")
    member_ids: Annotated[list[Id], Field(max_length=2000)] = absent(
        "The whole list of members (replaces the old one)")


class PersonGroupsBody(Body):
    group_ids: Annotated[list[Id], Field(max_length=500, description="The whole list of the person's teaching groups "
                                                                     "in this school (replaces the old one)")]


class SignupBody(Body):
    capacity: Annotated[int, Field(strict=True, ge=1, le=signup.MAX_CAPACITY), BeforeValidator(_whole)]
    closes_at: ClosesAt


class PlanBody(Body):
    goals: Goals
    studies: Annotated[list[StudyLine], Field(max_length=plans.STUDIES_LINES)] = absent()
    target_hours: PlanHours = absent("At least the school's requirement (the default)")
    type_targets: Annotated[dict[str, PlanHours], Field(max_length=64)] = absent(
        "Activity type key → hours; together at most target_hours")
    submit: bool = Field(False, description="Hand the plan in for sign-off (default: keep it a draft)")


class DecisionBody(Body):
    decision: Literal["approve", "return"]
    comment: Comment = Field("", description="Required to return")


class DeadlineBody(Body):
    deadline: Day


class PlanListQuery(YearQuery):
    status: PlanStatus = absent("Only plans in this status")


# -- responses ------------------------------------------------------------------------------------


class UserBrief(Out):
    id: int
    username: str
    name: str

    @classmethod
    def of(cls, u: User) -> UserBrief:
        return cls(id=u.id, username=u.username, name=u.display_name)


class GroupOut(Out):
    id: int
    name: str
    leader_id: int | None
    members: list[UserBrief]

    @classmethod
    def of(cls, view: groups.GroupView) -> GroupOut:
        return cls(id=view.group.id, name=view.group.name, leader_id=view.group.leader_id,
                   members=[UserBrief.of(u) for u in view.members])

    @classmethod
    def one(cls, group_id: int, school_id: int) -> GroupOut:
        return cls.of(next(v for v in groups.school_groups(school_id) if v.group.id == group_id))


class Groups(RootModel[list[GroupOut]]):
    pass


class GroupBrief(Out):
    id: int
    name: str


class PersonGroupsOut(Out):
    user_id: int
    groups: list[GroupBrief] = Field(description="By pinyin of the names")

    @classmethod
    def of(cls, user_id: int, group_ids: list[int], school_id: int) -> PersonGroupsOut:
        names = {g.id: g.name for g in groups.group_choices(school_id)}
        return cls(user_id=user_id, groups=[GroupBrief(id=g, name=names[g]) for g in group_ids])


class SignupEntry(UserBrief):
    status: Literal["seat", "waiting"]
    signed_at: str
    promoted_at: str | None = Field(description="When a seat came from the waiting list (school time)")


class WithdrawnEntry(UserBrief):
    signed_at: str
    withdrawn_at: str = Field(description="When they withdrew (school time)")
    promoted_at: str | None = Field(description="When they had moved up from the waiting list, before withdrawing")


class MySignupRow(Out):
    activity_id: int
    title: str
    status: MySignup
    signed_at: str
    promoted_at: str | None = Field(description="When the caller moved up from the waiting list (school time)")
    withdrawn_at: str | None = Field(description="When the caller withdrew (school time), if withdrawn")

    @classmethod
    def of(cls, row: Any, act: ActivityRow, school: School) -> MySignupRow:
        return cls(
            activity_id=act.id, title=act.title, status=cast(MySignup, row.status),
            signed_at=local_time(row.signed_at, school),
            promoted_at=local_time(row.promoted_at, school) if row.promoted_at else None,
            withdrawn_at=local_time(row.changed_at, school) if row.status == signup.WITHDRAWN else None,
        )


class MySignups(RootModel[list[MySignupRow]]):
    pass


class OpenSignupRow(Out):
    activity_id: int
    title: str
    type: str
    starts_at: str
    ends_at: str
    hours: float
    location: str
    capacity: int
    closes_at: str = Field(description="When sign-up closes (school time)")

    @classmethod
    def of(cls, act: ActivityRow, window: SignupWindow, school: School) -> OpenSignupRow:
        return cls(
            activity_id=act.id, title=act.title, type=act.type_key, starts_at=local_time(act.starts_at, school),
            ends_at=local_time(act.ends_at, school), hours=float(act.hours), location=act.location or "",
            capacity=window.capacity, closes_at=local_time(window.closes_at, school),
        )


class OpenSignups(RootModel[list[OpenSignupRow]]):
    pass


class SignupOut(Out):
    activity_id: int
    capacity: int
    closes_at: str
    closed: bool
    confirmed_at: str | None
    free: int
    seats: list[SignupEntry]
    waiting: list[SignupEntry] = Field(description="In order: the first moves up first")
    withdrawn: list[WithdrawnEntry] | None = Field(
        description="Who withdrew, latest first: for the activity's organizer and the school admin (null for others)")
    mine: MySignup | None
    withdrawn_at: str | None = Field(description="When the caller withdrew, if ``mine`` is withdrawn")
    position: int | None = Field(description="The caller's place on the waiting list")

    @classmethod
    def of(cls, act: ActivityRow, view: signup.SignupView, school: School, *, show_withdrawn: bool = False) -> SignupOut:
        def at(value: datetime | None) -> str | None:
            return local_time(value, school) if value else None

        def entry(row: Any, u: User) -> SignupEntry:
            return SignupEntry(id=u.id, username=u.username, name=u.display_name, status=row.status,
                               signed_at=local_time(row.signed_at, school), promoted_at=at(row.promoted_at))

        def gone(row: Any, u: User) -> WithdrawnEntry:
            return WithdrawnEntry(id=u.id, username=u.username, name=u.display_name,
                                  signed_at=local_time(row.signed_at, school),
                                  withdrawn_at=local_time(row.changed_at, school), promoted_at=at(row.promoted_at))

        w = view.window
        return cls(
            activity_id=act.id, capacity=w.capacity, closes_at=local_time(w.closes_at, school), closed=view.is_closed,
            confirmed_at=local_time(w.confirmed_at, school) if w.confirmed_at else None, free=view.free,
            seats=[entry(r, u) for r, u in view.seats], waiting=[entry(r, u) for r, u in view.waiting],
            withdrawn=[gone(r, u) for r, u in view.withdrawn] if show_withdrawn else None,
            mine=cast(MySignup, view.mine.status) if view.mine else None, position=view.position,
            withdrawn_at=at(view.mine.changed_at) if view.mine and view.mine.status == signup.WITHDRAWN else None,
        )


class PlanLine(Out):
    type: str | None
    planned: float
    done: float


class PlanOut(Out):
    id: int
    user: UserBrief
    school_year: str
    goals: str
    studies: list[str]
    target_hours: float
    type_targets: dict[str, float]
    status: PlanStatus
    comment: str
    decided_by: int | None
    deadline: str = Field(json_schema_extra={"format": "date"})
    progress: list[PlanLine] = Field(
        description="Planned against done (done: the ledger's hours, as on every page); type null is the total")

    @classmethod
    def of(cls, plan: DevelopmentPlan, teacher: User, school: School) -> PlanOut:
        record = credits.teacher_year(teacher, school, plan.school_year)
        return cls(
            id=plan.id, user=UserBrief.of(teacher), school_year=plan.school_year, goals=plan.goals,
            studies=[line for line in (plan.studies or "").splitlines() if line],
            target_hours=float(plan.target_hours), type_targets={k: float(v) for k, v in (plan.type_targets or {}).items()},
            status=cast(PlanStatus, plan.status), comment=plan.comment or "", decided_by=plan.decided_by,
            deadline=plans.deadline_for(school, plan.school_year, plan.user_id).isoformat(),
            progress=[PlanLine(type=line.key, planned=float(line.planned), done=float(line.done))
                      for line in plans.against(plan, record)],
        )


class Plans(RootModel[list[PlanOut]]):
    pass


class DeadlineOut(Out):
    school_year: str
    deadline: str = Field(json_schema_extra={"format": "date"})

