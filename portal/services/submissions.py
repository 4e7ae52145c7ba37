"""The school year a school submits to its district (汇总上交), the district's review of it, and
the lock an accepted year puts on the school's records.

submit (school admin) → return with comments (district reviewer; per teacher or for the whole
school) → the school corrects and submits again (the next round) → accept (locks the year) →
reopen with a reason (district). Each step writes a :class:`SubmissionEvent`, the audit log of
submissions. A submission freezes every teacher's figures from :func:`credits.year_rows` (the one
teacher-year builder) and the 学时汇总表 they make, read in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, partial
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Select, case, delete, func, select, true, union, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import aliased

from portal import policy
from portal.assessment import EXEMPT, IN_PROGRESS, NOT_RECOGNISED, hours_recognised, period_status
from portal.database import is_sqlite, write_transaction
from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.hours import fmt
from portal.messages import Msg, SchoolYear, Semester, msg, shown
from portal.models import (
    Activity,
    CreditEntry,
    District,
    Evidence,
    Exemption,
    Membership,
    Participation,
    School,
    SubmissionEvent,
    TransitionLog,
    User,
    YearLock,
    YearSubmission,
)
from portal.models.district import WHOLE_YEAR
from portal.models.school import district_rule, laxer_than
from portal.registry import registry
from portal.school_rules import QUOTA_RULES
from portal.services import access, credits, district_notices, locks, teacher_years
from portal.sorting import pinyin_key
from portal.textcount import says_something
from portal.timeutil import current_school_year, period_bounds, to_local, utcnow, zone_of
from workflows.definition import Phase
from workflows.submission import (  # the statuses and the district's steps: their one home
    ACCEPTED,
    REOPEN,
    REOPENED,
    RETURN,
    RETURNED,
    STATUSES,
    SUBMITTED,
    Step,
)

COMMENT_MAX = 2000
PER_PAGE = 20
SERIALIZATION_FAILURE = "40001"  # PostgreSQL's SQLSTATE: a REPEATABLE READ write met a row changed since its snapshot
UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE: a round of the period with that number was written meanwhile
#: Phases an activity can still be credited from: once the district accepts its year (or
#: semester) it stays uncredited for good (``year.locked``).
UNFINISHED_PHASES = tuple(p for p in Phase if p not in (Phase.CREDITED, Phase.CLOSED))
UNFINISHED_SHOWN = 20  # the activities the submission page lists (the count is of all)
ZERO = Decimal("0")


def period(district: District, semester: Any) -> int:
    """The part of the year a submission covers: ``WHOLE_YEAR`` (0), or semester 1 or 2 when
    the district collects semesters (its ``submission_period`` setting)."""
    by_semester = district.setting("submission_period") == "semester"
    if semester not in (None, "", 0, "0", 1, 2, "1", "2") or isinstance(semester, bool):
        raise Invalid(msg("submission.semester_invalid", semester=shown(semester, 20)),
                      {"semester": msg("submission.semester_field")})
    # a period the district does not collect: the district's setting decides (a conflict)
    if semester in (None, "", 0, "0"):
        if by_semester:
            raise Conflict(msg("submission.period_semester"), submission_period="semester")
        return WHOLE_YEAR
    if not by_semester:
        raise Conflict(msg("submission.period_year"), submission_period="year")
    return int(semester)


#: what a step that asks a comment (``Step.comment_required``) is refused with when it has none,
#: and the form's field the comment goes in: said by the service, and by the page before sending
_MISSING = {RETURN.trigger: ("submission.comment_required", "comment"),
            REOPEN.trigger: ("submission.reason_required", "reason")}


def comment_missing(step: Step) -> Invalid:
    """The refusal of ``step`` taken without the comment it asks (blank counts as none): its
    message, also beside the field the comment goes in."""
    code, field = _MISSING[step.trigger]
    return Invalid(msg(code), {field: msg(code)})


def _comment(value: Any, field: str = "comment") -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > COMMENT_MAX:
        raise Invalid(msg("comment.invalid"), {field: msg("comment.length", n=COMMENT_MAX)})
    return value.strip()


def _said(text: str | None) -> str:
    """``text`` if it says something (:func:`portal.textcount.says_something`), else blank."""
    return text if text and says_something(text) else ""


def _semester_hours(school_id: int, year: str) -> dict[int, dict[str, str]]:
    """Each teacher's net credited hours per semester of the school's year (the ledger's lines
    by their activity's semester), non-zero only: what a semester's submission is compared by."""
    out: dict[int, dict[str, str]] = {}
    for uid, semester, hours in db.session.execute(
        select(CreditEntry.user_id, CreditEntry.semester, func.sum(CreditEntry.hours))
        .where(CreditEntry.school_id == school_id, CreditEntry.school_year == year)
        .group_by(CreditEntry.user_id, CreditEntry.semester)
        .order_by(CreditEntry.semester)
    ):
        if hours:
            out.setdefault(uid, {})[str(semester)] = fmt(Decimal(hours))
    return out


def _frozen_row(ty: credits.TeacherYear, semester_hours: dict[int, dict[str, str]],
                teaching: set[int] | None = None) -> dict[str, Any]:
    """A teacher's year as the submission keeps it (hours as text: exact half hours); with
    ``teaching`` (:func:`credits.teaching_now`), whether they had left the school when it was
    sent, as the summary sent with it marks them (已离校)."""
    f, a = ty.facts, ty.assessment
    return {
        "user_id": ty.user.id,
        "username": ty.user.username,
        "name": ty.user.display_name,
        "left_school": teaching is not None and ty.user.id not in teaching,
        "by_type": {k: fmt(v) for k, v in sorted(f.by_type.items())},
        "total": fmt(f.total_hours),
        # the total by semester (non-zero only): a semester's submission is compared by its own
        "semester_hours": semester_hours.get(ty.user.id, {}),
        "required": fmt(f.required_hours),
        "absent": {str(k): fmt(v) for k, v in sorted(f.absent_hours.items())},
        "excused": {str(k): fmt(v) for k, v in sorted(f.excused_hours.items())},
        "status": a.status,
        "reason": a.reason or "",
        # the writing quotas as they stood (done against the target then in force; the months
        # short of notes, as data: "2026-11", put in words where shown, ``year_texts.quota_short``)
        "quotas": [{"key": q.key, "semester": q.semester, "done": q.done, "target": q.target, "unit": q.unit,
                    "met": q.met, "short": list(q.short)} for q in f.quotas],
    }


#: Not figures: a teacher renamed since is still the same figures, and the semesters' hours are
#: the total's parts (a round submitted before they were kept has none); one who left since
#: stays on the year with the same figures (a round sent before it was kept says nothing)
_NOT_FIGURES = ("username", "name", "semester_hours", "left_school")


def _year_figures(row: dict[str, Any] | None, with_short: bool = True) -> dict[str, Any] | None:
    """A frozen row's figures; without ``with_short`` (a round stored before the quotas kept the
    months short of notes), its quotas' other figures only."""
    if row is None:
        return None
    figures = {k: v for k, v in row.items() if k not in _NOT_FIGURES}
    if not with_short and "quotas" in figures:
        figures["quotas"] = [{k: v for k, v in q.items() if k != "short"} for q in figures["quotas"]]
    return figures


def _semester_figures(semester: int, with_hours: bool) -> Callable[[dict[str, Any] | None], tuple]:
    """What a submission of one semester vouches for: that semester's credited hours (unless
    ``with_hours`` is false: a round submitted before they were kept), unexcused and excused
    absence, and what was written towards its writing quotas (targets are rules, not figures) —
    the year so far moves on with the other semester. No row: none of them (a teacher who came
    since with nothing in that semester is no change)."""
    key = str(semester)

    def figures(row: dict[str, Any] | None) -> tuple:
        row = row or {}

        def hours(field: str) -> Decimal:
            return Decimal((row.get(field) or {}).get(key, "0"))

        return (hours("semester_hours") if with_hours else None, hours("absent"), hours("excused"),
                sorted((q["key"], q["done"]) for q in row.get("quotas", []) if q.get("semester") == semester and q["done"]))

    return figures


@dataclass(frozen=True)
class Change:
    """One teacher whose figures moved since a round was sent (:func:`changes_since`): the hours
    the round vouches for (the year's total, or the semester's) and the assessment, as sent and as
    they are now (None: not on that side — a teacher come or gone since)."""

    user_id: int
    name: str
    sent_hours: str | None
    sent_status: str | None
    now_hours: str | None
    now_status: str | None


def changed_since(sub: YearSubmission, accepted: frozenset[int] | None = None) -> int:
    """How many teachers :func:`changes_since` names."""
    return len(changes_since(sub, accepted))


def changes_since(sub: YearSubmission, accepted: frozenset[int] | None = None) -> list[Change]:
    """The teachers whose frozen rows the school's year (or the submitted semester) no longer
    matches — figures credited, revoked, excused or written since it was submitted, a teacher
    come or gone: accepting it would lock what the district never saw. A semester whose
    acceptance closes the year (:func:`closes_the_year`) freezes the whole year — its teachers
    and the other semester's figures, by its own round's rules — so it is compared as a whole
    year is, judged by the rules it was sent with (the rules the closed year keeps). A whole
    year is judged by today's rules (one changed since is a change) but, as it will be kept, with
    the months asked that were over when it was sent (``credits.COUNTED_TO``): a month that ended
    meanwhile changed nothing the school did. ``accepted``: the year's accepted periods
    (``locks.accepted_periods``) where the caller read them with the rounds (:func:`rounds_and_locks`);
    a whole year's comparison reads no semester's hours (not its figures)."""
    school = db.session.get_one(School, sub.school_id)
    periods = accepted

    def accepted_now() -> frozenset[int]:
        nonlocal periods
        if periods is None:
            periods = locks.accepted_periods(sub.school_id, sub.school_year)
        return periods

    whole = sub.semester == WHOLE_YEAR or closes_the_year(sub, accepted_now())
    closing_rules = sub.rules if whole and sub.semester != WHOLE_YEAR else None
    sent_on = (sub.rules or {}).get(credits.COUNTED_TO)
    if sub.semester == WHOLE_YEAR and sent_on and not locks.covers(accepted_now(), WHOLE_YEAR):
        closing_rules = {**credits.rules_in_force(school), credits.COUNTED_TO: sent_on}  # closed: the rules it kept
    semester_hours = {} if whole else _semester_hours(school.id, sub.school_year)
    now = {ty.user.id: _frozen_row(ty, semester_hours)
           for ty in credits.year_rows([school], sub.school_year, closing_rules=closing_rules)[school.id]}
    then = {row["user_id"]: row for row in sub.rows}
    with_short = all("short" in q for row in sub.rows for q in row.get("quotas", []))
    figures = partial(_year_figures, with_short=with_short) if whole else _semester_figures(
        sub.semester, all("semester_hours" in row for row in sub.rows))
    changed = [uid for uid in now.keys() | then.keys() if figures(now.get(uid)) != figures(then.get(uid))]

    def hours(row: dict[str, Any] | None) -> str | None:
        if row is None:
            return None
        if whole:
            return row["total"]
        return (row.get("semester_hours") or {}).get(str(sub.semester), "0")

    out = []
    for uid in changed:
        sent, current = then.get(uid), now.get(uid)
        out.append(Change(uid, (current or sent or {}).get("name", ""), hours(sent),
                          sent["status"] if sent else None, hours(current), current["status"] if current else None))
    return sorted(out, key=lambda c: (pinyin_key(c.name), c.user_id))


def latest(school_id: int, school_year: str, semester: int) -> YearSubmission | None:
    return db.session.execute(
        select(YearSubmission)
        .where(
            YearSubmission.school_id == school_id,
            YearSubmission.school_year == school_year,
            YearSubmission.semester == semester,
        )
        .order_by(YearSubmission.round.desc())
        .limit(1)
    ).scalar_one_or_none()


def submit(school: School, year: Any, semester: Any = None, *, by: policy.Actor) -> YearSubmission:
    """Freeze the school's year and send it to the district, in one transaction: every
    teacher's hours by type, absence, assessment, and the 学时汇总表 made from the same rows.
    The admin's right is asked again inside the write (:func:`access.require_still`)."""
    return submit_judging(school, year, semester, by=by)[0]


def submit_judging(school: School, year: Any, semester: Any = None, *,
                   by: policy.Actor) -> tuple[YearSubmission, bool]:
    """:func:`submit`, with whether the new round judges the year (:func:`judging_rounds`, as its
    summary was written: no statement more) — the API's answer shows the round as it is read."""
    policy.require(policy.may_submit_year(by), "policy.submit_admin_only")
    year_text = credits.parse_year(year, current_school_year(school.timezone))  # empty: the school's year now
    district = db.session.get_one(District, school.district_id)
    sem = period(district, semester)
    try:
        return _freeze(school, year_text, sem, by)
    except (OperationalError, IntegrityError) as exc:
        if getattr(exc.orig, "sqlstate", None) not in (SERIALIZATION_FAILURE, UNIQUE_VIOLATION):
            raise
    # PostgreSQL: a membership the re-check locks was changed after the snapshot was taken (the
    # role taken at this moment), so the lock failed and nothing was written; or the same period
    # was sent at this moment, and its round was written first (the snapshot saw no round: the
    # same round number met the unique constraint). Once more, on a snapshot that sees the
    # change: refused with the policy's message or as waiting for the district, or done.
    return _freeze(school, year_text, sem, by)


def _freeze(school: School, year_text: str, sem: int, by: policy.Actor) -> tuple[YearSubmission, bool]:
    session = db.session()
    if session.in_transaction() and not is_sqlite():
        session.commit()  # the snapshot's transaction starts below, as REPEATABLE READ
    with write_transaction() as s:
        if not is_sqlite():  # every read of the snapshot sees one state of the database
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        access.require_still(s, by, policy.may_submit_year, "policy.submit_admin_only", school_id=school.id)
        last = latest(school.id, year_text, sem)
        if last is not None and not takes_a_round(last.status):
            key = "submission.pending" if last.status == SUBMITTED else "submission.already_accepted"
            raise Conflict(msg(key, year=SchoolYear.said(year_text)), status=last.status)
        if _accepted_already(school.id, year_text, sem):
            raise Conflict(msg("submission.already_accepted", year=SchoolYear.said(year_text)), status=ACCEPTED)
        _require_begun(school, year_text, sem)
        _require_on_record(school, year_text)
        from portal.reports import exports  # reports → services: imported on use

        rows = credits.year_rows([school], year_text)[school.id]
        judges = _judges_when_sent(school.id, year_text, sem)
        semester_hours = _semester_hours(school.id, year_text)
        teaching = credits.teaching_now(school.id)  # as the summary sent with it marks who left
        counts = {status: 0 for status in ("met", "short", "not_recognised", "exempt")}
        by_type: dict[str, Decimal] = {}
        for ty in rows:
            counts[ty.assessment.status] = counts.get(ty.assessment.status, 0) + 1
            if not hours_recognised(ty.assessment.status):  # the totals leave a year not recognised out
                continue
            for key, hours in ty.facts.by_type.items():
                by_type[key] = by_type.get(key, ZERO) + hours
        now = utcnow()
        sub = YearSubmission(
            district_id=school.district_id,
            school_id=school.id,
            school_year=year_text,
            semester=sem,
            round=(last.round + 1) if last else 1,
            status=SUBMITTED,
            teachers=len(rows),
            met=counts["met"],
            short=counts["short"],
            not_recognised=counts["not_recognised"],
            exempt=counts["exempt"],
            total_hours=teacher_years.recognised_hours(rows),
            by_type={k: fmt(v) for k, v in sorted(by_type.items())},
            rows=[_frozen_row(ty, semester_hours, teaching) for ty in rows],
            rules=credits.rules_in_force(school),  # what an accepted year stays judged by
            # the 学时汇总表 sent with it, as the round is read: a first semester's judges no year
            summary_xlsx=exports.summary_xlsx(school, year_text, "zh", rows, judges=judges),
            comment="",
            teacher_comments={},
            submitted_by=by.user_id,
            submitted_at=now,
        )
        s.add(sub)
        s.flush()
        _event(s, sub, "submit", by.user_id, "", {"round": sub.round}, now)
    return sub, judges


def _restamp(s: Any, school_id: int) -> None:
    """A new data stamp for the school: its cached pages (``portal.page_cache``) judge a year by
    the lock's rules and teachers, which no stamped table's trigger sees change."""
    s.execute(update(School).where(School.id == school_id).values(data_version=School.data_version + 1)
              .execution_options(synchronize_session=False))


def _event(s: Any, sub: YearSubmission, action: str, actor_id: int, comment: str, payload: dict, now: Any) -> int:
    """Write the audit row; returns its id (the decision's notifications are keyed by it)."""
    row = SubmissionEvent(
        submission_id=sub.id,
        district_id=sub.district_id,
        school_id=sub.school_id,
        action=action,
        actor_id=actor_id,
        comment=comment,
        payload=payload,
        created_at=now,
    )
    s.add(row)
    s.flush()
    return int(row.id)


def _owned(submission_id: Any, column: str, owner: int) -> YearSubmission:
    sub = db.session.get(YearSubmission, submission_id) if access.id_in_range(submission_id) else None
    if sub is None or getattr(sub, column) != owner:
        raise NotFound(msg("submission.not_found"))
    return sub


def get(submission_id: Any, district_id: int) -> YearSubmission:
    """A submission to this district; another district's is 'not found'."""
    return _owned(submission_id, "district_id", district_id)


def get_seen(submission_id: Any, district_id: int) -> YearSubmission:
    """A submission this district reads (``policy.sees_submission``): one sent to it, or one of
    a school that is in it now (the district a school joined reads, and reopens, the year
    another district accepted); any other is 'not found'."""
    sub = db.session.get(YearSubmission, submission_id) if access.id_in_range(submission_id) else None
    return _seen(sub, None if sub is None else _school_district(sub.school_id), district_id)


def read_seen(submission_id: Any, district_id: int) -> tuple[YearSubmission, bool]:
    """:func:`get_seen`, for a page that shows the round as it is read: with whether it judges the
    year (:func:`judges_year`) and the district its school is in now, columns of the one
    statement that reads it (a first semester's round costs no statement more)."""
    sub, judges, _school = read_round(submission_id, district_id)
    return sub, judges


def read_round(submission_id: Any, district_id: int | None) -> tuple[YearSubmission, bool, School]:
    """The round as it is read (:func:`read_seen`) and its school, in one statement: whether it
    judges the year (:func:`judges_year`) a column of it, as on the lists. ``district_id``: the
    district that reads it (:func:`get_seen`: another's is 'not found'); None for a round the
    caller has just decided or reopened (:func:`decide`, :func:`reopen` asked already)."""
    found = db.session.execute(
        select(YearSubmission, judges_year(), School)
        .join(School, School.id == YearSubmission.school_id)
        .where(YearSubmission.id == submission_id)
    ).one_or_none() if access.id_in_range(submission_id) else None
    if found is None:
        raise NotFound(msg("submission.not_found"))
    sub, judges, school = found
    if district_id is not None:
        _seen(sub, school.district_id, district_id)
    return sub, bool(judges), school


#: The rules a round shows its district as those its year was judged by (kept with it, ``rules``):
#: the hours required, the absence limit, the writing quotas and whether they decide the year.
JUDGED_BY = ("required_hours", "absence_limit_hours", *QUOTA_RULES)


@dataclass(frozen=True)
class JudgedRule:
    key: str
    value: Any  # as the round kept it (None: a rule declared after the round was sent)
    district: Any  # what the school's district sets for it now (None: nothing)
    laxer: bool  # more lenient than the district's setting (``laxer_than``)


def judged_by(sub: YearSubmission, school: School) -> list[JudgedRule] | None:
    """The school's rules the round was judged by, each beside what its district sets now (the
    school's copy of the district's settings, ``School.district_rules``: no statement): where the
    district sets nothing a school's lower rules are not flagged, but they are shown. None: the
    round was sent before the rules were kept with it."""
    if not sub.rules:
        return None
    out = []
    for key in JUDGED_BY:
        value, district = sub.rules.get(key), district_rule(school.district_rules, key)
        out.append(JudgedRule(key, value, district, laxer_than(key, value, district)))
    return out


def _seen(sub: YearSubmission | None, school_district: int | None, district_id: int) -> YearSubmission:
    if sub is None or not policy.sees_submission(sub.district_id, school_district, district_id):
        raise NotFound(msg("submission.not_found"))
    return sub


def _school_district(school_id: int) -> int | None:
    """The district the school is in now (read again inside a decision's write, after
    :func:`locks.hold`: a move of the school at that moment comes wholly before or after)."""
    return db.session.scalar(select(School.district_id).where(School.id == school_id))


def _require_school_here(school_id: int, district_id: int) -> None:
    policy.require(policy.decides_for_school(_school_district(school_id), district_id), "submission.school_left")


def get_for_school(submission_id: Any, school_id: int) -> YearSubmission:
    """A submission of this school; another school's is 'not found'."""
    return _owned(submission_id, "school_id", school_id)


def _teacher_comments(sub: YearSubmission, raw: Any) -> dict[str, str]:
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict):
        raise Invalid(msg("submission.decision_invalid"), {"teacher_comments": msg("must_be_object")})
    known = {str(r["user_id"]) for r in sub.rows}
    out: dict[str, str] = {}
    errors: dict[str, Msg] = {}
    for key, value in raw.items():
        if str(key) not in known:
            errors[str(key)] = msg("submission.teacher_unknown", user=str(key)[:20])
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if not isinstance(value, str) or len(value) > COMMENT_MAX:
            errors[str(key)] = msg("comment.length", n=COMMENT_MAX)
            continue
        out[str(key)] = value.strip()
    if errors:
        raise Invalid(msg("submission.decision_invalid"), {"teacher_comments": errors})
    return out


def decide(
    submission_id: Any, accept: bool, comment: Any = "", teacher_comments: Any = None, *, by: policy.Actor,
    district_id: int,
) -> YearSubmission:
    """Accept (the year is locked) or return (a comment for the school or for at least one
    teacher) a submission waiting for the district."""
    policy.require(policy.may_decide_submission(by), "policy.decide_submission")
    sub = get(submission_id, district_id)
    _require_school_here(sub.school_id, district_id)
    policy.require(policy.may_decide_submission_of(by, involved(sub)), "submission.own_year")
    text = _comment(comment)
    per_teacher = _teacher_comments(sub, teacher_comments)
    if not accept and RETURN.lacks_comment(_said(text), map(_said, per_teacher.values())):
        raise comment_missing(RETURN)
    now = utcnow()
    with write_transaction() as s:
        access.require_still(s, by, policy.may_decide_submission, "policy.decide_submission", district_id=district_id)
        # first: a write into the year that found it open commits before the comparison, a later
        # one waits and then finds it locked; so does a change of the school's staff
        involved_now = _involved_now(sub)
        _require_school_here(sub.school_id, district_id)  # the school's row is held: not moved meanwhile
        access.require_still(s, by, lambda now: policy.may_decide_submission_of(now, involved_now), "submission.own_year",
                             district_id=district_id)
        status = ACCEPTED if accept else RETURNED
        done = cast(CursorResult, s.execute(  # only one decision wins, whatever races
            update(YearSubmission)
            .where(YearSubmission.id == sub.id, YearSubmission.status == SUBMITTED)
            .values(status=status, comment=text, teacher_comments=per_teacher, decided_by=by.user_id, decided_at=now)
            .execution_options(synchronize_session=False)
        )).rowcount
        if done != 1:
            raise Conflict(msg("submission.not_pending"), status=sub.status)
        if accept and _accepted_already(sub.school_id, sub.school_year, sub.semester):  # sent before
            raise Conflict(msg("submission.already_accepted", year=SchoolYear.said(sub.school_year)), status=sub.status)
        # a whole year by all its figures, a semester by its own (the year so far moves on with the other)
        if accept and (changed := changed_since(sub)):
            raise Conflict(msg("submission.changed", year=SchoolYear.said(sub.school_year), teachers=changed), status=sub.status)
        if accept:
            if closes_the_year(sub):  # the year keeps its rows as accepted (by its rules): written now
                teacher_years.refresh(db.session.get_one(School, sub.school_id), sub.school_year,
                                      closing_rules=sub.rules)
            s.add(YearLock(school_id=sub.school_id, school_year=sub.school_year, semester=sub.semester,
                           submission_id=sub.id, locked_by=by.user_id, locked_at=now))
            _restamp(s, sub.school_id)  # the year is judged by the rules it was accepted with from now
        district_notices.submission_event(_event(s, sub, "accept" if accept else "return", by.user_id, text,
                                                 {"teacher_comments": per_teacher} if per_teacher else {}, now))
    db.session.refresh(sub)
    return sub


def closes_the_year(sub: YearSubmission, accepted: frozenset[int] | None = None) -> bool:
    """Whether accepting ``sub`` closes its school year (``locks.closed_clause``): a whole
    year's, or a semester's whose other semester the district has accepted. Asked in the
    decision's write, after :func:`locks.hold` (``accepted``: the year's accepted periods, where
    the caller read them)."""
    if accepted is None:
        accepted = locks.accepted_periods(sub.school_id, sub.school_year)
    return not locks.covers(accepted, WHOLE_YEAR) and locks.covers(accepted | {sub.semester}, WHOLE_YEAR)


def teacher_ids(sub: YearSubmission) -> list[int]:
    """The teachers whose years the submission froze."""
    return [int(r["user_id"]) for r in sub.rows or []]


def involved(sub: YearSubmission) -> list[int]:
    """Who may not accept, return or reopen the submission (``policy.may_decide_submission_of``):
    the teachers whose years it froze, who submitted it, whoever is on the school's staff — they
    organised, approved or handed in what it holds, and the district's check of a school's year
    is someone else's — and whoever had a hand in the period's activities, on the staff or not
    now (their history names them: who organised, recorded, approved, credited or revoked; a
    school reviewer who left for the district in the summer would check their own approvals),
    and who exempted a teacher of the year (the verdict it froze)."""
    staff = db.session.execute(
        select(Membership.user_id).where(Membership.school_id == sub.school_id, Membership.active.is_(True))
    ).scalars()
    period = locks.covered_clause(sub.school_id, sub.school_year, sub.semester)
    hands = db.session.execute(union(
        select(TransitionLog.actor_id).join(Activity, Activity.id == TransitionLog.activity_id)
        .where(TransitionLog.school_id == sub.school_id, period),
        select(Activity.organizer_id).where(period),
        select(Exemption.created_by).where(Exemption.school_id == sub.school_id,  # a year's, each semester's too
                                           Exemption.school_year == sub.school_year),
    )).scalars()
    return sorted({*teacher_ids(sub), sub.submitted_by, *staff, *hands})


def _involved_now(sub: YearSubmission) -> list[int]:
    """:func:`involved`, read inside the decision's write once the school's row is held
    exclusively (:func:`locks.hold`): every change of the school's staff stamps that row (the
    ``data_version`` trigger on memberships), so a reviewer taken on by the school (or made one of
    its teachers) at this moment has committed and is read here, or waits for the decision. The
    row, not the memberships: the school's writes hold it before they lock those."""
    locks.hold(sub.school_id, accepting=True)
    return involved(sub)


def reopen(submission_id: Any, reason: Any, *, by: policy.Actor, district_id: int) -> YearSubmission:
    """Unlock an accepted year so the school can correct it (and submit it again); the reason
    goes into the audit log."""
    policy.require(policy.may_reopen_year(by), "policy.reopen_year")
    sub = get_seen(submission_id, district_id)
    _require_school_here(sub.school_id, district_id)
    policy.require(policy.may_reopen_year_of(by, involved(sub)), "submission.own_year")
    text = _comment(reason, "reason")
    if REOPEN.lacks_comment(_said(text)):
        raise comment_missing(REOPEN)
    now = utcnow()
    with write_transaction() as s:
        access.require_still(s, by, policy.may_reopen_year, "policy.reopen_year", district_id=district_id)
        involved_now = _involved_now(sub)
        _require_school_here(sub.school_id, district_id)
        access.require_still(s, by, lambda now: policy.may_reopen_year_of(now, involved_now), "submission.own_year",
                             district_id=district_id)
        done = cast(CursorResult, s.execute(
            update(YearSubmission)
            .where(YearSubmission.id == sub.id, YearSubmission.status == ACCEPTED)
            .values(status=REOPENED)
            .execution_options(synchronize_session=False)
        )).rowcount
        if done != 1:
            raise Conflict(msg("submission.not_accepted"), status=sub.status)
        was_closed = locks.is_locked(sub.school_id, sub.school_year, WHOLE_YEAR)
        s.execute(delete(YearLock).where(YearLock.submission_id == sub.id))
        # its rows stayed as accepted: now what rules and staff say today — unless another lock
        # still closes the year (a semester accepted before the district accepted the year whole)
        if was_closed and not locks.is_locked(sub.school_id, sub.school_year, WHOLE_YEAR):
            teacher_years.refresh(db.session.get_one(School, sub.school_id), sub.school_year)
        _restamp(s, sub.school_id)  # judged by today's rules and staff again
        district_notices.submission_event(_event(s, sub, "reopen", by.user_id, text, {}, now))
    db.session.refresh(sub)
    return sub


# -- reading ---------------------------------------------------------------------------------


def _require_begun(school: School, school_year: str, semester: int) -> None:
    """A period is submitted once it has begun by the school's calendar: the acceptance of a
    year (or semester) still to come would lock it before anything happened in it."""
    begins = period_bounds(school_year, semester)[0]
    if to_local(utcnow(), zone_of(school)).date() < begins:
        if semester == WHOLE_YEAR:
            raise Conflict(msg("submission.not_begun", year=SchoolYear.said(school_year), day=begins.isoformat()))
        raise Conflict(msg("submission.semester_not_begun", year=SchoolYear.said(school_year), semester=Semester(semester),
                           day=begins.isoformat()))


def _require_on_record(school: School, school_year: str) -> None:
    """Not a round of 0 teachers: a year the school recorded nothing of has nothing to send
    (``credits.years_on_record``, asked at the write's instant as :func:`_require_begun` is)."""
    if not credits.year_on_record(school, school_year, utcnow()):
        raise Conflict(msg("submission.not_on_record", year=SchoolYear.said(school_year)), school_year=school_year)


def refused_whole_year(school: School, school_year: str) -> Conflict | None:
    """Why no period of ``school_year`` may be submitted at all, whatever its round (the page
    then offers no form and says this): the year has not begun, or it is on no record. The
    refusals the submission itself meets, in the same words."""
    try:
        _require_begun(school, school_year, WHOLE_YEAR)
        _require_on_record(school, school_year)
    except Conflict as refused:
        return refused
    return None


def _accepted_already(school_id: int, school_year: str, semester: int) -> bool:
    """Whether the period is locked by the district's acceptance of another (``locks.covers``):
    a semester (1 or 2) by its whole year's, accepted before the district began collecting
    semesters; the whole year by both its semesters', accepted before it began collecting
    years (the year is closed). There is nothing left in it to submit or accept."""
    return locks.is_locked(school_id, school_year, semester)


def takes_a_round(status: str | None) -> bool:
    """Whether a period whose latest round has ``status`` (None: never submitted) may be
    submitted now: not while the district holds it, nor once it accepted it."""
    return status not in (SUBMITTED, ACCEPTED)


@dataclass(frozen=True)
class Unfinished:
    """The activities of a school year (or semester) not credited yet nor closed: ``count`` of
    them all, ``activities`` the oldest ``limit`` (rows with ``id``, ``title``, ``type_key``,
    ``state``, ``starts_at``, ``semester``)."""

    count: int
    activities: list[Any]

    @property
    def more(self) -> int:
        """How many are not in ``activities``."""
        return self.count - len(self.activities)


def unfinished(school_id: int, school_year: str, semester: int = WHOLE_YEAR,
               limit: int | None = None) -> Unfinished:
    """What the district's acceptance of the school's ``school_year`` (``semester`` as
    :func:`period` gives it) would freeze uncredited: its activities in a phase of
    ``UNFINISHED_PHASES`` (asked of the installed types' workflows, never by state name), the
    activities a lock of that period covers (``locks.covered_clause``). Oldest first, at most
    ``limit`` (``UNFINISHED_SHOWN``) of them; one statement for the list and the count."""
    states = registry().states_in(*UNFINISHED_PHASES)
    rows = db.session.execute(
        select(Activity.id, Activity.title, Activity.type_key, Activity.state, Activity.starts_at,
               Activity.semester, func.count().over().label("total"))
        .where(locks.covered_clause(school_id, school_year, semester), Activity.state.in_(states))
        .order_by(Activity.starts_at, Activity.id)
        .limit(limit or UNFINISHED_SHOWN)
    ).all()
    return Unfinished(int(rows[0].total) if rows else 0, list(rows))


def unfinished_before_submitting(school_id: int, school_year: str, periods: Any,
                                 rounds_: list[YearSubmission]) -> list[tuple[int, Unfinished]]:
    """(period, :func:`unfinished`) for each of ``periods`` the school may submit now
    (:func:`takes_a_round` of its newest round in ``rounds_``, newest first) that has any: what
    the submission page warns of above its button. The periods the district accepted are read
    from ``rounds_`` too (an accepted round is its period's lock: ``decide`` writes it, ``reopen``
    deletes it), asked :func:`locks.covers` as :func:`_accepted_already` asks the locks."""
    latest = {semester: sub.status for semester, sub in latest_of_each_period(rounds_).items()}
    accepted = {sub.semester for sub in rounds_ if sub.status == ACCEPTED}
    out = []
    for semester in periods:
        if takes_a_round(latest.get(semester)) and not locks.covers(accepted, semester):
            found = unfinished(school_id, school_year, semester)
            if found.count:
                out.append((semester, found))
    return out



@dataclass
class QueueRow:
    submission: YearSubmission
    school: School
    judges: bool = True  # whether the round says the year's verdict (:func:`judges_year`)

    @property
    def assessed(self) -> int:
        return self.submission.teachers - self.submission.exempt

    @property
    def met_share(self) -> float:
        return self.submission.met / self.assessed if self.assessed else 0.0


@dataclass
class QueuePage:
    rows: list[QueueRow]
    page: int
    pages: int
    total: int
    counts: dict[str, int]  # status → submissions (latest rounds) in the district

    @property
    def judging(self) -> set[int]:
        """The ids of the page's rounds that judge the year (:func:`judging_rounds`' answer, read
        with the page's schools)."""
        return {r.submission.id for r in self.rows if r.judges}


def queue(district_id: int, status: str = SUBMITTED, page: int = 1, per_page: int = PER_PAGE,
          year: str | None = None) -> QueuePage:
    """A page of the district's submissions in ``status``, oldest first, with their frozen
    figures: three queries whatever the number of schools (a page, its schools with whether each
    round judges the year, :func:`judges_year`, the counts).
    Only each period's latest round is listed and counted: a round returned and submitted
    again is history (its events), no longer "returned" (as the dashboard counts)."""
    if status not in STATUSES:
        raise Invalid(msg("submission.status_invalid", status=shown(status)),
                      {"status": msg("submission.status_field", statuses=", ".join(STATUSES))})
    where = _period_rounds(district_id, year)
    q = select(YearSubmission).where(*where, YearSubmission.status == status)
    q = q.order_by(YearSubmission.submitted_at, YearSubmission.id)
    pager = db.paginate(q, page=page, per_page=per_page, error_out=False, count=True)
    subs = list(pager.items)
    by_id: dict[int, School] = {}
    judging: set[int] = set()
    if subs:
        for school, sub_id, judges in db.session.execute(
            select(School, YearSubmission.id, judges_year()).join(YearSubmission, YearSubmission.school_id == School.id)
            .where(YearSubmission.id.in_([x.id for x in subs]))
        ):
            by_id[school.id] = school
            if judges:
                judging.add(sub_id)
    return QueuePage(
        [QueueRow(x, by_id[x.school_id], x.id in judging) for x in subs],
        pager.page,
        pager.pages or 1,
        pager.total or 0,
        status_counts(district_id, year),
    )


def _period_rounds(district_id: int, year: str | None) -> list[Any]:
    """The conditions that select the latest round of each school's period (its whole year, or
    each semester) submitted to the district (of ``year`` only, if given): what the queue lists
    and counts — a round returned and submitted again is history."""
    where: list[Any] = [YearSubmission.district_id == district_id]
    if year:
        where.append(YearSubmission.school_year == year)
    latest_rounds = (
        select(func.max(YearSubmission.id)).where(*where)
        .group_by(YearSubmission.school_id, YearSubmission.school_year, YearSubmission.semester)
    )
    return [*where, YearSubmission.id.in_(latest_rounds)]


def status_count_query(district_id: int, year: str | None = None) -> Select:
    """(status, how many) of the district's periods (:func:`_period_rounds`) in each status: the
    queue's tabs, and the dashboard's submissions of the year — the same numbers (a district
    that collects semesters counts each semester a school sent)."""
    return (select(YearSubmission.status, func.count()).where(*_period_rounds(district_id, year))
            .group_by(YearSubmission.status))


def status_counts(district_id: int, year: str | None = None) -> dict[str, int]:
    """:func:`status_count_query` as status → count, every status named. One statement."""
    counts = dict(db.session.execute(status_count_query(district_id, year)).all())
    return {st: int(counts.get(st, 0)) for st in STATUSES}


def commented_teachers(steps: list[tuple[SubmissionEvent, User]]) -> dict[str, str]:
    """The names of the teachers the district's returns among ``steps`` (:func:`events`) wrote a
    comment for (their ``teacher_comments``), by user id as the comments are keyed: the history
    says who each comment is for, as the table does."""
    ids = {int(uid) for e, _who in steps for uid in (e.payload or {}).get("teacher_comments", {}) if str(uid).isdigit()}
    if not ids:
        return {}
    return {str(uid): name for uid, name in db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))}


def events(submission: YearSubmission) -> list[tuple[SubmissionEvent, User]]:
    """Every step of this school year's submissions (all rounds), oldest first."""
    return list(
        db.session.execute(
            select(SubmissionEvent, User)
            .join(User, User.id == SubmissionEvent.actor_id)
            .join(YearSubmission, YearSubmission.id == SubmissionEvent.submission_id)
            .where(
                YearSubmission.school_id == submission.school_id,
                YearSubmission.school_year == submission.school_year,
                YearSubmission.semester == submission.semester,
            )
            .order_by(SubmissionEvent.id)
        ).all()
    )


def latest_of_each_period(rounds_: list[YearSubmission]) -> dict[int, YearSubmission]:
    """Each period's newest round of ``rounds_`` (as :func:`rounds` gives them: by period, each
    newest first), by period: the whole year's, or each semester's when the district collects
    semesters — what the school's submission page shows, a period at a time."""
    latest: dict[int, YearSubmission] = {}
    for sub in rounds_:
        latest.setdefault(sub.semester, sub)
    return latest


def rounds(school_id: int, school_year: str) -> tuple[list[YearSubmission], set[int]]:
    """The school's submissions of a year (by period, each newest first), and the ids of those
    that judge the year (:func:`judges_year`, a column of the same statement: a first semester's
    round costs no statement more)."""
    found, judging, _accepted = rounds_and_locks(school_id, school_year)
    return found, judging


def rounds_and_locks(school_id: int, school_year: str) -> tuple[list[YearSubmission], set[int], frozenset[int]]:
    """:func:`rounds`, and the year's accepted periods (``locks.accepted_periods``) as columns of
    the same statement (no round: none, and nothing to compare them with) — the admin's to-do
    list compares a round waiting for the district (:func:`changed_since`) with no statement more."""
    locked = [select(YearLock.id).where(YearLock.school_id == school_id, YearLock.school_year == school_year,
                                        YearLock.semester == period).exists()
              for period in (WHOLE_YEAR, 1, 2)]
    found = db.session.execute(
        select(YearSubmission, judges_year(), *locked)
        .where(YearSubmission.school_id == school_id, YearSubmission.school_year == school_year)
        .order_by(YearSubmission.semester, YearSubmission.round.desc())
    ).all()
    accepted = frozenset(p for p, held in zip((WHOLE_YEAR, 1, 2), found[0][2:], strict=True) if held) if found else frozenset()
    return [row[0] for row in found], {row[0].id for row in found if row[1]}, accepted


# -- a round as it is read: a first semester's does not judge the year ---------------------------


@cache  # built once: its aliases and subqueries cost more to build than the row to read
def judges_year() -> ColumnElement[bool]:
    """SQL, of a ``YearSubmission`` row of the statement it is put in: whether the round says
    the year's verdict (:func:`assessment.period_status`) — a whole year's round, a second
    semester's (the year's end is in it), and a first semester's sent while the district held the
    second semester accepted (its acceptance closes the year: :func:`closes_the_year` as it stood
    when it was sent — the last of the second semester's acceptances and reopenings before the
    round's submission is an acceptance; fixed for the round, whatever is decided later). Any
    other first semester's round is half the year: its teachers are not judged against the
    year's hours yet, and the second semester's absence does not apply. A column of the
    statement that reads the rounds (the dashboard's, the exports', the queue's, the school's
    :func:`rounds`, a round's page: :func:`read_seen`): no statement of its own; the events are
    read of first semesters' rounds only."""
    submitted = aliased(SubmissionEvent)
    second = aliased(YearSubmission)
    sent = (select(func.max(submitted.id))
            .where(submitted.submission_id == YearSubmission.id, submitted.action == "submit")
            .correlate(YearSubmission)  # the round of the outer statement, two levels up
            .scalar_subquery())
    last_decision = (
        select(SubmissionEvent.action)
        .join(second, second.id == SubmissionEvent.submission_id)
        .where(second.school_id == YearSubmission.school_id, second.school_year == YearSubmission.school_year,
               second.semester == 2, SubmissionEvent.action.in_(("accept", "reopen")), SubmissionEvent.id < sent)
        .order_by(SubmissionEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return case((YearSubmission.semester != 1, true()),
                else_=func.coalesce(last_decision, "") == "accept").label("judges_year")


def judging_rounds(subs: list[YearSubmission]) -> set[int]:
    """The ids of ``subs`` whose rows say the year's verdict (:func:`judges_year`), for rounds
    already read. At most one statement, whatever the number of rounds (none without a first
    semester's); a statement that reads the rounds asks :func:`judges_year` as a column instead."""
    firsts = {x.id for x in subs if x.semester == 1}
    out = {x.id for x in subs if x.semester != 1}
    if firsts:
        out |= set(db.session.execute(
            select(YearSubmission.id).where(YearSubmission.id.in_(firsts), judges_year())).scalars())
    return out


def _judges_when_sent(school_id: int, school_year: str, semester: int) -> bool:
    """Whether a round of ``semester`` sent now judges the year (:func:`judging_rounds`, which
    reads the same from the events later): not a first semester's, unless the second is accepted."""
    return semester != 1 or locks.covers(locks.accepted_periods(school_id, school_year) | {semester}, WHOLE_YEAR)


def absence_semesters(judges: bool) -> tuple[str, ...]:
    """The semesters whose unexcused absence a round shows (as its rows key them): both when it
    judges the year (:func:`judging_rounds`), the first only in a first semester's that does not."""
    return ("1", "2") if judges else ("1",)


def row_as_read(row: dict[str, Any], judges: bool) -> dict[str, Any]:
    """A frozen row as every surface of the round shows it (its page, the school's page, its
    exports, the API): the status for the period (:func:`assessment.period_status`), and the
    absence of the semesters it covers only (:func:`absence_semesters`). The stored row is kept
    as it was frozen (what :func:`changed_since` compares)."""
    if judges:
        return row
    keep = absence_semesters(judges)
    status, reason = period_status(row["status"], row.get("reason") or "", judges)
    return {**row, "status": status, "reason": reason,
            "absent": {k: v for k, v in (row.get("absent") or {}).items() if k in keep},
            "excused": {k: v for k, v in (row.get("excused") or {}).items() if k in keep}}


def counts_as_read(sub: YearSubmission, judges: bool) -> dict[str, int]:
    """The round's teachers per status as its rows read (:func:`row_as_read`): the stored counts
    when it judges the year; a first semester's: in progress, not recognised, exempt."""
    if judges:
        return {"met": sub.met, "short": sub.short, "not_recognised": sub.not_recognised, "exempt": sub.exempt}
    counts = {IN_PROGRESS: 0, NOT_RECOGNISED: 0, EXEMPT: 0}
    for row in rows_as_read(sub, judges):
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts


def rows_as_read(sub: YearSubmission, judges: bool | None = None) -> list[dict[str, Any]]:
    """Every frozen row of ``sub`` as :func:`row_as_read` gives it (``judges`` asked of
    :func:`judging_rounds` unless given)."""
    if judges is None:
        judges = sub.id in judging_rounds([sub])
    return [row_as_read(r, judges) for r in sub.rows or []]


def absences_as_read(sub: YearSubmission, user_id: int, judges: bool) -> list[tuple[Participation, Activity]]:
    """The confirmed activities the teacher missed (:func:`credits.absences_for`) behind the
    round's absence figures as it is read: those of the semesters it shows only
    (:func:`absence_semesters`) — a first semester's round that does not judge the year lists
    no second semester's absence, as its figures give none."""
    keep = {int(s) for s in absence_semesters(judges)}
    return [(p, a) for p, a in credits.absences_for(user_id, sub.school_id, sub.school_year) if a.semester in keep]


def frozen_row(sub: YearSubmission, user_id: int) -> dict[str, Any]:
    row = next((r for r in sub.rows if r.get("user_id") == user_id), None)
    if row is None:
        raise NotFound(msg("user.not_found"))
    return row


# -- the reviewer's drill-in: the submitted year's activities and their evidence, read-only --------


def activity_of(sub: YearSubmission, activity_id: Any) -> Activity:
    """An activity of the submitted school year (or semester) of the submitting school; any
    other is 'not found' — a district reads only what was submitted to it."""
    act = db.session.execute(
        select(Activity).where(Activity.id == activity_id,
                               locks.covered_clause(sub.school_id, sub.school_year, sub.semester))
    ).scalar_one_or_none() if access.id_in_range(activity_id) else None
    if act is None:  # what the submission's lock covers, by the lock's own rule
        raise NotFound(msg("activity.not_found"))
    return act


def evidence_of(sub: YearSubmission, evidence_id: Any) -> tuple[Evidence, Activity]:
    """A piece of evidence of an activity of the submitted year (see :func:`activity_of`)."""
    ev = db.session.get(Evidence, evidence_id) if access.id_in_range(evidence_id) else None
    if ev is None:
        raise NotFound(msg("evidence.not_found"))
    try:
        return ev, activity_of(sub, ev.activity_id)
    except NotFound:
        raise NotFound(msg("evidence.not_found")) from None
