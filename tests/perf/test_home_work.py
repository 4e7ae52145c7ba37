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
from tests.perf.conftest import WatchedCache
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


def test_the_home_reads_the_schools_types_with_the_teachers_year(app):
    """Round 38: the home reads the school's types (settings and which are on) in the teacher
    year's UNION ALL (``credits.teacher_year_and_types``), not in a statement of their own: the
    same year, settings and enabled types as ``teacher_year`` and ``schools.settings_and_enabled``
    — a type with settings stored, one switched off, one with none stored."""
    from portal.policy import SYSTEM
    from portal.services import credits, schools
    from portal.timeutil import current_school_year
    from tests.support import factories

    school = factories.school()
    teacher = factories.person(school, "t1", "teacher")
    schools.set_type(school, "lecture", settings={"speaker_multiplier": 3}, by=SYSTEM)
    schools.set_type(school, "reading_club", enabled=False, by=SYSTEM)
    year = current_school_year(school.timezone)
    record, types, _plan = credits.teacher_year_and_types(teacher, school, year)
    assert record == credits.teacher_year(teacher, school, year)
    settings, enabled = schools.settings_and_enabled_of(types)
    settings_alone, enabled_alone = schools.settings_and_enabled(school.id)
    assert [r.decl.key for r in enabled] == [r.decl.key for r in enabled_alone]
    assert "reading_club" not in [r.decl.key for r in enabled] and "lecture" in [r.decl.key for r in enabled]
    for key in registry().types:
        assert settings[key] == settings_alone[key], key
    assert settings["lecture"]["speaker_multiplier"] == 3


def test_the_homes_statements_are_not_looked_up_in_the_engines_cache(app, monkeypatch):
    """Round 38: the home's statements built once keep their compiled form beside them
    (``database.keep_compiled``): the engine's compiled cache hashed each one's whole structure
    on every run (23 µs for the teacher year's UNION ALL). The home's services ask it of none;
    their rows are the same as read through it."""
    from sqlalchemy import event

    from portal.extensions import db
    from portal.services import credits, schools
    from portal.timeutil import current_school_year
    from tests.support import factories

    school = factories.school()
    people = factories.staff(school)
    teacher = people["t1"]
    year = current_school_year(school.timezone)
    factories.plan(school, people["organizer"], "lecture", [(teacher, "attendee")], {"topic": "作业设计"})

    def home_reads() -> list:
        rows = overview.participations(teacher.id, school.id, forecast.OUTLOOK_PHASES, year)
        settings = schools.all_type_settings(school.id)
        return [
            credits.teacher_year_and_types(teacher, school, year), rows,
            credits.entry_lines(teacher.id, school.id, year),
            overview.waiting_on(teacher.id, school.id, rows, settings),
            schools.settings_and_enabled(school.id)[1],
        ]

    first = home_reads()  # compiled here, once
    watched = WatchedCache(db.engine._compiled_cache)
    monkeypatch.setattr(db.engine, "_compiled_cache", watched)
    ran: list[str] = []

    def count(*args: object) -> None:
        ran.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        again = home_reads()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert again == first and first[1]  # an activity of theirs
    # every statement found its compiled form beside it (all_type_settings' too, not the home's:
    # the other pages' statements built once keep theirs since round 38, continued)
    assert len(ran) == 6 and not watched.asked, (ran, watched.asked)


def test_the_home_reads_the_teachers_plan_with_their_year(app):
    """Round 59: the home reads the teacher's plan of the year in the year's UNION ALL
    (``credits.teacher_year_and_types``), not in a statement of its own: what it shows of it
    (status, comment, target, targets by type in their order) is what ``plans.plan_row_of``
    reads — a plan returned with a comment, a draft without targets, none (None) — and
    never a colleague's."""
    from portal.services import access, credits, plans
    from portal.timeutil import current_school_year
    from tests.support import factories

    school = factories.school()
    people = factories.staff(school)
    year = current_school_year(school.timezone)
    plans.set_deadline(school, year, plans.year_bounds(year)[1].isoformat(), by=access.actor(people["admin"].id, school.id))
    t1, t2, t3 = people["t1"], people["t2"], people["t3"]
    sent = plans.save(school, t1, year, "提高课堂提问的有效性。", "", "62.5", {"observation": "12.5", "lecture": "30"},
                      by=access.actor(t1.id, school.id), submit=True)
    plans.decide(sent, "return", "请写明每学期的目标。", by=access.actor(people["reviewer"].id, school.id))
    plans.save(school, t2, year, "整本书阅读。", by=access.actor(t2.id, school.id))
    shown = {t.username: credits.teacher_year_and_types(t, school, year)[2] for t in (t1, t2, t3)}
    assert shown[t3.username] is None and plans.plan_row_of(school.id, t3.id, year) is None
    for teacher in (t1, t2):
        plan, row = shown[teacher.username], plans.plan_row_of(school.id, teacher.id, year)
        assert plan == (row.status, row.comment, row.target_hours, row.type_targets), teacher.username
        assert list((plan.type_targets or {}).items()) == list((row.type_targets or {}).items())
    assert shown[t1.username] == ("returned", "请写明每学期的目标。", Decimal("62.5"), {"observation": "12.5", "lecture": "30"})
    assert shown[t2.username].status == "draft" and shown[t2.username].comment == ""


def test_the_outlook_asks_the_core_rule_once_per_alike_activity(app, monkeypatch):
    """Round 59: the outlook (``forecast.pending_activities``) asks a type crediting by the core
    rule once per distinct activity hours, role and recorded figures of the page — what that rule
    and its bounds read —, not once per activity: four planned lectures of 2 h and one of 2.5 h,
    one more of 2 h attended 1.5 h, ask three times. Each activity's hours are what it asked
    alone gives."""
    from portal.activity_types import ActivityType
    from portal.services import schools
    from portal.services.ledger import core_rule
    from portal.timeutil import current_school_year
    from tests.support import factories

    school = factories.school()
    people = factories.staff(school)
    teacher, organizer = people["t1"], people["organizer"]
    lecture = registry().get("lecture").type
    assert core_rule(lecture)
    details = lecture.sample_details()
    for hours in ("2", "2", "2.5", "2", "2"):
        factories.plan(school, organizer, "lecture", [(teacher, "attendee")], dict(details), hours=hours)
    attended = factories.plan(school, organizer, "lecture", [(teacher, "attendee")], dict(details), hours="2")
    factories.attend(attended, organizer, {teacher.id: "1.5"})
    year = current_school_year(school.timezone)
    rows = overview.participations(teacher.id, school.id, forecast.OUTLOOK_PHASES, year)
    settings = schools.all_type_settings(school.id)
    alone = {act.id: (credit_hours_for if p.attended_hours is not None else credit_ceiling)(
        lecture, act, p, settings["lecture"]) for p, act in rows}
    asked: list[tuple[str, object]] = []
    real = ActivityType.credit_hours
    monkeypatch.setattr(ActivityType, "credit_hours",
                        lambda self, p, a, s: asked.append((p.role, p.attended_hours)) or real(self, p, a, s))
    pending = forecast.pending_activities(rows, settings, year)
    assert len(pending) == 6 and {p.activity.id: p.hours for p in pending} == alone
    assert sorted(alone.values()) == [Decimal("1.5"), *[Decimal("2")] * 4, Decimal("2.5")]
    assert sorted(asked, key=str) == sorted([("attendee", Decimal("1.5")), ("attendee", Decimal("2")),
                                             ("attendee", Decimal("2.5"))], key=str)


def test_waiting_asks_each_types_evidence_once_per_role(app, monkeypatch):
    """Round 40: "Waiting on you" asks a type what a role must hand in once per type and role
    of the page (the contract passes the role and the type's settings, no activity), not once
    per activity: three activities as a participant and one as the leader ask twice. What is
    missing of each is as before (one report each, none handed in)."""
    from portal.services import schools
    from portal.timeutil import current_school_year
    from tests.support import factories

    school = factories.school()
    people = factories.staff(school)
    teacher = people["t1"]
    details = registry().get("school_visit").type.sample_details()
    acts = [factories.plan(school, people["organizer"], "school_visit", [(teacher, role)], dict(details))
            for role in ("participant", "participant", "leader", "participant")]
    year = current_school_year(school.timezone)
    rows = overview.participations(teacher.id, school.id, forecast.OUTLOOK_PHASES, year)
    settings = schools.all_type_settings(school.id)
    visit = registry().get("school_visit").type
    asked: list[str] = []
    real = type(visit).required_evidence_for
    monkeypatch.setattr(visit, "required_evidence_for", lambda role, s: asked.append(role) or real(visit, role, s),
                        raising=False)
    waiting = overview.waiting_on(teacher.id, school.id, rows, settings)
    assert sorted(asked) == ["leader", "participant"]  # on the old code: one per activity (4)
    assert {w.activity.id: (w.role, w.missing) for w in waiting} == {
        a.id: (role, {"visit_report": 1})
        for a, role in zip(acts, ("participant", "participant", "leader", "participant"), strict=True)
    }
