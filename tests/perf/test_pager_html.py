# ruff: noqa: E501  (the reference is the template's markup, line for line)
"""The page links written in Python (``helpers.pager``, a template global) are the markup the
``_paging.html`` macro wrote, byte for byte: the macro is kept here as the reference, and both
are given the same pages (one page, a first page with more, a middle page, a last page reached
through a cursor), list arguments, dropped filters, test ids and current URLs (query arguments
kept, replaced, one needing escaping), in Chinese and English."""

from __future__ import annotations

import itertools

import pytest
from markupsafe import Markup

from portal.paging import Page
from portal.web.helpers import pager

# _paging.html as it was
REFERENCE = """{% macro pager(page, after='after', before='before', testid='pager', drop={}) %}
{% if page.next or page.prev or page.moved %}
<nav aria-label="{{ _('Pages') }}">
  <ul class="pagination flex-wrap" data-testid="{{ testid }}">
    <li class="page-item{% if not page.moved %} disabled{% endif %}"><a class="page-link" href="{{ url_with(**dict(drop, **{after: None, before: None})) }}" data-testid="{{ testid }}-first">{{ _('First page') }}</a></li>
    <li class="page-item{% if not page.prev %} disabled{% endif %}"><a class="page-link" href="{{ url_with(**dict(drop, **{after: None, before: page.prev})) if page.prev else '#' }}" data-testid="{{ testid }}-prev">{{ _('Previous') }}</a></li>
    <li class="page-item{% if not page.next %} disabled{% endif %}"><a class="page-link" href="{{ url_with(**dict(drop, **{after: page.next, before: None})) if page.next else '#' }}" data-testid="{{ testid }}-next">{{ _('Next') }}</a></li>
  </ul>
</nav>
{% endif %}
{% endmacro %}"""

PAGES = [Page([], None, None, False), Page([1], "2026-09-01T08:00:00|7", None, False),
         Page([1], "2026-09-01T08:00:00|7", "2026-08-01T08:00:00|3", True),
         Page([1], None, "2026-08-01T08:00:00|3", True), Page([], None, None, True)]
LISTS = [{}, {"after": "rafter", "before": "rbefore", "testid": "reviewed-pager"},
         {"testid": "held-pager", "drop": {"type": None}}, {"testid": 'a"<b>', "drop": {}}]
URLS = ["/review", "/review?lang=en", "/review?type=lecture&rafter=x&people=3",
        "/review?type=%3Cb%3E&organizer=9&after=2026-01-01T00:00:00|1&lang=zh", "/activities?q=a%26b&before=z"]


@pytest.mark.parametrize("url", URLS)
def test_pager_is_the_macro(app, url):
    macro = app.jinja_env.from_string(REFERENCE).module.pager
    shown = 0
    with app.test_request_context(url):
        for page, args in itertools.product(PAGES, LISTS):
            made = pager(page, **args)
            assert isinstance(made, Markup)
            assert str(made) == str(macro(page, **args)), (page, args)
            shown += "<nav" in made
    assert shown == 4 * len(LISTS)  # every page but the only one shows its links
    if "lang=en" in url:
        assert "First page" in made
    elif url == "/review":
        assert "首页" in made or "第一页" in made


def test_the_queue_writes_its_pagers_without_the_macro(app):
    """No template imports the macro any more: the pages' pagers are the global's."""
    assert "pager" in app.jinja_env.globals
    for name in ("review/queue.html", "activities/index.html", "admin/staff.html", "audit/index.html",
                 "district/overview.html"):
        source = app.jinja_env.loader.get_source(app.jinja_env, name)[0]
        assert "_paging.html" not in source and "pager(" in source
