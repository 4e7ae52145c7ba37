"""The review queue's words (the labels its cards and rows are written with) are said once per
catalogue and kept with it (``i18n.keep_words``): a second request of the queue in a language asks
the catalogue for none of them, writes the same page, and each language keeps its own words."""

from __future__ import annotations

import re

import pytest
from jinja2 import pass_eval_context

from portal import i18n
from tests.perf.test_page_cycles import _signed_in

CSRF = re.compile(r'name="csrf_token" type="hidden" value="[^"]*"|value="[^"]*" name="csrf_token"')


@pytest.fixture
def counted(make_app):
    site = make_app(demo=True, CACHE_TYPE="NullCache")
    real = site.jinja_env.globals["_"]
    asked: list[str] = []

    @pass_eval_context
    def say(eval_ctx, string, **variables):
        asked.append(string)
        return real(eval_ctx, string, **variables)

    site.jinja_env.globals["_"] = say
    for lang in ("zh", "en"):  # the catalogues are the process's: another test's queue may have kept its words
        with site.test_request_context(f"/review?lang={lang}"):
            kept = i18n._page_translations().__dict__.get(i18n._KEPT, {})
            for key in [k for k in kept if k[0] == i18n._WORDS]:
                del kept[key]
    return site, asked


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_second_queue_says_none_of_its_words_again(counted, lang):
    site, asked = counted
    client = _signed_in(site)("reviewer")
    first = client.get(f"/review?lang={lang}")
    assert first.status_code == 200
    said_first = list(asked)
    asked.clear()
    second = client.get(f"/review?lang={lang}")
    assert second.status_code == 200
    assert CSRF.sub("", second.get_data(as_text=True)) == CSRF.sub("", first.get_data(as_text=True))
    kept = {"at most %(n)s", "List all %(n)s people", "Evidence short", "Organizer's materials",
            "hours adjusted in review", "Comment (required to return, or when you change hours)"}  # said by the cards only
    assert kept <= set(said_first)
    assert not kept & set(asked)  # before: every request said them all
    assert len(said_first) - len(asked) >= 20
    assert "Review queue" in asked  # the page's other words are still said each time


def test_each_language_keeps_its_own_words(counted):
    site, _asked = counted
    client = _signed_in(site)("reviewer")
    zh = client.get("/review?lang=zh").get_data(as_text=True)
    en = client.get("/review?lang=en").get_data(as_text=True)
    zh_again = client.get("/review?lang=zh").get_data(as_text=True)
    assert CSRF.sub("", zh_again) == CSRF.sub("", zh)
    assert "Hours to credit" in en and "Hours to credit" not in zh
