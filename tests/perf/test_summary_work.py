"""The school summary's per-teacher work (issue 19, round 22): the assessment hook's
implementations are looked up once a summary, every teacher still asked of the policy; the
enabled types' statement is built once, its school bound; a row's name, login and link are
escaped by one ``str.translate`` exactly as markupsafe escapes them."""

from __future__ import annotations

import pluggy
from sqlalchemy import event, select

from portal import assessment, plugin_loader
from portal.extensions import db
from portal.hookspecs import hookimpl
from portal.models import School
from portal.registry import registry
from portal.services import credits, schools, teacher_years
from portal.timeutil import current_school_year


def _school(code: str) -> School:
    return db.session.execute(select(School).where(School.code == code)).scalar_one()


def test_a_summary_looks_the_policy_up_once_and_asks_it_for_every_teacher(app, generated, monkeypatch):
    [code] = generated(teachers=12, years=1, seed=51)
    school, year = _school(code), current_school_year()
    looked_up: list[str] = []
    asked: list[int] = []
    get_hookimpls = pluggy.HookCaller.get_hookimpls

    def counted_lookup(caller: pluggy.HookCaller) -> list:
        looked_up.append(caller.name)
        return get_hookimpls(caller)

    seed_policy = assessment.seed_policy

    def counted_policy(facts: assessment.YearFacts) -> assessment.Assessment:
        asked.append(facts.user_id)
        return seed_policy(facts)

    monkeypatch.setattr(pluggy.HookCaller, "get_hookimpls", counted_lookup)
    monkeypatch.setattr(assessment, "seed_policy", counted_policy)
    for summary in (lambda: teacher_years.summary_rows(school, year), lambda: credits.school_summary(school, year)):
        looked_up.clear()
        asked.clear()
        rows = summary()
        assert rows is not None and len(rows) >= 12
        assert looked_up.count("portal_assess_year") == 1  # was once per teacher
        assert sorted(asked) == sorted(r.user.id for r in rows)  # the policy still decides each teacher
        assert [r.assessment for r in rows] == [seed_policy(r.facts) for r in rows]


def test_the_enabled_types_are_one_statement_built_once_with_the_school_bound(app, generated):
    first, second = generated(schools=2, teachers=4, years=1, seed=52)
    a, b = _school(first), _school(second)
    executed: list[object] = []

    def seen(_conn, clause, *_args):
        executed.append(clause)

    event.listen(db.engine, "before_execute", seen)
    try:
        types_a, types_b = schools.enabled_types(a.id), schools.enabled_types(b.id)
        none = schools.enabled_types(b.id + 10_000)  # no such school
    finally:
        event.remove(db.engine, "before_execute", seen)
    assert types_a and types_b and none == []  # the bound school, not the first one
    assert executed == [schools._ENABLED_KEYS] * 3  # the same statement object, not one built per call


def test_the_teaching_and_accepted_statement_is_built_once_with_school_and_year_bound(app, generated):
    first, second = generated(schools=2, teachers=4, years=1, seed=53)
    a, b, year = _school(first), _school(second), current_school_year()
    executed: list[object] = []

    def seen(_conn, clause, *_args):
        executed.append(clause)

    event.listen(db.engine, "before_execute", seen)
    try:
        teaching_a, _ = credits.teaching_now_and_accepted(a.id, year)
        teaching_b, _ = credits.teaching_now_and_accepted(b.id, year)
    finally:
        event.remove(db.engine, "before_execute", seen)
    assert teaching_a == credits.teaching_now(a.id) and teaching_b == credits.teaching_now(b.id)
    assert teaching_a and teaching_a.isdisjoint(teaching_b)  # each its own school's teachers
    assert executed == [credits._TEACHING_AND_ACCEPTED] * 2  # one statement object, not one built per call


def test_the_portals_own_policy_is_asked_without_the_plugin_boundary(app, generated, monkeypatch):
    """The default policy is core code: a summary of a hundred teachers timed it through the
    plugin boundary once per teacher. Another plugin's policy is still asked inside it."""
    [code] = generated(teachers=6, years=1, seed=54)
    school, year = _school(code), current_school_year()
    crossed: list[tuple[str, str]] = []
    running = plugin_loader.LoadedPlugins.running

    def counted(self, plugin: str, hook: str):
        crossed.append((plugin, hook))
        return running(self, plugin, hook)

    monkeypatch.setattr(plugin_loader.LoadedPlugins, "running", counted)
    rows = credits.school_summary(school, year)
    assert rows and not [c for c in crossed if c[1] == "portal_assess_year"]

    class Other:
        @hookimpl
        def portal_assess_year(self, facts):
            return None  # no opinion: the default decides

    loaded = registry().plugins
    loaded.manager.register(Other(), name="test.other_policy")
    try:
        again = credits.school_summary(school, year)
    finally:
        loaded.manager.unregister(name="test.other_policy")
    assert [c for c in crossed if c[1] == "portal_assess_year"] == [("test.other_policy", "portal_assess_year")] * len(rows)
    assert [r.assessment for r in again] == [r.assessment for r in rows]
