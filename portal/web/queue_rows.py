"""The participant rows of the review queue's held activities, each row one string.

A queue page holds ten activities of up to sixty people each. The template's macro wrote every
row cell by cell (a dozen escapes, attribute look-ups and filters per row) and that was the
largest part of the page's time. Here each row is written in one piece, with the words the
template translated once per page (``tx``, the type's ``labels``), so the words stay the
template's; the table around the rows (headings, the form, buttons) stays in
``review/queue.html``. Only the people's own texts (names, evidence) are escaped: ids and
hours figures are digits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup, escape

from portal.hours import fmt
from portal.web.escaping import html_text

MARK = "\u2063N\u2063"  # where ``tx['at_most']`` takes the figure (the template's placeholder)


def said_of(word: str, n: object) -> str:
    """The key in ``tx`` of ``word`` said of the number ``n``: its English singular ``<word>_1``
    for exactly 1 (a Decimal too: 1.5 is plural), else ``word`` (Chinese has one form: the same)."""
    return f"{word}_1" if n == 1 else word


def people_rows(
    item: Any, editable: bool, tx: Mapping[str, str], labels: Mapping[str, Any], evidence_url: Callable[[int], str],
    typed: Mapping[str, str] | None = None,
) -> Markup:
    """The ``<tr>`` of every participant of a queue item (``overview.QueueItem``), as the
    template's loop wrote them: ``editable`` when the viewer may adjust hours; ``tx`` the
    page's translated words (trusted catalogue text), ``labels`` the type's role and evidence
    words (``review._labels``); ``evidence_url`` an evidence file's link by id; ``typed`` the
    hours the reviewer typed by user id (a refused decision: kept in the boxes, not the figures)."""
    aid = int(item.activity.id)
    # the type's words escaped once (a handful), the catalogue's as plain text (trusted: no Markup
    # operations per row), each distinct figure written once (fmt: digits, nothing to escape; a
    # dict: no call per figure) and the markup between the cells made once per item
    roles = {key: str(escape(word)) for key, word in labels["roles"].items()}
    kinds = {key: str(escape(word)) for key, word in labels["kinds"].items()}
    figure: dict[Any, str] = {value: fmt(value) for value in {
        v for qp in item.participants for v in (qp.person.attended_hours, qp.would_get, qp.max_hours)}
        | {v for g in item.plain for v in (g.attended, g.would_get)} if value is not None}
    figure[None] = "—"  # no figure (attendance not recorded, the type not installed)
    hours_label, at_most, colon = str(tx["hours"]), str(tx["at_most"]), str(tx["colon"])
    head = f'\n  \n  <tr data-testid="queue-participant-{aid}-'
    after_role = (f'</td>\n    <td class="text-end text-nowrap" data-label="{tx["attended"]}">')
    before_evidence = f'</td>\n    <td class="stack-full" data-label="{tx["evidence"]}">\n      '
    before_hours = f'\n    </td>\n    <td data-label="{hours_label}">\n      '
    no_evidence = f'<span class="text-muted small">{tx["none"]}</span>'
    # why a named person's hours are not the plain figure (hours missed, with or without leave;
    # adjusted), as the activity page's columns say it: under the hours attended
    absent_n, excused_n, adjusted_word = str(tx["absent_n"]), str(tx["excused_n"]), str(tx["adjusted"])
    out = []
    for qp in item.participants:
        p = qp.person
        username, name = html_text(qp.account.username), html_text(qp.account.display_name)
        attended = figure[p.attended_hours]
        why = [word.replace(MARK, fmt(n)) for word, n in ((absent_n, p.absent_hours), (excused_n, p.excused_hours)) if n]
        if p.adjusted_hours is not None:
            why.append(adjusted_word)
        if why:
            attended += (f'<div class="small text-muted" data-testid="queue-why-{aid}-{username}">'
                         f'{str(tx["comma"]).join(why)}</div>')
        if qp.evidence:
            pieces = []
            for e in qp.evidence:  # folded: its kind and title, its text, its file's link
                title = f"{colon}{html_text(e.title)}" if e.title else ""
                text = f'<div class="evidence-text">{escape(e.text)}</div>' if e.text else ""
                link = f'<a href="{html_text(evidence_url(e.id))}">{html_text(e.filename)}</a>' if e.stored_name else ""
                pieces.append(f'\n      <details class="small">\n        <summary>{kinds[e.kind]}{title}</summary>\n'
                              f"        {text}\n        {link}\n      </details>\n      ")
            evidence = "".join(pieces)
        else:
            evidence = no_evidence
        if qp.short:  # what the approval's guard will ask for: said before it is refused
            missing = tx["comma"].join(f"{kinds[kind]} × {int(n)}" for kind, n in qp.short.items())
            evidence += (f'<div class="small text-danger" data-testid="short-{aid}-{username}">'
                         f'{tx["short"]}{colon}{missing}</div>')
        would_get = qp.would_get
        if not (editable and would_get is not None):  # the figure only
            hours = figure[would_get]
        else:  # the inputs, and the most it may be
            uid, would = p.user_id, figure[would_get]
            shown = html_text(typed[str(uid)]) if typed and str(uid) in typed else would
            limit = note = ""
            if qp.max_hours is not None:
                most = figure[qp.max_hours]
                limit = f'data-max="{most}" aria-describedby="max-{aid}-{uid}"'
                note = f'<div class="form-text" id="max-{aid}-{uid}">{at_most.replace(MARK, most)}</div>'
            hours = (
                f'\n      <input type="hidden" name="would-{uid}" value="{would}">\n'
                f'      <input class="form-control form-control-sm hours-input" name="hours-{uid}" value="{shown}"'
                f' inputmode="decimal"\n             aria-label="{hours_label}{colon}{name}"'
                f' data-testid="hours-{aid}-{username}"\n'
                f"             {limit}>\n      {note}\n      "
            )
        out.append(
            f'{head}{username}">\n'
            f'    <td class="text-nowrap stack-name">{name}</td>\n'
            f'    <td class="text-nowrap stack-role">{roles[p.role]}{after_role}{attended}{before_evidence}'
            f"{evidence}{before_hours}{hours}\n    </td>\n"
            "  </tr>\n  "
        )
    for i, g in enumerate(item.plain):  # those on the plain rule, a row per role and hours (not by name)
        out.append(
            f'\n  \n  <tr class="table-light" data-testid="queue-plain-{aid}-{i}">\n'
            f'    <td class="text-nowrap stack-name">{tx[said_of("people", g.n)].replace(MARK, str(int(g.n)))}</td>\n'
            f'    <td class="text-nowrap stack-role">{roles[g.role]}{after_role}{figure[g.attended]}{before_evidence}'
            f'{tx[said_of("pieces", g.pieces)].replace(MARK, str(int(g.pieces))) if g.pieces else no_evidence}{before_hours}'
            f'{tx["each"].replace(MARK, figure[g.would_get])}\n    </td>\n'
            "  </tr>\n  "
        )
    return Markup("".join(out))  # noqa: S704 (escaped above; tx is the template's translated text)
