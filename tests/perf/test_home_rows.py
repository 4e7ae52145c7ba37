# ruff: noqa: E501  (the reference is the template's markup, line for line)
"""The teacher home's repeated rows written in Python (``portal.web.home_rows``) are the markup
the template's loops wrote, byte for byte: the loops are kept here as the reference and both are
given the same rows (an absence and none, a reversal, no date, titles, links and a type's name
that need escaping, an installed type and one that is not)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from portal.web.home_rows import entry_rows, pending_rows

# _body.html's loops as they were before the rows moved to Python (the outlook's list, the
# credited entries)
PENDING = """{% set hours_word = _('hours') %}
      {% for p in pending %}
      <li class="d-flex justify-content-between gap-2" data-testid="pending-{{ p.activity.id }}">
        <a href="{{ activity_url(p.activity.id) }}">{{ p.activity.title }}</a>
        <span class="text-nowrap">{{ local_time(p.activity.starts_at, False) }} ·{% if p.absent_hours %} {{ _('Absent') }} {{ p.absent_hours|hours }} {{ hours_word }} ·{% endif %}{% if p.same_time_as %} {{ _('at the same time as “%(title)s”', title=p.same_time_as) }} ·{% endif %} +{{ p.hours|hours }} {{ hours_word }}</span>
      </li>
      {% endfor %}"""
PENDING_NEW = "{% set hours_word = _('hours') %}\n      {{ pending_rows(pending, activity_url, hours_word, _('Absent')) }}"

ENTRIES = """{% set type_word = once_each(type_name) -%}
  {% for e in entries %}
  <tr data-testid="entry-{{ e.id }}">
    <td><a href="{{ activity_url(e.activity_id) }}">{{ e.title }}</a>{% if e.kind == 'reversal' %} <span class="badge text-bg-secondary">{{ _('revoked') }}</span>{% endif %}</td>
    <td class="text-nowrap">{{ type_word(e.type_key) }}</td>
    <td class="text-end text-nowrap">{{ e.hours|hours }}</td>
    <td class="text-nowrap" data-testid="entry-date-{{ e.id }}">{{ local_time(e.starts_at, False) }}</td>
  </tr>
  {% endfor %}"""
ENTRIES_NEW = "{{ entry_rows(entries, activity_url, _('revoked')) }}"


@dataclass
class Act:
    id: int
    title: str
    starts_at: datetime | None


@dataclass
class Pending:
    activity: Act
    hours: Decimal
    absent_hours: Decimal
    same_time_as: str = ""


@dataclass
class Entry:
    id: int
    kind: str
    type_key: str
    hours: Decimal
    activity_id: int
    title: str
    starts_at: datetime | None


def activity_url(activity_id: int) -> str:
    return f"/activities/{int(activity_id)}?a=1&b='2'"


PENDING_ROWS = [
    Pending(Act(5, "讲座 <一> & 'more'", datetime(2026, 9, 30, 17, 30)), Decimal("3"), Decimal("0")),
    Pending(Act(6, '"引号"', datetime(2026, 1, 31, 23, 59)), Decimal("0"), Decimal("2.5")),
    Pending(Act(7, "no day", None), Decimal("1.5"), Decimal("0")),
    Pending(Act(8, "同时 <二>", datetime(2026, 9, 30, 17, 30)), Decimal("0"), Decimal("0"), "讲座 <一> & 'more'"),
]
ENTRY_ROWS = [
    Entry(1, "credit", "lecture", Decimal("2"), 5, "讲座 <一>", datetime(2026, 9, 30, 17, 30)),
    Entry(2, "reversal", "lecture", Decimal("-2"), 5, "讲座 & 'x'", datetime(2026, 10, 1, 2, 0)),
    Entry(3, "credit", "gone<&>", Decimal("12.5"), 8, "uninstalled <&>", None),
]


def _both(app: Any, reference: str, new: str, lang: str, **values: Any) -> tuple[str, str]:
    with app.test_request_context(f"/?lang={lang}"):
        values = {**values, "pending_rows": pending_rows, "entry_rows": entry_rows}
        return (app.jinja_env.from_string(reference).render(**values),
                app.jinja_env.from_string(new).render(**values))


def test_pending_rows_are_the_templates(app):
    for lang in ("en", "zh"):
        reference, made = _both(app, PENDING, PENDING_NEW, lang, pending=PENDING_ROWS, activity_url=activity_url)
        assert made == reference
        assert "讲座 &lt;一&gt; &amp; &#39;more&#39;" in made and "&#34;引号&#34;" in made


def test_entry_rows_are_the_templates(app):
    for lang in ("en", "zh"):
        reference, made = _both(app, ENTRIES, ENTRIES_NEW, lang, entries=ENTRY_ROWS, activity_url=activity_url)
        assert made == reference
        assert "uninstalled &lt;&amp;&gt;" in made and "a=1&amp;b=&#39;2&#39;" in made
        assert "gone" not in made  # a type not installed is named in words, never by its key


def test_no_rows(app):
    assert _both(app, PENDING, PENDING_NEW, "en", pending=[], activity_url=activity_url) == ("\n      ", "\n      ")
    assert _both(app, ENTRIES, ENTRIES_NEW, "en", entries=[], activity_url=activity_url) == ("", "")
    assert isinstance(pending_rows([], activity_url, "h", "a"), Markup)


def test_the_words_passed_in_are_escaped_as_the_template_would(app):
    """A translation is trusted text, but one holding '&' or '<' is still written as HTML."""
    with app.test_request_context("/?lang=en"):
        pending = str(pending_rows(PENDING_ROWS, activity_url, "h&m", "<away>"))
        entries = str(entry_rows(ENTRY_ROWS, activity_url, "R&D"))
    assert "+3 h&amp;m" in pending and "&lt;away&gt; 2.5 h&amp;m" in pending and "<away>" not in pending
    assert ">R&amp;D</span>" in entries and "R&D" not in entries
