"""Query-count guard: each main page and the services behind it run a fixed number of SQL
statements, the same for a school of 10 teachers as for one of 100 (and with ten times the
rows in the database). Relationships are ``lazy="raise"`` and, while counting, every ORM
query carries ``raiseload("*")``: a lazy load fails the test instead of adding a query."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import RelationshipProperty

from portal.extensions import db
from portal.models import Activity, CreditEntry, Participation, School, User
from portal.services import credits, overview, transitions
from portal.timeutil import current_school_year
from tests.perf.conftest import QueryCounter
from workflows.definition import Phase

MAX_PAGE_QUERIES = 8  # the goal for every main page


def count(queries: QueryCounter, fn: Callable[[], object]) -> int:
    db.session.expunge_all()  # a fresh session, as in a request; loaded objects stay readable
    with queries.counting():
        fn()
    return queries.count


def test_every_relationship_raises_on_lazy_load(app):
    rels = [
        (mapper.class_.__name__, rel.key, rel.lazy)
        for mapper in db.Model.registry.mappers
        for rel in mapper.relationships
        if isinstance(rel, RelationshipProperty)
    ]
    assert rels, "no relationships found"
    assert [r for r in rels if r[2] != "raise"] == []


def test_the_counter_sees_lazy_loads_as_errors(app, queries, generated):
    [code] = generated(teachers=10)
    act = db.session.execute(select(Activity).limit(1)).scalar_one()
    with queries.counting(), pytest.raises(Exception, match="lazy"):
        act.participations  # noqa: B018 - the lazy load itself is the test
    with queries.counting():
        db.session.execute(select(School).where(School.code == code)).scalar_one()
    assert queries.count == 1


# -- services ------------------------------------------------------------------------------


def test_school_summary_is_four_queries_whatever_the_size(app, queries, sizes):
    year = current_school_year()
    result = sizes(lambda s: count(queries, lambda: credits.school_summary(s.school, year)))
    assert result[0] <= 4 and len(set(result)) == 1, result


def test_teacher_year_is_flat(app, queries, sizes):
    year = current_school_year()
    result = sizes(lambda s: count(queries, lambda: credits.teacher_year(s.teacher, s.school, year)))
    assert result[0] <= 3 and len(set(result)) == 1, result


def test_entries_and_history_are_one_query(app, queries, sizes):
    result = sizes(lambda s: count(queries, lambda: credits.entries_for(s.admin.id, s.school.id)))
    assert result == (1, 1, 1)
    result = sizes(lambda s: count(queries, lambda: transitions.history(s.busiest.id)))
    assert result == (1, 1, 1)


SETTINGS_LOOKUP = r"FROM school_activity_type\s+WHERE school_activity_type.school_id = \S+ AND school_activity_type.type_key"


def count_split(queries: QueryCounter, fn: Callable[[], object]) -> tuple[int, int]:
    """(queries apart from per-type settings lookups, per-type settings lookups)."""
    total = count(queries, fn)
    rest = queries.count_except(SETTINGS_LOOKUP)
    return rest, total - rest


def test_review_queue_waiting_list_and_activity_list_are_flat(app, queries, sizes):
    """Flat in activities, participants and evidence; the school's type settings are read in
    one query (``schools.all_type_settings``), whatever types the list holds."""
    types = 0  # no per-type settings lookups remain
    for base, measure in (
        (5, lambda s: overview.review_queue(s.school.id, (Phase.AWAITING_REVIEW, Phase.CONFIRMED))),
        (3, lambda s: overview.waiting_on(s.teacher.id, s.school.id)),
        (2, lambda s: overview.list_activities(s.school.id, overview.ActivityFilters(), page=1).items),
        (1, lambda s: overview.activities_page(s.school.id, overview.ActivityFilters()).items),
    ):
        result = sizes(lambda s, m=measure: count_split(queries, lambda: m(s)))
        assert len({rest for rest, _ in result}) == 1 and result[0][0] <= base, (result, queries.report())
        assert all(lookups <= types for _, lookups in result), result


def test_district_overview_is_flat_in_the_number_of_schools(app, queries, generated):
    year = current_school_year()
    generated(schools=1, teachers=10)
    one = count(queries, lambda: overview.district_overview(year))
    generated(schools=4, teachers=10)
    five = count(queries, lambda: overview.district_overview(year))
    assert one == five <= 6, (one, five)
    warm = count(queries, lambda: overview.district_overview(year))
    assert warm == 1, queries.report()  # every school's row from the cache: only the school list


def test_posting_credits_is_flat_in_the_number_of_participants(app, queries, generated):
    """Crediting an activity: the same statements for 8 participants as for 60."""
    generated(teachers=100, years=1, seed=3)
    reviewed = db.session.execute(
        select(Activity.id, func.count(Participation.id))
        .join(Participation, Participation.activity_id == Activity.id)
        .where(Activity.state == "reviewed")
        .group_by(Activity.id)
        .order_by(func.count(Participation.id))
    ).all()
    small_id, big_id = reviewed[0][0], reviewed[-1][0]
    assert reviewed[-1][1] > 3 * reviewed[0][1]
    results = []
    for act_id in (small_id, big_id):
        act = db.session.get(Activity, act_id)
        reviewer = db.session.execute(
            select(User).where(
                User.username.in_(["g0001-t002", "g0001-t003"]),
                User.id != act.organizer_id,
                User.id.not_in(select(Participation.user_id).where(Participation.activity_id == act_id)),
            )
        ).scalars().first()
        count(queries, lambda: transitions.fire(act_id, act.school_id, reviewer, "credit", ""))  # noqa: B023
        entries = [q for q in queries.queries if q.lstrip().startswith("INSERT INTO credit_entry")]
        others = [q for q in queries.queries if not q.lstrip().startswith("INSERT INTO credit_entry")]
        written = db.session.scalar(select(func.count()).select_from(CreditEntry).where(CreditEntry.activity_id == act_id))
        assert written > 0 and len(entries) == 1  # one executemany for the whole round
        results.append(len(others))
    assert results[0] == results[1], results
