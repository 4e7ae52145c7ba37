# ruff: noqa: E501  (the reference is the template's markup, line for line)
"""The review queue's participant rows written in Python (``portal.web.queue_rows``) are the
markup the template's loop wrote, byte for byte: the loop is kept here as the reference and both
are given the same people (evidence with and without a title, text or file, an adjustable row
with and without a ceiling, rows that only show figures, names that need escaping)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from markupsafe import Markup

from portal.services.overview import QueueItem, QueueParticipant
from portal.web.queue_rows import people_rows

# The template's loop as it was before the rows moved to Python (review/queue.html, people_table; the
# names read from the participant's account).
REFERENCE = """{%- set aid = item.activity.id %}{% set roles = labels['roles'] %}{% set kinds = labels['kinds'] -%}
  {% for qp in item.participants %}
  {% set p = qp.person %}{% set u = qp.account %}
  <tr data-testid="queue-participant-{{ aid }}-{{ u.username }}">
    <td class="text-nowrap stack-name">{{ u.display_name }}</td>
    <td class="text-nowrap stack-role">{{ roles[p.role] }}</td>
    <td class="text-end text-nowrap" data-label="{{ tx['attended'] }}">{{ p.attended_hours|hours if p.attended_hours is not none else '—' }}
      {%- set why = [tx['absent_n']|replace('\u2063N\u2063', p.absent_hours|hours) if p.absent_hours else '',
                     tx['excused_n']|replace('\u2063N\u2063', p.excused_hours|hours) if p.excused_hours else '',
                     tx['adjusted'] if p.adjusted_hours is not none else '']|select|list %}
      {%- if why %}<div class="small text-muted" data-testid="queue-why-{{ aid }}-{{ u.username }}">{{ why|map('safe')|join(tx['comma']) }}</div>{% endif %}</td>
    <td class="stack-full" data-label="{{ tx['evidence'] }}">
      {% for e in qp.evidence %}
      <details class="small">
        <summary>{{ kinds[e.kind] }}{% if e.title %}{{ tx['colon'] }}{{ e.title }}{% endif %}</summary>
        {% if e.text %}<div class="evidence-text">{{ e.text }}</div>{% endif %}
        {% if e.stored_name %}<a href="{{ evidence_url(e.id) }}">{{ e.filename }}</a>{% endif %}
      </details>
      {% else %}<span class="text-muted small">{{ tx['none'] }}</span>{% endfor %}
    </td>
    <td data-label="{{ tx['hours'] }}">
      {% if editable and qp.would_get is not none %}{% set would = qp.would_get|hours %}
      <input type="hidden" name="would-{{ p.user_id }}" value="{{ would }}">
      <input class="form-control form-control-sm hours-input" name="hours-{{ p.user_id }}" value="{{ would }}" inputmode="decimal"
             aria-label="{{ tx['hours'] }}{{ tx['colon'] }}{{ u.display_name }}" data-testid="hours-{{ aid }}-{{ u.username }}"
             {% if qp.max_hours is not none %}{% set most = qp.max_hours|hours %}data-max="{{ most }}" aria-describedby="max-{{ aid }}-{{ p.user_id }}"{% endif %}>
      {% if qp.max_hours is not none %}<div class="form-text" id="max-{{ aid }}-{{ p.user_id }}">{{ tx['at_most']|replace('\u2063N\u2063', most) }}</div>{% endif %}
      {% else %}{{ qp.would_get|hours if qp.would_get is not none else '—' }}{% endif %}
    </td>
  </tr>
  {% endfor %}"""


@dataclass
class Row:
    user_id: int
    role: str
    attended_hours: Decimal | None
    absent_hours: Decimal = Decimal(0)
    excused_hours: Decimal = Decimal(0)
    adjusted_hours: Decimal | None = None


@dataclass
class Account:
    id: int
    username: str
    display_name: str


@dataclass
class Ev:
    id: int
    kind: str
    title: str | None = None
    text: str | None = None
    stored_name: str | None = None
    filename: str | None = None


@dataclass
class Act:
    id: int = 42


def _item() -> QueueItem:
    D = Decimal
    people = [
        QueueParticipant(Row(1, "speaker", D("3")), Account(1, "t<1>", "赵 & <b>子涵</b>"), D("6"), [], D("6")),
        QueueParticipant(Row(2, "attendee", None), Account(2, "t2", "钱\"一\""), D("0"), [
            Ev(7, "reflection", "心得 <一>", "正文 & 'more'", None, None),
            Ev(8, "slides", None, None, "abc.pdf", "课件 <1>.pdf"),
            Ev(9, "reflection", "", "", "x", "plain.txt"),
        ], None),
        QueueParticipant(Row(3, "attendee", D("2.5")), Account(3, "t3", "孙三"), None, [Ev(10, "slides")], D("3")),
        QueueParticipant(Row(4, "odd&role", D("1")), Account(4, "t4", "李四"), D("1.5"), [], D("12.5")),
        # named for hours missed (without leave, on leave) and adjusted: each says why
        QueueParticipant(Row(5, "attendee", D("1"), D("1.5"), D("0.5"), D("1")), Account(5, "t5", "周五"), D("1"), [], D("1")),
        QueueParticipant(Row(6, "attendee", D("0"), D("0"), D("3")), Account(6, "t6", "吴六"), D("0"), [], D("0")),
    ]
    return QueueItem(Act(), people, "组织者")


TX = {"attended": Markup("Attended"), "evidence": Markup("Evidence"), "none": Markup("none"),
      "hours": Markup("Hours to credit"), "at_most": Markup("at most \u2063N\u2063 (&amp; so)"),
      "colon": Markup("&amp;: "), "comma": Markup("&amp;, "), "absent_n": Markup("absent \u2063N\u2063 (&amp;)"),
      "excused_n": Markup("on leave \u2063N\u2063"), "adjusted": Markup("adjusted &amp; so")}
LABELS = {"roles": {"speaker": "主讲人", "attendee": "<听课>", "odd&role": "A & B"},
          "kinds": {"reflection": "心得", "slides": "课件 & <PPT>"}}


def evidence_url(evidence_id: int) -> str:
    return f"/evidence/{evidence_id}?a=1&b=2"


@pytest.mark.parametrize("editable", [True, False, ["approve"], []])
def test_rows_are_the_templates(app, editable):
    item = _item()
    reference = app.jinja_env.from_string(REFERENCE).render(
        item=item, editable=editable, tx=TX, labels=LABELS, evidence_url=evidence_url)
    made = people_rows(item, editable, TX, LABELS, evidence_url)
    assert isinstance(made, Markup)
    assert str(made) == reference
    assert "&lt;b&gt;子涵" in made and "<b>" not in made  # the people's own texts are escaped


def test_no_participants(app):
    item = QueueItem(Act(), [], None)
    reference = app.jinja_env.from_string(REFERENCE).render(
        item=item, editable=True, tx=TX, labels=LABELS, evidence_url=evidence_url)
    assert str(people_rows(item, True, TX, LABELS, evidence_url)) == reference == ""
