"""The rows of the activities list, each row one string.

A page lists twenty activities, each a row of six cells; the template's loop called a link, a
type name, a badge, a state's words, a time and an hours figure through Jinja for every row
(each call through Jinja's context, then escaped). Here each distinct type, state and figure is
written and escaped once a page, each row's own texts (title, time, organizer) once, and the
row is one f-string. The table around the rows (headings, the empty case) stays in
``activities/index.html``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

from portal.current import current_school
from portal.hours import fmt
from portal.once import Memo
from portal.timeutil import local_text, zone_of
from portal.web.escaping import html_text
from portal.web.helpers import id_url, state_badge, state_label, type_name


def activity_rows(items: Iterable[Any], organizer_names: Mapping[int, str], hours_word: str,
                  organizer_word: str) -> Markup:
    """The ``<tr>`` of each activity row (``overview.ACTIVITY_LIST_COLUMNS``), as the template's
    loop wrote them; ``hours_word`` and ``organizer_word`` the cells' labels (the template's
    translated words)."""
    show_url = id_url("activities.show", "activity_id")
    zone = zone_of(current_school())
    type_words: Memo[Markup] = Memo(lambda key: escape(type_name(key)))
    states: Memo[tuple[Markup, Markup]] = Memo(
        lambda st: (escape(state_badge(*st)), escape(state_label(*st))))
    hours: Memo[Markup] = Memo(lambda value: escape(fmt(value)))
    organizers: Memo[str] = Memo(lambda uid: html_text(organizer_names.get(uid, "")))
    l_hours, l_organizer = escape(hours_word), escape(organizer_word)
    out = []
    for a in items:
        badge, state_word = states[(a.state, a.type_key)]
        out.append(
            f'\n  <tr data-testid="activity-row-{a.id}">\n'
            f'    <td class="stack-title"><a href="{html_text(show_url(a.id))}" data-testid="activity-link-{a.id}">'
            f'{html_text(a.title)}</a></td>\n'
            f'    <td class="text-nowrap stack-inline">{type_words[a.type_key]}</td>\n'
            f'    <td class="text-nowrap stack-inline stack-first"><span class="badge {badge}">{state_word}</span></td>\n'
            f'    <td class="text-nowrap stack-inline">{html_text(local_text(a.starts_at, zone, True))}</td>\n'
            f'    <td class="text-end text-nowrap stack-inline" data-label="{l_hours}">{hours[a.hours]}</td>\n'
            f'    <td class="text-nowrap stack-inline" data-label="{l_organizer}">{organizers[a.organizer_id]}</td>\n'
            "  </tr>\n  "
        )
    return Markup("".join(out))  # noqa: S704 (escaped above: each text once, ids are numbers)
