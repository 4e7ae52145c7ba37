"""A plugin's text is shown inside the plugin's boundary (``LoadedPlugins.running``), made a
plain ``str`` or a core ``Markup`` there (``plugin_loader.plain``/``markup``): what a guard says
is missing, the page fragment and the rendered details. Before, the core showed them later —
``str()`` of a guard's items in the engine, ``{{ fragment|safe }}`` and ``{{ label }}`` in the
page — outside it, so a ``Text``-like whose ``__str__``/``__html__`` called ``sys.exit()`` took
the request down (SystemExit is no Exception: no refusal, no notice, no report). Now the step is
refused and the page shows its notice, each naming the plugin, and the failure is reported."""

from __future__ import annotations

import sys
from typing import Any

from portal.extensions import db
from portal.models import Activity, User
from portal.services import tokens
from tests.plugins.test_broken_plugins import client_for, failures
from tests.plugins.test_request_time_failures import _held_ready, one_role_type
from workflows import WorkflowExtension

PLUGIN = "yx_text"
GUARD_NOTICE = "“测验课”类型的插件未能检查此操作，错误已记入日志，未作任何更改"  # the type's name, not the plugin's
PAGE_NOTICE = "“测验课”类型的插件未能显示本页中由它提供的内容"


class Exits:
    """A plugin's text whose every rendering calls ``sys.exit()``."""

    def __str__(self) -> str:
        sys.exit("text shown")

    def __html__(self) -> str:
        sys.exit("text shown")


class ShownOnce:
    """A plugin's text shown fine once, then calling ``sys.exit()``: the core asked it again
    when it wrote the refusal, outside the boundary."""

    def __init__(self) -> None:
        self.shown = 0

    def __str__(self) -> str:
        self.shown += 1
        if self.shown > 1:
            sys.exit("text shown twice")
        return "缺少测验成绩"


def _guarded_by(answer: Any) -> Any:
    def guard_quiz(ctx: Any) -> list[Any]:
        return [answer()]
    guard_quiz.__qualname__ = "guard_quiz"  # as a plugin's module-level guard is named
    return one_role_type("rt_text", "测验课", "Quiz course",
                         workflow=lambda self: WorkflowExtension(guards={"hold": (guard_quiz,)}))


def _hold(make_app, answer: Any, status: int = 409) -> tuple[Any, int, int, str]:
    app, act_id, school_id, organizer = _held_ready(make_app, PLUGIN, _guarded_by(answer))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = client_for(app, organizer, school_id)
    r = client.post(f"/activities/{act_id}/trigger", data={"trigger": "hold", "comment": ""})
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "planned"
    assert client.get(f"/activities/{act_id}").status_code == 200  # and the portal answers on
    return app, act_id, organizer, r.get_data(as_text=True)


def test_a_missing_item_whose_text_exits_refuses_the_step_naming_the_plugin(make_app, plugin_log):
    app, act_id, organizer, html = _hold(make_app, Exits)
    assert GUARD_NOTICE in html and PLUGIN not in html
    with app.app_context():
        token = tokens.issue(db.session.get_one(User, organizer)).token
    api = app.test_client().post(f"/api/v1/activities/{act_id}/transitions", json={"trigger": "hold"},
                                 headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    assert api.status_code == 409 and api.get_json() == {
        "error": "conflict", "message": "the plugin of activity type 'Quiz course' could not check this step; "
                                        "the error has been logged and nothing was changed"}
    message = ("guard guard_quiz of trigger 'hold' of type 'rt_text' raised SystemExit: text shown; "
               "the step was refused and nothing changed")
    with app.app_context():
        assert failures()[PLUGIN] == message
    assert f"plugin {PLUGIN}: {message}" in plugin_log.text


def test_a_missing_item_is_shown_once_inside_the_boundary_and_the_refusal_lists_it(make_app):
    """The step is refused for what the guard says is missing, in its words: the refusal shows
    the text made when the guard answered, not the plugin's object again."""
    app, _act_id, _organizer, html = _hold(make_app, ShownOnce, 422)
    assert "缺少测验成绩" in html and GUARD_NOTICE not in html
    with app.app_context():
        assert PLUGIN not in failures()


def _page(make_app, **members: Any) -> tuple[Any, str]:
    app, act_id, school_id, organizer = _held_ready(make_app, PLUGIN,
                                                    one_role_type("rt_text", "测验课", "Quiz course", **members))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    r = client_for(app, organizer, school_id).get(f"/activities/{act_id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:500]
    assert 'data-testid="trigger-hold"' in html  # the rest of the page is there
    return app, html


def test_a_page_fragment_whose_html_exits_shows_the_notice_naming_the_plugin(make_app, plugin_log):
    app, html = _page(make_app, page_fragment=lambda self, ctx, locale: Exits())
    assert PAGE_NOTICE in html and PLUGIN not in html
    message = "page_fragment of activity type 'rt_text' raised SystemExit: text shown; the page showed a notice instead"
    with app.app_context():
        assert failures()[PLUGIN] == message
    assert f"plugin {PLUGIN}: {message}" in plugin_log.text


def test_details_whose_label_exits_show_the_notice_naming_the_plugin(make_app):
    app, html = _page(make_app, render_details=lambda self, details, locale: [(Exits(), "五年级")])
    assert PAGE_NOTICE in html and "五年级" not in html
    with app.app_context():
        assert failures()[PLUGIN] == ("render_details of activity type 'rt_text' raised SystemExit: text shown; "
                                      "the page showed a notice instead")


def test_sound_details_and_fragment_are_shown_as_before(make_app):
    """Text and HTML shown as the page showed them: the details escaped, the fragment as HTML."""
    app, html = _page(make_app, render_details=lambda self, details, locale: [("年级", "<五年级>")],
                      page_fragment=lambda self, ctx, locale: "<p data-testid='quiz-fragment'>测验安排</p>")
    assert "&lt;五年级&gt;" in html and "<p data-testid='quiz-fragment'>测验安排</p>" in html
    with app.app_context():
        assert PLUGIN not in failures()


def _plan(make_app, errors: Any) -> tuple[Any, Any]:
    from tests.plugins.test_request_time_failures import Plugin, _organizer_with

    checked = one_role_type("rt_text", "测验课", "Quiz course", check_plan=lambda self, plan, settings: errors())
    app, school_id, organizer = _organizer_with(make_app, (PLUGIN, Plugin(checked)), "TX", "rt_text")
    r = client_for(app, organizer, school_id).post(
        "/activities/new/rt_text", data={"title": "测验课", "starts_at": "2026-09-10T09:00",
                                         "ends_at": "2026-09-10T11:00", "hours": "2"})
    with app.app_context():
        assert db.session.query(Activity).count() == 0
    return app, r


def test_a_plan_error_whose_text_exits_refuses_the_plan_naming_the_plugin(make_app, plugin_log):
    """``check_plan``'s errors are shown in the refusal: made plain inside the boundary, an error
    whose ``__str__`` exits refuses the plan naming the plugin (before, the page died)."""
    app, r = _plan(make_app, lambda: {"title": Exits()})
    assert r.status_code == 409, r.get_data(as_text=True)[:500]
    assert "“测验课”类型的插件在执行此操作时出错，错误已记入日志，未作任何更改" in r.get_data(as_text=True)
    assert PLUGIN not in r.get_data(as_text=True)
    with app.app_context():
        assert failures()[PLUGIN] == ("check_plan of activity type 'rt_text' raised SystemExit: text shown; "
                                      "the step was refused and nothing changed")


def test_a_plan_error_is_shown_in_its_words(make_app):
    app, r = _plan(make_app, lambda: {"title": [ShownOnce()]})
    assert r.status_code == 422 and "缺少测验成绩" in r.get_data(as_text=True)
    with app.app_context():
        assert PLUGIN not in failures()
