"""The teacher home's repeated rows, each written in one piece (as ``queue_rows`` writes the
review queue's): the activities the teacher is in (the outlook's list), their credited entries
and their writing quotas.

The template wrote every row cell by cell: a call through the template's context for each link,
date, figure and type name, and an escape per value. That was a tenth of the cold page for a
teacher in fifteen activities. Here the words stay the template's (it translates them once and
passes them in: trusted catalogue text), the time zone is read once per list, and only the
values that are not digits (titles, type names, links) are escaped. The HTML is the loop's,
character for character (``tests/perf/test_home_rows.py`` renders both).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from portal.current import current_school
from portal.hours import fmt
from portal.i18n import gettext
from portal.timeutil import local_text, utcnow, zone_of
from portal.web.escaping import html_text
from portal.web.helpers import bar, evidence_kind_label, type_name
from portal.year_texts import quota_amount, quota_label, quota_short


def _day(tz: str) -> Callable[[Any], str]:
    # ``local_time(dt, False)`` of the school's zone, the zone read once
    return lambda dt: "" if dt is None else local_text(dt, tz, False)


def pending_rows(pending: Iterable[Any], activity_url: Callable[[int], str], hours_word: str, absent_word: str) -> Markup:
    """The ``<li>`` of each activity of ``forecast.Forecast.pending``, as the template's loop
    wrote them: the activity's link and title, its day, any unexcused absence, the activity of
    theirs at the same time that holds (part of) its time (rare: translated here, with its
    title), and the hours it would bring (``hours_word``, ``absent_word``: the template's
    translated words)."""
    day = _day(zone_of(current_school()))
    hw, absent = html_text(hours_word), html_text(absent_word)  # escaped once, as the template would
    out = []
    for p in pending:
        act = p.activity
        aid = int(act.id)
        gone = f" {absent} {fmt(p.absent_hours)} {hw} ·" if p.absent_hours else ""
        if p.same_time_as:
            same_time = _("at the same time as “%(title)s”", title=p.same_time_as)
            gone += f" {html_text(same_time)} ·"
        out.append(
            f'\n      <li class="d-flex justify-content-between gap-2" data-testid="pending-{aid}">\n'
            f'        <a href="{html_text(activity_url(aid))}">{html_text(act.title)}</a>\n'
            f'        <span class="text-nowrap">{day(act.starts_at)} ·{gone} +{fmt(p.hours)} {hw}</span>\n'
            "      </li>\n      "
        )
    return Markup("".join(out))


def waiting_rows(waiting: Iterable[Any], activity_url: Callable[[int], str]) -> Markup:
    """The ``<li>`` of each activity waiting on the teacher (``overview.waiting_on``), as the
    template's loop wrote them: the link to the activity's evidence, its day (one still to come
    said so: a visit's report is written after the visit, not a week before it) and, per kind of
    evidence missing, "kind: n to upload" (the catalogue's words, the kind's name escaped into
    them as the template's ``_()`` did), joined by "; "."""
    upload = Markup(gettext("%(kind)s: %(n)s to upload"))  # trusted catalogue text, as the template took it
    to_come = Markup(gettext("%(day)s (still to come)"))
    day = _day(zone_of(current_school()))
    now = utcnow()
    out = []
    for w in waiting:
        act = w.activity
        aid = int(act.id)
        missing = "; ".join([
            upload % {"kind": evidence_kind_label(kind, act.type_key), "n": n} for kind, n in w.missing.items()
        ])
        when = to_come % {"day": day(act.starts_at)} if act.ends_at > now else html_text(day(act.starts_at))
        out.append(
            f'\n    <li class="list-group-item" data-testid="waiting-{aid}">\n'
            f'      <a href="{html_text(activity_url(aid))}#evidence">{html_text(act.title)}</a>\n'
            '      <div class="small text-muted">\n'
            f"        {when} · {missing}\n"
            "      </div>\n    </li>\n    "
        )
    return Markup("".join(out))


def entry_rows(entries: Iterable[Any], activity_url: Callable[[int], str], revoked_word: str) -> Markup:
    """The ``<tr>`` of each credited entry (``credits.entry_lines``), as the template's loop
    wrote them: the activity's link and title (a reversal marked ``revoked_word``), the type's
    name, the hours and the activity's day."""
    day = _day(zone_of(current_school()))
    revoked = f' <span class="badge text-bg-secondary">{html_text(revoked_word)}</span>'
    names: dict[str, str] = {}
    out = []
    for e in entries:
        eid = html_text(e.id)
        name = names.get(e.type_key)
        if name is None:
            name = names[e.type_key] = html_text(type_name(e.type_key))
        out.append(
            f'\n  <tr data-testid="entry-{eid}">\n'
            f'    <td><a href="{html_text(activity_url(e.activity_id))}">{html_text(e.title)}</a>'
            f'{revoked if e.kind == "reversal" else ""}</td>\n'
            f'    <td class="text-nowrap">{name}</td>\n'
            f'    <td class="text-end text-nowrap">{html_text(fmt(e.hours))}</td>\n'
            f'    <td class="text-nowrap" data-testid="entry-date-{eid}">{day(e.starts_at)}</td>\n'
            "  </tr>\n  "
        )
    return Markup("".join(out))


def _field(q: Any, name: str) -> Any:
    # a quota as computed (``QuotaFact``) or as a submission froze it (a JSON object), read as
    # the template read both: a missing field is nothing
    return q.get(name) if isinstance(q, Mapping) else getattr(q, name)


def _short_line(q: Any, status: str | None) -> str:
    """The months a monthly quota is short in (:func:`quota_short`), under its bar; "" if none."""
    words = quota_short(q, None, status)
    return f'    <small class="text-danger" data-testid="quota-short">{html_text(words)}</small>\n' if words else ""


def quota_rows(quotas: Iterable[Any], behind: Container[Any], behind_word: str, said_above: Container[Any] = (),
               status: str | None = None) -> Markup:
    """``home/_quotas.html``'s list, as its loop wrote it: per quota its words
    (:mod:`portal.year_texts`), a ``behind_word`` badge (the template's translated word) when it
    is one of ``behind``, done against target, its bar and the months it is short in, unless it
    is one of ``said_above`` (a warning higher on the page names them: once is enough). The words
    are escaped here. ``status``: the year's assessment (an exempt year names no month short:
    :func:`portal.year_texts.names_months_short`)."""
    out = ['\n<ul class="list-unstyled mb-0" data-testid="quota-list">\n  ']
    behind_badge = f' <span class="badge text-bg-warning" data-testid="quota-behind">{html_text(behind_word)}</span>'
    for q in quotas:
        label = quota_label(q)
        done, target = _field(q, "done"), _field(q, "target")
        out.append(
            f'\n  <li class="mb-2" data-testid="quota-{html_text(_field(q, "key"))}-{html_text(_field(q, "semester"))}"'
            f' data-done="{html_text(done)}" data-target="{html_text(target)}">\n'
            '    <div class="d-flex justify-content-between gap-2">\n'
            f'      <span>{html_text(label)}{behind_badge if q in behind else ""}</span>\n'
            f'      <span class="text-nowrap">{html_text(quota_amount(q))}</span>\n'
            "    </div>\n"
            f'    {bar(done, target, "bar-met" if _field(q, "met") else "bar-fill", label)}\n'
            f"{_short_line(q, status) if q not in said_above else ''}"
            "  </li>\n  "
        )
    out.append("\n</ul>\n")
    return Markup("".join(out))
