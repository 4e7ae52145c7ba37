"""The reviewer's queue: held activities oldest first with evidence and hours side by side;
approve (optionally adjusting hours), return with a comment, approve several at once, and
post credits for reviewed activities."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import escape
from sqlalchemy import select

from portal import policy
from portal.current import allowed, current_actor, current_roles, require_school
from portal.errors import DomainError, GuardFailedError
from portal.extensions import db
from portal.hours import BadHours, parse_hours
from portal.i18n import lang_code
from portal.messages import msg, tr
from portal.models import DISTRICT_ROLES, Activity
from portal.once import Memo
from portal.registry import registry
from portal.security import MAX_ID
from portal.services import access, overview, shared_certificates, transitions
from portal.services.activities import participants_with_users
from portal.sorting import by_pinyin
from portal.timeutil import zone_of
from portal.web.forms import ConfirmForm
from portal.web.helpers import (
    FLASH_AT,
    comment_needed,
    confirm_question,
    evidence_kind_label,
    flash_at,
    id_url,
    local_time,
    role_label,
    state_label,
    step_hours_said,
    trigger_label,
    type_name,
)
from portal.web.queue_cards import BULK_APPROVE, BULK_CREDIT, QueueCards, Typed
from workflows.definition import Phase, Transition

bp = Blueprint("review", __name__)


@bp.route("/review")
@allowed(policy.may_review)
def queue():
    return _queue_page()


class _Filters(NamedTuple):
    """The queue's filters as this request asks for them (``?type=``, ``?organizer=``), and those
    of them the queue has: only these are bound, shown and carried by the page's links."""

    type_key: str | None  # the type asked for (any text: bound as a value, never written into SQL)
    organizer: int | None  # the organiser asked for, an id in range (another value: None, bad_organizer)
    bad_type: bool = False
    bad_organizer: bool = False

    @classmethod
    def asked(cls) -> _Filters:
        wanted = request.args.get("type") or None
        raw = request.args.get("organizer") or None
        who = int(raw) if raw is not None and raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_ID)) else None
        who = who if access.id_in_range(who) else None
        return cls(wanted if wanted is None or len(wanted) <= _TYPE_KEY_MOST else None, who,
                   wanted is not None and len(wanted) > _TYPE_KEY_MOST, raw is not None and who is None)

    def judged(self, sections: overview.QueueSections) -> _Filters:
        """These filters, each refused that is not among the queue's: a type the school has
        enabled or that has cards in its queue (one it disabled since, or no longer installed),
        an organiser with activities in it."""
        types = set(sections.enabled) | {w.type_key for w in sections.waiting}
        people = {w.organizer_id for w in sections.waiting}
        bad_type = self.bad_type or (self.type_key is not None and self.type_key not in types)
        bad_organizer = self.bad_organizer or (self.organizer is not None and self.organizer not in people)
        return _Filters(None if bad_type else self.type_key, None if bad_organizer else self.organizer,
                        bad_type, bad_organizer)


_TYPE_KEY_MOST = getattr(Activity.__table__.c.type_key.type, "length", None) or 64  # a longer ?type= is no type


def _queue_page(typed: Typed | None = None) -> tuple[str, int]:
    """Three sections, each a page of a fixed number of activities oldest first (keyset links:
    ``after``/``before`` for the held, ``rafter``/``rbefore`` for the reviewed, ``cafter``/
    ``cbefore`` for the reviewed of a school year closed to credits: nothing is left to do on
    them here, and they are counted apart with why); the counts of each and the school's type
    settings come with them (one statement). ``typed``: what the reviewer typed on a card whose
    decision was just refused, shown on it again. ``?type=``, ``?organizer=``: the sections and
    their counts of that type and organiser only; one that is not among the queue's is refused
    (422) and the queue shown without it, with why; the page's links carry only the others."""
    school = require_school()
    args = request.args
    first = transitions.first_year_to_credit(school)  # hours of a year before it are no longer posted
    asked = _Filters.asked()
    sections = _read_sections(school.id, first, asked)
    filters = asked.judged(sections)
    bad = filters.bad_type or filters.bad_organizer
    if (asked.type_key, asked.organizer) != (filters.type_key, filters.organizer):
        sections = _read_sections(school.id, first, filters)  # a filter bound was refused: the queue without it
    (held, reviewed, closed), settings = sections.pages, sections.settings
    held_count, reviewed_count, closed_count = sections.section_counts
    # the reviewed section shows counts and totals only: evidence and ceilings for the held
    me, roles = current_user.id, current_roles() - set(DISTRICT_ROLES)
    # a held card lists by name those not on the plain rule, everyone one click away (``?people=``);
    # a card whose decision was refused is listed whole: the hours typed in it are shown again
    asked_whole, bad_people = _people_asked()
    everyone = asked_whole | ({typed.activity_id} if typed is not None else set())
    items = overview.queue_items(school.id, held.items + reviewed.items + closed.items,
                                 detailed=[a.id for a, _u in held.items], settings=settings, viewer=me,
                                 everyone=everyone)
    closed_items = items[len(held.items) + len(reviewed.items):]
    items = items[: len(held.items) + len(reviewed.items)]
    held_items, reviewed_items = items[: len(held.items)], items[len(held.items) :]
    fixed = _page_constants()
    adjusting = fixed.adjusting
    # what the viewer may do with each (its buttons, whether it is selectable for a bulk action): the
    # page read whether the viewer takes part; no activity of a locked year is on it
    # (``overview._waiting``: read with the activities, in the same statement)
    # who had a hand in each before (handed over from them, held by them); whether a held card's latest step
    # returned it; a declaration declared again after a refusal: its card says who refused it, when and why
    # (one statement for the three)
    before, returned, refused = transitions.queue_history(
        school.id, [item.activity for item in items], [item.activity for item in held_items], zone_of(school))
    allowed = transitions.allowed_triggers_each(
        [item.activity for item in items], me, roles, {item.activity.id: item.takes_part for item in items},
        dict.fromkeys((item.activity.id for item in items), False), before,
    )
    # a declaration whose certificate file or number is on another teacher's standing declaration: its
    # card names theirs, as its page does (one statement whenever a held card is a declaration, whatever
    # its files and number; none on a page without one, round 61)
    shared = shared_certificates.told_to_each(
        current_actor(), school.id, [item.activity for item in held_items],
        {item.activity.id: [shared_certificates.FileRow(e.stored_name, e.size, e.likeness) for e in item.files]
         for item in held_items}, zone_of(school))
    for item in held_items:
        item.allowed = allowed[item.activity.id]
        item.returned = returned.get(item.activity.id)
        item.refused_before = refused.get(item.activity.id, ())
        item.shared = shared.get(item.activity.id, ())
        earlier = before.get(item.activity.id, access.NOBODY_EARLIER)
        item.own = me == item.activity.organizer_id or me in earlier.people or item.takes_part
        item.handed_in = item.own and me in earlier.handed_in and not (
            me == item.activity.organizer_id or me in earlier.organisers | earlier.recorders or item.takes_part)
        item.adjustable = any(t in adjusting for t in item.allowed)
    for item in reviewed_items:
        item.allowed = allowed[item.activity.id]
    paging = _paging(filters)  # the page the reviewer is on: its forms come back to it
    # with the cards of it listed whole still listed whole (an id of no card here: not carried on)
    if open_here := [aid for aid in paging.pop("people", ()) if any(item.activity.id == aid for item in held_items)]:
        paging["people"] = open_here
    cards = functools.partial(
        QueueCards,
        labels=_labels(held_items, reviewed_items),
        show_url=fixed.show_url,
        decide_url=_at_card(fixed.decide_url, urlencode(paging, doseq=True)),
        # a card listed whole as well as those open already (``?people=`` once each): none closes
        people_url=_at_card(lambda aid: f"{fixed.queue_url}?{_opening(paging, open_here, aid)}"),
        evidence_url=fixed.evidence_url,
        adjusting=adjusting,
        commenting=fixed.commenting,
        when=functools.partial(local_time, tz=zone_of(school)),  # the school's zone found once, not per card
        typed=typed,
    )
    words = _words_of(lang_code())
    # why hours of a year are no longer posted (``credit.year_over``, the years in words), asked once a year
    # (plain text: the template and the cards escape it)
    why = Memo(lambda year: None if transitions.may_credit_in(year, school)
               else tr(transitions.year_over_text(year, first)))
    for item in held_items:  # approving one of a year closed to credits posts nothing: its card says so
        if (closed_why := why[item.activity.school_year]) is not None:
            item.closed_year = _("Approving it posts no hours: %(why)s", why=closed_why)
    return render_template(
        "review/queue.html",
        types=_type_choices(sections, words, filters),  # the filters' choices, each narrowed by the other
        organizers=_organizer_choices(sections, filters),
        type_shown=filters.type_key,
        organizer_shown=filters.organizer,
        drop={key: None for key in ("type", "organizer") if key not in paging},  # what the pagers repeat not
        bad_type=escape(_("There is no activity type “%(type)s” enabled at your school or in its review queue: it is "
                          "shown for every type. Choose one of the types in the list.", type=args.get("type")))
        if filters.bad_type else None,
        bad_organizer=escape(_("There is no organizer “%(who)s” with activities in your school's review queue: it "
                               "is shown for every organizer. Choose one in the list.", who=args.get("organizer")))
        if filters.bad_organizer else None,
        bad_people=escape(_("“%(value)s” is not an activity of the review queue whose people could be listed: "
                            "the cards are shown as usual.", value=bad_people)) if bad_people is not None else None,
        held=held_items,
        reviewed=reviewed_items,
        # each with its type's name and why (``credit.year_over``: the years in words)
        closed=[(item, words("type", item.activity.type_key, ""), why[item.activity.school_year])
                for item in closed_items],
        held_page=held,
        reviewed_page=reviewed,
        closed_page=closed,
        held_count=held_count,
        reviewed_count=reviewed_count,
        closed_count=closed_count,
        form=ConfirmForm(),
        bulk_url=url_for("review.bulk", **paging),
        flash_pending=bool(session.get(FLASH_AT)),  # messages beside an activity: asked only if any wait
        queue_cards=cards,  # the template adds its words, the CSRF field and its message macro
        own_refusal=escape(tr(msg(policy.OWN_ACTIVITY_REFUSAL))),  # why one's own card has no decision
        handed_in_refusal=escape(tr(msg(policy.HANDED_IN_REFUSAL))),  # and one whose evidence they handed in
        # a bulk button only where some row of the page can be selected for it
        bulk_approve=any(BULK_APPROVE in item.allowed for item in held_items),
        bulk_credit=any(BULK_CREDIT in item.allowed for item in reviewed_items),
        bulk_actions={"approve": BULK_APPROVE, "credit": BULK_CREDIT},  # the triggers the bulk forms fire
    ), 422 if bad or bad_people is not None else 200


def _read_sections(school_id: int, first: str, filters: _Filters, paged: bool = True) -> overview.QueueSections:
    """The queue's three sections (``_queue_page``) bound to ``filters``, on the pages this request
    asks for (``paged``; else the first ones: the statement built once)."""
    args = request.args if paged else {}
    return overview.review_sections(school_id, (
        (Phase.AWAITING_REVIEW, args.get("after"), args.get("before")),
        (Phase.CONFIRMED, args.get("rafter"), args.get("rbefore"), overview.OPEN_YEARS),
        (Phase.CONFIRMED, args.get("cafter"), args.get("cbefore"), overview.CLOSED_YEARS),
    ), type_key=filters.type_key, organizer_id=filters.organizer, first_year=first)


def _type_choices(sections: overview.QueueSections, words: Callable[[str, str, str], str],
                  filters: _Filters) -> list[tuple[str, str]]:
    """The type filter's choices: the school's enabled types and any other with cards in its
    queue (disabled since they were held, or no longer installed: named as the pages name them),
    installed ones in the registry's order, then the others by key. With an organiser chosen
    (``filters``), only the types they have cards of in the queue (and the type chosen): no
    choice leads to an empty queue."""
    installed = registry().types
    waiting = {w.type_key for w in sections.waiting}
    keys = [*sections.enabled, *(k for k in installed if k in waiting and k not in sections.enabled),
            *sorted(k for k in waiting if k not in installed)]
    if filters.organizer is not None:
        theirs = {w.type_key for w in sections.waiting if w.organizer_id == filters.organizer}
        keys = [k for k in keys if k in theirs or k == filters.type_key]
    return [(key, words("type", key, "")) for key in keys]


def _organizer_choices(sections: overview.QueueSections, filters: _Filters) -> list[tuple[int, str]]:
    """The organiser filter's choices: who organises activities in the queue, in pinyin order;
    with a type chosen (``filters``), who organises activities of that type in it (and the
    organiser chosen): no choice leads to an empty queue."""
    found = {w.organizer_id: w.organizer_name or "" for w in sections.waiting if w.organizer_id is not None
             and (filters.type_key is None or w.type_key == filters.type_key or w.organizer_id == filters.organizer)}
    return by_pinyin(found.items(), lambda pair: pair[1])


class _PageConstants(NamedTuple):
    """What the queue's cards need that depends only on the app (its installed types' code and
    routes) and the URL root: built once per app and root, not on every request."""

    adjusting: frozenset[str]  # triggers that adjust hours (the approve button's style, the inputs)
    commenting: frozenset[str]  # triggers that need a comment (the return button's style)
    show_url: Callable[[int], str]
    decide_url: Callable[[int], str]
    evidence_url: Callable[[int], str]
    queue_url: str


def _page_constants() -> _PageConstants:
    kept = current_app.extensions.setdefault("yanxiu.queue_constants", {})
    found = kept.get(request.script_root)
    if found is None:
        found = kept[request.script_root] = _PageConstants(
            frozenset(_triggers_where(lambda t: t.adjusts_hours)),
            frozenset(_triggers_where(lambda t: t.comment_required)),
            id_url("activities.show", "activity_id"),
            id_url("review.decide", "activity_id"),
            id_url("activities.evidence_file", "evidence_id"),
            url_for("review.queue"),
        )
    return found


def _at_card(url: Callable[[int], str], query: str = "") -> Callable[[int], str]:
    """A decide form's address with the page's ``query`` (its paging) and its card's anchor: a
    refused decision is answered in place (the queue again, 422, on the same page) and the
    browser shows the card it was made on."""
    query = f"?{query}" if query else ""
    return lambda activity_id: f"{url(activity_id)}{query}#activity-{int(activity_id)}"


#: the queue's paging arguments and its filters (``_queue_page``): a decision's answer is the
#: page it was made on, of the type and organiser it was filtered to
_PAGING = ("after", "before", "rafter", "rbefore", "cafter", "cbefore", "type", "organizer")


def _opening(paging: dict[str, Any], open_here: list[int], activity_id: int) -> str:
    """The query of a card's 全部列出 link: the page's paging with the cards listed whole on it
    and this one (a second card opened keeps the first open)."""
    return urlencode({**paging, "people": sorted({*open_here, activity_id})}, doseq=True)


def _people_asked() -> tuple[set[int], str | None]:
    """The held cards to list whole (``?people=<activity id>``, any number), and the first value
    that is no activity's id (refused: the page says so, 422, and lists no card whole for it). An
    id of no card on the page lists none and is not refused: a link kept from before a decision
    took its card out of the queue (or to another page) is no mistake of the reviewer's."""
    ids: set[int] = set()
    for raw in request.args.getlist("people"):
        if not raw:  # an empty value asks nothing, as an empty filter does
            continue
        if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_ID)) and access.id_in_range(int(raw))):
            return ids, raw
        ids.add(int(raw))
    return ids, None


def _paging(filters: _Filters | None = None) -> dict[str, Any]:
    """The paging arguments of this request that have a value; with the page's ``filters``, not
    those it refused (a link repeats only what the queue has). The held cards listed whole
    (``?people=``, those that are ids) come with them: a decision on another card returns to the
    page with them still open (one decided out of the queue lists no one: ``_people_asked``)."""
    refused = {"type"} if filters is not None and filters.bad_type else set()
    refused |= {"organizer"} if filters is not None and filters.bad_organizer else set()
    paging: dict[str, Any] = {key: value for key in _PAGING if key not in refused and (value := request.args.get(key))}
    if people := sorted(_people_asked()[0]):
        paging["people"] = people
    return paging


def _back_to_queue():
    """The queue again, on the page the decision was made on, with the filters it asked for
    that the queue has now (a hand-made or stale one is left out: the answer repeats only what
    the queue's page would; the decision is made, or refused, as without it)."""
    return redirect(url_for("review.queue", **_paging(_filters_now())))


def _filters_now() -> _Filters | None:
    """The filters this request carries, judged against the queue as it is now (``_Filters.judged``:
    its first pages read once, only when a filter is asked); None when none is."""
    asked = _Filters.asked()
    if asked.type_key is None and asked.organizer is None:
        return asked if asked.bad_type or asked.bad_organizer else None  # refused by its form alone
    school = require_school()
    first = transitions.first_year_to_credit(school)
    return asked.judged(_read_sections(school.id, first, _Filters(None, None), paged=False))


def _labels(held: list[overview.QueueItem], reviewed: list[overview.QueueItem]) -> dict[str, dict[str, Any]]:
    """The words of the page by activity type, looked up once per page rather than once per
    row or button: ``name`` of the type, ``triggers`` (labels of the buttons shown), ``roles``
    and ``kinds`` (evidence) of the held activities' participants. Each word is the type's
    (its code's) in the viewer's language, kept per app and language."""
    words = _words_of(lang_code())
    out: dict[str, dict[str, Any]] = {}

    def of(key: str) -> dict[str, Any]:
        if key not in out:
            out[key] = {"name": words("type", key, ""), "triggers": {}, "roles": {}, "kinds": {}, "needs": {}, "asks": {}}
        return out[key]

    for item in held:
        key = item.activity.type_key
        mine = of(key)
        for t in item.allowed:
            mine["triggers"][t] = words("trigger", key, t)
            if needs := words("needs", key, t):  # said before any question, beside the comment
                mine["needs"][t] = needs
            if asks := words("asks", key, t):  # a step that loses hours asks here as on its page
                mine["asks"][t] = asks
        roles = {qp.person.role for qp in item.participants} | {g.role for g in item.plain}
        kinds = ({e.kind for e in item.activity_evidence} | {e.kind for qp in item.participants for e in qp.evidence}
                 | {kind for qp in item.participants if qp.short for kind in qp.short})
        for role in roles:
            mine["roles"][role] = words("role", key, role)
        for kind in kinds:
            mine["kinds"][kind] = words("kind", key, kind)
    for item in reviewed:
        of(item.activity.type_key)["triggers"][BULK_CREDIT] = words("trigger", item.activity.type_key, BULK_CREDIT)
    return out


_LABEL_OF: dict[str, Callable[[str, str], str]] = {
    "type": lambda key, _word: type_name(key),
    "trigger": lambda key, word: trigger_label(word, key),
    "role": lambda key, word: role_label(word, key),
    "kind": lambda key, word: evidence_kind_label(word, key),
    "needs": lambda key, word: comment_needed(word, key) if _transition(key, word).comment_required else "",
    "asks": lambda key, word: confirm_question(why) if (why := _why_confirm(key, word)) else "",
}


def _transition(key: str, trigger: str) -> Transition:
    return registry().definition(key).transition(trigger)


def _why_confirm(key: str, trigger: str) -> str | None:
    return registry().definition(key).why_confirm(_transition(key, trigger))


def _words_of(lang: str) -> Callable[[str, str, str], str]:
    """The label of a (what, type, word) in ``lang``: ``helpers``' label functions asked once
    per app (its installed types' code) and language, the answers kept with the app."""
    known = current_app.extensions.setdefault("yanxiu.queue_words", {}).setdefault(lang, {})

    def word(what: str, key: str, value: str) -> str:
        try:
            return known[(what, key, value)]
        except KeyError:
            known[(what, key, value)] = found = _LABEL_OF[what](key, value)
            return found

    return word


def _triggers_where(test) -> set[str]:
    """Trigger names of any installed type whose transition passes ``test`` (button styles)."""
    reg = registry()
    return {t.trigger for key in [None, *reg.keys()] for t in reg.definition(key).transitions if test(t)}


class Already(NamedTuple):
    """A decision sent again that its first sending made (``transitions.taken_already``): said
    as done, not refused."""

    text: str


def _fire(activity_id: int, trigger: str, comment: str = "", hours: dict | None = None,
          seen_version: str | None = None) -> str | Already | None:
    """Fire one trigger; return None on success, :class:`Already` when the reviewer had just
    taken this very step (the form sent twice), or the reason it was refused. ``seen_version``:
    the activity's version the page was made with (a form without one, from before, is not asked)."""
    school = require_school()
    try:
        transitions.fire(activity_id, school.id, current_user._get_current_object(), trigger, comment, hours or None,
                         seen_version=seen_version or None)
    except DomainError as exc:
        db.session.rollback()
        step = transitions.taken_already(activity_id, school.id, current_user.id, trigger, seen_version or None)
        if step is not None:
            act = access.get_activity(activity_id, school.id)
            return Already(_("“%(title)s”: you already took the step “%(step)s” at %(when)s; sending it again "
                             "changed nothing.", title=act.title, step=trigger_label(trigger, act.type_key),
                             when=local_time(step.created_at, tz=zone_of(school))))
        return _refusal(activity_id, exc)
    return None


def _refusal(activity_id: int, exc: DomainError) -> str:
    """Why a step was refused, in words."""
    if isinstance(exc, GuardFailedError):
        return tr(exc.extra.get("missing", [])) or tr(exc)  # joined as the reader's language joins
    fields = getattr(exc, "fields", {})
    if "comment" in fields:
        return tr(fields["comment"])
    if isinstance(fields.get("hours"), dict):
        return _hours_errors(activity_id, fields["hours"])
    return tr(exc)


def _hours_errors(activity_id: int, errors: dict[str, str]) -> str:
    """Refused adjustments by participant name, e.g. "赵子涵：最多 4 学时"."""
    names = {str(p.user_id): u.display_name for p, u in participants_with_users(activity_id)}
    return tr({names.get(uid, uid): msg for uid, msg in errors.items()})


def _adjustments() -> dict[str, str]:
    """Hours the reviewer changed: ``hours-<user id>`` differing from ``would-<user id>``.

    Unchanged rows are left out, so approving without edits adjusts nothing; the service
    checks the changed values (and asks for a reason).
    """
    out: dict[str, str] = {}
    for key, value in request.form.items():
        if not key.startswith("hours-"):
            continue
        uid = key[len("hours-"):]
        before = request.form.get(f"would-{uid}", "")
        value = value.strip()
        if value == before.strip():
            continue
        try:
            if parse_hours(value) == parse_hours(before):
                continue
        except BadHours:
            pass
        out[uid] = value
    return out


@bp.route("/review/<int:activity_id>", methods=["POST"])
@allowed(policy.may_review)
def decide(activity_id: int):
    act = access.get_activity(activity_id, require_school().id)  # another school's activity: 404
    action = request.form.get("action", "")
    comment = request.form.get("comment", "")
    step = _step(act.type_key, action)
    if step is None:
        flash(_("That is not a step of this activity: choose one of the buttons on its card."), "danger")
        return _back_to_queue()
    hours = _adjustments() if step.adjusts_hours else {}
    error = _fire(activity_id, action, comment, hours, request.form.get("version"))
    _report(act.id, act.title, error, action, act.type_key)
    if error and not isinstance(error, Already):
        # the queue again with the refusal beside the card and what was typed still in it: the
        # hours the reviewer changed; a box left as it was shows the figure as it is now (the
        # organiser's attendance may have moved since the page was read: "已有变动，请重新查看")
        return _queue_page(Typed(activity_id, comment, _adjustments()))[0], 422
    return _back_to_queue()


def _report(activity_id: int, title: str, error: str | Already | None, trigger: str, type_key: str) -> None:
    """A refusal beside the activity's card, in words; a success at the top, by title, with the
    step taken and the state it left the activity in (a step sent twice: that it was taken already)."""
    if isinstance(error, Already):
        flash(error.text, "info")
    elif error:
        flash_at(f"activity-{activity_id}", error, "danger")
    else:
        state = db.session.execute(select(Activity.state).where(Activity.id == activity_id)).scalar_one()
        step, now = trigger_label(trigger, type_key), state_label(state, type_key)
        done = step_hours_said(activity_id, trigger)  # the hours it approved, posted or took back
        flash(_("“%(title)s”: step “%(step)s” taken; it is now “%(state)s”.", title=title, step=step, state=now)
              if done is None else
              _("“%(title)s”: step “%(step)s” taken, %(done)s; it is now “%(state)s”.", title=title, step=step,
                done=done, state=now), "success")


def _step(type_key: str, trigger: str) -> Transition | None:
    """The transition ``trigger`` of the type's workflow, or None if it has no such trigger."""
    try:
        return registry().definition(type_key).transition(trigger)
    except KeyError:
        return None


@bp.route("/review/bulk", methods=["POST"])
@allowed(policy.may_review)
def bulk():
    action = request.form.get("action", "")
    if action not in (BULK_APPROVE, BULK_CREDIT):
        flash(_("Choose approve or post credits."), "danger")
        return _back_to_queue()
    ids = []
    for raw in request.form.getlist("ids"):
        try:
            activity_id = int(raw)
        except ValueError:
            continue
        if -MAX_ID <= activity_id <= MAX_ID:  # beyond any id: no such activity, like a non-number
            ids.append(activity_id)
    if not ids:
        flash(_("Select at least one activity."), "warning")
        return _back_to_queue()
    done = 0
    titles = {
        aid: (title, type_key) for aid, title, type_key in db.session.execute(
            select(Activity.id, Activity.title, Activity.type_key)
            .where(Activity.id.in_(ids), Activity.school_id == require_school().id)
        ).all()
    }
    refused: dict[str, list[str]] = {}  # each refusal's words: the titles it refused
    for activity_id in dict.fromkeys(ids):
        error = _fire(activity_id, action, seen_version=request.form.get(f"version-{activity_id}"))
        title, type_key = titles.get(activity_id, ("", ""))
        _report(activity_id, title, error, action, type_key)
        if error and not isinstance(error, Already):
            refused.setdefault(error, []).append(title)
        else:
            done += 1
    flash(ngettext("%(done)s of %(num)s activity done.", "%(done)s of %(num)s activities done.", len(set(ids)),
                   done=done), "info")
    # why the others were not, at the top too (their cards may be on another page, or gone): one
    # line for each refusal's words, after the titles it refused (none known: not found, the words alone)
    for reason, refused_titles in refused.items():
        named = _(", ").join(f"“{t}”" for t in refused_titles if t)
        flash(_("Not done: %(why)s", why=_("%(name)s: %(message)s", name=named, message=reason) if named else reason),
              "warning")  # the card's own says it "danger"
    return _back_to_queue()
