"""Who may do what: one function per question, asked by services (which enforce) and by
views, templates and the API (which show or hide).

Each ``may_*`` takes an :class:`Actor` — a person and their roles in the school at hand — and
the thing acted on, and answers True or False; :func:`require` turns a False into
:class:`~portal.errors.Forbidden`. Which role fires which workflow trigger (approve, adjust,
credit, revoke …) is part of the workflow definition (``workflows/definition.py``), where
``independent`` transitions exclude the activity's organiser and participants.

Separation of duties: nobody decides about their own hours — their own approval, adjustment,
credit, revoke (the workflow's ``independent`` transitions), exemption, plan, or their school's
year or annual plan at the district (here, each asking :func:`decides_own`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from portal.errors import Forbidden
from portal.messages import msg
from portal.models.user import (  # DISTRICT_REVIEWER: 进修学校 / 教师发展中心, reviews submitted years
    DISTRICT_ADMIN,
    DISTRICT_REVIEWER,
    ORGANIZER,
    REVIEWER,
    ROLES,
    SCHOOL_ADMIN,
    TEACHER,
)
from portal.timeutil import school_year_after


class _HasOrganizer(Protocol):
    organizer_id: int


class _HasAuthor(Protocol):
    user_id: int


@dataclass(frozen=True)
class Actor:
    """A person acting in one school: their id and roles there (``district_admin`` added for a
    district admin). ``system`` is the operator at the command line or the demo loader."""

    user_id: int
    roles: frozenset[str]
    system: bool = False

    @classmethod
    def of(cls, user_id: int, roles: Iterable[str]) -> Actor:
        return cls(user_id, frozenset(roles))

    def has(self, *roles: str) -> bool:
        return self.system or bool(self.roles & set(roles))


#: The operator: ``flask`` commands and the demo loader act with every right.
SYSTEM = Actor(0, frozenset(), system=True)


def roles_for(check: Callable[[Actor], bool]) -> list[str]:
    """The roles that answer ``check`` (a question about the actor alone) with yes, in the
    order of :data:`~portal.models.user.ROLES`: what a refusal names, asked of the rule itself."""
    return [role for role in ROLES if check(Actor(0, frozenset({role})))]


def require(allowed: bool, code: str = "forbidden", **params: object) -> None:
    """Enforce an answer of this module; refused with the catalogue's message ``code``."""
    if not allowed:
        raise Forbidden(msg(code, **params))


def decides_own(actor: Actor, involved: Iterable[int]) -> bool:
    """Whether a decision would be about the actor's own hours or work: they are among the
    people ``involved`` in it (separation of duties). The one rule every door asks; the
    workflow's ``independent`` transitions ask the same of the activity's organiser and
    participants (``workflows.engine``)."""
    return actor.user_id in set(involved)


def hands_in_for_another(*, declared: bool, uploader_id: int, for_user_id: int) -> bool:
    """Whether handing in a piece of evidence makes its uploader involved in the activity (never
    deciding it, as :func:`decides_own`): on a declaration (``declared``), one who hands in
    evidence for its declarer (``for_user_id``), not their own — a school admin standing in for
    the reviewer uploaded a certificate into a teacher's declaration and then approved it, the
    evidence and its approval one person's. Another reviewer or school admin decides it. On a
    shared activity its organiser (or an admin) hands in for its participants as part of running
    it, and is judged by that (:func:`decides_own` of its organiser, the recorders)."""
    return declared and uploader_id != for_user_id


#: The catalogue's code saying why one who handed in evidence for another's declaration does not
#: decide it (:func:`hands_in_for_another`): the refusal of its step and the queue card's words.
HANDED_IN_REFUSAL = "policy.handed_in"

#: The catalogue's code saying why one involved in an activity (its organiser, a participant, one
#: it was handed over from) does not decide it (:func:`decides_own`; the workflow's
#: ``independent`` steps): the review queue's card of their own activity says it in place of a
#: decision.
OWN_ACTIVITY_REFUSAL = "policy.own_activity"


# -- signing in --------------------------------------------------------------------------------


def may_sign_in(holds_a_role: bool) -> bool:
    """Use the portal at all — a page session, an API token, a new login: an account that holds
    a role somewhere (a school's, or its district's). One taken off the staff of every school
    (``staff.deactivate``) keeps their history, but their open session ends on its next request
    and their password signs them in no more; given a role again, it does. Asked of what the
    request read (``auth.load_user``, ``tokens.authenticate``, ``login_guard.verify``)."""
    return holds_a_role


# -- activities --------------------------------------------------------------------------------


def may_plan(actor: Actor) -> bool:
    """Plan an activity (教研组长 or the training office)."""
    return actor.has(ORGANIZER, SCHOOL_ADMIN)


def may_declare(actor: Actor) -> bool:
    """Declare one's own outside training (学时申报: a self-declared type): any teacher."""
    return actor.has(TEACHER)


def may_plan_or_declare(actor: Actor) -> bool:
    """Reach the page that lists the types one may plan or declare."""
    return may_plan(actor) or may_declare(actor)


def may_plan_type(actor: Actor, self_declared: bool) -> bool:
    """Plan an activity of a type: a self-declared type is every teacher's, the others the planners'."""
    return may_declare(actor) if self_declared else may_plan(actor)


def may_run_as_organiser(actor: Actor, declared: bool) -> bool:
    """Run an activity one organises: a shared one while one holds a role that lets one plan in
    the school (:func:`may_plan`) — an organiser who lost it (left the research group) runs the
    activities they planned no more, and a school admin hands them to another organiser
    (:func:`may_hand_over`); one's own declaration (``declared``: a self-declared type) whatever
    roles one holds. Also who may take an activity over (:func:`may_take_over`)."""
    return declared or may_plan(actor)


def may_organise(actor: Actor, activity: _HasOrganizer, *, declared: bool | None = None) -> bool:
    """Change an activity's participants, attendance and the organiser's evidence, run its
    check-in and its organiser's triggers: its own organiser while they may run it
    (:func:`may_run_as_organiser`; ``declared``: the activity is a teacher's own declaration,
    looked up in the type registry when not given — a plugin's ``may_organise(actor, act)``),
    or a school admin."""
    if declared is None:
        from portal.registry import registry  # the registry imports the policy's neighbours

        declared = registry().self_declared(getattr(activity, "type_key", None))
    return (activity.organizer_id == actor.user_id and may_run_as_organiser(actor, declared)) or actor.has(
        SCHOOL_ADMIN)


def organise_refusal(actor: Actor, activity: _HasOrganizer) -> str:
    """The catalogue's code refusing :func:`may_organise`: its organiser is told they hold the
    role no more (a school admin can hand it over), anyone else who may."""
    return "policy.organiser_no_more" if activity.organizer_id == actor.user_id else "policy.organise"


def may_change_participants(actor: Actor, activity: _HasOrganizer) -> bool:
    """Add people to a shared activity's list after it was planned, change a role, take someone
    off (a declaration's participant is fixed)."""
    return may_organise(actor, activity, declared=False)


def may_record_attendance(actor: Actor, activity: _HasOrganizer) -> bool:
    """Attendance is recorded of a shared activity only (a declaration's is fixed)."""
    return may_organise(actor, activity, declared=False)


def may_record_own_attendance(actor: Actor, activity: _HasOrganizer, *, recorded: bool) -> bool:
    """Record one's own row of an activity's attendance (nobody decides about their own hours):
    only its organiser, and only while nothing is recorded of them (``recorded``) — the organiser
    who speaks at their own talk enters the sign-in sheet with everyone's rows. Once a row of
    theirs is recorded, and for anyone else who may organise it (a school admin), their row is
    another's to record or change (the activity's organiser, another school admin): a school admin
    recorded absent without leave turned it into attendance, or into leave, on their own row, and
    the hours were approved and credited."""
    return activity.organizer_id == actor.user_id and not recorded


def own_attendance_refusal(actor: Actor, activity: _HasOrganizer) -> str:
    """The catalogue's code refusing :func:`may_record_own_attendance`: its organiser, whose own
    row is recorded, is told a school admin changes it (not "its organiser", themself) — another
    school admin, when they are one themself; anyone else that its organiser or another school
    admin records it."""
    if activity.organizer_id != actor.user_id:
        return "attendance.own"
    return "attendance.own_recorded_other_admin" if own_row_is_another_admins(actor) else "attendance.own_recorded"


def own_row_is_another_admins(actor: Actor) -> bool:
    """Whether the school admin who changes one's own recorded row (its organiser's, once entered)
    is *another* one: the reader is a school admin themself, and "a school admin changes it" would
    name them (an organiser who is the school's admin too)."""
    return actor.has(SCHOOL_ADMIN)


def may_place_oneself(actor: Actor, activity: _HasOrganizer) -> bool:
    """Put oneself on a shared activity's list after it was planned, or give oneself another role
    on it (a role decides the hours: a speaker's are twice an attendee's): its organiser only. A
    school admin on a colleague's talk made herself its speaker once it was over, and the
    organiser's attendance then credited her twice the hours; anyone else is placed by its
    organiser or another school admin (or takes a seat by signing up)."""
    return activity.organizer_id == actor.user_id


def may_close_over_own_record(*, undoes_own_absence: bool) -> bool:
    """Close a shared activity (cancel it: its attendance then counts nowhere) on which one's own
    unexcused absence is recorded (``undoes_own_absence``: hours absent without leave on one's own
    row, which count towards the limit that voids a year): never — it would undo that record for
    one's own good, as changing the row would (:func:`may_record_own_attendance`): an organiser
    recorded absent without leave by a school admin cancelled his talk, and the absence that voided
    his year went with it. One's own row of attendance or leave only does not refuse it: the hours
    a cancel takes from oneself are one's own loss, not a gain (and refusing them left a talk that
    its organiser and the school's only admin both attended cancellable by nobody). Another who runs
    it (a school admin, or its organiser) closes it. A declaration is its declarer's own claim,
    withdrawn by them (not asked)."""
    return not undoes_own_absence


def may_run_checkin(actor: Actor, activity: _HasOrganizer, *, declared: bool) -> bool:
    """Open an activity's QR check-in screen and print its sign-in sheet (签到表): check-in is
    attendance, taken at a shared activity by who may organise it; a declaration (``declared``)
    was held elsewhere, its participant and hours fixed when it was declared — its declarer,
    an organiser or not, has nobody to check in."""
    return not declared and may_organise(actor, activity, declared=False)


def may_see_hours(actor: Actor) -> bool:
    """See the participants' hours of an activity: its participant table, and the hours its
    history says someone changed, old and new — everyone who opens its page (anyone of the
    school, 校本研修 is done together, and the district's staff), as the table is shown to all."""
    return actor.has(*ROLES)


def may_add_evidence(actor: Actor, activity: _HasOrganizer, for_user_id: int, *, declared: bool,
                     takes_part: bool) -> bool:
    """Upload evidence: a participant their own (``takes_part``), whoever organises the activity
    (:func:`may_organise`) for anyone — its organiser's own evidence too, which one who may run
    it no more does not add. Anyone else's own is theirs to try (the service says they do not
    take part)."""
    own = for_user_id == actor.user_id and (takes_part or activity.organizer_id != actor.user_id)
    return own or may_organise(actor, activity, declared=declared)


def evidence_refusal(actor: Actor, activity: _HasOrganizer, for_user_id: int) -> str:
    """The catalogue's code refusing :func:`may_add_evidence` (asked again in the write, where one
    who holds no role in the school any more is refused too): what the person needs to read.
    Someone else's evidence is not theirs to add (``policy.own_evidence``); the organiser's own,
    while they hold a role there, is the organiser's to run (:func:`organise_refusal`); their own
    otherwise is refused only once they left the school — they act there no more, whatever list
    they are on (``policy.evidence_left_school``)."""
    if for_user_id != actor.user_id:
        return "policy.own_evidence"
    if activity.organizer_id == actor.user_id and actor.roles:
        return organise_refusal(actor, activity)
    return "policy.evidence_left_school"


def may_hand_over(actor: Actor) -> bool:
    """Give an activity to another organiser of the school (one who left the research group, or
    the school, leaves theirs behind): a school admin."""
    return actor.has(SCHOOL_ADMIN)


def may_take_over(person: Actor) -> bool:
    """Be handed a shared activity to organise: one who may run it (:func:`may_run_as_organiser`)."""
    return may_run_as_organiser(person, declared=False)


def may_read_private(actor: Actor, activity: _HasOrganizer, *, personal: bool | None = None) -> bool:
    """Read what is a teacher's own on their declaration (``personal``: a self-declared type,
    looked up in the registry when not given): the fields its type declares private (a
    certificate number), its evidence, and the reviewers' reasons (adjusted hours, returned,
    refused, the history's comments) — its declarer, the reviewers and the school admin. The
    school's other teachers read the declaration, its hours and its status, nothing more. On a
    shared activity everything is everyone's of the school (校本研修 is done together). The
    same rule for the activity's page, its template and the API."""
    if personal is None:
        from portal.registry import registry  # the registry imports the policy's neighbours

        personal = registry().self_declared(getattr(activity, "type_key", None))
    return not personal or activity.organizer_id == actor.user_id or actor.has(REVIEWER, SCHOOL_ADMIN)


def may_open_evidence(actor: Actor, activity: _HasOrganizer, owner_id: int, personal: bool) -> bool:
    """Open a piece of evidence (its file or text): on a shared activity anyone of the school;
    on a teacher's own declaration (a certificate, a training's papers) its owner and who reads
    the declaration's private part (:func:`may_read_private`)."""
    return owner_id == actor.user_id or may_read_private(actor, activity, personal=personal)


def may_add_own_writing(actor: Actor) -> bool:
    """Add reading notes, a paper or a reflection to one's own record (a teacher)."""
    return actor.has(TEACHER)


def may_change_own_writing(actor: Actor, piece: _HasAuthor) -> bool:
    """Correct or delete a piece of one's own writing: its author alone, while a teacher."""
    return actor.user_id == piece.user_id and actor.has(TEACHER)


def may_review(actor: Actor) -> bool:
    """Work the review queue (the workflow decides each trigger)."""
    return actor.has(REVIEWER)


def may_see_refusals_before(actor: Actor) -> bool:
    """Be told that a declaration's teacher declared it before and a reviewer refused it (who,
    when, why: ``transitions.refusals_told_to``) — on the review queue's card, the declaration's
    page and the API's activity: who reviews declarations and the school admin, not the
    teacher's peers (a refusal is between the teacher and the school's review)."""
    return actor.has(REVIEWER, SCHOOL_ADMIN)


def may_see_shared_certificates(actor: Actor) -> bool:
    """Be told that a declaration's certificate file is on another teacher's declaration of the
    school too (``shared_certificates.told_to``: whose, which) — on the declaration's page and its
    card in the review queue (``shared_certificates.told_to_each``): who reviews declarations and
    the school admin, who judge whether it is a list naming everyone or a borrowed certificate;
    not the declarer or their peers (another teacher's declaration is not theirs to see)."""
    return actor.has(REVIEWER, SCHOOL_ADMIN)


# -- records and reports -----------------------------------------------------------------------


def may_read_record(actor: Actor, teacher_id: int) -> bool:
    """A teacher reads their own record; school admins, reviewers and the district anyone's —
    the same rule for the record page, its links and ``GET /api/v1/users/<id>/credits``."""
    return actor.user_id == teacher_id or actor.has(SCHOOL_ADMIN, REVIEWER, DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_see_earlier_schools(actor: Actor, teacher_id: int) -> bool:
    """The hours another school credited a teacher this year before they left it (moved here:
    ``credits.earlier_schools``), beside this school's on the home, the record and the API's
    credits: the teacher's own. A school admin or reviewer here reads this school's record of them
    only — another school's data is its own staff's (and the district's, on its pages)."""
    return actor.user_id == teacher_id and not actor.system


def may_read_certificate(actor: Actor) -> bool:
    """The 学分认定表 of an activity."""
    return actor.has(SCHOOL_ADMIN, REVIEWER, ORGANIZER, DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_export(actor: Actor) -> bool:
    """The school's 学时汇总表 (page, CSV, XLSX, API)."""
    return actor.has(SCHOOL_ADMIN, REVIEWER, DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_view_district(actor: Actor) -> bool:
    """The district's pages: its schools, submissions, dashboard and exports (scoped to the
    actor's own district by the services)."""
    return actor.has(DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_fetch_export(actor: Actor, district_export: bool) -> bool:
    """An export run as a job, by the person who asked for it (the services check that), for as
    long as they may still ask for it: the district's exports to district staff, a school's (its
    summary, all its 学分认定表) to those who may export them — a demoted admin's file is not theirs."""
    return may_view_district(actor) if district_export else may_export(actor)


# -- the year submitted to the district --------------------------------------------------------


def may_submit_year(actor: Actor) -> bool:
    """Submit the school year (or semester) to the district, and submit it again after a return."""
    return actor.has(SCHOOL_ADMIN)


def may_decide_submission(actor: Actor) -> bool:
    """Accept a submitted year (which locks it) or return it with comments."""
    return actor.has(DISTRICT_REVIEWER)


def decides_for_school(school_district_id: int | None, district_id: int) -> bool:
    """Whether a district's staff (of ``district_id``) may accept, return or reopen a school's
    submitted year: only while the school is in their district (``school_district_id``, where it
    is today). A school that left (``districts.move_school``) is the district it joined's: the
    old district keeps the year it accepted in its figures (``dashboard.schools_of_year``) but
    decides nothing about it any more — accepting or returning a round still waiting, or
    reopening an accepted year, would change the records of another district's school. An
    accepted year is reopened by the district the school is in now, so that a mistake can still
    be corrected (the school then submits the year again, to that district)."""
    return school_district_id == district_id


def sees_submission(sent_to: int, school_district_id: int | None, district_id: int) -> bool:
    """Whether a district's staff read a submission (its page, figures, activities and evidence,
    on the web and the API): one sent to their district, or one of a school in it now
    (:func:`decides_for_school`: the district a school joined reads the year another district
    accepted, as it may reopen it). Any other is another district's: not found."""
    return sent_to == district_id or decides_for_school(school_district_id, district_id)


def decides_submission_for(sent_to: int, school_district_id: int | None, district_id: int) -> bool:
    """Whether a district's staff may accept or return a submission: one sent to their district,
    of a school still in it (:func:`decides_for_school`)."""
    return sent_to == district_id and decides_for_school(school_district_id, district_id)


def may_decide_submission_of(actor: Actor, involved: Iterable[int]) -> bool:
    """Accept or return this submission: a district reviewer not ``involved`` in it
    (``submissions.involved``: its teachers, who submitted it, the school's staff) — a district
    reviewer who also works at the school leaves its year to a reviewer from outside it."""
    return may_decide_submission(actor) and not decides_own(actor, involved)


def may_reopen_year(actor: Actor) -> bool:
    """Reopen an accepted, locked year (always with a reason)."""
    return actor.has(DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_reopen_year_of(actor: Actor, involved: Iterable[int]) -> bool:
    """Reopen this accepted year: not by anyone ``involved`` in it, as for accepting it (unlocking
    lets the school change the hours it locked — someone else's call, as accepting is)."""
    return may_reopen_year(actor) and not decides_own(actor, involved)


def may_repair_away_credits(actor: Actor) -> bool:
    """Reverse the credits posted, before the rule, for activities held while the teacher was
    away from the school's staff (``flask credits repair-away``; the district's own schools:
    the service scopes it)."""
    return actor.has(DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_repair_away_credits_of(actor: Actor, involved: Iterable[int]) -> bool:
    """Reverse these credits (``involved``: the teachers whose credits the repair reverses):
    district staff, never among them — a district reviewer who also teaches at a school leaves
    the reversal of their own credits to another district staff member."""
    return may_repair_away_credits(actor) and not decides_own(actor, involved)


def may_write_school_plan(actor: Actor) -> bool:
    """Write the school's annual plan (年度校本研修计划) and send it to the district."""
    return actor.has(SCHOOL_ADMIN)


def may_decide_school_plan(actor: Actor) -> bool:
    """Accept a school's annual plan or return it with a comment (district staff)."""
    return actor.has(DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_decide_school_plan_of(actor: Actor, involved: Iterable[int]) -> bool:
    """Accept or return this school's plan: district staff not ``involved`` in it
    (``school_plans.involved``: the school's staff, everyone who wrote or sent it, though they
    left the school since) — as for the school's year, one who also works at the school leaves
    its plan to someone from outside it."""
    return may_decide_school_plan(actor) and not decides_own(actor, involved)


def may_administer_district(actor: Actor) -> bool:
    """The district's defaults, its schools and their admins, types enabled district-wide."""
    return actor.has(DISTRICT_ADMIN)


def may_move_teacher(actor: Actor) -> bool:
    """Move a teacher from one school of the district to another, from a day
    (``moves.move_teacher``): the district admin, whose schools both are (the service scopes
    it). Not a school admin, even of the school the teacher arrives at: the move ends their roles
    at the school they leave, whose staff is another admin's, and it decides at which school each
    of their years is judged — a decision above both schools."""
    return actor.has(DISTRICT_ADMIN)


def may_move_teacher_of(actor: Actor, teacher_id: int) -> bool:
    """Move this teacher: the district admin, never themselves (where their hours are judged is
    someone else's call, :func:`decides_own`)."""
    return may_move_teacher(actor) and not decides_own(actor, [teacher_id])


def may_announce_deadlines(actor: Actor) -> bool:
    """Announce, change or withdraw a deadline for the district's schools (the district admin,
    in their own district: the services scope it)."""
    return actor.has(DISTRICT_ADMIN)


def may_hear_for_the_school(actor: Actor) -> bool:
    """Be told what the district decided about the school (its annual plan, its submitted year)
    and when the annual plan is due: the school's admins."""
    return actor.has(SCHOOL_ADMIN)


def may_subscribe_school_calendar(actor: Actor) -> bool:
    """A calendar feed of every activity of the school: its staff."""
    return actor.has(TEACHER, ORGANIZER, REVIEWER, SCHOOL_ADMIN)


# -- administration ----------------------------------------------------------------------------


def may_administer(actor: Actor) -> bool:
    """The school's activity types, rules, staff, roster, exemptions page and audit trail."""
    return actor.has(SCHOOL_ADMIN)


def may_read_school_rules(actor: Actor) -> bool:
    """Read the school's rules (required hours, absence limits, writing quotas, quiet hours):
    everyone of the school — a teacher is judged by them — and the district's people, who set
    their floors. Setting them is :func:`may_administer`'s."""
    return actor.has(TEACHER, ORGANIZER, REVIEWER, SCHOOL_ADMIN, DISTRICT_ADMIN, DISTRICT_REVIEWER)


def may_reset_password(actor: Actor, person_id: int, their_roles_here: Iterable[str], elsewhere: bool) -> bool:
    """A school admin gives a person of the school who forgot their password a new one — never
    themselves (the password page proves the current one), never a fellow admin, never a
    reviewer, and never a person who also holds a role in another school or the district
    (``elsewhere``): a reset lets whoever makes it sign in as that person, so it reaches no
    further than the admin's own school's staff, and never to someone who decides about the
    admin's own hours (an admin who reset the only reviewer's password signed in as them and
    credited their own 40 hours). Those accounts are reset by the operator (``flask user
    set-password``)."""
    return (
        actor.has(SCHOOL_ADMIN) and actor.user_id != person_id and not elsewhere
        and not any(decides_hours(role) for role in their_roles_here)
    )


def decides_hours(role: str) -> bool:
    """Whether ``role`` decides about others' hours: reviewing them, or administering the
    school (exemptions, rules, staff)."""
    holder = Actor.of(0, [role])
    return may_administer(holder) or may_review(holder)


def may_give_role(role: str, password_known_to_another: bool) -> bool:
    """A school admin gives a role to a person of the school — one that decides about others'
    hours (:func:`decides_hours`) only while nobody but its holder knows the account's password
    (``user_account.password_known_to`` is None: the operator set it, or nobody ever had it from an
    admin; a new account added or imported by an admin has a password the admin knows). Whoever
    set it — the admin who added the account or reset its password — could sign in as them: an
    admin reset a teacher's password, made them a reviewer, and credited their own 40 hours as
    them. A change on the password page keeps it known (the admin can make that change too, with
    the password they know); the operator's ``flask user set-password`` is the holder's."""
    return not (password_known_to_another and decides_hours(role))


def may_make_teacher(teaches_at_another_school: bool) -> bool:
    """A school admin makes a person of the school one of its teachers (the staff page) — not one
    who teaches at another school now: the district moves a teacher between its schools
    (:func:`may_move_teacher`), and the old school ticking the role again would have both schools
    judge the same year of theirs (the roster import refuses such a person too). The operator's
    ``flask user create`` gives a second school's role to one who really teaches at two."""
    return not teaches_at_another_school


def may_exempt(actor: Actor, teacher_id: int) -> bool:
    """A school admin exempts others from the year's assessment, never themselves."""
    return actor.has(SCHOOL_ADMIN) and not decides_own(actor, [teacher_id])


def require_not_own(actor: Actor, subject_id: int) -> None:
    """Refuse a decision about the actor's own hours (:func:`decides_own`)."""
    require(not decides_own(actor, [subject_id]), "policy.not_self")


# -- the teacher's year: groups, sign-up, personal plans ----------------------------------------


def may_manage_groups(actor: Actor) -> bool:
    """Create and rename teaching groups (教研组), set their members and leader."""
    return actor.has(SCHOOL_ADMIN)


def may_lead_group(actor: Actor) -> bool:
    """Lead a teaching group (教研组长): an organiser of the school."""
    return ORGANIZER in actor.roles


def may_sign_up(actor: Actor) -> bool:
    """Sign up for (or withdraw from) an activity open for sign-up: a teacher of the school."""
    return actor.has(TEACHER)


def may_sign_up_for(actor: Actor, activity: _HasOrganizer) -> bool:
    """Sign up for this activity: a teacher of the school who does not organise it. Its organiser
    runs it, earning no hours by organising (the type's roles earn them, a speaker's twice an
    attendee's): taking part, they put themselves on its list with their role, as they put
    anyone, rather than take a seat a teacher signed up for. (Who is on the list already signs up
    no more: ``signup.participant``.)"""
    return may_sign_up(actor) and activity.organizer_id != actor.user_id


def may_run_signup(actor: Actor, activity: _HasOrganizer) -> bool:
    """Open an activity for sign-up and confirm its list: whoever organises the activity (the
    service then refuses a declaration's, which takes no sign-up, saying so: ``require_shared``)."""
    return may_organise(actor, activity)


def may_see_signup_withdrawals(actor: Actor, activity: _HasOrganizer) -> bool:
    """See who withdrew from an activity's sign-up, and when: whoever runs it (a teacher sees
    only their own withdrawal)."""
    return may_run_signup(actor, activity)


def may_write_plan(actor: Actor, teacher_id: int) -> bool:
    """A personal development plan is written by the teacher themself, in their own words."""
    return actor.user_id == teacher_id and actor.has(TEACHER)


def may_plan_for_year(year: str, this_year: str) -> bool:
    """A development plan (a teacher's, the school's) is written (saved, handed in) for the school
    year under way (``this_year``, the school's year now) or the next, never a past one nor one
    further off: a past year is read-only history, its plan kept as it was; the next is planned
    from the spring (plans go to the district in June, ``school_plans.next_year``); a plan for
    2099 plans nothing anyone can hold or check. Years are ``2026-2027``: their order is the text's."""
    return this_year <= year <= school_year_after(this_year)


def is_past_year(year: str, this_year: str) -> bool:
    """A school year before the one under way: history, read only."""
    return year < this_year


def first_year_to_date(this_year: str) -> str:
    """The earliest school year an activity may be dated in (planned, declared or moved to) when
    the school's year now is ``this_year``: the year before it. Hours are entered while their
    year is still open — the year under way, and the last one, which the school finishes and
    submits in the autumn — and that last year closes for new activities the moment the district
    accepts it (its lock, ``locks``, refuses them then). A year before the last was the record of
    its time and never again written into: an activity dated 2019 would credit hours nobody can
    check any more. A year to come may be planned in. No floor at the school's arrival in the
    portal: a school that joins during a year still enters the last one, which the district
    still awaits from it. Years are ``2026-2027``: their order is the text's."""
    return school_year_after(this_year, -1)


def may_date_in_year(year: str, this_year: str) -> bool:
    """An activity may start in school year ``year`` (:func:`first_year_to_date`): asked by the
    service that plans and moves activities, whose refusal the pages and the API show."""
    return year >= first_year_to_date(this_year)


def may_read_plan(actor: Actor, teacher_id: int) -> bool:
    """The same readers as the teacher's record."""
    return may_read_record(actor, teacher_id)


def may_decide_plan(actor: Actor, teacher_id: int) -> bool:
    """Sign off (同意) or return (退回) a plan: a school admin or a reviewer, never the
    teacher themself."""
    return actor.has(SCHOOL_ADMIN, REVIEWER) and not decides_own(actor, [teacher_id])


def may_review_plans(actor: Actor) -> bool:
    """The list of the school's plans awaiting sign-off."""
    return actor.has(SCHOOL_ADMIN, REVIEWER)


def may_set_plan_deadline(actor: Actor) -> bool:
    return actor.has(SCHOOL_ADMIN)


def may_see_school_todo(actor: Actor) -> bool:
    """The home's to-do list of the school's work (``services.school_todo``): whoever signs off
    plans, sets their deadline or sends the year to the district — each item asks its own."""
    return may_review_plans(actor) or may_set_plan_deadline(actor) or may_submit_year(actor) or may_see_corrections(actor)


# -- asking for a correction (services.corrections) ----------------------------------------------


def may_ask_correction(*, concerned: bool, does_it_oneself: bool, declared: bool) -> bool:
    """Ask the school's admins for a correction of an activity (``services.corrections``): one's
    own row of its attendance to read otherwise, or the activity cancelled. Only where the portal
    sends one to someone else (:func:`may_record_own_attendance`, :func:`may_close_over_own_record`):
    ``concerned`` — for a row, one's row on it is recorded (nothing to correct before); for a
    cancel, one organises it, or would cancel it but for one's own unexcused absence on it — and
    ``does_it_oneself`` false (a row one may still enter, a cancel one may take, is done, not asked).
    A declaration (``declared``) is its declarer's own claim, withdrawn by them: nothing to ask."""
    return concerned and not does_it_oneself and not declared


def may_see_corrections(actor: Actor) -> bool:
    """The school's open correction requests (the to-do list, ``/corrections``): its admins."""
    return actor.has(SCHOOL_ADMIN)


def may_close_correction(actor: Actor, requester_id: int) -> bool:
    """Close a correction request — done (made through the attendance page or the cancel) or
    declined with a reason: a school admin who did not ask it (nobody decides about their own
    hours, :func:`decides_own`)."""
    return may_see_corrections(actor) and not decides_own(actor, [requester_id])
