"""The rows of the school summary's table (学时汇总表 page), made once per distinct value.

A school of a hundred teachers makes a table of thousands of cells but only a handful of
distinct statuses, quota labels, quota amounts and hour figures. Formatting each cell on its
own in the template (a catalogue look-up per quota label, a Decimal rounded per figure, a
macro per badge, an escape per value) cost most of the page's time; here every distinct cell
is made once, by the same functions the exports and the teacher home use
(:mod:`portal.year_texts`, :func:`fmt`, :mod:`portal.messages`, the ``status_badge`` macro),
so the words stay the same everywhere, and each teacher's row is one string. The table
around the rows (headings, links, the empty case) stays in ``reports/_summary_body.html``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

from flask_babel import gettext
from markupsafe import Markup, escape

from portal import year_texts
from portal.assessment import QuotaFact
from portal.hours import fmt
from portal.messages import reason_label
from portal.once import once_each
from portal.services import forecast
from portal.services.credits import SummaryRow

ZERO = Decimal("0")


def _type_cell(label: str, hours: str) -> Markup:
    """A type column's cell (label for the narrow layout, hours)."""
    return Markup(f'<td class="num type-cell" data-label="{escape(label)}">{escape(hours)}</td>')  # noqa: S704 (escaped)


def _quota_cell(q: QuotaFact) -> Markup:
    """A quota column's cell: done against target, red while not met."""
    label, amount = escape(year_texts.quota_label(q)), escape(year_texts.quota_amount(q))
    met = "" if q.met else " text-danger"
    return Markup(f'<td class="num{met}" data-label="{label}" data-quota="{escape(q.key)}-{q.semester}">{amount}</td>')  # noqa: S704


# One teacher's row, as the template wrote it (the loop's own line breaks included).
_ROW = (
    '\n      <tr data-user="{user}">\n'
    '        <td class="name-cell"><a href="{url}">{name}</a></td>\n'
    "        {types}\n"
    '        <td class="num total" data-label="{l_total}">{total}</td>\n'
    '        <td class="num" data-label="{l_required}">{required}</td>\n'
    '        <td class="status-cell" data-label="{l_status}">{badge}</td>\n'
    '        <td class="note-cell" data-label="{l_note}">{reason}</td>\n'
    '        <td class="num" data-label="{l_absence}">{absent1} / {absent2}</td>\n'
    "        {quotas}\n"
    '        <td class="warnings" data-label="{l_warnings}" data-testid="warnings-{user}">{warnings}</td>\n'
    "      </tr>\n      "
)


def _warning_badge(w: forecast.YearWarning) -> str:
    """A warning's badge, in the teacher home's words for it (:func:`year_texts.warning_text`)."""
    tone = "text-bg-danger" if w.severe else "text-bg-warning"
    return (f'<span class="badge {tone} text-wrap text-start d-inline-block mb-1" data-warning="{escape(w.kind)}">'
            f"{escape(year_texts.warning_text(w))}</span> ")


def _column_labels() -> dict[str, Markup]:
    """The narrow layout's cell labels, as the table's headings say them (trusted catalogue
    text, as the template's ``_()`` gives it)."""
    say = {"l_total": "Total", "l_required": "Required", "l_status": "Status", "l_note": "Note",
           "l_absence": "Unexcused absence (semester 1 / 2)", "l_warnings": "Warnings"}
    return {k: Markup(gettext(v)) for k, v in say.items()}  # noqa: S704 (our catalogue)


def quota_heads(rows: Sequence[SummaryRow]) -> list[tuple[str, str]]:
    """(quota and semester, label) of the quota columns: the first teacher's quotas (every
    teacher of a school has the same quotas)."""
    return [(f"{q.key}-{q.semester}", year_texts.quota_label(q)) for q in (rows[0].facts.quotas if rows else ())]


def summary_lines(
    rows: Sequence[SummaryRow], keys: list[str], type_names: dict[str, str], today: date,
    record_url: Callable[[int], str], status_badge: Callable[[str], str],
) -> list[Markup]:
    """The rows of :func:`portal.services.credits.school_summary` as the page shows them, one
    string a teacher: type columns ``keys`` headed ``type_names``, the warnings of ``today``
    (:func:`portal.services.forecast.warnings`), names linked by ``record_url(user id)``,
    statuses shown by the ``status_badge`` macro."""
    columns = [(key, type_names.get(key, key)) for key in keys]
    hours = once_each(fmt)
    reason = once_each(reason_label)
    badge = once_each(status_badge)

    def type_cell(at: int, value: Decimal) -> Markup:
        return _type_cell(columns[at][1], hours(value))

    type_cells, quota_cell, warning = once_each(type_cell), once_each(_quota_cell), once_each(_warning_badge)
    labels = _column_labels()
    lines = []
    for row in rows:
        f, by_type, user = row.facts, row.facts.by_type, row.user
        lines.append(Markup(_ROW.format(  # noqa: S704 (every value escaped or made above)
            user=escape(user.username),
            url=escape(record_url(user.id)),
            name=escape(user.display_name),
            types="".join([type_cells(i, by_type.get(key, ZERO)) for i, (key, _l) in enumerate(columns)]),
            total=escape(hours(f.total_hours)),
            required=escape(hours(f.required_hours)),
            badge=badge(row.assessment.status),
            reason=escape(reason(row.assessment.reason)),
            absent1=escape(hours(f.absent_hours.get(1, ZERO))),
            absent2=escape(hours(f.absent_hours.get(2, ZERO))),
            quotas="".join([quota_cell(q) for q in f.quotas]),
            warnings="".join([warning(w) for w in forecast.warnings(f, today)]),
            **labels,
        )))
    return lines
