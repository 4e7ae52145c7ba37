"""The review queue asks for the school's declarations sharing a held declaration's certificate
(``shared_certificates.told_to_each``) only on a page holding a declaration among its held cards
(round 61): a page without one sends one statement fewer, a page with one (the worst case, pinned in
``test_paging.PINNED``) the same whatever its declarations' files and numbers."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import cache, db
from portal.models import Activity
from portal.registry import registry
from portal.services import overview
from tests.perf.conftest import QueryCounter, login, site
from tests.perf.test_paging import PINNED

HELD = re.compile(r'data-testid="queue-item-(\d+)"')
NEXT = re.compile(r'href="([^"]+)"[^>]*data-testid="held-pager-next"')


def _cold(app, queries: QueryCounter, client, url: str) -> tuple[int, str]:
    with app.app_context():
        client.get(url)  # template compilation is not the page's
        cache.clear()
    with app.app_context(), queries.counting():
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return queries.count, response.get_data(as_text=True)


def test_only_a_page_holding_a_declaration_asks_for_shared_certificates(app, queries, generated, monkeypatch):
    monkeypatch.setattr(overview, "HELD_PAGE_SIZE", 2)
    [code] = generated(schools=1, teachers=30, seed=13)
    s = site(code)
    types = registry()
    client = login(app.test_client(), s.reviewer, s.school.id)
    url: str | None = "/review"
    seen: dict[bool, set[int]] = {True: set(), False: set()}
    while url is not None:
        count, page = _cold(app, queries, client, url)
        held = [int(aid) for aid in HELD.findall(page)]
        assert held, url
        keys = db.session.execute(select(Activity.type_key).where(Activity.id.in_(held))).scalars().all()
        declares = any(types.self_declared(key) for key in keys)
        asked = any("evidence.likeness" in q and "user_account.display_name" in q for q in queries.queries)
        assert asked is declares, (url, keys, queries.report())
        seen[declares].add(count)
        link = NEXT.search(page)
        url = link[1].replace("&amp;", "&") if link and link[1] != "#" else None  # "#": the last page
    # both kinds of page were met, each kind at one count: the pinned worst case, and one fewer
    assert seen == {True: {PINNED["review queue"]}, False: {PINNED["review queue"] - 1}}, seen
