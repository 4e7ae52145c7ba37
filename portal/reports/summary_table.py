"""The school summary's table (学时汇总表 page) in the words and figures its cells show, each
distinct value put into words once per page.

A school of a hundred teachers makes a table of thousands of cells but only a handful of
distinct statuses, quota labels, quota amounts and hour figures. Formatting each cell on its
own (a catalogue look-up per quota label, a Decimal rounded per figure, a macro per badge)
cost most of the page's time; here every distinct value is formatted once, by the same
functions the exports and the teacher home use (:mod:`portal.year_texts`, :func:`fmt`,
:mod:`portal.messages`), so the words stay the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape

from portal import year_texts
from portal.assessment import QuotaFact
from portal.hours import fmt
from portal.messages import reason_label
from portal.once import once_each
from portal.services import forecast
from portal.services.credits import TeacherYear

ZERO = Decimal("0")


# The cells repeated across a row (a column per type, per quota) come joined into one string a
# row, each distinct cell made once; the rest of the row is the template's
# (``reports/_summary_body.html``).


def _type_cell(label: str, hours: str) -> Markup:
    """A type column's cell (label for the narrow layout, hours)."""
    return Markup(f'<td class="num type-cell" data-label="{escape(label)}">{escape(hours)}</td>')  # noqa: S704 (escaped)


def _quota_cell(q: QuotaFact) -> Markup:
    """A quota column's cell: done against target, red while not met."""
    label, amount = escape(year_texts.quota_label(q)), escape(year_texts.quota_amount(q))
    met = "" if q.met else " text-danger"
    return Markup(f'<td class="num{met}" data-label="{label}" data-quota="{escape(q.key)}-{q.semester}">{amount}</td>')  # noqa: S704


@dataclass(frozen=True)
class WarningCell:
    kind: str
    severe: bool
    text: str


@dataclass(slots=True)
class SummaryLine:
    """One teacher's row, every cell as shown."""

    user_id: int
    username: str
    name: str
    type_cells: Markup  # the hours by type, in the order of the type columns
    total: str
    required: str
    status: str  # the status code (its badge is the template's)
    reason: str  # in words
    absent: tuple[str, str]  # semester 1, semester 2
    quota_cells: Markup
    warnings: list[WarningCell]


def quota_heads(rows: list[TeacherYear]) -> list[tuple[str, str]]:
    """(quota and semester, label) of the quota columns: the first teacher's quotas (every
    teacher of a school has the same quotas)."""
    return [(f"{q.key}-{q.semester}", year_texts.quota_label(q)) for q in (rows[0].facts.quotas if rows else ())]


def summary_lines(
    rows: list[TeacherYear], keys: list[str], type_names: dict[str, str], today: date
) -> list[SummaryLine]:
    """The rows of :func:`portal.services.credits.school_summary` as the page shows them (type
    columns ``keys``, headed ``type_names``), with the warnings of ``today``
    (:func:`portal.services.forecast.warnings`)."""
    columns = [(key, type_names.get(key, key)) for key in keys]
    hours = once_each(fmt)
    reason = once_each(reason_label)

    def type_cell(at: tuple[int, Decimal]) -> Markup:
        return _type_cell(columns[at[0]][1], hours(at[1]))

    type_cells = once_each(type_cell)
    quota_cell = once_each(_quota_cell)

    def warning_cell(w: forecast.YearWarning) -> WarningCell:
        return WarningCell(w.kind, w.severe, year_texts.warning_text(w))

    warning = once_each(warning_cell)
    lines = []
    for row in rows:
        f, by_type = row.facts, row.facts.by_type
        lines.append(
            SummaryLine(
                user_id=row.user.id,
                username=row.user.username,
                name=row.user.display_name,
                type_cells=Markup("".join([type_cells((i, by_type.get(key, ZERO))) for i, (key, _l) in enumerate(columns)])),  # noqa: S704
                total=hours(f.total_hours),
                required=hours(f.required_hours),
                status=row.assessment.status,
                reason=reason(row.assessment.reason),
                absent=(hours(f.absent_hours.get(1, ZERO)), hours(f.absent_hours.get(2, ZERO))),
                quota_cells=Markup("".join([quota_cell(q) for q in f.quotas])),  # noqa: S704 (cells made above)
                warnings=[warning(w) for w in forecast.warnings(f, today)],
            )
        )
    return lines
