"""Keyset paging of the lists that grow (review queue, activities, audit log, staff, district):
every row appears exactly once walking forward, the same pages walking back, a fixed number of
statements on the first and on a deep page, whatever the size; broken cursors are refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal import paging
from portal.errors import Invalid
from portal.extensions import db
from portal.models import Activity, Membership, TransitionLog
from portal.policy import SYSTEM
from portal.services import overview, schools, staff, users
from portal.sorting import name_key
from portal.timeutil import current_school_year
from tests.perf.conftest import QueryCounter, Site, login, site
from workflows.definition import Phase

MAX_STATEMENTS = 8


def walk(fetch, size: int) -> tuple[list, list[list]]:
    """All rows reached by following ``next`` from the first page, and the pages on the way."""
    pages, cursor = [], None
    while True:
        page = fetch(after=cursor, before=None, size=size)
        pages.append(page.items)
        assert len(page.items) <= size
        if page.next is None:
            break
        cursor = page.next
    return [r for p in pages for r in p], pages


def walk_back(fetch, size: int, last_prev: str | None) -> list[list]:
    pages, cursor = [], last_prev
    while cursor is not None:
        page = fetch(after=None, before=cursor, size=size)
        pages.append(page.items)
        cursor = page.prev
    return list(reversed(pages))


def test_activities_walk_forward_and_back_in_the_same_order(app, generated):
    [code] = generated(teachers=30, years=2, seed=4)
    s = site(code)
    every = list(
        db.session.execute(
            select(Activity.id).where(Activity.school_id == s.school.id)
            .order_by(Activity.starts_at.desc(), Activity.id.desc())
        ).scalars()
    )
    assert len(every) > 30

    def fetch(**kw):
        page = overview.activities_page(s.school.id, overview.ActivityFilters(), **kw)
        return paging.Page([a.id for a in page.items], page.next, page.prev, page.moved)

    rows, pages = walk(fetch, 7)
    assert rows == every  # each once, newest first
    last = overview.activities_page(s.school.id, overview.ActivityFilters(), size=7)
    # from the last page back to the first by the ``prev`` links
    cursor = last.next
    while True:
        page = fetch(after=cursor, before=None, size=7)
        if page.next is None:
            break
        cursor = page.next
    assert walk_back(fetch, 7, page.prev) + [page.items] == pages


def test_review_sections_staff_and_district_cover_every_row_once(app, generated):
    codes = generated(schools=3, teachers=20, years=1, seed=5)
    s = site(codes[0])
    for phase in (Phase.AWAITING_REVIEW, Phase.CONFIRMED):
        rows, _ = walk(lambda ph=phase, **kw: overview.review_page(s.school.id, ph, **kw), 2)
        ids = [a.id for a, _u in rows]
        assert len(ids) == len(set(ids)) == overview.queue_counts(s.school.id, (phase,))[phase]
        starts = [a.starts_at for a, _u in rows]
        assert starts == sorted(starts)  # oldest first
    rows, _ = walk(lambda **kw: staff.staff_page(s.school.id, **kw), 6)
    assert [m.user.username for m in rows] == [m.user.username for m in staff.list_staff(s.school.id)]
    year = current_school_year()
    rows, _ = walk(lambda **kw: overview.district_page(year, **kw), 2)
    # by the pinyin of the names (then code), as a Chinese reader files them
    with_names = [(r.school.name, r.school.code) for r in rows]
    assert sorted(code for _n, code in with_names) == sorted(codes)
    assert with_names == sorted(with_names, key=lambda nc: (name_key(nc[0]), nc[1]))


def test_review_sections_in_one_statement_are_the_pages_and_counts_one_by_one(app, queries, generated):
    """The queue's sections read together (a UNION ALL of each page and the counts) are the
    pages ``review_page`` reads one by one, walking forward and back in each section at once,
    the counts ``queue_counts`` gives and the school's type settings as ``all_type_settings`` reads them;
    one statement each time."""
    [code] = generated(teachers=20, years=1, seed=5)
    s = site(code)
    phases = (Phase.AWAITING_REVIEW, Phase.CONFIRMED)
    schools.set_type(s.school, "lecture", settings={"speaker_multiplier": 3}, by=SYSTEM)  # a stored setting, read back
    school_id = s.school.id

    def shown(page: paging.Page) -> tuple:
        return [a.id for a, _u in page.items], [u for _a, u in page.items], page.next, page.prev, page.moved

    cursors: list[tuple[str | None, str | None]] = [(None, None), (None, None)]
    seen = 0
    for _step in range(12):
        with queries.counting():
            pages, counts, settings = overview.review_sections(school_id, [
                (phase, after, before) for phase, (after, before) in zip(phases, cursors, strict=True)], size=2)[:3]
        assert queries.count == 1
        assert counts == overview.queue_counts(school_id, phases)
        every = schools.all_type_settings(school_id)  # each type's asked when the page asks it
        assert {key: settings[key] for key in every} == every and settings["lecture"]["speaker_multiplier"] == 3
        for page, phase, (after, before) in zip(pages, phases, cursors, strict=True):
            assert shown(page) == shown(overview.review_page(school_id, phase, after, before, size=2))
        seen += sum(len(p.items) for p in pages)
        # the held section walks forward; the reviewed one forward to the end, then back
        cursors[0] = (pages[0].next, None) if pages[0].next else (None, None)
        cursors[1] = (pages[1].next, None) if pages[1].next else ((None, pages[1].prev) if pages[1].prev else (None, None))
    assert seen > 12 and all(counts.values())


@pytest.mark.parametrize("cursor", ["nonsense", "2026-01-01T00:00:00", "2026-13-01T00:00:00~1", "x~1",
                                    "2026-01-01T00:00:00~99999999999999999999", "~", "a\x00b~1", "9" * 500])
def test_a_broken_cursor_is_refused_with_a_reason(app, generated, cursor):
    [code] = generated(teachers=10, seed=6)
    s = site(code)
    with pytest.raises(Invalid) as caught:
        overview.activities_page(s.school.id, overview.ActivityFilters(), after=cursor)
    assert getattr(caught.value, "fields", {}).get("after") is not None
    pages = [("admin", "/activities"), ("reviewer", "/review"), ("admin", "/admin/audit")]
    if "~" in cursor or len(cursor) > 200 or "\x00" in cursor:  # any other text is a place among names
        pages += [("admin", "/admin/staff")]
    for who, url in pages:
        for name in ("after", "before"):
            client = login(app.test_client(), getattr(s, who), s.school.id)
            with app.app_context():
                r = client.get(url, query_string={name: cursor, "lang": "zh_CN"})
            if "\x00" in cursor:  # refused before any view by the input guard
                assert r.status_code == 400
                continue
            assert r.status_code == 422, (url, name, r.status_code)
            text = r.get_data(as_text=True)
            assert "此页链接无效" in text or "不是此列表中的位置" in text, (url, text[:2000])


# -- statements per paged page ---------------------------------------------------------------


def _district_user():
    found = users.by_username("perf-district")
    return found or users.create_user("perf-district", "perf-password", "区教研员", None, ["district_admin"])


PAGED: dict[str, tuple[str, str, str]] = {
    # name: (who views it, the URL, the HTML a link to the next page carries)
    "review queue": ("reviewer", "/review", "held-pager-next"),
    "activities list": ("admin", "/activities", "pagination-next"),
    "audit log": ("admin", "/admin/audit", "audit-pager-next"),
    "audit ledger": ("admin", "/admin/audit?view=ledger", "audit-pager-next"),
    "staff list": ("admin", "/admin/staff", "staff-pager-next"),
    "district": ("district", "/district", "district-pager-next"),
}
#: Pinned statements (first page and the next): the login query, then the page's own (the staff
#: list: its people, their roles, and the school's groups with the page's people in them; the review
#: queue: its sections, the people (with who took part in its reviewed activities: whether the
#: viewer may post their credits) and the evidence).
# The review queue's fifth statement reads its history (transitions.queue_history, round 56: three before):
# who organised its activities before a handover and who brought them into review (access.involved_before:
# they stay involved, so they neither approve nor stand in); whether each held one's latest step returned it
# (transitions.last_returns: its card says so); the refusals of declarations declared again
# (transitions.refused_before), declarations among the held cards or not: every page the same statements.
# The sixth, whenever a held card is a declaration (round 61: before, whenever held cards were on the page):
# the school's standing declarations sharing a held declaration's certificate file or number
# (shared_certificates.told_to_each: its card names them). Pinned here is the worst case, a page holding one;
# a page holding none sends one fewer (FEWER; test_queue_shared_statement.py pins which pages do).
# The district's fifth: which of the page's schools the district closed the year of (locks.closed_clause), so
# that a year still under way counts those not yet at the requirement as in progress (assessment.counts_so_far).
PINNED = {"review queue": 6, "activities list": 4, "audit log": 3, "audit ledger": 3, "staff list": 4, "district": 5}
#: How many fewer statements a page of the list may send than its pinned worst case
FEWER = {"review queue": 1}


def _get(app, queries: QueryCounter, client, url: str) -> tuple[int, str]:
    with app.app_context():
        client.get(url)  # template compilation and the page cache's first fill are not the page's
    from portal.extensions import cache

    with app.app_context():
        cache.clear()
    with app.app_context(), queries.counting():
        r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return queries.count, r.get_data(as_text=True)


def _pages(app, queries: QueryCounter, s: Site, page: str) -> tuple[int, int]:
    """Statements of the first page and of the page its ``next`` link leads to."""
    who, url, testid = PAGED[page]
    person = _district_user() if who == "district" else getattr(s, who)
    client = login(app.test_client(), person, s.school.id)
    first, html = _get(app, queries, client, url)
    link = re.search(r'href="([^"]+)" data-testid="' + testid + '"', html)
    assert link, (page, "no next-page link")
    second, _ = _get(app, queries, client, link.group(1).replace("&amp;", "&"))
    return first, second


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of two rows, so a small generated school has several of each list."""
    for module, name in ((overview, "REVIEW_PAGE_SIZE"), (overview, "HELD_PAGE_SIZE"), (overview, "ACTIVITY_PAGE_SIZE"),
                         (staff, "STAFF_PAGE_SIZE"), (overview, "DISTRICT_PAGE_SIZE")):
        monkeypatch.setattr(module, name, 2)
    from portal.audit import service

    monkeypatch.setattr(service, "PAGE_SIZE", 2)


@pytest.mark.parametrize("page", list(PAGED))
def test_paged_page_is_a_fixed_number_of_statements(app, queries, generated, small_pages, page):
    """First page and next page, in a school of 10 teachers and of 100 (with 3 schools and
    then 8 in the district): the same statements, pinned, at most the goal of 8 (the review
    queue's: the pinned worst case, or one fewer on a page holding no declaration)."""
    [small] = generated(schools=1, teachers=10, seed=11)
    generated(schools=2, teachers=10, seed=12)
    one = _pages(app, queries, site(small), page)
    [big] = generated(schools=1, teachers=100, seed=13)
    generated(schools=4, teachers=10, seed=14)
    two = _pages(app, queries, site(big), page)
    counts = {*one, *two}
    assert max(counts) == PINNED[page] <= MAX_STATEMENTS, (page, one, two, queries.report())
    assert min(counts) >= PINNED[page] - FEWER.get(page, 0), (page, one, two, queries.report())


def test_queue_counts_come_from_one_group_by(app, queries, generated):
    [code] = generated(teachers=30, seed=15)
    s = site(code)
    phases = (Phase.AWAITING_REVIEW, Phase.CONFIRMED)
    db.session.expunge_all()
    with queries.counting():
        counts = overview.queue_counts(s.school.id, phases)
    assert queries.count == 1 and "GROUP BY" in queries.queries[0]
    assert counts == {p: len(overview.review_queue(s.school.id, (p,))) for p in phases}
    assert sum(counts.values()) > 0
    # the log and memberships exist, so the audit and staff pages have rows to page
    assert db.session.scalar(select(func.count()).select_from(TransitionLog)) > 4
    assert db.session.scalar(select(func.count()).select_from(Membership)) > 4


def test_a_prebuilt_query_gets_its_first_page_statement_once_and_cursors_still_move(app, generated):
    """The first page of a query passed again is the statement made the first time (ordering and
    limiting a large select again cost as much as running it); a cursor's page is its own."""
    generated(teachers=10, years=1, seed=6)
    query = select(Activity.id, Activity.starts_at)
    keys = (paging.Key(Activity.starts_at, paging.datetime), paging.Key(Activity.id, int))
    seen = []

    def edge(row):
        return row.starts_at, row.id

    def run(statement):
        seen.append(statement)
        return list(db.session.execute(statement).all())

    first = paging.keyset(run, query, keys, edge, size=5)
    again = paging.keyset(run, query, keys, edge, size=5)
    assert seen[0] is seen[1] and first.items == again.items and first.next
    other = paging.keyset(run, select(Activity.id, Activity.starts_at), keys, edge, size=5)
    assert seen[2] is not seen[0] and other.items == first.items  # another query object: its own
    second = paging.keyset(run, query, keys, edge, after=first.next, size=5)
    assert second.items and not set(second.items) & set(first.items)
    both = first.items + second.items
    assert [edge(r) for r in both] == sorted(edge(r) for r in both)
    back = paging.keyset(run, query, keys, edge, before=second.prev, size=5)
    assert back.items == first.items
