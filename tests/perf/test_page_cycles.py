"""A page's objects are freed when the page is written, not left to the garbage collector
(BENCHMARKS round 50). The teacher home's plan card (home/_plan.html) defined a macro of its own;
Jinja keeps such a macro in the template's context and the macro's closure refers back to that
context, so each home's context, and through it the rows, record, forecast and teacher-year it
rendered (140 objects a request on the bench data), lived on in a reference cycle until the next
collection: a served worker ran a young collection every ~70 homes instead of every ~700. The
macro now lives in a template imported without the page's context (home/_plan_deadline.html).

What is still left for the collector is Werkzeug's (the request kept in its own environ, the
URL matcher's closure), SQLAlchemy's instance states and the activity page's WTForms form:
none of them a template context."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from jinja2.runtime import Context, Macro

from tests.web.conftest import login


@contextmanager
def garbage_of() -> Iterator[list[object]]:
    """The objects that only the garbage collector could free, made inside the block."""
    gc.collect()
    was = gc.get_debug()
    gc.set_debug(was | gc.DEBUG_SAVEALL)
    found: list[object] = []
    try:
        yield found
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(was)
        gc.garbage.clear()


@pytest.fixture
def cold_site(make_app) -> Flask:
    return make_app(demo=True, CACHE_TYPE="NullCache")  # every request renders the whole page


def _signed_in(site: Flask) -> Callable[[str], object]:
    def make(username: str):
        c = site.test_client()
        assert login(c, username).status_code == 302
        return c

    return make


@pytest.mark.parametrize("username,url", [
    ("teacher1", "/?lang=zh"),
    ("teacher1", "/?lang=en"),
    ("teacher3", "/?lang=zh"),  # no plan written: the card's other branch
    ("reviewer", "/review"),
    ("admin", "/activities"),
    ("admin", "/reports/summary"),
])
def test_a_page_leaves_no_template_context_for_the_collector(cold_site, username, url):
    client = _signed_in(cold_site)(username)
    assert client.get(url).status_code == 200
    client.get(url)  # what the first request of a page makes once is not the page's
    with garbage_of() as garbage:
        assert client.get(url).status_code == 200
    kept = [type(o).__qualname__ for o in garbage if isinstance(o, Context | Macro)]
    assert kept == [], f"{url}: {len(garbage)} objects left for the collector, among them {kept}"


def test_the_homes_rows_are_freed_with_the_page(cold_site):
    """The home's own objects (its teacher-year, forecast, rows) are not among what is left."""
    client = _signed_in(cold_site)("teacher1")
    client.get("/")
    client.get("/")
    with garbage_of() as garbage:
        assert client.get("/").status_code == 200
    names = {type(o).__qualname__ for o in garbage}
    assert not names & {"TeacherYear", "Forecast", "YearFacts", "PendingActivity", "ActivityRow"}, names
