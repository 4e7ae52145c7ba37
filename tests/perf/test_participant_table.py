"""The activity page's participant rows written in Python (``portal.web.participant_table``)
are the markup the template's loop wrote, byte for byte (the loop is kept here as the
reference), and the page's lines are worded as before: hours written out, roles in words."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup

from portal.web.activities import ParticipantLine, _lines
from portal.web.participant_table import line_rows

REFERENCE = """{% set adjusted_word = _('adjusted') %}{% for username, name, role, attended, absent, excused, would_get, adjusted in lines %}
    <tr data-testid="participant-{{ username }}">
      <td class="text-nowrap">{{ name }}</td>
      <td class="text-nowrap wrap-phone">{{ role }}</td>
      <td class="text-end">{{ attended }}</td>
      <td class="text-end">{{ absent }}</td>
      <td class="text-end">{{ excused }}</td>
      <td class="text-end">{{ would_get }}{% if adjusted is not none %} <span class="badge text-bg-info" title="{{ adjusted }}">{{ adjusted_word }}</span>{% endif %}</td>
    </tr>
    {% endfor %}"""  # noqa: E501 (the template's markup, line for line)

LINES = [
    ParticipantLine("t<1>", "赵 & <b>子涵</b>", "主讲人", "3", "0", "0", "6", None),
    ParticipantLine("t2", "钱\"一\"", "A & B", "—", "1.5", "0.5", "", "原因 <一> & 'so'"),
    ParticipantLine("t3", "孙三", "听课", "2.5", "0", "0", "2.5", ""),
]


def test_rows_are_the_templates(app):
    with app.test_request_context("/?lang=en"):
        reference = app.jinja_env.from_string(REFERENCE).render(lines=LINES)
        word = app.jinja_env.from_string("{{ _('adjusted') }}").render()
    made = line_rows(LINES, Markup(word))
    assert isinstance(made, Markup)
    assert str(made) == reference
    assert "&lt;b&gt;子涵" in made and "<b>" not in made
    assert line_rows([], Markup(word)) == ""


def test_lines_write_hours_once_per_figure(app):
    """``_lines`` words each participant as before (hours as ``fmt`` writes them, '—' before
    attendance, '' without a rule's figure)."""

    class P:
        def __init__(self, uid, role, attended, absent="0", excused="0", adjusted=None, reason=None):
            self.user_id, self.role = uid, role
            self.attended_hours = None if attended is None else Decimal(attended)
            self.absent_hours, self.excused_hours = Decimal(absent), Decimal(excused)
            self.adjusted_hours, self.adjust_reason = adjusted, reason

    class U:
        def __init__(self, uid):
            self.id, self.username, self.display_name = uid, f"u{uid}", f"名{uid}"

    class Act:
        type_key = "lecture"

    people = [(P(1, "speaker", "3.0"), U(1)), (P(2, "attendee", None, "1.50"), U(2)),
              (P(3, "attendee", "2.5", adjusted=Decimal("1"), reason="r"), U(3))]
    with app.test_request_context("/?lang=en"):
        lines = _lines(Act(), people, {1: Decimal("6.0"), 3: Decimal("1")})
    assert [(ln.username, ln.attended, ln.absent, ln.would_get, ln.adjusted) for ln in lines] == [
        ("u1", "3", "0", "6", None), ("u2", "—", "1.5", "", None), ("u3", "2.5", "0", "1", "r")]
    assert lines[0].role != lines[1].role == lines[2].role
