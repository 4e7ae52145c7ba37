# ruff: noqa: E501  (the reference is the template's markup, line for line)
"""The review queue's cards, reviewed rows and credit forms written in Python
(``portal.web.queue_cards``) are the markup the template's loops wrote, byte for byte: the loops
are kept here as the reference, and both are given the same activities (own and others',
with and without buttons, adjustable or not, materials with and without titles, an organizer
gone, texts that need escaping, messages waiting beside an activity or none)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest
from flask import session
from markupsafe import Markup

from portal.services.activities import NameRow, ParticipantRow
from portal.services.overview import QueueEvidence, QueueItem, QueueParticipant
from portal.timeutil import utcnow
from portal.web.helpers import FLASH_AT
from portal.web.queue_cards import QueueCards
from portal.web.queue_rows import people_rows

# review/queue.html's loops as they were before the cards moved to Python (the people table's rows were
# already portal.web.queue_rows', tested in test_queue_rows.py); since, one's own activity with no step to
# fire has no comment box, only the line saying why (item.own, the policy's refusal)
REFERENCE = """{% from "_messages.html" import messages_here %}
{%- macro people_table(item, editable, tx, labels, evidence_url) %}
<div class="table-responsive">
<table class="table table-sm align-middle table-stack">
  <thead><tr><th>{{ tx['name'] }}</th><th>{{ tx['role'] }}</th><th class="text-end">{{ tx['attended'] }}</th><th>{{ tx['evidence'] }}</th><th>{{ tx['hours'] }}</th></tr></thead>
  <tbody>
  {{ people_rows(item, editable, tx, labels, evidence_url) }}
  </tbody>
</table>
</div>
{% endmacro %}
{%- if part == 'held' -%}
{% for item in held %}
{% set a = item.activity %}
<div class="card mb-3" id="activity-{{ a.id }}" data-testid="queue-item-{{ a.id }}">
  <div class="card-header d-flex flex-wrap gap-2 align-items-center">
    {% if 'approve' in item.allowed %}<label class="tap-select"><input type="checkbox" class="form-check-input" name="ids" value="{{ a.id }}" form="bulk-approve" aria-label="{{ a.title }}" data-testid="select-{{ a.id }}"></label><input type="hidden" name="version-{{ a.id }}" value="{{ a.version }}" form="bulk-approve">{% endif %}
    <a href="{{ show_url(a.id) }}" class="fw-bold queue-title">{{ a.title }}</a>
    <span class="text-muted small">{{ labels[a.type_key]['name'] }} · {{ local_time(a.starts_at) }} · {{ a.hours|hours }} {{ tx['unit_1'] if a.hours == 1 else tx['unit'] }} · {{ item.organizer_name or '' }}</span>
  </div>
  <div class="card-body">
    {% if flash_pending %}{{ messages_here('activity-' ~ a.id) }}{% endif %}
    <form method="post" action="{{ decide_url(a.id) }}" data-testid="decide-form-{{ a.id }}">
      {{ hidden }}<input type="hidden" name="version" value="{{ a.version }}">
      {# item.adjustable: the viewer may change the hours (set by the view) #}
      {{ people_table(item, item.adjustable, tx, labels[a.type_key], evidence_url) }}
      {% if item.activity_evidence %}
      <p class="small mb-2">{{ tx['materials'] }}{{ tx['colon'] }}
        {% for e in item.activity_evidence %}{{ labels[a.type_key]['kinds'][e.kind] }}{% if e.title %}{{ tx['colon'] }}{{ e.title }}{% endif %}{% if not loop.last %}{{ tx['comma'] }}{% endif %}{% endfor %}</p>
      {% endif %}
      {% if item.allowed or not item.own %}<label class="form-label small" for="comment-{{ a.id }}">{{ tx['comment'] }}</label>
      <textarea class="form-control mb-2" id="comment-{{ a.id }}" name="comment" rows="2" data-testid="comment-{{ a.id }}"></textarea>{% endif %}
      {% if item.own %}<p class="small text-warning-emphasis" data-testid="own-activity-{{ a.id }}">{{ tx['own'] }}</p>{% endif %}
      <div class="d-flex flex-wrap gap-2">
        {% for t in item.allowed %}
        <button type="submit" name="action" value="{{ t }}" class="btn {{ 'btn-success' if t in adjusting else ('btn-outline-danger' if t in commenting else 'btn-outline-primary') }}"{% set words = labels[a.type_key] %}{% if words.get('needs', {}).get(t) %} data-needs-comment="{{ words.needs[t] }}"{% endif %}{% if words.get('asks', {}).get(t) %} data-confirm="{{ words.asks[t] }}"{% endif %} data-testid="{{ t }}-{{ a.id }}">{{ labels[a.type_key]['triggers'][t] }}</button>
        {% else %}{% if not item.own %}<p class="small text-muted mb-0">{{ tx['nothing'] }}</p>{% endif %}
        {% endfor %}
      </div>
    </form>
  </div>
</div>
{% endfor %}
{%- elif part == 'rows' -%}
    {% for item in reviewed %}
    {% set a = item.activity %}
    {% set here = messages_here('activity-' ~ a.id, 'mb-0') if flash_pending else '' %}
    {% if here|trim %}<tr><td></td><td colspan="4">{{ here }}</td></tr>{% endif %}
    <tr id="activity-{{ a.id }}" data-testid="reviewed-{{ a.id }}">
      <td>{% if 'credit' in item.allowed %}<label class="tap-select"><input type="checkbox" class="form-check-input" name="ids" value="{{ a.id }}" aria-label="{{ a.title }}" data-testid="select-credit-{{ a.id }}"></label><input type="hidden" name="version-{{ a.id }}" value="{{ a.version }}">{% endif %}</td>
      <td class="stack-grow"><a href="{{ show_url(a.id) }}">{{ a.title }}</a>{% if a.ends_at > now %}<div class="small text-muted" data-testid="after-end-{{ a.id }}">{{ tx['after_end']|replace('\u2063N\u2063', local_time(a.ends_at))|replace('\u2063S\u2063', labels[a.type_key]['triggers']['credit']) }}</div>{% endif %}{% if 'credit' in item.allowed %}<div><button type="submit" form="credit-form-{{ a.id }}" name="action" value="credit" class="btn btn-outline-primary btn-sm mt-1" aria-label="{{ labels[a.type_key]['triggers']['credit'] }}{{ tx['colon'] }}{{ a.title }}" data-testid="credit-{{ a.id }}">{{ labels[a.type_key]['triggers']['credit'] }}</button></div>{% endif %}</td>
      <td class="stack-inline" data-label="{{ tx['type'] }}">{{ labels[a.type_key]['name'] }}</td>
      <td class="text-end stack-inline" data-label="{{ tx['participants'] }}">{{ item.size }}</td>
      <td class="text-end stack-inline" data-label="{{ tx['hours'] }}">{{ item.would_get_total|hours }}</td>
    </tr>
    {% endfor %}
{%- else -%}
{% for item in reviewed if 'credit' in item.allowed %}
<form method="post" action="{{ decide_url(item.activity.id) }}" id="credit-form-{{ item.activity.id }}" hidden>
  {{ hidden }}<input type="hidden" name="version" value="{{ item.activity.version }}">
</form>
{% endfor %}
{%- endif %}"""

# (the strip marks around the branches take only the indentation before each loop: the cards' calls
# stand in the template where the loops stood, with that indentation before them)


@dataclass
class Act:
    id: int
    title: str
    type_key: str
    starts_at: datetime
    hours: Decimal
    organizer_id: int
    ends_at: datetime = datetime(2026, 1, 5, 11, 0)  # ended (the test clock is December 2026)
    version: int = 3


D = Decimal
TX = {"name": Markup("Name"), "role": Markup("Role"), "attended": Markup("Attended"), "evidence": Markup("Evidence"),
      "none": Markup("none"), "hours": Markup("Hours to credit"), "at_most": Markup("at most \u2063N\u2063"),
      "unit": Markup("hours"), "unit_1": Markup("hour"), "materials": Markup("Organizer&#39;s materials"), "comment": Markup("Comment &amp; so"),
      "own": Markup("Yours: another reviewer"), "nothing": Markup("Nothing for you"), "colon": Markup("&amp;: "),
      "comma": Markup(", "), "absent_n": Markup("absent \u2063N\u2063"), "excused_n": Markup("on leave \u2063N\u2063"),
      "adjusted": Markup("adjusted"), "type": Markup("Type &amp; kind"), "participants": Markup("People"), "after_end": Markup("\u2063S\u2063 once it &amp; ends (\u2063N\u2063).")}
LABELS = {
    "lecture": {"name": "讲座 <A&B>", "triggers": {"approve": "通过", "return": "退回 \"x\"", "credit": "认定 & 记"},
                "roles": {"speaker": "主讲人", "attendee": "<听课>"}, "kinds": {"slides": "课件 & <PPT>", "notes": "笔记"}},
    "visit": {"name": "参观", "triggers": {"refuse": "不予认定", "credit": "认定"}, "roles": {"attendee": "参加"},
              "kinds": {"slides": "照片"}, "needs": {"refuse": "不予认定 needs a <comment>"},
              "asks": {"refuse": "This ends it & \"no\" step brings it back?"}},
}
HIDDEN = Markup('<input type="hidden" name="csrf_token" value="tok&amp;en">')


def _person(activity_id: int, uid: int, name: str, role: str = "attendee") -> QueueParticipant:
    row = ParticipantRow(uid * 10, activity_id, uid, role, D("3"), D("0"), D("0"), None, None, None)
    return QueueParticipant(row, NameRow(uid, f"t{uid}", name), D("3"), [], D("6"))


def _evidence(eid: int, activity_id: int, user_id: int, kind: str, title: str | None) -> QueueEvidence:
    return QueueEvidence(eid, activity_id, user_id, kind, title, None, None, None)


def _held() -> list[QueueItem]:
    at = datetime(2026, 3, 2, 1, 30)
    one = QueueItem(Act(1, "讲座 <一> & \"二\"", "lecture", at, D("2.5"), 7), [_person(1, 1, "赵<b>"), _person(1, 2, "钱", "speaker")],
                    "组织者 & co", [_evidence(5, 1, 7, "slides", "讲稿 <1>"), _evidence(6, 1, 7, "notes", None)],
                    allowed=["approve", "return"], adjustable=True)
    own = QueueItem(Act(2, "自己的", "lecture", at, D("3"), 9), [_person(2, 3, "孙")], None, [],
                    allowed=[], own=True)
    own_buttons = QueueItem(Act(3, "也是自己的", "visit", at, D("12"), 9), [], "李", [], allowed=["refuse"], own=True)
    nothing = QueueItem(Act(4, "看不到按钮", "visit", at, D("1"), 8), [_person(4, 4, "周")], "王",
                        [_evidence(7, 4, 8, "slides", "")], allowed=[])
    return [one, own, own_buttons, nothing]


def _reviewed() -> list[QueueItem]:
    at = datetime(2026, 1, 5, 8, 0)
    return [
        QueueItem(Act(11, "已审 <一>", "lecture", at, D("2"), 7), [], "甲", counted=(12, D("30.5")),
                  allowed=["return", "credit"]),
        QueueItem(Act(12, "已审 & 二", "visit", at, D("2"), 7), [_person(12, 5, "吴")], None),  # took part: nothing
        QueueItem(Act(13, "已审 三", "visit", at, D("1"), 7), [_person(13, 6, "郑")], None, allowed=["credit"]),
        # approved while it runs on (to January 2027, after the test clock): credits once it ends
        QueueItem(Act(14, "进行中 <四>", "lecture", at, D("2"), 7, datetime(2027, 1, 5, 9, 0)), [], "乙", allowed=["return"]),
    ]


def _cards(here) -> QueueCards:
    return QueueCards(tx=TX, labels=LABELS, show_url=lambda i: f"/activities/{i}?a=1&b=2",
                      decide_url=lambda i: f"/review/{i}", evidence_url=lambda i: f"/evidence/{i}",
                      hidden=HIDDEN, adjusting={"approve"}, commenting={"return", "refuse"}, here=here,
                      when=lambda dt: dt.strftime("%Y-%m-%d %H:%M") + " <local>")


WAITING = [["activity-1", "danger", "缺少 <证据>"], ["activity-12", "danger", "退回 & 重试"], ["activity-99", "info", "别处"]]


@pytest.mark.parametrize("waiting", [None, WAITING], ids=["no messages", "messages beside activities"])
@pytest.mark.parametrize("part", ["held", "rows", "forms"])
def test_cards_are_the_templates(app, part, waiting):
    env = app.jinja_env
    reference_template = env.from_string(REFERENCE)
    macro = env.get_template("_messages.html").module.messages_here
    context = dict(held=_held(), reviewed=_reviewed(), tx=TX, labels=LABELS, hidden=HIDDEN,
                   show_url=lambda i: f"/activities/{i}?a=1&b=2", decide_url=lambda i: f"/review/{i}",
                   evidence_url=lambda i: f"/evidence/{i}", adjusting={"approve"}, commenting={"return", "refuse"},
                   flash_pending=bool(waiting), people_rows=people_rows,
                   local_time=lambda dt: dt.strftime("%Y-%m-%d %H:%M") + " <local>", now=utcnow())
    with app.test_request_context("/review"):
        session[FLASH_AT] = [list(w) for w in waiting or []]
        reference = reference_template.render(part=part, **context)
        left_by_reference = session.get(FLASH_AT)
        session[FLASH_AT] = [list(w) for w in waiting or []]
        cards = _cards(macro if waiting else None)
        made = {"held": cards.held, "rows": cards.reviewed_rows, "forms": cards.credit_forms}[part](
            context["held"] if part == "held" else context["reviewed"])
        assert session.get(FLASH_AT) == left_by_reference  # the same messages taken
    assert isinstance(made, Markup)
    assert str(made) == reference
    assert "<一>" not in made and "<b>" not in made and "<PPT>" not in made  # titles, names, labels escaped
    if waiting and part != "forms":
        assert ("缺少 &lt;证据&gt;" in made) == (part == "held")
        assert ("退回 &amp; 重试" in made) == (part == "rows")


def test_buttons_follow_what_the_view_allowed(app):
    """No button the view did not allow: own activities show the note, others' without a
    trigger show 'nothing for you', and a style follows the transition (hours, comment)."""
    with app.test_request_context("/review"):
        made = str(_cards(None).held(_held()))
    assert made.count("<button") == 3
    assert 'value="approve" class="btn btn-success"' in made
    assert 'value="return" class="btn btn-outline-danger"' in made
    assert ('value="refuse" class="btn btn-outline-danger" data-needs-comment="不予认定 needs a &lt;comment&gt;"'
            ' data-confirm="This ends it &amp; &#34;no&#34; step brings it back?" data-testid="refuse-3"') in made
    assert made.count("data-confirm=") == 1  # approving and returning ask nothing
    assert made.count('data-testid="own-activity-') == 2
    # one's own activity with no step to fire says why, with no comment box; with one (3), the box stays
    assert 'data-testid="comment-2"' not in made and 'for="comment-2"' not in made
    assert 'data-testid="comment-3"' in made and 'data-testid="comment-1"' in made
    assert made.count("Nothing for you") == 1
    assert made.count('data-testid="select-') == 1  # bulk approval: only where approve is allowed
    assert 'data-testid="select-1"' in made


def test_reviewed_rows_offer_credits_only_where_allowed(app):
    """A reviewed activity the viewer may not credit (they took part) is listed, with neither a
    "post credits" form nor a box to select it for posting them in bulk."""
    with app.test_request_context("/review"):
        rows, forms = str(_cards(None).reviewed_rows(_reviewed())), str(_cards(None).credit_forms(_reviewed()))
    assert 'data-testid="reviewed-12"' in rows and 'data-testid="select-credit-12"' not in rows
    assert 'data-testid="select-credit-11"' in rows and 'data-testid="select-credit-13"' in rows
    assert 'data-testid="credit-11"' in rows and 'data-testid="credit-13"' in rows
    assert 'data-testid="credit-12"' not in rows
    assert 'id="credit-form-11"' in forms and 'id="credit-form-13"' in forms and 'id="credit-form-12"' not in forms
    assert 'form="credit-form-11"' in rows  # the row's button posts its activity's own form


def test_a_reviewed_activity_still_running_says_when_credits_can_be_posted(app):
    with app.test_request_context("/review"):
        rows = str(_cards(None).reviewed_rows(_reviewed()))
    assert rows.count('data-testid="after-end-') == 1
    assert '<div class="small text-muted" data-testid="after-end-14">认定 &amp; 记 once it &amp; ends' \
           ' (2027-01-05 09:00 &lt;local&gt;).</div>' in rows
