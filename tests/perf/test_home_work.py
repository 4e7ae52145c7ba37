"""The cold teacher home's work per request (round 23): a type's credit rule set up once per
type for the outlook, one registry look-up per plugin boundary, only the activity columns the
page reads, and templates calling plain functions without Jinja's general look-ups — each with
the same answers as before."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import jinja2.utils
import pytest
from jinja2 import pass_context, pass_environment, pass_eval_context
from jinja2.runtime import Context

from portal import plugin_data
from portal.jinja_env import PageContext
from portal.registry import registry
from portal.services import forecast, overview
from portal.services.ledger import credit_ceiling, credit_hours_for
from tests.perf.test_hours_each import Act, Person


@dataclass
class YearAct(Act):
    """An activity row as the outlook reads it: with its school year."""

    school_year: str = "2026-2027"


def _rows() -> list[tuple[Person, YearAct]]:
    keys = [k for k in registry().keys() if registry().get(k) is not None][:2]
    people = [Person(1, "attendee", None), Person(1, "speaker", Decimal("3")),
              Person(1, "attendee", Decimal("1.5"), Decimal("1.5")), Person(1, "attendee", None, adjusted_hours=Decimal("1"))]
    return [(p, YearAct(10 * i + j, key)) for i, key in enumerate(keys) for j, p in enumerate(people)]


def test_outlook_sets_up_each_types_rule_once_with_the_ledgers_answers(app, monkeypatch):
    rows = _rows()
    settings = {key: registry().get(key).type.settings_with_defaults({}) for key in {a.type_key for _p, a in rows}}
    expected = [
        (credit_hours_for if p.attended_hours is not None or p.adjusted_hours is not None else credit_ceiling)(
            registry().get(a.type_key).type, a, p, settings[a.type_key])
        for p, a in rows
    ]
    boundaries: list[str] = []
    real = plugin_data._running
    monkeypatch.setattr(plugin_data, "_running", lambda t, method: boundaries.append(method) or real(t, method))
    pending = forecast.pending_activities(rows, settings, "2026-2027")
    assert [p.hours for p in pending] == expected
    assert len(boundaries) == len(settings) == 2  # one per type, not one per row (8)


def test_a_boundary_looks_the_type_up_once(app, monkeypatch):
    reg = registry().get(next(iter(registry().keys())))
    asked: list[object] = []
    real = type(registry()).of
    monkeypatch.setattr(type(registry()), "of", lambda self, t: asked.append(t) or real(self, t))
    with plugin_data._running(reg.type, "credit_hours"):
        pass
    assert asked == [reg.type]


def test_participations_read_the_columns_the_home_uses():
    assert set(overview.ActivityRow._fields) == {
        "id", "school_id", "type_key", "title", "organizer_id", "starts_at", "ends_at", "hours",
        "school_year", "semester", "state", "details",
    }


def _plain(x, y=""):
    return f"plain({x},{y})"


@pass_eval_context
def _eval(eval_ctx, x):
    return f"eval({eval_ctx.autoescape},{x})"


@pass_context
def _ctx(ctx, x):
    return f"ctx({ctx.get('v')},{x})"


@pass_environment
def _env(env, x):
    return f"env({type(env).__name__},{x})"


def _stops():
    raise StopIteration


class _Callable:
    @pass_context
    def __call__(self, ctx, x):
        return f"obj({ctx.get('v')},{x})"


SOURCE = """{% macro m(a) %}m{{ a }}{% endmacro %}{% set v = 'top' %}
{{ plain(1) }} {{ plain(2, y='k') }} {{ ev('<') }} {{ cx(3) }} {{ en(4) }} {{ obj(5) }} {{ m(6) }} [{{ stops() }}]
{% for v in ['a', 'b'] %}{{ plain(v) }} {{ cx(v) }} {{ ev(v) }}{% endfor %}
{% block b %}{% set v = 'blk' %}{{ plain(7) }} {{ cx(8) }}{% endblock %}"""


def test_page_context_renders_as_jinjas_own(app):
    env = app.jinja_env
    names = {"plain": _plain, "ev": _eval, "cx": _ctx, "en": _env, "stops": _stops, "obj": _Callable()}
    ours = env.from_string(SOURCE).render(**names)
    assert env.context_class is PageContext
    env.context_class = Context
    try:
        jinjas = env.from_string(SOURCE).render(**names)
    finally:
        env.context_class = PageContext
    assert ours == jinjas
    assert "plain(2,k)" in ours and "[]" in ours and "ctx(blk,8)" in ours


def test_plain_functions_called_without_jinjas_look_ups(app, monkeypatch):
    looked: list[object] = []
    real = jinja2.utils._PassArg.from_obj.__func__
    monkeypatch.setattr(jinja2.utils._PassArg, "from_obj", classmethod(lambda cls, obj: looked.append(obj) or real(cls, obj)))
    out = app.jinja_env.from_string("{{ plain(1) }}{% for i in [1, 2] %}{{ plain(i) }}{{ ev(i) }}{% endfor %}").render(
        plain=_plain, ev=_eval)
    assert out == "plain(1,)plain(1,)eval(True,1)plain(2,)eval(True,2)"
    assert looked == []


@pytest.mark.parametrize("autoescape", [True, False])
def test_eval_context_follows_autoescape(app, autoescape):
    env = app.jinja_env
    out = env.from_string("{% autoescape " + str(autoescape).lower() + " %}{{ ev(1) }}{% endautoescape %}").render(ev=_eval)
    assert out == f"eval({autoescape},1)"
