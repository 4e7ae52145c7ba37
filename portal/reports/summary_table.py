"""The rows of the school summary's table (学时汇总表 page), made once per distinct value.

A school of a hundred teachers makes a table of thousands of cells but only a handful of
distinct statuses, quota labels, quota amounts and hour figures. Formatting each cell on its
own in the template (a catalogue look-up per quota label, a Decimal rounded per figure, a
macro per badge, an escape per value) cost most of the page's time; here every distinct cell
is made once, by the same functions the exports and the teacher home use
(:mod:`portal.year_texts`, :func:`fmt`, :mod:`portal.messages`, the ``status_badge`` macro),
so the words stay the same everywhere, and the rows are one string. The table
around the rows (headings, links, the empty case) stays in ``reports/_summary_body.html``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from decimal import Decimal

from flask_babel import gettext
from markupsafe import Markup, escape

from portal import year_texts
from portal.assessment import EXEMPT, Assessment, QuotaFact, YearFacts
from portal.hours import fmt
from portal.messages import LEFT_SCHOOL, label, reason_label
from portal.once import Memo, once_each
from portal.services import forecast
from portal.services.credits import SummaryRow
from portal.web.escaping import html_text

ZERO = Decimal("0")


def _type_cell(label: str, hours: str) -> Markup:
    """A type column's cell (label for the narrow layout, hours)."""
    return Markup(f'<td class="num type-cell" data-label="{escape(label)}">{escape(hours)}</td>')  # noqa: S704 (escaped)


def _quota_cell(q: QuotaFact, exempt: bool) -> Markup:
    """A quota column's cell: done against target, red while not met by a teacher it is asked
    of (an exempt teacher's figures are shown plain: nothing is asked of them this year). Not
    the months short of notes (:func:`_warning_badge` says why; the spreadsheets' cell names
    them, ``year_texts.quota_cell``)."""
    label, amount = escape(year_texts.quota_label(q)), escape(year_texts.quota_amount(q))
    met = "" if q.met or exempt else " text-danger"
    return Markup(f'<td class="num{met}" data-label="{label}" data-quota="{escape(q.key)}-{q.semester}">{amount}</td>')  # noqa: S704


# One teacher's row, as the template wrote it (the loop's own line breaks included).
_ROW = (
    '\n      <tr data-user="{user}">\n'
    '        <td class="name-cell"><a href="{url}">{name}</a>{left}</td>\n'
    "        {types}\n"
    '        <td class="num total" data-label="{l_total}" data-testid="total-{user}">{total}</td>\n'
    '        <td class="num" data-label="{l_required}" data-testid="required-{user}">{required}</td>\n'
    '        <td class="status-cell" data-label="{l_status}" data-testid="status-{user}" data-status="{status}">{badge}</td>\n'
    '        <td class="note-cell" data-label="{l_note}">{reason}</td>\n'
    '        <td class="num" data-label="{l_absence}" data-testid="absence-{user}">{absent1} / {absent2}</td>\n'
    "        {quotas}\n"
    '        <td class="warnings" data-label="{l_warnings}" data-testid="warnings-{user}">{warnings}</td>\n'
    "      </tr>\n      "
)


def _warning_badge(w: forecast.YearWarning) -> str:
    """A warning's badge, in the teacher home's words for it (:func:`year_texts.warning_text`),
    but for the months a monthly quota is short in: the summary is a row a teacher, printed
    across A4, and their names ran a row to nine printed lines and the table past a phone's
    width; each teacher's home, record and 学时证明 and the summary's spreadsheets name them."""
    tone = "text-bg-danger" if w.severe else "text-bg-warning"
    return (f'<span class="badge {tone} text-wrap text-start d-inline-block mb-1" data-warning="{escape(w.kind)}">'
            f"{escape(year_texts.warning_text(w, months=False))}</span> ")


def _column_labels() -> dict[str, Markup]:
    """The narrow layout's cell labels, as the table's headings say them (trusted catalogue
    text, as the template's ``_()`` gives it)."""
    say = {"l_total": "Total", "l_required": "Required", "l_status": "Status", "l_note": "Note",
           "l_absence": "Unexcused absence (first / second semester)", "l_warnings": "Warnings"}
    return {k: Markup(gettext(v)) for k, v in say.items()}  # noqa: S704 (our catalogue)


def quota_heads(rows: Sequence[SummaryRow]) -> list[tuple[str, str]]:
    """(quota and semester, label) of the quota columns: the first teacher's quotas (every
    teacher of a school has the same quotas)."""
    return [(f"{q.key}-{q.semester}", year_texts.quota_label(q)) for q in (rows[0].facts.quotas if rows else ())]


def _row_format(labels: dict[str, Markup]) -> str:
    """:data:`_ROW` with what is the same on every row of a page filled in (the cell labels),
    ready for ``str.format`` of the rest."""
    fixed = {k: str(v).replace("{", "{{").replace("}", "}}") for k, v in labels.items()}
    return _ROW.format_map(_Keep(fixed))


def _split_row(row_format: str) -> tuple[str, tuple[str, str, str]]:
    """A row's format (:func:`_row_format`) as the teacher's own cells up to where the status
    cell names them, and the rest in the parts between the three places naming them (``{user}``):
    the rest is made once per alike teachers, the row joined around their login."""
    cut = row_format.index("{user}", row_format.index("{required}"))
    parts = row_format[cut:].split("{user}")
    if parts[0] or len(parts) != 4:
        raise ValueError("a row names its teacher three times from the status on")
    return row_format[:cut], (parts[1], parts[2], parts[3])


class _Keep(dict):
    """A ``format_map`` mapping that writes every field it lacks back as it was (``{user}``)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def summary_lines(
    rows: Sequence[SummaryRow], keys: list[str], type_names: Mapping[str, str], today: date,
    record_url: Callable[[int], str], status_badge: Callable[[str], str], teaching: set[int] | None = None,
    *, accepted: Collection[int],
) -> Markup:
    """The rows of :func:`portal.services.credits.school_summary` as the page shows them, all
    teachers' rows in one string (empty without rows): type columns ``keys`` headed
    ``type_names``, the warnings of ``today`` (:func:`portal.services.forecast.warnings`; none of
    the periods the district ``accepted``),
    names linked by ``record_url(user id)``, statuses shown by the ``status_badge`` macro.
    Every distinct cell is made once a page and then read from a :class:`Memo` (a look-up, no
    call): the hour figures, notes and badges, a row's type cells by its hours by type (most
    teachers' are alike: no hours of most types), and the cells from its status on (status,
    note, absence, quotas, warnings) by what they read (:func:`_split_row`)."""
    columns = [(key, type_names.get(key, key)) for key in keys]
    column_of = {key: at for at, (key, _l) in enumerate(columns)}
    hours: Memo[Markup] = Memo(lambda value: escape(fmt(value)))
    reason: Memo[Markup] = Memo(lambda code: escape(reason_label(code)))
    badge: Memo[str] = Memo(status_badge)
    status: Memo[Markup] = Memo(escape)
    type_cell: Memo[Markup] = Memo(lambda at_value: _type_cell(columns[at_value[0]][1], fmt(at_value[1])))
    no_hours = [type_cell[at, ZERO] for at in range(len(columns))]

    def type_cells(by_type: tuple[tuple[str, Decimal], ...]) -> str:
        cells = no_hours.copy()
        for key, value in by_type:
            at = column_of.get(key)
            if at is not None:
                cells[at] = type_cell[at, value]
        return "".join(cells)

    types: Memo[str] = Memo(type_cells)
    quota_cell, warning = once_each(_quota_cell), once_each(_warning_badge)
    # teachers whose writing is alike share one tuple of quotas (``credits._Rules.quotas``):
    # their quota cells and warnings are made once, by the tuple's identity (rows keep it alive)
    made_quotas: dict[tuple[int, bool], str] = {}

    def quota_cells(key: tuple[int, bool], quotas: tuple[QuotaFact, ...]) -> str:
        made_quotas[key] = made = "".join([quota_cell(q, key[1]) for q in quotas])
        return made

    head, tail = _split_row(_row_format(_column_labels()))

    def tail_parts(key: tuple, f: YearFacts, verdict: Assessment) -> tuple[str, str, str]:
        """The cells from the status on, around the two places that name the teacher: the same for
        every teacher of the same ``key`` (what :func:`forecast.warnings` reads besides the
        quotas — the status, year, the day they are on the staff from, absence and its rules —
        and the verdict's reason)."""
        absent, shown = f.absent_hours, (key[0], verdict.status == EXEMPT)
        said = [warning(w) for w in forecast.warnings(f, today, status=verdict.status, accepted=accepted)]
        cells = {
            "status": status[verdict.status],
            "badge": badge[verdict.status],
            "reason": reason[verdict.reason],
            "absent1": hours[absent[1]] if 1 in absent else hours[ZERO],
            "absent2": hours[absent[2]] if 2 in absent else hours[ZERO],
            "quotas": made_quotas[shown] if shown in made_quotas else quota_cells(shown, f.quotas),
            "warnings": "".join(said),
        }
        made_tails[key] = made = (tail[0].format_map(cells), tail[1].format_map(cells), tail[2].format_map(cells))
        return made

    made_tails: dict[tuple, tuple[str, str, str]] = {}
    # one who has left the school stays on the year with what it counts of theirs, marked
    left_words = escape(label(LEFT_SCHOOL))
    left_mark = f' <span class="badge text-bg-light border" data-testid="left-school">{left_words}</span>'
    lines = []
    for row in rows:
        f, user, verdict = row.facts, row.user, row.shown  # not short before the year is over
        key = (id(f.quotas), verdict.status, verdict.reason, f.school_year, f.on_staff_since,
               f.absence_warning_hours, f.absence_limit_hours, *f.absent_hours.items())
        first, second, third = made_tails[key] if key in made_tails else tail_parts(key, f, verdict)
        login = html_text(user.username)
        lines.append(head.format(
            user=login,
            url=html_text(record_url(user.id)),
            name=html_text(user.display_name),
            left="" if teaching is None or user.id in teaching else left_mark,
            types=types[tuple(f.by_type.items())],
            total=hours[f.total_hours],
            required=hours[f.required_hours],
        ))
        lines += (login, first, login, second, login, third)
    return Markup("".join(lines))  # noqa: S704 (every value escaped or made above)
