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


@dataclass(frozen=True)
class QuotaCell:
    met: bool
    label: str
    key: str  # "reflections-1": the quota and its semester
    amount: str


@dataclass(frozen=True)
class WarningCell:
    kind: str
    severe: bool
    text: str


@dataclass(frozen=True)
class SummaryLine:
    """One teacher's row, every cell as shown."""

    user_id: int
    username: str
    name: str
    hours: list[tuple[Markup, str]]  # (column label, hours) by type, in the order of the columns
    total: str
    required: str
    status: str  # the status code (its badge is the template's)
    reason: str  # in words
    absent: tuple[str, str]  # semester 1, semester 2
    quotas: list[QuotaCell]
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
    labels = [escape(type_names.get(key, key)) for key in keys]
    hours = once_each(fmt)
    reason = once_each(reason_label)

    def quota_cell(q: QuotaFact) -> QuotaCell:
        return QuotaCell(q.met, year_texts.quota_label(q), f"{q.key}-{q.semester}", year_texts.quota_amount(q))

    quota = once_each(quota_cell)
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
                hours=[(label, hours(by_type.get(key, ZERO))) for label, key in zip(labels, keys, strict=True)],
                total=hours(f.total_hours),
                required=hours(f.required_hours),
                status=row.assessment.status,
                reason=reason(row.assessment.reason),
                absent=(hours(f.absent_hours.get(1, ZERO)), hours(f.absent_hours.get(2, ZERO))),
                quotas=[quota(q) for q in f.quotas],
                warnings=[warning(w) for w in forecast.warnings(f, today)],
            )
        )
    return lines
