"""Template helpers: links to pages that may not exist yet, labels of types, states and
roles in the viewer's language, hours and local times."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from types import ModuleType, SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from flask.globals import _cv_request
from flask_babel import gettext, ngettext
from flask_login import current_user
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from werkzeug.routing import BuildError

from portal import assessment, i18n, messages, url_rules, year_texts
from portal.current import current_roles, current_school, may, unread_notifications, user_schools
from portal.hours import fmt
from portal.i18n import gettext as _
from portal.once import once_each
from portal.page_cache import navigation_bar
from portal.registry import registry
from portal.services import activities, corrections, credits, plans, school_plans, submissions, transitions
from portal.timeutil import local_text, to_local, utcnow, zone_of
from portal.web import picker
from workflows.definition import Phase

LINKS = "yanxiu.links"
LINKS_KEPT = 4096


def site_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` for the links every page repeats (the layout's assets
    and navigation): a URL depends only on the app's routes and the request's script root, so
    it is built once per app and script root, not on every page."""
    ctx = _cv_request.get()  # the request's context read once, not through two proxies (28 links a page)
    known: dict[tuple, str] = ctx.app.extensions.setdefault(LINKS, {})
    key = (ctx.request.script_root, endpoint, tuple(sorted(values.items())) if values else ())
    try:
        return known[key]
    except KeyError:
        if len(known) >= LINKS_KEPT:  # links with ids (a teacher's record) are many: start again
            known.clear()
        known[key] = url = url_for(endpoint, **values)
        return url


def nav_url(endpoint: str, **values: Any) -> str | None:
    """The URL of ``endpoint``, or None while no blueprint registers it."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return site_url(endpoint, **values)
    except BuildError:
        return None


def type_name(key: str) -> str:
    return registry().name(key)


def state_label(state: str, type_key: str | None = None) -> str:
    """A state's label in the viewer's language; without a type, any installed type's
    (:meth:`TypeRegistry.state_name`: never the bare key)."""
    return registry().state_name(type_key, state)


def state_declared(state: str, type_key: str | None) -> bool:
    """Whether the type's installed workflow knows ``state`` (else it is taken as closed)."""
    return registry().declares(type_key, state)


def trigger_label(trigger: str, type_key: str | None = None) -> str:
    return registry().step_name(type_key, trigger)


def tally_said(attendance: activities.AttendanceTally, adjusted: int = 0, short: int = 0,
               words: Mapping[str, str] | None = None) -> str:
    """An activity's people counted (``activities.attendance_tally``) in words, as the review
    queue's card and the attendance page say them: everyone, then the parts of the attendance
    they fall in (each person in one, so they add up to everyone), then those among them whose
    hours were adjusted or whose evidence is short; a part of no one is left out
    (「共 6 人：出勤 3 人、部分出勤 2 人、请假 1 人；已调整 1 人」). ``words``: :func:`tally_words`,
    asked once for a page of many cards."""
    w = tally_words() if words is None else words

    def said(pairs: Iterable[tuple[str, int]]) -> str:
        return w["comma"].join(w[part] % {"n": n} for part, n in pairs if n)

    parts = said((part, getattr(attendance, part)) for part in activities.ATTENDANCE_PARTS)
    counted = w["whole_1" if attendance.people == 1 else "whole"] % {"n": attendance.people, "parts": parts}
    among = said((("adjusted", adjusted), ("short", short)))
    return f'{counted}{w["semicolon"]}{among}' if among else counted


def tally_words() -> dict[str, str]:
    """The words of :func:`tally_said` in the viewer's language, each with its ``%(n)s`` to fill
    (everyone counted: its English singular ``whole_1`` for one person)."""
    keep = {"n": "%(n)s", "parts": "%(parts)s"}
    whole = [ngettext("%(n)s person: %(parts)s", "%(n)s people: %(parts)s", n, **keep) for n in (1, 2)]
    return {
        "whole_1": whole[0], "whole": whole[1], "comma": gettext(", "), "semicolon": gettext("; "),
        "present": gettext("%(n)s attended", **keep), "partly": gettext("%(n)s partly attended", **keep),
        "absent": gettext("%(n)s absent", **keep), "excused": gettext("%(n)s on leave", **keep),
        "unrecorded": gettext("%(n)s not recorded", **keep), "adjusted": gettext("%(n)s adjusted", **keep),
        "short": gettext("%(n)s short of evidence", **keep),
    }


def step_hours_said(activity_id: int, trigger: str) -> str | None:
    """What the step ``trigger`` the viewer just took on the activity did to hours, in words
    (「为 4 人认定 11 学时」), as it wrote them (``transitions.step_hours``: the ledger's rows it
    posted or reversed, the hours it approved); None when it did nothing to anyone's hours."""
    done = transitions.step_hours(activity_id, current_user.id, trigger)
    if done is None:
        return None
    return _STEP_HOURS[done.what](done.people, hours_said(done.hours))


def hours_said(hours: Decimal) -> str:
    """A figure of hours with its unit (「4 学时」, "1 hour", "1.5 hours": English singular for exactly 1)."""
    return ngettext("%(hours)s hour", "%(hours)s hours", 1 if hours == 1 else 2, hours=fmt(hours))


#: what a step did to hours (``transitions.StepHours.what``), for how many people and the hours
#: (:func:`hours_said`): English says "1 person", Chinese one form
_STEP_HOURS: dict[str, Callable[[int, str], str]] = {
    transitions.APPROVED_HOURS: lambda n, hours: ngettext(
        "%(hours)s approved for %(num)s person", "%(hours)s approved for %(num)s people", n, hours=hours),
    transitions.CREDITED: lambda n, hours: ngettext(
        "%(hours)s credited to %(num)s person", "%(hours)s credited to %(num)s people", n, hours=hours),
    transitions.REVERSED: lambda n, hours: ngettext(
        "%(hours)s of %(num)s person taken back", "%(hours)s of %(num)s people taken back", n, hours=hours),
}


# The question a page asks before a step no later step puts back, by why it asks
# (``WorkflowDefinition.why_confirm``): it said only 确定吗？, not what would be lost
_CONFIRM: dict[str, Callable[[], str]] = {
    "reverses_credits": lambda: gettext("The hours credited to its participants will be taken off their records. Go on?"),
    "ends": lambda: gettext("This ends the activity: no later step brings it back. Go on?"),
}


def confirm_question(why: str) -> str:
    """What a page asks before a step that asks confirmation (``why_confirm``), in the viewer's
    language: the activity page and the review queue ask it alike."""
    return _CONFIRM[why]()


def comment_needed(trigger: str, type_key: str | None = None, for_others: bool = False) -> str:
    """What a page says when a step that needs a comment is pressed with none, before asking
    anything (the words the service refuses it with: ``trigger.comment``; ``for_others``: a step
    that asks one because others are concerned, ``trigger.reason_for_others``)."""
    code = "trigger.reason_for_others" if for_others else "trigger.comment"
    return messages.tr(messages.msg(code, trigger=trigger_label(trigger, type_key)))


def moved_times(log: Any) -> tuple[datetime, datetime] | None:
    """A history entry's old and new start when it moved the activity to another time."""
    found = activities.moved(log)
    return None if found is None else (found.old_start, found.start)


def attendance_changes(log: Any) -> list[activities.HoursChange] | None:
    """A history entry's changed hours when it recorded attendance (None: another entry)."""
    return activities.attendance_changes(log)


def hours_changed(n: int) -> str:
    """How many people's hours a save of attendance changed, in words."""
    return ngettext("%(num)s person's hours changed", "%(num)s people's hours changed", n)


def hours_change_text(change: activities.HoursChange, name: str) -> str:
    """One person's changed hours in words: 「张老师：出勤 2 → 3」 (an old figure not recorded: —)."""
    words = {"attended": gettext("Attended"), "absent": gettext("Absent"), "excused": gettext("Excused")}
    figures = gettext(", ").join(
        gettext("%(what)s %(old)s → %(new)s", what=words[what], old=old or "—", new=new or "—")
        for what, old, new in change.changed())
    return gettext("%(name)s: %(message)s", name=name, message=figures)


def refused_with(head: str, details: Iterable[str]) -> str:
    """A refusal and what it names, in the reader's punctuation: 「计划未保存：请写明退回的理由」.
    The pages joined them with ": " and "; " in Chinese too (计划未保存: 请写明退回的理由)."""
    said = [d for d in details if d]
    if not said:
        return head
    return gettext("%(name)s: %(message)s", name=head, message=gettext("; ").join(said))


def list_changes(log: Any) -> activities.ListChange | None:
    """A history entry's change of the list of participants (None: another entry)."""
    return activities.list_changes(log.trigger, log.payload)


def list_changed(change: activities.ListChange) -> str:
    """How a change of the list changed it, in words: 「新增 2 人、移出 1 人」."""
    parts = [ngettext("%(num)s added", "%(num)s added", len(change.added)) if change.added else "",
             ngettext("%(num)s taken off", "%(num)s taken off", len(change.removed)) if change.removed else "",
             ngettext("%(num)s role changed", "%(num)s roles changed", len(change.roles)) if change.roles else ""]
    return gettext(", ").join(p for p in parts if p)


def list_change_lines(change: activities.ListChange, names: Mapping[int, str], type_key: str) -> list[tuple[int, str]]:
    """One line a person of a change of the list, by user id: 「新增：甲老师（听课教师）」, the role in
    words (``names``: their names by id, those taken off too)."""
    def name(uid: int) -> str:
        return names.get(uid) or gettext("someone no longer taking part")

    return ([(uid, gettext("Added: %(name)s (%(role)s)", name=name(uid), role=role_label(role, type_key)))
             for uid, role in change.added]
            + [(uid, gettext("Taken off: %(name)s (%(role)s)", name=name(uid), role=role_label(role, type_key)))
               for uid, role in change.removed]
            + [(uid, gettext("Role changed: %(name)s, %(old)s → %(new)s", name=name(uid),
                             old=role_label(old, type_key), new=role_label(new, type_key)))
               for uid, old, new in change.roles])


def list_change_groups(change: activities.ListChange, names: Mapping[int, str], type_key: str) -> list[str]:
    """A change of the list in one line a kind, each kind's count then whom: 「新增 2 人：甲（主讲人）、
    乙（听讲教师）」 — the audit trail's cell (``list_change_lines`` said 「移出 1 人：移出：…」)."""
    def name(uid: int) -> str:
        return names.get(uid) or gettext("someone no longer taking part")

    sep = gettext(", ")
    groups = [
        (ngettext("%(num)s added", "%(num)s added", len(change.added)),
         [gettext("%(name)s (%(role)s)", name=name(uid), role=role_label(role, type_key)) for uid, role in change.added]),
        (ngettext("%(num)s taken off", "%(num)s taken off", len(change.removed)),
         [gettext("%(name)s (%(role)s)", name=name(uid), role=role_label(role, type_key))
          for uid, role in change.removed]),
        (ngettext("%(num)s role changed", "%(num)s roles changed", len(change.roles)),
         [gettext("%(name)s, %(old)s → %(new)s", name=name(uid), old=role_label(old, type_key),
                  new=role_label(new, type_key)) for uid, old, new in change.roles]),
    ]
    return [gettext("%(name)s: %(message)s", name=head, message=sep.join(lines)) for head, lines in groups if lines]


def correction_asked(kind: str, wanted: str) -> str:
    """What a correction request asks (``services.corrections``), in words."""
    if kind == corrections.ROW:
        return gettext("Own row should read: %(wanted)s", wanted=wanted)
    return gettext("Please cancel this activity")


def correction_waiting(req: Any) -> str:
    """An open correction request of the viewer's, said where the page would offer to ask it:
    the day it was asked (the school's; with its year, not of this one), waiting."""
    zone = zone_of(current_school())
    day = to_local(req.created_at, zone).date()
    return gettext("Asked on %(day)s, waiting to be handled",
                   day=i18n.day_text(day, to_local(utcnow(), zone).date()))


def correction_status(status: str) -> str:
    """Where a correction request stands, in words."""
    words = {corrections.OPEN: gettext("Waiting to be handled"),  # not "Open": the catalogue's link word (查看)
             corrections.DONE: gettext("Done"), corrections.DECLINED: gettext("Declined"),
             corrections.LOCKED: gettext("Closed: the semester was accepted, nothing can change"),
             corrections.YEAR_OVER: gettext("Closed: the school year is over, nothing can change")}
    return words.get(status) or gettext("Closed: the activity was credited or cancelled first")


def role_label(role: str, type_key: str) -> str:
    return registry().role_name(type_key, role)


def evidence_kind_label(kind: str, type_key: str) -> str:
    return registry().kind_name(type_key, kind)


def local_time(dt: datetime | None, with_time: bool = True, tz: str | None = None) -> str:
    """A stored time in the current school's zone, or in ``tz`` (a page of another school's
    things: the district's)."""
    if dt is None:
        return ""
    return local_text(dt, tz or zone_of(current_school()), with_time)


def local_span(start: datetime | None, end: datetime | None, tz: str | None = None) -> str:
    """An activity's time in the school's zone: ``2026-11-12 10:00–12:00`` when it ends on the day
    it starts (its pages wrote the day twice, 「2026-11-12 10:00 – 2026-11-12 12:00」), both ends in
    full when it runs over several days."""
    first, last = local_time(start, tz=tz), local_time(end, tz=tz)
    if not last:
        return first
    day, _sep, hour = last.partition(" ")
    return f"{first}–{hour}" if first.startswith(day + " ") else f"{first} – {last}"


PHASE_BADGES = {
    Phase.OPEN: "text-bg-secondary",
    Phase.AWAITING_REVIEW: "text-bg-warning",
    Phase.CONFIRMED: "text-bg-info",
    Phase.CREDITED: "text-bg-success",
    Phase.CLOSED: "text-bg-light",
}


def state_badge(state: str, type_key: str | None = None) -> str:
    """The badge colour of a state: its phase's, so a plugin's state is coloured too."""
    return PHASE_BADGES[registry().phase(type_key, state)]


def phase_of(state: str, type_key: str | None = None) -> str:
    """The phase name of a state, for templates (``phase_of(act.state, act.type_key) == 'credited'``)."""
    return registry().phase(type_key, state).value


def link_args() -> MultiDict:
    """The current query arguments a link may repeat: not those named like ``url_for``'s own
    parameters (``endpoint``, ``_method`` …) or like a part of the URL, so that
    ``?endpoint=x`` cannot break a page's links."""
    view_args = request.view_args or {}
    return MultiDict([(k, v) for k, v in request.args.items(multi=True)
                      if k != "endpoint" and not k.startswith("_") and k not in view_args])


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (pagination, filters)."""
    args = link_args().to_dict()
    for k, v in changes.items():
        if v is None:
            args.pop(k, None)
        else:
            args[k] = v
    assert request.endpoint is not None  # a routed request
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def pager(page: Any, after: str = "after", before: str = "before", testid: str = "pager",
          drop: Mapping[str, None] | None = None) -> Markup:
    """Keyset page links (:mod:`portal.paging`): the first, previous and next page of a list, each
    the current URL with ``after``/``before`` (the list's query arguments) set or left out
    (:func:`url_with`); ``page`` a ``paging.Page``; ``drop``: arguments of the current URL a link
    leaves out (a filter the page refused), as {name: None}. Nothing but two line breaks when the
    list has one page. Written here in one piece (a page has up to three: the review queue's;
    it was the ``_paging.html`` macro, whose bytes it writes: ``tests/perf/test_pager_html.py``)."""
    if not (page.next or page.prev or page.moved):
        return Markup("\n\n")
    drop = drop or {}
    tid = escape(testid)
    first = escape(url_with(**dict(drop, **{after: None, before: None})))
    prev = escape(url_with(**dict(drop, **{after: None, before: page.prev}))) if page.prev else "#"
    after_next = escape(url_with(**dict(drop, **{after: page.next, before: None}))) if page.next else "#"
    # the catalogue's words as a template's ``_()`` gives them: trusted, not escaped (said outside
    # the f-string: the extractor reads no call inside one)
    pages, first_page, previous, later = _("Pages"), _("First page"), _("Previous"), _("Next")
    return Markup(
        f'\n\n<nav aria-label="{pages}">\n  <ul class="pagination flex-wrap" data-testid="{tid}">\n'
        f'    <li class="page-item{"" if page.moved else " disabled"}"><a class="page-link" href="{first}" '
        f'data-testid="{tid}-first">{first_page}</a></li>\n'
        f'    <li class="page-item{"" if page.prev else " disabled"}"><a class="page-link" href="{prev}" '
        f'data-testid="{tid}-prev">{previous}</a></li>\n'
        f'    <li class="page-item{"" if page.next else " disabled"}"><a class="page-link" href="{after_next}" '
        f'data-testid="{tid}-next">{later}</a></li>\n  </ul>\n</nav>\n\n'
    )


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path of this site, else None: where a page may send someone back to
    (the login's ``next``, the language switch's Referer, a form's ``next``), never another
    site — not ``//evil``, nor ``/<TAB>/evil`` (a browser drops tabs and line breaks: urlsplit
    does too)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def bar(value: Any, whole: Any, cls: str = "bar-fill", label: str = "") -> Markup:
    """``value`` of ``whole`` as a bar: an SVG (the CSP allows no inline style) whose coloured
    part (``cls``) is the percentage wide; ``label`` is what a screen reader says. Written here,
    not as a macro: pages draw one per type, quota and plan line."""
    return Markup(
        f'<svg class="hbar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label="{escape(label)}"'
        ' width="100%" height="14">\n  <rect class="bar-track" x="0" y="0" width="100" height="10"></rect>\n'
        f'  <rect class="{escape(cls)}" x="0" y="0" width="{percent(value, whole)}" height="10"></rect>\n</svg>'
    )


def percent(part: Any, whole: Any) -> int:
    """0–100, for bar widths (SVG ``width`` attributes, never inline styles)."""
    try:
        p, w = float(part or 0), float(whole or 0)
    except (TypeError, ValueError):
        return 0
    if w <= 0:
        return 100 if p > 0 else 0
    return max(0, min(100, round(100 * p / w)))


FLASH_AT = "yx_flash_at"


def flash_at(anchor: str, message: str, category: str = "danger") -> None:
    """A message shown beside the action it answers (the element ``id=anchor``), not at the
    top of the page: the view redirects back to ``#anchor`` and the template asks
    :func:`messages_at` there. Messages no template claimed are shown at the top as usual."""
    from flask import session

    session[FLASH_AT] = [*session.get(FLASH_AT, []), [anchor, category, message]]


def messages_at(anchor: str | None = None) -> list[tuple[str, str]]:
    """(category, message) pairs waiting for ``anchor`` (None: all the rest), taken once."""
    from flask import session

    waiting = session.get(FLASH_AT) or []
    mine = [(c, m) for a, c, m in waiting if anchor is None or a == anchor]
    if mine:
        rest = [w for w in waiting if anchor is not None and w[0] != anchor]
        if rest:
            session[FLASH_AT] = rest
        else:
            session.pop(FLASH_AT, None)
    return mine


ID_MARK = 2_147_483_629  # a number no real id of a link reaches (ids stop at MAX_ID)


def id_url(endpoint: str, name: str, **values: Any) -> Callable[[int], str]:
    """``url_for(endpoint, name=<id>, **values)`` for many ids: built once, then filled in.

    A table of a hundred teachers linking each to their record called ``url_for`` a hundred
    times (routing is slow); the URLs differ only by the id."""
    args: dict[str, Any] = {**values, name: ID_MARK}
    head, _mark, tail = site_url(endpoint, **args).partition(str(ID_MARK))
    return lambda value: f"{head}{int(value)}{tail}"


def _statuses(service: ModuleType) -> SimpleNamespace:
    """A record's statuses for templates to compare with (``plan.status == PLAN.RETURNED``):
    the service's upper-case string constants, ``ALL`` its ordered statuses and ``EDITABLE``."""
    values = {k: v for k, v in vars(service).items() if k.isupper() and isinstance(v, str) and v in service.STATUSES}
    return SimpleNamespace(**values, ALL=service.STATUSES, EDITABLE=getattr(service, "EDITABLE", ()))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        messages_at=messages_at,
        school_year_text=messages.school_year_text,
        semester_text=messages.semester_text,
        local_public_address=url_rules.local_public_address,  # printed links no one elsewhere opens
        month_name=i18n.month_name,
        nav_url=nav_url,
        site_url=site_url,
        may=may,
        status_label=messages.status_label,
        IN_PROGRESS=assessment.IN_PROGRESS,  # a first semester's round: the year not judged yet
        # the statuses in the order tables and legends list them, and the one a share is of
        ASSESSMENT=SimpleNamespace(ORDER=assessment.SHOWN_ORDER, MET=assessment.MET),
        reason_label=messages.reason_label,
        left_school_label=lambda: messages.label(messages.LEFT_SCHOOL),  # 已离校, as a summary marks it
        status_style=lambda status: messages.STATUS_STYLES.get(status, "light"),
        record_status=messages.record_status,
        record_style=messages.record_style,
        PLAN=_statuses(plans),
        SCHOOL_PLAN=_statuses(school_plans),
        SUBMISSION=_statuses(submissions),
        # a correction request's statuses and kinds (services.corrections), and both in words
        CORRECTION=SimpleNamespace(**vars(_statuses(corrections)), ROW=corrections.ROW, CANCEL=corrections.CANCEL),
        correction_asked=correction_asked,
        correction_status=correction_status,
        correction_waiting=correction_waiting,
        type_name=type_name,
        type_order=lambda keys: registry().in_order(keys),
        state_label=state_label,
        state_declared=state_declared,
        trigger_label=trigger_label,
        role_label=role_label,
        evidence_kind_label=evidence_kind_label,
        local_time=local_time,
        local_span=local_span,
        moved_times=moved_times,
        attendance_changes=attendance_changes,
        hours_changed=hours_changed,
        hours_change_text=hours_change_text,
        list_changes=list_changes,
        list_changed=list_changed,
        list_change_lines=list_change_lines,
        state_badge=state_badge,
        phase_of=phase_of,
        url_with=url_with,
        pager=pager,
        id_url=id_url,
        once_each=once_each,
        percent=percent,
        bar=bar,
        current_school=current_school,
        current_roles=current_roles,
        user_schools=user_schools,
        navigation_bar=navigation_bar,
        unread_notifications=unread_notifications,
        year_quota_label=year_texts.quota_label,
        year_quota_amount=year_texts.quota_amount,
        year_warning_text=year_texts.warning_text,
        year_shortfall_texts=year_texts.shortfall_texts,
        year_shortfall_text=year_texts.shortfall_text,
        absence_remark=credits.absence_remark,
        picker_rows=picker.rows,
    )
    from portal.web.home_rows import quota_rows  # it draws its bars with ``bar`` from here

    app.jinja_env.globals["quota_rows"] = quota_rows  # home/_quotas.html's list, in one piece
    app.jinja_env.filters["hours"] = fmt
