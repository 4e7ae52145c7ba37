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
from portal.once import once_each

MARK = "\u2063N\u2063"  # where ``tx['at_most']`` takes the figure (the template's placeholder)


def _evidence(e: Any, kinds: Mapping[str, str], evidence_url: Callable[[int], str]) -> str:
    """One piece of evidence, folded: its kind and title, its text, its file's link."""
    title = f": {escape(e.title)}" if e.title else ""
    text = f'<div class="evidence-text">{escape(e.text)}</div>' if e.text else ""
    link = f'<a href="{escape(evidence_url(e.id))}">{escape(e.filename)}</a>' if e.stored_name else ""
    return (f'\n      <details class="small">\n        <summary>{escape(kinds[e.kind])}{title}</summary>\n'
            f"        {text}\n        {link}\n      </details>\n      ")


def _hours(qp: Any, aid: int, username: str, name: str, editable: bool, words: Mapping[str, str],
           figure: Callable[[Any], str]) -> str:
    """The hours cell: the figure, or (when the reviewer may adjust) the inputs and the ceiling."""
    if not (editable and qp.would_get is not None):
        return figure(qp.would_get) if qp.would_get is not None else "—"
    uid, would, label = qp.person.user_id, figure(qp.would_get), words["hours"]
    limit = note = ""
    if qp.max_hours is not None:
        most = figure(qp.max_hours)
        limit = f'data-max="{most}" aria-describedby="max-{aid}-{uid}"'
        note = f'<div class="form-text" id="max-{aid}-{uid}">{words["at_most"].replace(MARK, most)}</div>'
    return (
        f'\n      <input type="hidden" name="would-{uid}" value="{would}">\n'
        f'      <input class="form-control form-control-sm hours-input" name="hours-{uid}" value="{would}"'
        f' inputmode="decimal"\n             aria-label="{label}: {name}" data-testid="hours-{aid}-{username}"\n'
        f"             {limit}>\n      {note}\n      "
    )


def people_rows(
    item: Any, editable: bool, tx: Mapping[str, str], labels: Mapping[str, Any], evidence_url: Callable[[int], str]
) -> Markup:
    """The ``<tr>`` of every participant of a queue item (``overview.QueueItem``), as the
    template's loop wrote them: ``editable`` when the viewer may adjust hours; ``tx`` the
    page's translated words (trusted catalogue text), ``labels`` the type's role and evidence
    words (``review._labels``); ``evidence_url`` an evidence file's link by id."""
    aid = int(item.activity.id)
    roles, kinds = labels["roles"], labels["kinds"]
    # the catalogue's words as plain text (they are trusted: no Markup operations per row), and
    # each distinct figure written once (fmt: digits, nothing to escape)
    words = {key: str(tx[key]) for key in ("attended", "evidence", "hours", "none", "at_most")}
    figure = once_each(fmt)
    attended_label, evidence_label, hours_label, none = words["attended"], words["evidence"], words["hours"], words["none"]
    out = []
    for qp in item.participants:
        p = qp.person
        username, name = escape(qp.account.username), escape(qp.account.display_name)
        attended = figure(p.attended_hours) if p.attended_hours is not None else "—"
        evidence = (
            "".join(_evidence(e, kinds, evidence_url) for e in qp.evidence)
            if qp.evidence else f'<span class="text-muted small">{none}</span>'
        )
        out.append(
            f'\n  \n  <tr data-testid="queue-participant-{aid}-{username}">\n'
            f'    <td class="text-nowrap stack-name">{name}</td>\n'
            f'    <td class="text-nowrap stack-role">{escape(roles[p.role])}</td>\n'
            f'    <td class="text-end text-nowrap" data-label="{attended_label}">{attended}</td>\n'
            f'    <td class="stack-full" data-label="{evidence_label}">\n      {evidence}\n    </td>\n'
            f'    <td data-label="{hours_label}">\n      {_hours(qp, aid, username, name, editable, words, figure)}\n    </td>\n'
            "  </tr>\n  "
        )
    return Markup("".join(out))  # noqa: S704 (escaped above; tx is the template's translated text)
