"""The cold teacher home's work per request (round 23): a type's credit rule set up once per
type for the outlook, one registry look-up per plugin boundary and only the activity columns the
page reads — each with the same answers as before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from portal import plugin_data
from portal.registry import registry
from portal.services import forecast, overview
from portal.services.ledger import credit_ceiling, credit_hours_for
from tests.perf.test_hours_each import Act, Person


@dataclass
class YearAct(Act):
    """An activity row as the outlook reads it: with its school year, title and times (a day
    apart: no two at the same time, ``forecast._time_left``)."""

    school_year: str = "2026-2027"
    title: str = "活动"
    starts_at: datetime | None = None  # type: ignore[assignment]
    ends_at: datetime | None = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.starts_at = datetime(2026, 10, 1, 6, 0) + timedelta(days=self.id)
        self.ends_at = self.starts_at + timedelta(hours=3)


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


def _expanding(statement) -> list[str]:
    """The bound lists of ``statement`` written into its SQL again on every run (expanding or
    literal-execute parameters), compiled for the app's database."""
    from portal.extensions import db

    compiled = statement.compile(dialect=db.engine.dialect)
    return [p.key for p in [*compiled.post_compile_params, *compiled.literal_execute_params]]


def test_the_homes_statements_have_no_list_written_in_per_run(app):
    """Round 36: ``credits.teacher_year``'s UNION ALL and the home's participations are built once
    per set of states with each state (and written kind, and closing semester) bound on its own:
    an expanding list re-rendered the SQL and its parameters on every visit."""
    from portal.services import credits, quotas

    states = tuple(registry().states_in(*forecast.OUTLOOK_PHASES))
    year_statement = credits._teacher_year_statement(tuple(credits._confirmed_states()),
                                                     tuple(quotas.counting_states()))
    assert _expanding(year_statement) == []
    assert _expanding(overview._participations(states, True)) == []
    # built once per set of states, not per request
    assert overview._participations(states, True) is overview._participations(states, True)


def test_the_homes_settings_are_made_for_the_types_asked(app, monkeypatch):
    """``schools.settings_and_enabled``: a type's settings are made (across its plugin boundary)
    when first asked, the same as made for every type before."""
    from portal.services import schools
    from tests.support import factories

    school = factories.school()
    made: list[str] = []
    real = schools.with_defaults
    monkeypatch.setattr(schools, "with_defaults", lambda reg, stored: made.append(reg.decl.key) or real(reg, stored))
    settings, _enabled = schools.settings_and_enabled(school.id)
    assert made == []
    key = next(iter(registry().types))
    assert settings[key] == real(registry().types[key], None) and settings[key] is settings[key]
    assert made == [key]
