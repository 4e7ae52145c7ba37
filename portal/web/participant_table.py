"""The rows of the activity page's participant table, each row one string.

An activity lists up to sixty people, each a row of six cells: the template's loop escaped
every cell on its own (eight escapes and a tuple unpacked per row). Here the view's cells
(``ParticipantLine``, hours already written out) become one string per row, escaping only the
people's own texts (names, usernames, role words, an adjustment's reason): hours figures are
digits. The table around the rows (headings, the empty case) stays in ``activities/show.html``.

A name and a username are escaped by ``portal.web.escaping.html_text``: ``escape`` costs four
calls for every cell of sixty rows. A role's words are escaped once per role.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, escape

from portal.web.escaping import html_text


def line_rows(lines: Iterable[Any], adjusted_word: str) -> Markup:
    """The ``<tr>`` of each line (``username, name, role, attended, absent, excused, would_get,
    adjusted``), as the template's loop wrote them; ``adjusted_word`` the badge's word (the
    template's translated text), shown with the reason as its title when hours were adjusted.
    Usernames and names are plain text (``str``, as the database gives them), escaped here."""
    out = []
    role_html: dict[Any, Markup] = {}
    for username, name, role, attended, absent, excused, would_get, adjusted in lines:
        badge = (f' <span class="badge text-bg-info" title="{escape(adjusted)}">{adjusted_word}</span>'
                 if adjusted is not None else "")
        role_cell = role_html.get(role)
        if role_cell is None:
            role_cell = role_html[role] = escape(role)
        out.append(
            f'\n    <tr data-testid="participant-{html_text(username)}">\n'
            f'      <td class="text-nowrap">{html_text(name)}</td>\n'
            f'      <td class="text-nowrap wrap-phone">{role_cell}</td>\n'
            f'      <td class="text-end">{attended}</td>\n'
            f'      <td class="text-end">{absent}</td>\n'
            f'      <td class="text-end">{excused}</td>\n'
            f'      <td class="text-end">{would_get}{badge}</td>\n'
            "    </tr>\n    "
        )
    return Markup("".join(out))  # noqa: S704 (escaped above; figures are digits, the word our catalogue's)
