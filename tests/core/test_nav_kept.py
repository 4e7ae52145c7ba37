"""The navigation bar kept in the process (``page_cache.navigation_bar``), with the page cache off.

The bar is rendered once per set of the things it shows (``page_cache.nav_parts``), which the
login query reads afresh on every request: a role given or taken, a type switched on or off, the
language and a change made through another app on the same database each show on the very next
page, and the bar served is the one a fresh render gives.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import School, User
from portal.page_cache import NAV_MEMO_KEY, STATS_KEY
from portal.policy import SYSTEM
from portal.services import schools, staff
from tests.credits.helpers import login
from tests.support import factories as f

pytestmark = pytest.mark.filterwarnings("ignore:Flask-Caching.*NullCache")

NAV = re.compile(r'<nav class="navbar.*?</nav>', re.S)
TOKEN = re.compile(r'name="csrf_token" value="[^"]*"')


def bar_of(client: FlaskClient, url: str = "/") -> str:
    page = client.get(url)
    assert page.status_code == 200
    return TOKEN.sub("", NAV.search(page.get_data(as_text=True)).group(0))


def kept_bar(app: Flask, client: FlaskClient, url: str = "/") -> str:
    """The bar of ``url`` as served, after checking that a fresh render (nothing kept) gives the
    same one."""
    served = bar_of(client, url)
    app.extensions[NAV_MEMO_KEY].clear()
    assert bar_of(client, url) == served
    return served


@pytest.fixture
def cold(make_app) -> Flask:
    app = make_app(CACHE_TYPE="NullCache")
    with app.app_context():
        yield app


def test_the_bar_is_rendered_once_and_kept(cold):
    a = f.school("K1", types=("lecture",))
    client = login(cold.test_client(), f.staff(a)["t1"], a)
    stats = cold.extensions[STATS_KEY]
    first = bar_of(client)
    for url in ("/", "/activities", "/notifications"):
        assert bar_of(client, url) == first
    assert (stats["nav rendered"], stats["nav kept"], stats["nav found"]) == (1, 3, 0)


def test_a_role_given_and_taken_shows_at_once(cold):
    a = f.school("K1", types=("lecture",))
    people = f.staff(a)
    client = login(cold.test_client(), people["t1"], a)
    assert 'data-testid="nav-review"' not in kept_bar(cold, client)
    staff.set_roles(a, people["t1"].id, ["teacher", "reviewer"], by=SYSTEM)
    assert 'data-testid="nav-review"' in kept_bar(cold, client)
    staff.set_roles(a, people["t1"].id, ["teacher"], by=SYSTEM)
    assert 'data-testid="nav-review"' not in bar_of(client)  # the reviewer's bar, kept, is not served


def test_a_type_switched_on_or_off_shows_at_once(cold):
    a = f.school("K1", types=("lecture", "research"))
    people = f.staff(a)
    client = login(cold.test_client(), people["organizer"], a)
    before = kept_bar(cold, client, "/activities/new")
    assert 'data-testid="nav-plan"' in before
    for enabled in (False, True):
        schools.set_type(a, "lecture", enabled=enabled, by=SYSTEM)
        page = client.get("/activities/new").get_data(as_text=True)
        assert ('data-testid="type-lecture"' in page) is enabled
        assert kept_bar(cold, client, "/activities/new") == before  # the bar shows no type


def test_a_language_switch_shows_at_once(cold):
    a = f.school("K1", types=("lecture",))
    client = login(cold.test_client(), f.staff(a)["t1"], a)
    chinese = kept_bar(cold, client, "/?lang=zh")
    english = kept_bar(cold, client, "/?lang=en")
    assert 'data-testid="lang-zh"' in english and ">Log out<" in english
    assert 'data-testid="lang-en"' in chinese and ">Log out<" not in chinese
    assert bar_of(client, "/?lang=zh") == chinese  # both kept, each served in its language
    assert bar_of(client, "/") == chinese
    assert bar_of(client, "/?lang=en") == english


def test_a_change_made_through_another_app_shows_at_once(make_app):
    """Two apps on one database, as two workers: each keeps its own bars; a role given and a
    school renamed through one show in the other's next page."""
    reader = make_app(CACHE_TYPE="NullCache")
    with reader.app_context():
        a = f.school("K1", types=("lecture",))
        people = f.staff(a)
        client = login(reader.test_client(), people["t1"], a)
        before = kept_bar(reader, client)
        assert bar_of(client) == before and 'data-testid="nav-review"' not in before
        uri, school_id, t1_id = reader.config["SQLALCHEMY_DATABASE_URI"], a.id, people["t1"].id
    writer = make_app(CACHE_TYPE="NullCache", SQLALCHEMY_DATABASE_URI=uri)
    with writer.app_context():
        school = db.session.get(School, school_id)
        staff.set_roles(school, t1_id, ["teacher", "reviewer"], by=SYSTEM)
        school.name = "改名学校"
        db.session.commit()
    with reader.app_context():
        login(client, db.session.get(User, t1_id), db.session.get(School, school_id))
        after = bar_of(client)
        assert 'data-testid="nav-review"' in after and ">改名学校<" in after
        assert kept_bar(reader, client) == after


def test_kept_bars_are_shared_by_threads_and_stay_bounded():
    """Threads looking bars up while others add and evict (more viewers than bars kept): no
    ``KeyError`` from a bar evicted between one thread's look-up and its move to the end, and
    never more than ``most`` kept."""
    import threading

    from portal.page_cache import KeptBars

    kept = KeptBars(3)
    failures: list[BaseException] = []

    def viewer(n: int) -> None:
        try:
            for i in range(3000):
                parts = (n, i % 7)
                if kept.get(parts) is None:
                    kept.put(parts, f"bar {n} {i % 7}")
                assert len(kept) <= 3
        except BaseException as exc:  # noqa: BLE001 — reported below
            failures.append(exc)

    threads = [threading.Thread(target=viewer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(kept) == 3 and all(v.startswith("bar ") for v in kept.values())
