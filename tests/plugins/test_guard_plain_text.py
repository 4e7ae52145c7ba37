"""Auditor: a plugin's guard answering a plain ``str`` (``["lesson plan missing"]``) showed it as
it is on a Chinese page, and nobody heard of it. The one convention (docs/plugins.md §3
*Guards*): an item is a ``Text("中文", "English")`` or a string of the plugin's own catalogue,
already in the reader's language; any other plain ``str`` is shown as written, in every language
— the step is refused with it, as the guard asked — and one with no Chinese in it on a Chinese
page is reported with the plugin's name (the log, ``/admin/plugins``). An English page showing
English, a Chinese text, and a ``Text`` are not reported."""

from __future__ import annotations

from typing import Any

from portal.activity_types import Text
from portal.extensions import db
from portal.models import User
from portal.services import tokens
from tests.plugins.test_broken_plugins import failures
from tests.plugins.test_plugin_text import PLUGIN, _hold

REPORT = ("guard guard_quiz of trigger 'hold' of type 'rt_text' answered the plain text 'quiz scores missing', "
          "with no Chinese, on a Chinese page, which showed it as it is; answer Text(\"中文\", \"English\") "
          "or a string of the plugin's own catalogue")


def test_a_plain_english_text_on_a_chinese_page_is_shown_as_written_and_reported(make_app, plugin_log):
    app, act_id, organizer, html = _hold(make_app, lambda: "quiz scores missing", 422)
    assert "quiz scores missing" in html  # verbatim: the portal does not guess a translation
    with app.app_context():
        assert failures()[PLUGIN] == REPORT
        token = tokens.issue(db.session.get_one(User, organizer)).token
    assert f"plugin {PLUGIN}: {REPORT}" in plugin_log.text
    # an English reader of the API reads English: nothing more to report than before
    plugin_log.clear()
    api = app.test_client().post(f"/api/v1/activities/{act_id}/transitions", json={"trigger": "hold"},
                                 headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    assert api.status_code == 422 and api.get_json()["missing"] == ["quiz scores missing"]
    assert "answered the plain text" not in plugin_log.text


def _quiet(make_app: Any, answer: Any, shown: str) -> None:
    app, _act_id, _organizer, html = _hold(make_app, answer, 422)
    assert shown in html
    with app.app_context():
        assert PLUGIN not in failures()


def test_a_chinese_text_is_shown_and_not_reported(make_app):
    _quiet(make_app, lambda: "缺少测验成绩", "缺少测验成绩")


def test_a_text_pair_is_shown_in_chinese_and_not_reported(make_app):
    _quiet(make_app, lambda: Text("缺少测验成绩", "quiz scores missing"), "缺少测验成绩")
