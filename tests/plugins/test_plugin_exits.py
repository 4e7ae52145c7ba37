"""A plugin's code that raises a BaseException which is not an Exception — ``sys.exit()``
(SystemExit), GeneratorExit, a class of its own — is a plugin failure like any other: reported
with the plugin's name, the step refused with nothing written, the request's thread and the
worker alive. KeyboardInterrupt is left to stop the process: an operator's Ctrl-C still stops a
command."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

import pytest
from flask import Blueprint
from sqlalchemy import func, select

from portal.errors import Conflict
from portal.extensions import db
from portal.hookspecs import hookimpl
from portal.models import Activity, TransitionLog, User
from portal.registry import registry
from portal.services import tokens
from portal.timeutil import utcnow
from tests.plugins.test_broken_plugins import client_for, failures
from tests.plugins.test_request_time_failures import Plugin, one_role_type
from tests.support import factories as f
from workflows import WorkflowExtension
from workflows.definition import HISTORY_ONLY

PLUGIN, KEY = "yx_exit", "rt_exit"
GUARD_NOTICE = "“测验课”类型的插件未能检查此操作，错误已记入日志，未作任何更改"  # the type's name, not the plugin's
STEP_NOTICE = "“测验课”类型的插件在执行此操作时出错，错误已记入日志，未作任何更改"


class Halt(BaseException):
    """A plugin's own BaseException (not an Exception)."""


def raising(make: Any) -> Any:
    """Plugin code that raises what ``make()`` gives, whatever it is called with."""
    def leave(*args: Any) -> Any:
        raise make()
    return leave


EXITS: dict[str, tuple[Any, str]] = {  # what the plugin's code does, and how its failure shows it
    "sys.exit": (lambda: sys.exit(3), "SystemExit: 3"),
    "GeneratorExit": (raising(lambda: GeneratorExit("closed")), "GeneratorExit: closed"),
    "its own BaseException": (raising(lambda: Halt("stop")), "Halt: stop"),
}


def exiting_guard(leave: Any) -> Any:
    def guard_exiting(ctx):
        leave()
        return []
    guard_exiting.__qualname__ = "guard_exiting"  # as a plugin's module-level guard is named
    return guard_exiting


def exiting_type(leave: Any, **members: Any) -> Any:
    """The plugin's type whose ``hold`` guard runs ``leave``, with the ``members`` given."""
    workflow = WorkflowExtension(guards={"hold": (exiting_guard(leave),)})
    return one_role_type(KEY, "测验课", "Quiz course", workflow=lambda self: workflow, **members)


def _planned(make_app, plugin: object, code: str, **config: Any) -> tuple[Any, int, int, dict[str, int]]:
    """An app with ``plugin`` as ``yx_exit`` and a school ``code`` of its type, an activity of it
    that took place with attendance recorded: (app, activity id, school id, staff ids by role)."""
    app = make_app(EXTRA_PLUGINS=[(PLUGIN, plugin)], **config)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school(code, types=(KEY,))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], KEY, [(p["t1"], "member")], hours="2", start=utcnow() - timedelta(days=2))
        f.attend(act, p["organizer"])
        return app, act.id, s.id, {role: u.id for role, u in p.items()}


def _state_and_history(app, act_id: int) -> tuple[str, int]:
    """The activity's state and how many steps its history holds (entries that are no step, such
    as the attendance recorded by ``_planned``, not counted)."""
    with app.app_context():
        logged = db.session.scalar(select(func.count()).select_from(TransitionLog)
                                   .where(TransitionLog.activity_id == act_id, TransitionLog.trigger.not_in(HISTORY_ONLY)))
        return db.session.get(Activity, act_id).state, logged


@pytest.mark.parametrize("case", list(EXITS))
def test_a_guard_that_exits_refuses_the_step_naming_the_plugin(make_app, plugin_log, case):
    """The page, the API and the service each refuse ``hold`` (409 naming the plugin), and the
    portal answers the next request: before, the BaseException left the request's thread."""
    leave, shown = EXITS[case]
    app, act_id, school_id, staff = _planned(make_app, Plugin(exiting_type(leave)), "BX")
    before = _state_and_history(app, act_id)
    client = client_for(app, staff["organizer"], school_id)
    r = client.post(f"/activities/{act_id}/trigger", data={"trigger": "hold", "comment": ""})
    assert r.status_code == 409, r.get_data(as_text=True)[:500]
    assert GUARD_NOTICE in r.get_data(as_text=True) and PLUGIN not in r.get_data(as_text=True)
    with app.app_context():
        token = tokens.issue(db.session.get(User, staff["organizer"])).token
    api = app.test_client().post(f"/api/v1/activities/{act_id}/transitions", json={"trigger": "hold"},
                                 headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    assert api.status_code == 409, api.get_data(as_text=True)[:500]
    assert api.get_json() == {"error": "conflict", "message": "the plugin of activity type 'Quiz course' could not "
                              "check this step; the error has been logged and nothing was changed"}
    with app.app_context():
        act = db.session.get(Activity, act_id)
        with pytest.raises(Conflict):
            f.fire(act, db.session.get(User, staff["organizer"]), "hold")
        message = (f"guard guard_exiting of trigger 'hold' of type '{KEY}' raised {shown}; "
                   "the step was refused and nothing changed")
        assert failures()[PLUGIN] == message
    assert _state_and_history(app, act_id) == before
    assert client.get(f"/activities/{act_id}").status_code == 200
    assert f"plugin {PLUGIN}: {message}" in plugin_log.text


def test_a_credit_rule_that_exits_mid_approval_rolls_the_whole_write_back(make_app, plugin_log):
    """``credit_hours`` runs inside the approval's write, after the new state is set: its
    BaseException refuses the approval and nothing of it is kept."""
    rules = exiting_type(lambda: None, credit_hours=raising(lambda: Halt("stop")))
    app, act_id, school_id, staff = _planned(make_app, Plugin(rules), "BC")
    with app.app_context():
        f.fire(db.session.get(Activity, act_id), db.session.get(User, staff["organizer"]), "hold")
    before = _state_and_history(app, act_id)
    assert before[0] == "held"
    client = client_for(app, staff["reviewer"], school_id)
    r = client.post(f"/review/{act_id}", data={"action": "approve", "comment": "ok"})
    html = client.get(r.headers["Location"]).get_data(as_text=True) if r.status_code == 302 else r.get_data(as_text=True)
    assert r.status_code in (302, 409, 422), html[:500]  # 422: the queue again, the refusal on the card
    assert STEP_NOTICE in html and PLUGIN not in html
    assert _state_and_history(app, act_id) == before
    with app.app_context():
        reported = [x.error for x in registry().plugins.failures if x.plugin == PLUGIN]
        assert (f"credit_hours of activity type '{KEY}' raised Halt: stop; the step was refused and nothing "
                "changed") in reported


class ExitsWhenTold:
    """``portal_activity_transitioned`` that calls ``sys.exit()`` after the step's commit."""

    @hookimpl
    def portal_activity_types(self):
        return [exiting_type(lambda: None)]

    @hookimpl
    def portal_activity_transitioned(self, trigger):
        sys.exit(f"notifier gone during {trigger}")


def test_a_hook_that_exits_after_the_commit_is_reported_and_the_step_kept(make_app, plugin_log):
    app, act_id, school_id, staff = _planned(make_app, ExitsWhenTold(), "BH")
    r = client_for(app, staff["organizer"], school_id).post(f"/activities/{act_id}/trigger",
                                                          data={"trigger": "hold", "comment": ""})
    assert r.status_code in (200, 302), r.get_data(as_text=True)[:500]
    assert _state_and_history(app, act_id) == ("held", 1)
    with app.app_context():
        assert failures()[PLUGIN] == "hook portal_activity_transitioned raised SystemExit: notifier gone during hold"


def test_ctrl_c_in_a_plugin_still_stops_the_process_and_the_write_is_rolled_back(make_app):
    """KeyboardInterrupt is not a plugin's failure but the operator's: it goes on up (and the
    write transaction rolls back on its way)."""
    def interrupted():
        raise KeyboardInterrupt

    app, act_id, _school_id, staff = _planned(make_app, Plugin(exiting_type(interrupted)), "BK")
    before = _state_and_history(app, act_id)
    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            f.fire(db.session.get(Activity, act_id), db.session.get(User, staff["organizer"]), "hold")
        db.session.rollback()
        assert PLUGIN not in failures()
    assert _state_and_history(app, act_id) == before


class ExitsAtLoad:
    @hookimpl
    def portal_activity_types(self):
        sys.exit("no types today")


def test_plugins_that_exit_while_loading_are_refused_and_the_portal_starts(make_app, plugin_log):
    """Its types hook or one of its type's declarations: before, ``create_app`` itself exited."""
    name_exits = one_role_type("rt_named", "赛课", "Contest", name=lambda self, locale: sys.exit(2))
    app = make_app(EXTRA_PLUGINS=[("yx_gone", ExitsAtLoad()), ("yx_named", Plugin(name_exits))])
    with app.app_context():
        assert "rt_named" not in registry().types
        assert failures()["yx_gone"] == ("hook portal_activity_types raised SystemExit: no types today; "
                                         "the plugin was not loaded")
        assert failures()["yx_named"] == ("name of activity type 'rt_named' is invalid: SystemExit: 2; "
                                          "the plugin was not loaded")
    assert app.test_client().get("/login").status_code == 200


def test_a_plugin_that_exits_when_imported_is_refused_and_the_portal_starts(site_packages, make_app, plugin_log):
    site_packages.install("yx-bye", "yx_bye", """
        import sys

        sys.exit("not on this server")
    """, entry_point="yx_bye")
    app = make_app()
    with app.app_context():
        assert failures()["yx_bye"] == "failed to load from yx_bye: SystemExit: not on this server"
        assert "lecture" in registry().types


class ExitingPage:
    @hookimpl
    def portal_register_routes(self):
        bp = Blueprint("gone", __name__)

        @bp.get("/bye")
        def bye():
            sys.exit(0)

        return bp


def test_a_plugin_page_that_exits_is_an_error_page_and_the_portal_goes_on(make_app):
    app = make_app(EXTRA_PLUGINS=[(PLUGIN, ExitingPage())])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school("BP")
        school_id, organizer = s.id, f.staff(s)["organizer"].id
    client = client_for(app, organizer, school_id)
    assert client.get(f"/x/{PLUGIN}/bye").status_code == 500
    assert client.get("/").status_code == 200
