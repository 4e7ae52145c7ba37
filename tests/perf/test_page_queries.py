"""Query-count guard on the main pages: each runs a fixed number of SQL statements (≤ 8 is
the goal), the same for a school of 10 teachers as for one of 100, and again for the small
school once the database holds ten times the rows. Lazy loads raise while counting.

Pages with a cached part (portal/page_cache.py) are counted twice: on a cold cache (the
part is rendered, every query runs) and on a warm one (only the login query runs)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from portal.extensions import cache, db
from portal.models import Activity
from portal.page_cache import STATS_KEY
from portal.registry import registry
from tests.perf.conftest import QueryCounter, Site, login

PAGES: dict[str, tuple[str, Callable[[Site], str], int, int]] = {
    # name: (who views it, the URL, statements pinned today apart from per-type settings
    # lookups, how many lists on the page read the settings)
    # the writing, the school's types and the plan are in the year's union (the plan since round 59)
    "teacher home": ("teacher", lambda s: "/", 5, 1),
    # the stored rows, writing, groups, who teaches there today (those who left are marked); columns from the rows
    "school summary": ("admin", lambda s: "/reports/summary", 6, 1),
    # pages, counts and type settings in one; people, with whether the viewer takes part in the reviewed
    # (whether they may post their credits: the queue offers no step the workflow refuses them); evidence;
    # and what the page reads of the history in one (``transitions.queue_history``, round 56: three statements
    # before): who organised each before it was handed over and who brought it to review (involved still:
    # ``access.involved_before``); whether each held one's latest step returned it (``transitions.last_returns``:
    # its card says so); the refusals of the same teachers' declarations before (``transitions.refused_before``:
    # a declaration declared again after a refusal, its card says so; asked whichever types the page holds,
    # so the page's statements do not depend on them); the school's other standing declarations sharing a
    # held declaration's certificate file or number, whenever a held card is a declaration (round 61; the
    # pins here are the worst case: a page without one sends one fewer, test_queue_shared_statement.py)
    # (``shared_certificates.told_to_each``: its card names them)
    "review queue": ("reviewer", lambda s: "/review", 6, 1),
    # filtered to one type (``?type=``): the type bound in the pages' one; lectures are no declarations, so
    # no shared certificates are asked (round 61)
    "review queue of one type": ("reviewer", lambda s: "/review?type=lecture", 5, 1),
    # of one organiser (``?organizer=``) and type: the same statements, both bound in the pages' one
    "review queue of one organiser": ("reviewer", lambda s: f"/review?organizer={_queue_organizer(s)}&type=lecture", 5, 1),
    # 4: the organizer comes with the history (they planned it); whether it is open for sign-up
    # with the activity and its lock (the window read only when there is one); the school's settings
    # of its type too (that statement is the one counted apart as the settings lookup; it was a
    # statement of its own, 5 + 1); +1 of a credited one (the busiest is): its participants' hours
    # as credited, from the ledger (``credits.credited_hours``, as its 学分认定表), not the rule again.
    # Its clashes with other activities are not asked: attendance is recorded no more (see
    # test_the_clashes_cost_one_statement_to_who_may_organise_an_open_activity)
    "activity page": ("admin", lambda s: f"/activities/{s.busiest.id}", 5, 1),
    "activities list": ("admin", lambda s: "/activities", 4, 1),  # keyset: no COUNT
    # the list changed after planning (``web.activities.participants``): the user, the activity, its people, its
    # lock, the school's members and its teaching groups for the picker (their members: one more, where there are
    # groups). The activity page's link to it asks nothing more (its pins above are unchanged)
    "participants page": ("admin", lambda s: f"/activities/{s.open.id}/participants", 6, 0),
    # the user, the district, the rounds, the activities still to credit with their count (one)
    "school submission": ("admin", lambda s: "/submission", 4, 0),
}
# Pages whose body is a cached part: statements on a warm cache (the user with their
# schools and roles, in one query).
def _queue_organizer(s: Site) -> int:
    """Who organised the school's first held lecture (read before the page is counted)."""
    return db.session.execute(
        select(Activity.organizer_id).where(Activity.school_id == s.school.id, Activity.type_key == "lecture",
                                            Activity.state == "held").order_by(Activity.id).limit(1)
    ).scalar_one()


WARM: dict[str, int] = {"teacher home": 1, "school summary": 1}
MAX_STATEMENTS = 8
SETTINGS_LOOKUP = r"FROM school_activity_type\s+WHERE school_activity_type.school_id = \S+ AND school_activity_type.type_key"


def page_queries(app, queries: QueryCounter, site: Site, who: str, url: str) -> tuple[int, int]:
    """Statements of one GET of ``url`` as ``who``. Each request runs in an app context of its
    own, as under a server: the test's long-lived context would share ``g`` (and with it the
    cached current school) between requests."""
    client = login(app.test_client(), getattr(site, who), site.school.id)
    with app.app_context():
        warm = client.get(url)  # first-request work (template compilation) is not the page's
        cache.clear()  # ... and the page's cached part is rendered again: the cold cost
    with app.app_context(), queries.counting():
        response = client.get(url)
    assert warm.status_code == response.status_code == 200, (url, warm.status_code, response.status_code)
    rest = queries.count_except(SETTINGS_LOOKUP)
    return rest, queries.count - rest


@pytest.mark.parametrize("page", list(PAGES))
def test_page_runs_the_same_statements_at_10_and_100_teachers(app, queries, sizes, page):
    """The same statements whatever the size; the pinned count may only go down. Each type's
    school settings are read once per request and type present on the page (up to one query
    per installed type, never per row): counted apart, bounded by the number of types."""
    who, url, pinned, lists = PAGES[page]
    result = sizes(lambda s: page_queries(app, queries, s, who, url(s)))
    rest = {r for r, _ in result}
    assert len(rest) == 1, (page, result, queries.report())
    assert rest.pop() <= pinned, (page, result, queries.report())
    assert all(lookups <= lists * len(registry().keys()) for _, lookups in result), (page, result)
    assert all(r + lookups <= MAX_STATEMENTS for r, lookups in result), (page, result)  # the goal


CLASHES = r"count\(DISTINCT \S+\.user_id\)"  # overlaps.sharing_time's statement


def test_the_clashes_cost_one_statement_to_who_may_organise_an_open_activity(app, queries, sizes, monkeypatch):
    """The page of an activity attendance may still be recorded for names the other activities at
    its time sharing people with it (``web.clashes``) to who may organise it: one statement more
    than the page without them, whatever the size; a teacher who may not organise it is not asked."""
    from portal.web import clashes

    asked = clashes.lines

    def page(s: Site, who: str, with_clashes: bool) -> tuple[int, int]:
        monkeypatch.setattr(clashes, "lines", asked if with_clashes else lambda act, school: [])
        client = login(app.test_client(), getattr(s, who), s.school.id)
        with app.app_context():
            assert client.get(f"/activities/{s.open.id}").status_code == 200
        with app.app_context(), queries.counting():
            assert client.get(f"/activities/{s.open.id}").status_code == 200
        return queries.count, queries.count - queries.count_except(CLASHES)

    def measure(s: Site) -> tuple[tuple[int, int], ...]:
        return tuple(page(s, who, on) for who in ("admin", "teacher") for on in (True, False))

    for (admin, admin_clash), (admin_without, _n), (teacher, teacher_clash), (teacher_without, _m) in sizes(measure):
        assert (admin_clash, admin) == (1, admin_without + 1)
        assert (teacher_clash, teacher) == (0, teacher_without)


def warm_queries(app, queries: QueryCounter, site: Site, who: str, url: str) -> tuple[int, int]:
    """Statements of a GET of ``url`` whose cached part is already there, and the cache hits
    it made."""
    client = login(app.test_client(), getattr(site, who), site.school.id)
    with app.app_context():
        client.get(url)
    hits = app.extensions[STATS_KEY]["hit"]
    with app.app_context(), queries.counting():
        assert client.get(url).status_code == 200
    return queries.count, app.extensions[STATS_KEY]["hit"] - hits


@pytest.mark.parametrize("page", list(WARM))
def test_cached_page_runs_one_statement_when_warm(app, queries, sizes, page):
    who, url, _pinned, _lists = PAGES[page]
    result = sizes(lambda s: warm_queries(app, queries, s, who, url(s)))
    assert {r for r in result} == {(WARM[page], 1)}, (page, result, queries.report())
