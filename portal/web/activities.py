"""Activities: the list, planning (core fields + the type's own form), the activity page,
triggers, attendance and evidence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from portal import policy
from portal.current import (
    activity_school,
    allowed,
    current_actor,
    current_roles,
    require_school,
    switch_school,
)
from portal.downloads import stored_mimetype
from portal.errors import Conflict, GuardFailedError, IllegalTransitionError, Invalid, NotFound
from portal.extensions import db
from portal.hours import fmt
from portal.i18n import lang_code
from portal.messages import Joined, SchoolYear, role_labels, tr
from portal.messages import msg as coded
from portal.models import DISTRICT_ROLES, Evidence, User
from portal.once import KeptPer
from portal.plugin_data import PluginDataUnavailable, PluginStepFailed, previewing, transition_data
from portal.registry import registry
from portal.security import MAX_ID
from portal.services import (
    access,
    activities,
    checkin,
    corrections,
    groups,
    handover,
    locks,
    overview,
    quotas,
    schools,
    shared_certificates,
    signup,
    stints,
    transitions,
)
from portal.services import credits as credit_service
from portal.services.snapshots import activity_snapshot, context
from portal.timeutil import BadTime, first_day, iso_local_text, local_text, parse_iso, utcnow, zone_of
from portal.web import clashes, diagram, picker, plugin_form, plugin_fragment
from portal.web.activity_table import activity_rows
from portal.web.forms import ActivityForm, ConfirmForm, EvidenceForm, TimesForm, TriggerForm, apply_errors
from portal.web.helpers import (
    comment_needed,
    confirm_question,
    local_time,
    refused_with,
    role_label,
    step_hours_said,
    tally_said,
)
from portal.web.participant_table import line_rows
from workflows.definition import CORE, HANDED_OVER

bp = Blueprint("activities", __name__)
DETAILS_PREFIX = "details-"


NO_MATCH = -1  # a filter value no row has: an id or semester out of any column's range shows nothing


def _int_arg(name: str, out_of_range: int = NO_MATCH) -> int | None:
    """A whole-number query argument; None when absent or not a number, ``out_of_range`` when
    it is beyond any id (so ``?organizer=99999999999999999999999`` finds nothing)."""
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return None
    return value if -MAX_ID <= value <= MAX_ID else out_of_range


@bp.route("/activities")
@login_required
def index():
    school = require_school()
    f = overview.ActivityFilters(
        type_key=request.args.get("type", ""),
        state=request.args.get("state", ""),
        school_year=request.args.get("year", ""),
        semester=_int_arg("semester"),
        organizer_id=_int_arg("organizer"),
    )
    pagination = overview.activities_page(school.id, f, request.args.get("after"), request.args.get("before"))
    organizers = overview.organizers(school.id)
    return render_template(
        "activities/index.html",
        pagination=pagination,
        filters=f,
        type_keys=sorted({*registry().keys()}),
        states=registry().state_labels(),  # (state, its words): the filter's options
        years=overview.school_years(school.id),
        organizers=organizers,
        organizer_names={u.id: u.display_name for u in organizers},
        activity_rows=activity_rows,
    )


def plannable_types(school_id: int) -> list:
    """The school's enabled types the viewer may plan (or, self-declared, declare)."""
    actor = current_actor()
    return [r for r in schools.enabled_types(school_id) if policy.may_plan_type(actor, r.decl.self_declared)]


@bp.route("/activities/new")
@allowed(policy.may_plan_or_declare)
def choose_type():
    school = require_school()
    return render_template("activities/choose_type.html", types=plannable_types(school.id))


def _participant_input(school_id: int, members, roles, default_role: str,
                       at: datetime | None = None) -> tuple[list[dict], dict[str, list[str]], list]:
    """The participants chosen on the form: per role of the type, one searchable list of
    "the whole school", groups and people (``people-<role>``: ``all``, ``g:<id>``, ``u:<id>``).
    Someone chosen for a special role (e.g. speaker) keeps it over the default role. The older
    one-select-per-person fields ``role-<user id>`` are still read. ``at``: the activity's start
    (when known): "the whole school" and a group leave out who was off the staff then
    (``stints.away_at``, as the picker shows them); one chosen by name is refused by the service."""
    chosen: dict[str, list[str]] = {role: request.form.getlist(f"people-{role}") for role in roles}
    picked: dict[int, str] = {}
    errors: list = []
    for role in sorted(roles, key=lambda r: r == default_role):  # the default role last
        ids, errs = groups.audience_ids(school_id, chosen[role])
        errors.extend(e for e in errs if e not in errors)  # a forged choice under two roles: said once
        if at is not None and (away := stints.away_at(school_id, ids, at)):
            named = {v for v in chosen[role] if v.startswith("u:")}
            ids = [uid for uid in ids if uid not in away or f"u:{uid}" in named]
        for uid in ids:
            picked.setdefault(uid, role)
    for u in members:
        role = request.form.get(f"role-{u.id}", "")
        if role:
            picked[u.id] = role
            chosen.setdefault(role, []).append(f"u:{u.id}")
    return [{"user_id": uid, "role": role} for uid, role in picked.items()], chosen, errors


@bp.route("/activities/new/<type_key>", methods=["GET", "POST"])
@allowed(policy.may_plan_or_declare)
def new(type_key: str):
    school = require_school()
    reg = next((r for r in schools.enabled_types(school.id) if r.decl.key == type_key), None)
    if reg is None:
        abort(404)
    if not policy.may_plan_type(current_actor(), reg.decl.self_declared):
        abort(403)
    line_raw = request.values.get("plan_line_id") or request.args.get("plan_line") or ""
    line = activities.plan_line(school.id, _id_or_text(line_raw)) if line_raw else None  # another school's: 404
    if line is not None and line.type_key != type_key:
        abort(404)
    form = ActivityForm(data=_from_plan_line(line) if line and request.method == "GET" else None)
    # the type's form is its plugin's code: one that raises gives a notice, or refuses a submission
    details_form = plugin_form.build(reg, request.form if request.method == "POST" else None, DETAILS_PREFIX)
    start = _typed_start(school, form)  # posted: who was off the staff then is shown unchosable
    members, away = overview.members_and_away(school.id, start) if start is not None else (overview.members(school.id), set())
    chosen: dict[str, list[str]] = {}
    other_errors: list[str] = []
    status = 200
    if reg.decl.self_declared:  # the declarer alone: no participants to choose
        members = []
    if request.method == "POST":
        plugin_form.draw(reg, details_form, submitted=True)  # one the page could not show is refused
        people, chosen, audience_errors = _participant_input(
            school.id, members, list(reg.decl.roles), reg.decl.default_role, start
        )
        details = MultiDict(
            [(k[len(DETAILS_PREFIX):], v) for k, v in request.form.items(multi=True) if k.startswith(DETAILS_PREFIX)]
        )
        try:
            if audience_errors:
                raise Invalid(coded("audience.refused"), {"participants": audience_errors})
            act = activities.plan_activity(
                school,
                current_user._get_current_object(),
                type_key,
                form.title.data or "",
                iso_local_text(form.starts_at.data or ""),
                iso_local_text(form.ends_at.data or ""),
                form.hours.data or "",
                people,
                details,
                location=form.location.data or "",
                plan_line_id=line.id if line is not None else None,
            )
        except Invalid as exc:
            status = 422
            detail_errors = exc.fields.pop("details", None)
            if isinstance(detail_errors, dict):
                for name, errs in detail_errors.items():
                    if name in details_form._fields:
                        details_form[name].errors = [tr(e) for e in errs]
                    else:
                        other_errors.append(f"{name}: {tr(errs)}")
            participant_errors = exc.fields.pop("participants", None)
            if participant_errors:
                other_errors.append(tr(participant_errors))
            for name, msg in exc.fields.items():
                if name in form._fields:
                    form[name].errors = [tr(msg)]
                else:
                    other_errors.append(tr(msg))
        else:
            flash(_("Your declaration has been saved: add what it asks for below, then hand it in for review.")
                  if reg.decl.self_declared else _("The activity has been planned."), "success")
            clashes.warn(act, school)
            return redirect(url_for("activities.show", activity_id=act.id))
    return render_template(
        "activities/new.html",
        reg=reg,
        form=form,
        details=plugin_form.draw(reg, details_form),
        picker=picker.options(school.id, members, away),
        chosen=chosen,
        other_errors=other_errors,
        plan_line=line,
        first_day=activities.first_day_to_date(school),
    ), status


def _typed_start(school, form: ActivityForm) -> datetime | None:
    """The start typed on the planning form, if it reads as one (else the service says why)."""
    if request.method != "POST" or not form.starts_at.data:
        return None
    try:
        return parse_iso(iso_local_text(form.starts_at.data), school.timezone)
    except BadTime:
        return None




def _id_or_text(raw: str) -> int | str:
    """An id from a form or query (digits), else the text itself: the service refuses it."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else raw


def _from_plan_line(line: Any) -> dict[str, str]:
    """The planning form filled from a line of the school's annual plan: its title and planned
    hours, on the 15th of its month at 14:00 (a date in that month; the planner adjusts it)."""
    from datetime import datetime, timedelta

    from portal.hours import fmt

    day = first_day(activities.line_school_year(line), line.month).replace(day=15)
    start = datetime.combine(day, datetime.min.time()).replace(hour=14)
    end = start + timedelta(minutes=int(max(line.planned_hours, 1) * 60))
    return {"title": line.title, "starts_at": start.strftime("%Y-%m-%d %H:%M"),
            "ends_at": end.strftime("%Y-%m-%d %H:%M"), "hours": fmt(line.planned_hours) if line.planned_hours else ""}


def _load(activity_id: int):
    school = require_school()
    return school, access.get_activity(activity_id, school.id)


def _personal(act) -> bool:
    """Whether the activity is a teacher's own declaration (its evidence theirs to show)."""
    return activities.is_declaration(act)


def _list_names(history: list[tuple[Any, Any]], names: dict[int, Any]) -> dict[int, str]:
    """The names of the people the history's changes of the list name (:func:`activities.list_changes`):
    of those on the list and of the history's actors as loaded, of others (taken off) read by id in
    one statement, none when every one is known."""
    changes = [change for log, _actor in history
               if (change := activities.list_changes(log.trigger, log.payload)) is not None]
    if not changes:
        return {}  # no change of the list to name anyone in (most activities): nothing to gather
    known = {uid: u.display_name for uid, u in names.items()} | {u.id: u.display_name for _log, u in history}
    wanted: set[int] = set()
    for change in changes:
        wanted |= change.user_ids()
    return known | activities.names_by_id(wanted - set(known))


def _uncounted(evidence: list, school, year: str) -> dict[int, str]:
    """Why a piece of evidence counts nothing towards the quotas, beside it as on the writing page
    (a reading note shorter than the year's ``reading_note_chars``); the rule is read only when
    a reading note is there to judge."""
    notes = [e for e in evidence if e.kind == quotas.READING_NOTES]
    least = credit_service.note_least_in(school, year) if notes else 0
    return {e.id: tr(why) for e in notes if (why := quotas.uncounted(least, e.kind, e.char_count or 0))}


class SignupRefused(NamedTuple):
    """A refused opening (or change) of the sign-up, for the page drawn again in place: what the
    organiser typed, kept in the form, and each field's reason beside it."""

    message: str
    typed: dict[str, str]
    errors: dict[str, str]


class _Steps(NamedTuple):
    """What the page says of a workflow's steps in a state: the steps out of it, each with who
    takes it, in words; and which triggers ask a comment, go back, or ask to confirm."""

    next_steps: tuple[tuple[str, str], ...]
    comment_required: frozenset[str]
    going_back: frozenset[str]
    confirming: dict[str, str]  # trigger → the question asked before it


_STEPS: KeptPer[_Steps] = KeptPer(512)  # (workflow, state, language): a few types of ~8 states


def _steps(definition: Any, state: str, self_declared: bool = False) -> _Steps:
    """:class:`_Steps` of ``definition`` in ``state`` in the viewer's language, worked out once
    per workflow, state and language (the type's code and the catalogue's words, as the
    diagram: ``once.KeptPer``), not on every view of an activity page. ``self_declared``: the
    type's (its organiser is the declaring teacher, and is named so: ``messages.role_labels``)."""
    lang = lang_code()
    return _STEPS.get(definition, (state, lang, self_declared), lambda: _Steps(
        tuple((t.label_en if lang == "en" else t.label_zh, tr(role_labels(sorted(t.roles), self_declared)))
              for t in definition.transitions if state in t.sources),
        frozenset(t.trigger for t in definition.transitions if t.comment_required),
        frozenset(t.trigger for t in definition.transitions if definition.goes_back(t)),
        {t.trigger: confirm_question(why) for t in definition.transitions if (why := definition.why_confirm(t))},
    ))


def _checkin_ends(act, school, definition: Any, allowed: list[str], total: int) -> dict[str, str]:
    """The steps the viewer may take that would end a check-in still open (marking it held at
    its start closed the door on whoever came a minute late, with no way back), each with the
    question the page asks first: until when it was open and how many have not checked in."""
    ending = [t for t in allowed if not checkin.takes_checkin(definition.phase(definition.transition(t).dest))]
    until = checkin.open_until(act, school, utcnow()) if ending else None
    if until is None:
        return {}
    text = _("Check-in is open until %(time)s and %(n)s of %(total)s participants have not checked in: after "
             "this step nobody can check in. Go on?", time=local_text(until, zone_of(school)),
             n=max(total - checkin.count(act.id), 0), total=total)
    return dict.fromkeys(ending, text)
def _reason_for_others(definition: Any, act: Any, allowed: list[str], me: int, participant_ids: list[int],
                       has_signup: bool | None) -> list[str]:
    """The triggers offered that ask this viewer a comment because others are concerned
    (``Transition.needs_comment_with``: a cancel once anyone else takes part, signed up or
    organises it, who are told it as the reason); the sign-up read only when such a trigger is
    offered and nobody else is concerned without it."""
    asking = [t for t in allowed if definition.transition(t).comment_when_others]
    if not asking:
        return []
    people = set(participant_ids)
    if people | {act.organizer_id} <= {me} and has_signup is not False:  # nobody else yet: anyone signed up?
        people |= signup.signed_up(act.id)
    return [t for t in asking if definition.transition(t).needs_comment_with(me, people, act.organizer_id)]


def _organizer(organizer_id: int, people, history) -> Any:
    """The organizer's account (``id``, ``display_name``) as the page has read it: among the
    participants, else among the history's actors (who planned it is its first), else read."""
    for _p, u in people:
        if u.id == organizer_id:
            return u
    for _log, actor in history:
        if actor.id == organizer_id:
            return actor
    return db.session.get(User, organizer_id)


def _page(act, school, trigger_form=None, evidence_form=None, trigger_error=None, missing=None, status=200,
          locked: bool | None = None, signup: bool | None = None, stored_settings: Any = None,
          handover_error: str | None = None, times_form: TimesForm | None = None,
          signup_refused: SignupRefused | None = None):
    reg = registry().get(act.type_key)
    people = activities.participant_rows(act.id)  # rows: this page only shows them
    evidence = activities.evidence_of(act.id)
    uncounted = _uncounted(evidence, school, act.school_year)
    participant_ids = [p.user_id for p, _u in people]
    me = current_user.id
    roles = current_roles() - set(DISTRICT_ROLES)  # the viewer's roles in this school (already loaded)
    if locked is None:
        locked = locks.is_locked(act.school_id, act.school_year, act.semester)
    history = transitions.history_rows(act.id)  # rows: this page only shows them
    before = access.involved_before_in((log for log, _actor in history), evidence,
                                       declared=_personal(act))  # involved in it still
    allowed = transitions.allowed_triggers(act, me, participant_ids, roles, locked, before=before) if reg else []
    after_end = transitions.after_the_end(act, me, allowed, participant_ids, roles, locked, before) if reg else []
    own_row = next((p for p, _u in people if p.user_id == me), None)
    not_over_mine = transitions.withheld_over_own_record(
        act, me, allowed, own_row is not None and activities.records_absence(own_row), participant_ids, roles, locked,
        before) if reg and not _personal(act) else []
    reason_for = _reason_for_others(reg.engine.definition, act, allowed, me, participant_ids, signup) if reg else []
    # what the viewer may ask the school's admins for where the page sends them to someone else
    ask_for = corrections.offer(act, current_actor(), own_row, allowed, not_over_mine,
                                declared=_personal(act), locked=bool(locked)) if reg else corrections.Offer([], [])
    organizer = _organizer(act.organizer_id, people, history)
    can_organize = reg is not None and policy.may_organise(current_actor(), act, declared=_personal(act))
    runs_checkin = reg is not None and policy.may_run_checkin(current_actor(), act, declared=_personal(act))
    phase = registry().phase(act.type_key, act.state)
    open_ = phase.editable
    fragment = details = None
    settings = {}
    # a discontinued type's fields: whether it was a teacher's declaration nobody can say now, so they
    # are read as a declaration's private part is (its declarer, the reviewers, the school admin)
    gone_fields = ([v for v in (act.details or {}).values() if v not in (None, "")]
                   if reg is None and policy.may_read_private(current_actor(), act, personal=True) else [])
    if reg is not None:
        settings = (schools.type_settings(school.id, act.type_key) if stored_settings is None
                    else schools.settings_from(act.type_key, stored_settings))  # read with the activity
        # a peer reads a declaration without its private fields (policy.may_read_private): its
        # rendered details, its page fragment and the data hook asked for that fragment alike
        told = activities.details_told_to(current_actor(), act)
        details = plugin_fragment.render_details(reg, told, lang_code())
        try:
            if reg.draws_fragment:
                ctx = context(act, people, evidence, settings, me,
                              access.activity_roles(act, me, roles, participant_ids, before=before), utcnow(),
                              timezone=school.timezone, details=told)
            else:  # the default draws none: no context to make, but its data hook asked as before
                transition_data(activity_snapshot(act, details=told))
        except PluginDataUnavailable as exc:  # its data hook failed (reported): the notice instead
            fragment = plugin_fragment.notice(exc.reg)
        else:
            if reg.draws_fragment:
                fragment = reg.page_fragment(ctx, lang_code())  # a fragment that raises gives a notice naming its type
    # what the viewer still has to hand in: the same function as the home's to-do list; nothing
    # in a year (or semester) the district accepted, which takes no evidence (add_evidence: year.locked),
    # nor in a school year that is over (add_evidence: activity.year_over, said in its words instead)
    year_over = activities.year_over_refusal(act) if reg is not None and open_ and not locked else None
    takes_evidence = open_ and not locked and year_over is None
    mine = [(p, act) for p, _u in people if p.user_id == me]
    todo = (overview.waiting_on(me, school.id, mine, {act.type_key: settings})
            if reg is not None and mine and takes_evidence else [])
    todo_missing = todo[0].missing if todo else {}
    # a kind on what took place (``EvidenceKind.after_start``) is asked for but taken once the activity
    # has begun: said with its start, not offered by the form before it (``evidence_kinds_now``)
    taken_now = activities.evidence_kinds_now(reg.decl, act) if reg is not None and todo_missing else {}
    todo_later = {k: n for k, n in todo_missing.items() if k not in taken_now}
    todo_missing = {k: n for k, n in todo_missing.items() if k in taken_now}
    if evidence_form is None and reg is not None and takes_evidence:
        evidence_form = _evidence_form(act, reg, people, can_organize, default_kind=next(iter(todo_missing), None),
                                       organizer=organizer)
    if evidence_form is not None and reg is not None and not evidence_form.user_id.choices:
        evidence_form = None
    names = {u.id: u for _p, u in people}
    if organizer is not None:
        names[organizer.id] = organizer
    list_names = _list_names(history, names)
    definition = reg.engine.definition if reg else CORE
    steps = _steps(definition, act.state, registry().self_declared(act.type_key))
    checkin_ends = _checkin_ends(act, school, definition, allowed, len(people))
    would_get, hours_notice = _would_get(reg, act, people, settings)
    # a school admin may give it to another organiser (read only then: the form's choices)
    hand_to = (handover.candidates(act) if not locked and policy.may_hand_over(current_actor())
               and handover.may_be_handed_over(act) else None)
    clash_lines = clashes.lines(act, school)  # to who may organise it, while it takes attendance
    if times_form is None and _may_move(act, can_organize, locked, people, evidence):
        times_form = TimesForm(formdata=None, data={"starts_at": local_text(act.starts_at, zone_of(school)),
                                                    "ends_at": local_text(act.ends_at, zone_of(school))})
    return render_template(
        "activities/show.html",
        act=act,
        reg=reg,
        people=people,
        evidence=evidence,
        uncounted=uncounted,
        personal=_personal(act),
        names=names,
        list_names=list_names,
        organizer=organizer,
        history=history,
        returned=transitions.returned_in(act.type_key, history),  # the latest step sent it back: said at its steps
        refused=transitions.refused_in(act.type_key, history),  # refused in review (不予认定): who, when, why
        # declared again after a refusal: who refused it, when and why (to its reviewers and the admin)
        refused_before=transitions.refusals_told_to(current_actor(), act, zone_of(school)),
        # its certificate on another teacher's declaration too: whose (to its reviewers and the admin)
        shared_certificate=shared_certificates.told_to(current_actor(), act, zone_of(school)),
        next_steps=steps.next_steps,
        allowed=allowed,
        after_end=Joined([_trigger_label(act.type_key, t) for t in after_end], ", ") if after_end else None,
        # a cancel withheld because one's own unexcused absence is recorded on it: said, with who does it
        not_over_mine=Joined([_trigger_label(act.type_key, t) for t in not_over_mine], ", ") if not_over_mine else None,
        ask_for=ask_for,
        comment_required=steps.comment_required,
        reason_for=Joined([_trigger_label(act.type_key, t) for t in reason_for], ", ") if reason_for else None,
        going_back=steps.going_back,
        confirming=steps.confirming,
        # said before any question: a step that needs a comment, pressed with none, asks nothing yet
        # (a cancel that concerns others too: ``_reason_for_others``)
        needs_comment={t: comment_needed(t, act.type_key, for_others=t not in steps.comment_required)
                       for t in allowed if t in steps.comment_required or t in reason_for},
        checkin_ends=checkin_ends,
        details=details,
        gone_fields=gone_fields,
        fragment=fragment,
        diagram_svg=diagram.svg(definition, act.state),
        trigger_form=_shown_version(trigger_form or TriggerForm(formdata=None), act),
        evidence_form=evidence_form,
        trigger_error=trigger_error,
        missing=missing or [],
        can_organize=can_organize and open_,
        # check-in while it is open; the sheet once it took place too (the signed one is filed, reprinted)
        screen_link=runs_checkin and checkin.takes_checkin(phase),
        sheet_link=runs_checkin and checkin.prints_sheet(phase),
        year_locked=tr(coded("year.locked", year=SchoolYear.said(act.school_year))) if locked else "",
        # said beside the participants to who runs it, above the evidence to one taking part (no form there)
        year_over=tr(year_over) if year_over is not None else "",
        evidence_year_over=tr(year_over) if year_over is not None and mine and not can_organize else "",
        started=activities.has_started(act),
        lines=_lines(act, people, would_get, policy.may_read_private(current_actor(), act, personal=_personal(act))),
        hours_notice=hours_notice,
        line_rows=line_rows,
        todo_missing=todo_missing,
        todo_later=todo_later,
        starts_local=local_text(act.starts_at, zone_of(school)) if todo_later else None,
        has_signup=signup,  # False: no sign-up window (None: not known, the panel asks)
        hand_to=hand_to,
        handed_over=HANDED_OVER,
        handover_error=handover_error,
        confirm=ConfirmForm() if hand_to else None,  # the handover form's only
        times_form=times_form,
        first_day=activities.first_day_to_date(school) if times_form else None,
        signup_refused=signup_refused,
        clash_lines=clash_lines,
    ), status


def _may_move(act, can_organize: bool, locked: bool, people, evidence) -> bool:
    """Whether the page offers to move the activity to another time: what ``activities.reschedule``
    asks, read from what the page has loaded (a check-in it refuses when posted)."""
    return (can_organize and not locked and registry().phase(act.type_key, act.state).movable
            and not evidence and not any(activities.has_record(p) for p, _u in people))


@bp.route("/activities/<int:activity_id>/reschedule", methods=["POST"])
@login_required
def reschedule(activity_id: int):
    """Move the activity to another time (its organizer or a school admin, before it is held)."""
    school, act = _load(activity_id)
    form = TimesForm()  # its CSRF token is checked for every POST (CSRFProtect)
    try:
        activities.reschedule(act, current_user._get_current_object(), iso_local_text(form.starts_at.data or ""),
                              iso_local_text(form.ends_at.data or ""))
    except Invalid as exc:
        db.session.rollback()
        leftover = apply_errors(form, Invalid(exc.msg, {k: tr(v) for k, v in exc.fields.items()}))
        return _page(act, school, times_form=form, status=422,
                     trigger_error=refused_with(tr(exc), leftover))
    except Conflict as exc:
        db.session.rollback()
        return _page(act, school, trigger_error=tr(exc), status=exc.status)
    flash(_("The activity has moved to its new time."), "success")
    clashes.warn(act, school)
    return redirect(url_for("activities.show", activity_id=act.id))


def _participants_page(act, school, error: str | None = None, chosen: dict[str, list[str]] | None = None,
                       status: int = 200):
    """The page that changes an activity's list after planning: each person's role, taking someone
    off, and the planning form's picker to add people (those not on the list yet)."""
    if activities.is_declaration(act) or not policy.may_change_participants(current_actor(), act):
        abort(403)
    reg = registry().get(act.type_key)
    if reg is None:
        abort(404)
    people = activities.participants_with_users(act.id)
    on_list = {p.user_id for p, _u in people}
    open_ = registry().phase(act.type_key, act.state).editable
    locked = locks.is_locked(act.school_id, act.school_year, act.semester)
    # nor in a school year that is over (add_participants and the rest: activity.year_over)
    year_over = activities.year_over_refusal(act) if open_ and not locked else None
    changeable = open_ and not locked and year_over is None
    members, away = overview.members_and_away(school.id, act.starts_at) if changeable else ([], set())
    others = [u for u in members if u.id not in on_list]
    return render_template(
        "activities/participants.html", act=act, reg=reg, people=people, error=error, changeable=changeable,
        closed=tr(coded("activity.frozen", state=activities.state_text(act))) if not open_ else "",
        year_locked=tr(coded("year.locked", year=SchoolYear.said(act.school_year))) if locked else "",
        year_over=tr(year_over) if year_over is not None else "",
        picker=picker.options(school.id, others, away) if changeable else [],
        chosen=chosen or {},
        roles=[(key, reg.decl.role_label(key, lang_code())) for key in reg.decl.roles], form=ConfirmForm(),
    ), status


def _changed(act, school, change, chosen: dict[str, list[str]] | None = None) -> Any:
    """Run ``change`` (a write of the list); a refusal is shown on the participants page, in the
    viewer's language (``chosen``: the picker as it was posted), nothing written."""
    try:
        change()
    except (Invalid, Conflict, NotFound) as exc:
        db.session.rollback()
        problem = (exc.fields.get("participants") or exc.fields.get("role")) if isinstance(exc, Invalid) else None
        return _participants_page(act, school, error=tr(exc) + (_(": ") + tr(problem) if problem else ""),
                                  chosen=chosen, status=exc.status)
    return None


def _posted_user_id() -> int | None:
    raw = request.form.get("user_id", "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw[:12]) <= MAX_ID and len(raw) <= 12 else None


@bp.route("/activities/<int:activity_id>/participants", methods=["GET", "POST"])
@login_required
def participants(activity_id: int):
    """Change the list after planning (its organizer or a school admin): add people with the
    planning form's picker. Someone already on the list keeps their role here (changed on their row)."""
    school, act = _load(activity_id)
    if request.method == "GET":
        return _participants_page(act, school)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    reg = schools.require_type(act.type_key)
    members = overview.members(school.id)
    people, chosen, audience_errors = _participant_input(school.id, members, list(reg.decl.roles),
                                                         reg.decl.default_role, act.starts_at)
    on_list = {p.user_id for p, _u in activities.participants_with_users(act.id)}
    added = [p for p in people if p["user_id"] not in on_list]

    def add() -> None:
        if audience_errors:
            raise Invalid(coded("audience.refused"), {"participants": audience_errors})
        activities.set_participants(act, current_user._get_current_object(), added)

    refused = _changed(act, school, add, chosen)
    if refused is not None:
        return refused
    flash(_("Added to the list: %(n)s.", n=len(added)), "success")
    clashes.warn(act, school)
    return redirect(url_for("activities.participants", activity_id=act.id))


def _change_one(activity_id: int, change: Callable[[Any, int | None], None], done: str) -> Any:
    """A change of one person on the list posted from their row (``user_id``): ``change(act,
    uid)`` writes it; a refusal is shown on the participants page, else ``done`` is flashed."""
    school, act = _load(activity_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    uid = _posted_user_id()
    refused = _changed(act, school, lambda: change(act, uid))
    if refused is not None:
        return refused
    flash(done, "success")
    return redirect(url_for("activities.participants", activity_id=act.id))


@bp.route("/activities/<int:activity_id>/participants/role", methods=["POST"])
@login_required
def participant_role(activity_id: int):
    """Give someone on the list another role (their attendance kept)."""
    role = request.form.get("role", "")

    def change(act: Any, uid: int | None) -> None:
        if uid is None or uid not in {p.user_id for p, _u in activities.participants_with_users(act.id)}:
            raise NotFound(coded("participant.not_found"))
        activities.change_role(act, current_user._get_current_object(), uid, role)

    return _change_one(activity_id, change, _("The role has been changed."))


@bp.route("/activities/<int:activity_id>/participants/delete", methods=["POST"])
@login_required
def remove_participant(activity_id: int):
    """Take someone off the list (asked to confirm on the page); they are told."""

    def remove(act: Any, uid: int | None) -> None:
        if uid is None:
            raise NotFound(coded("participant.not_found"))
        activities.remove_participant(act, current_user._get_current_object(), uid)

    return _change_one(activity_id, remove, _("Taken off the list; they are told."))


class ParticipantLine(NamedTuple):
    """A row of the participant table as shown (hours written out, the role in words)."""

    username: str
    name: str
    role: str
    attended: str  # '—' when not recorded yet
    absent: str
    excused: str
    would_get: str  # '' when the type is not installed
    adjusted: str | None  # the reason when a reviewer adjusted the hours, else None


def _lines(act, people, would_get: dict[int, Decimal], reasons: bool = True) -> list[ParticipantLine]:
    """The participant table's cells, written out here: each role's words once per page, not
    once per row, and the template only places them (a page lists 60 people). The hours are
    a handful of distinct figures, each written once: they are gathered first (a loop without
    calls) and each row reads its words from a dict."""
    roles = {role: role_label(role, act.type_key) for role in {p.role for p, _u in people}}
    hours: dict[Any, str] = {}
    for p, _u in people:
        for value in (p.attended_hours, p.absent_hours, p.excused_hours,
                      would_get[p.user_id] if p.user_id in would_get else None):
            if value not in hours:
                hours[value] = fmt(value)
    return [
        ParticipantLine(
            u.username, u.display_name, roles[p.role],
            hours[p.attended_hours] if p.attended_hours is not None else "—", hours[p.absent_hours],
            hours[p.excused_hours], hours[would_get[p.user_id]] if p.user_id in would_get else "",
            # adjusted, said to all; why, to who reads the declaration's private part (``reasons``)
            ((p.adjust_reason or "") if reasons else "") if p.adjusted_hours is not None else None,
        )
        for p, u in people
    ]


def _would_get(reg, act, people, settings) -> tuple[dict[int, Decimal], Any]:
    """The hours crediting would give each participant, and the notice shown instead when the
    type's credit rule raises (reported with its plugin's name; the step stays refused); of an
    activity whose credits are posted, the hours credited (``credits.credited_hours``: as its
    学分认定表, not the rule asked again under settings changed since)."""
    credited = credit_service.credited_hours(act)
    if credited is not None:
        return {p.user_id: credited.get(p.user_id, Decimal("0")) for p, _u in people}, None
    if reg is None:
        return {}, None
    from portal.services.ledger import credit_hours_each

    parts = [p for p, _u in people]  # the rule asked once per distinct participant, not once per row
    try:
        with previewing():
            return dict(zip((p.user_id for p in parts), credit_hours_each(reg.type, act, parts, settings),
                            strict=True)), None
    except PluginStepFailed as exc:
        return {}, tr(exc.notice)


def _evidence_form(act, reg, people, can_organize: bool, formdata=None, default_kind: str | None = None,
                   organizer: Any = None) -> EvidenceForm:
    """The upload form; its kind defaults to the evidence the viewer still has to hand in
    (``organizer``: the activity's organizer as the page has read them, else read here)."""
    form = EvidenceForm(formdata=formdata) if formdata is not None else EvidenceForm(formdata=None)
    me = current_user.id
    if can_organize:
        choices = [(u.id, u.display_name) for _p, u in people]
        if act.organizer_id not in {c[0] for c in choices}:
            organizer = organizer if organizer is not None else db.session.get(User, act.organizer_id)
            if organizer is not None:
                choices.insert(0, (organizer.id, organizer.display_name + " · " + _("organizer")))
    else:
        choices = [(u.id, u.display_name) for _p, u in people if u.id == me]
    form.user_id.choices = [SelectChoice(v, label) for v, label in choices]
    lang = lang_code()
    form.kind.choices = [
        SelectChoice(k, v.label_en if lang == "en" else v.label_zh)
        for k, v in activities.evidence_kinds_now(reg.decl, act).items()
    ]
    if formdata is None and choices and any(c[0] == me for c in choices):
        form.user_id.data = me
    if formdata is None and default_kind is not None:
        form.kind.data = default_kind
    return form


@bp.route("/activities/<int:activity_id>", methods=["GET", "POST"])
@login_required
def show(activity_id: int):
    """The activity; a step (trigger) is posted here too, so that a refusal is shown in place,
    beside the buttons, with the activity's own address kept in the address bar."""
    if request.method == "POST":
        return trigger(activity_id)
    school = require_school()
    try:
        act, locked, signup, stored = access.get_activity_and_lock(activity_id, school.id)  # one statement for the four
    except NotFound:
        theirs = activity_school(activity_id)  # of another of their schools: say so, offer to switch
        if theirs is None:
            raise
        return render_template("activities/other_school.html", school=theirs, current=school,
                               activity_id=activity_id, form=ConfirmForm())
    return _page(act, school, locked=locked, signup=signup, stored_settings=stored)


@bp.route("/activities/<int:activity_id>/switch-school", methods=["POST"])
@login_required
def switch_to_its_school(activity_id: int):
    """Choose the activity's school (one of the viewer's) and open the activity there: the
    button of the page a link to another school's activity shows."""
    theirs = activity_school(activity_id)
    if theirs is None or not ConfirmForm().validate_on_submit() or not switch_school(theirs.id):
        abort(404)
    return redirect(url_for("activities.show", activity_id=activity_id))


def _shown_version(form: TriggerForm, act: Any) -> TriggerForm:
    """The form carries the version of the activity the page shows (again after a refusal: the
    page then shows the figures as they are now)."""
    form.version.data = str(act.version)
    return form


@bp.route("/activities/<int:activity_id>/trigger", methods=["POST"])
@login_required
def trigger(activity_id: int):
    school, act = _load(activity_id)
    form = TriggerForm()
    name = request.form.get("trigger", "")
    try:
        transitions.fire(act.id, school.id, current_user._get_current_object(), name, form.comment.data or "",
                         seen_version=form.version.data or None)
    except (GuardFailedError, Invalid, IllegalTransitionError, Conflict) as exc:
        db.session.rollback()
        if (step := transitions.taken_already(act.id, school.id, current_user.id, name, form.version.data or None)):
            # the form sent twice (a double tap, the back button): its first sending took the step
            flash(_("“%(title)s”: you already took the step “%(step)s” at %(when)s; sending it again changed nothing.",
                    title=act.title, step=_trigger_label(act.type_key, name), when=local_time(step.created_at)), "info")
            return redirect(url_for("activities.show", activity_id=act.id))
        return _refused_step(act, school, form, exc)
    taken = _trigger_label(act.type_key, name)
    done = step_hours_said(act.id, name)  # the hours it approved, posted or took back
    flash(_("Done: %(step)s.", step=taken) if done is None else _("Done: %(step)s, %(done)s.", step=taken, done=done),
          "success")
    return redirect(url_for("activities.show", activity_id=act.id))


def _refused_step(act: Any, school: Any, form: TriggerForm, exc: Exception):
    """The activity page again with why its step was refused."""
    if isinstance(exc, GuardFailedError):
        return _page(act, school, trigger_form=form, trigger_error=_("This step cannot be taken yet:"),
                     missing=exc.extra.get("missing", []), status=422)
    if isinstance(exc, Invalid) and "comment" in exc.fields:
        form.comment.errors = [tr(exc.fields["comment"])]
    return _page(act, school, trigger_form=form, trigger_error=tr(exc), status=getattr(exc, "status", 409))


@bp.route("/activities/<int:activity_id>/organizer", methods=["POST"])
@login_required
def hand_over(activity_id: int):
    """A school admin hands the activity to another organiser; a refusal is shown on its page."""
    school, act = _load(activity_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    raw = request.form.get("organizer_id", "").strip()
    chosen: Any = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else raw
    try:
        handover.hand_over(act, current_user._get_current_object(), chosen)
    except (Invalid, Conflict) as exc:
        db.session.rollback()
        problem = exc.fields.get("organizer_id") if isinstance(exc, Invalid) else None
        text = refused_with(tr(exc), [tr(problem)] if problem is not None else [])
        return _page(act, school, handover_error=text, status=exc.status)
    flash(_("The activity has been handed over."), "success")
    return redirect(url_for("activities.show", activity_id=act.id))


def _trigger_label(type_key: str, trigger: str) -> str:
    from portal.web.helpers import trigger_label

    return trigger_label(trigger, type_key)


@bp.route("/activities/<int:activity_id>/evidence", methods=["POST"])
@login_required
def add_evidence(activity_id: int):
    school, act = _load(activity_id)
    reg = schools.require_type(act.type_key)
    people = activities.participants_with_users(act.id)
    can_organize = policy.may_organise(current_actor(), act, declared=_personal(act))
    form = _evidence_form(act, reg, people, can_organize, formdata=request.form)
    upload = request.files.get("file")
    data = filename = None
    if upload is not None and upload.filename:
        filename = upload.filename
        data = upload.read()
    try:
        user_id = int(request.form.get("user_id", current_user.id))
    except ValueError:
        user_id = current_user.id
    try:
        activities.add_evidence(
            act,
            current_user._get_current_object(),
            user_id,
            request.form.get("kind", ""),
            title=form.title.data or "",
            text=form.text.data or None,
            filename=filename,
            data=data,
        )
    except Invalid as exc:
        db.session.rollback()
        leftover = apply_errors(form, Invalid(exc.msg, {k: tr(v) for k, v in exc.fields.items()}))
        trigger_error = refused_with(tr(exc), leftover)
        return _page(act, school, evidence_form=form, trigger_error=trigger_error, status=422)
    flash(_("The evidence has been saved."), "success")
    return redirect(url_for("activities.show", activity_id=act.id) + "#evidence")


@bp.route("/evidence/<int:evidence_id>")
@login_required
def evidence_file(evidence_id: int):
    school = require_school()
    ev = db.session.get(Evidence, evidence_id)
    if ev is None:
        abort(404)
    act = access.get_activity(ev.activity_id, school.id)  # another school's evidence: 404
    if not policy.may_open_evidence(current_actor(), act, ev.user_id, _personal(act)):
        abort(403)
    path = activities.evidence_path(ev)
    if path is None or not path.exists():
        abort(404)
    return send_file(
        path, mimetype=stored_mimetype(ev), as_attachment=True,
        download_name=ev.filename or path.name,
    )


@bp.route("/activities/<int:activity_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(activity_id: int):
    school, act = _load(activity_id)
    people = activities.participants_with_users(act.id)  # one query for every participant
    # everyone counted by their attendance as saved, as the review queue's card counts them
    tally = tally_said(activities.attendance_tally(p for p, _u in people))
    checked = checkin.checked_in(act.id)  # QR check-ins, shown beside the record
    form = TriggerForm()  # only for the CSRF token
    values: dict[int, dict[str, str]] = {}
    errors: dict[int, dict[str, str]] = {}
    general: str | None = None
    status = 200
    # one's own row is another's to record (policy.may_record_own_attendance): shown, not sent
    own = next((p for p, _u in people if p.user_id == current_user.id), None)
    not_mine = own.user_id if own is not None and not policy.may_record_own_attendance(
        current_actor(), act, recorded=activities.has_record(own)) else None
    # who records it then, named: the organiser their own row once (said before), a school admin after;
    # anyone else its organiser (or another school admin)
    own_once = own is not None and not_mine is None
    own_other_admin = (own_once or not_mine is not None) and policy.own_row_is_another_admins(current_actor())
    own_by = (None if not_mine is None or act.organizer_id == current_user.id
              else next((u for p, u in people if p.user_id == act.organizer_id), None)
              or db.session.get(User, act.organizer_id))
    # what the save would refuse (reviewed, not started, its school year over, its semester
    # accepted): the page says why, and offers no fill, no field to change and no save
    closed = not registry().phase(act.type_key, act.state).editable
    not_started = not activities.has_started(act)
    year_over = tr(over) if (over := activities.year_over_refusal(act)) else None
    year_locked = (tr(coded("year.locked", year=SchoolYear.said(act.school_year)))
                   if locks.is_locked(act.school_id, act.school_year, act.semester) else "")
    savable = not (closed or not_started or year_over or year_locked)
    if request.method == "POST":
        rows: list[dict[str, Any]] = []
        for p, _u in people:
            if p.user_id == not_mine:
                values[p.user_id] = {"attended_hours": _plain(p.attended_hours), "absent_hours": _plain(p.absent_hours),
                                     "excused_hours": _plain(p.excused_hours)}
                continue
            row = {
                "user_id": p.user_id,
                "attended_hours": request.form.get(f"attended-{p.user_id}", "").strip(),
                "absent_hours": request.form.get(f"absent-{p.user_id}", "").strip() or "0",
                "excused_hours": request.form.get(f"excused-{p.user_id}", "").strip() or "0",
            }
            rows.append(row)
            values[p.user_id] = {k: str(v) for k, v in row.items()}
        try:
            activities.record_attendance(act, current_user._get_current_object(), rows)
        except Conflict as exc:  # e.g. the activity has not started yet
            db.session.rollback()
            status, general = exc.status, tr(exc)
        except Invalid as exc:
            db.session.rollback()
            status = 422
            general = tr(exc)
            per_row = exc.fields.get("attendance")
            if isinstance(per_row, dict):
                for index, err in per_row.items():
                    try:
                        uid = rows[int(index)]["user_id"]
                    except (ValueError, IndexError):
                        continue
                    errors[uid] = {k: tr(v) for k, v in err.items()} if isinstance(err, dict) else {"attended_hours": tr(err)}
        else:
            flash(_("Attendance has been saved."), "success")
            return redirect(url_for("activities.show", activity_id=act.id))
    else:
        if not policy.may_record_attendance(current_actor(), act):
            abort(403)
        for p, _u in people:
            # nothing recorded yet and checked in by QR: offer full attendance, for the organizer to
            # confirm (where it can be saved: else what is recorded, nothing filled in)
            attended = (act.hours if savable and p.attended_hours is None and p.user_id in checked
                        else p.attended_hours)
            values[p.user_id] = {
                "attended_hours": _plain(attended),
                "absent_hours": _plain(p.absent_hours),
                "excused_hours": _plain(p.excused_hours),
            }
    return render_template(
        "activities/attendance.html", act=act, people=people, values=values, errors=errors, general=general, form=form,
        checked=checked, not_mine=not_mine, own_once=own_once, own_by=own_by, own_other_admin=own_other_admin,
        tally=tally, closed=closed, not_started=not_started, year_over=year_over, year_locked=year_locked,
        savable=savable,
    ), status


def _plain(value) -> str:
    from portal.hours import fmt

    return fmt(value) if value is not None else ""
