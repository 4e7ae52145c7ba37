# ruff: noqa: E501  (the reference is the template's markup, line for line)
"""The teacher home's repeated rows written in Python (``portal.web.home_rows``) are the markup
the template's loops wrote, byte for byte: the loops are kept here as the reference and both are
given the same rows (an absence and none, a reversal, no date, titles, links and a type's name
that need escaping, an installed type and one that is not)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from portal.timeutil import utcnow
from portal.web.home_rows import entry_rows, pending_rows, waiting_rows

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
        values = {**values, "pending_rows": pending_rows, "entry_rows": entry_rows, "waiting_rows": waiting_rows}
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


# _body.html's loop of what waits on the teacher as it was before it moved to Python (round 38)
WAITING = """  <ul class="list-group" data-testid="waiting-list">
    {% for w in waiting %}
    <li class="list-group-item" data-testid="waiting-{{ w.activity.id }}">
      <a href="{{ activity_url(w.activity.id) }}#evidence">{{ w.activity.title }}</a>
      <div class="small text-muted">
        {% if w.activity.ends_at > now %}{{ _('%(day)s (still to come)', day=local_time(w.activity.starts_at, False)) }}{% else %}{{ local_time(w.activity.starts_at, False) }}{% endif %} · {% for kind, n in w.missing.items() %}{{ _('%(kind)s: %(n)s to upload', kind=evidence_kind_label(kind, w.activity.type_key), n=n) }}{% if not loop.last %}; {% endif %}{% endfor %}
      </div>
    </li>
    {% endfor %}
  </ul>"""
WAITING_NEW = """  <ul class="list-group" data-testid="waiting-list">
    {#- each: the link to its evidence, what is missing of each kind (portal/web/home_rows.py) #}
    {{ waiting_rows(waiting, activity_url) }}
  </ul>"""


@dataclass
class WaitingAct:
    id: int
    title: str
    type_key: str
    starts_at: datetime = datetime(2026, 9, 30, 6, 0)
    ends_at: datetime = datetime(2026, 9, 30, 8, 0)


@dataclass
class Waiting:
    activity: WaitingAct
    missing: dict[str, int]


def test_waiting_rows_are_the_templates(app):
    """Two kinds missing and one, a kind of a type not installed, titles and links to escape."""
    key = "lecture"
    waiting = [
        Waiting(WaitingAct(5, "讲座 <一> & 'more'", key), {"reflection": 1, "photo": 2}),
        Waiting(WaitingAct(6, '"引号"', "gone<&>"), {"odd<&>": 3}),
        Waiting(WaitingAct(7, "one", key), {"reflection": 1}),
        # still to come: its day said so (a visit's report waits for the visit)
        Waiting(WaitingAct(8, "to come", key, utcnow() + timedelta(days=6), utcnow() + timedelta(days=6, hours=3)),
                {"reflection": 1}),
    ]
    for lang in ("en", "zh"):
        reference, made = _both(app, WAITING, WAITING_NEW, lang, waiting=waiting, activity_url=activity_url,
                                now=utcnow())
        assert made == reference
        assert made.count("2026-09-30 · ") == 3 and made.count("still to come") + made.count("尚未举行") == 1
        assert "讲座 &lt;一&gt; &amp; &#39;more&#39;" in made and "a=1&amp;b=&#39;2&#39;#evidence" in made
        assert made.count("upload; ") == 1 and "odd<&>" not in made  # two kinds joined once


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


# home/_quotas.html's macro as it was before the list moved to Python (round 36)
QUOTAS = """{% macro quota_list(quotas, behind=()) %}
<ul class="list-unstyled mb-0" data-testid="quota-list">
  {% for q in quotas %}
  {% set label = year_quota_label(q) %}<li class="mb-2" data-testid="quota-{{ q.key }}-{{ q.semester }}" data-done="{{ q.done }}" data-target="{{ q.target }}">
    <div class="d-flex justify-content-between gap-2">
      <span>{{ label }}{% if q in behind %} <span class="badge text-bg-warning" data-testid="quota-behind">{{ _('behind schedule') }}</span>{% endif %}</span>
      <span class="text-nowrap">{{ year_quota_amount(q) }}</span>
    </div>
    {{ bar(q.done, q.target, 'bar-met' if q.met else 'bar-fill', label) }}
  </li>
  {% endfor %}
</ul>
{% endmacro %}"""


def test_quota_rows_are_the_macros(app):
    """Computed quotas (one behind, one of a key no words exist for) and quotas as a submission
    froze them (JSON objects, one without ``met``), both languages, through the macro the pages
    import and as the home calls it."""
    from portal.assessment import QuotaFact
    from portal.web.home_rows import quota_rows

    facts = [QuotaFact("reading_notes", 0, 6200, 10000, "chars"), QuotaFact("paper", 0, 1, 1),
             QuotaFact("reflections", 1, 0, 3), QuotaFact("books", 2, 2, 1), QuotaFact("odd<&>", 1, 1, 2)]
    frozen = [{"key": "books", "semester": 1, "done": 2, "target": 3, "unit": "pieces", "met": False},
              {"key": "paper", "semester": 0, "done": 1, "target": 1}]
    for lang in ("en", "zh"):
        with app.test_request_context(f"/?lang={lang}"):
            reference = app.jinja_env.from_string(QUOTAS).module.quota_list
            made = app.jinja_env.get_template("home/_quotas.html").module.quota_list
            for args in [(facts, [facts[2]]), (frozen,), ([],)]:
                assert made(*args) == reference(*args)
            words = app.jinja_env.from_string("{{ _('behind schedule') }}").render()
            assert quota_rows(facts, [facts[2]], words) == reference(facts, [facts[2]])
            assert "odd&lt;&amp;&gt;" in made(facts) and 'data-testid="quota-behind"' in made(facts, [facts[2]])
