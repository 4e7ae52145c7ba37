"""``portal_transition_data`` (contract 1.3): a plugin supplies the data of its own tables that
its guards need; the portal asks only the plugin of the activity's type, inside the transition's
transaction and before the guards, and hands it to them read-only as ``ctx.data``. A data hook
that fails refuses the trigger (nothing changes) and is reported with the plugin's name; the
activity page shows the notice in place of its fragment. The reader is told the type's name in
their language, never the plugin's entry-point name (a code): the log and /admin/plugins have it."""

from __future__ import annotations

import contextlib
import html
from types import MappingProxyType

import pytest
from sqlalchemy import select, text

from portal.errors import Conflict, DomainError, GuardFailedError
from portal.extensions import db
from portal.hookspecs import hookimpl
from portal.models import Activity, TransitionLog, User
from portal.registry import registry
from portal.services import tokens
from tests.plugins.plugin_throwaway import make_type
from tests.support import factories as f
from tests.support.sessions import log_in
from workflows import TransitionContext, WorkflowExtension
from workflows.definition import HISTORY_ONLY


def enough_members(ctx: TransitionContext) -> list[str]:
    """A guard that judges only what it was given."""
    try:
        ctx.data["seen"]["x"] = 1  # type: ignore[index]
    except TypeError:
        pass
    else:
        return ["ctx.data was writable"]
    return [] if ctx.data.get("members", 0) >= 2 else [f"members: {ctx.data.get('members', 0)}/2"]


class Counted:
    """Provides type ``counted``; its data hook counts participants through the facade's session."""

    def __init__(self):
        self.calls: list[tuple[str, int | None, str]] = []

    @hookimpl
    def portal_activity_types(self):
        t = make_type("counted", "计数类型")
        t.workflow = lambda: WorkflowExtension(guards={"hold": (enough_members,)})  # type: ignore[method-assign]
        return [t]

    @hookimpl
    def portal_transition_data(self, activity_type, activity, portal):
        self.calls.append((activity_type, activity.id, portal.plugin))
        members = portal.session.execute(
            text("SELECT count(*) FROM participation WHERE activity_id = :a").bindparams(a=activity.id)).scalar_one()
        return {"members": members, "seen": MappingProxyType({})}


class Bystander:
    """Implements the hook too, but provides no type of the activity: never asked for it."""

    def __init__(self):
        self.calls = 0

    @hookimpl
    def portal_transition_data(self):
        self.calls += 1
        return {"members": 99}


class Fails:
    def __init__(self, answer=None):
        self.answer = answer

    @hookimpl
    def portal_activity_types(self):
        t = make_type("fails", "入户指导")
        t.name_en = "Home visit"
        return [t]

    @hookimpl
    def portal_transition_data(self, activity):
        if self.answer is None:
            raise RuntimeError(f"notes table missing for activity {activity.id}")
        return self.answer


def test_hook_portal_transition_data(make_app):
    counted, bystander = Counted(), Bystander()
    app = make_app(EXTRA_PLUGINS=[("bystander", bystander), ("counted", counted)])
    with app.app_context():
        s = f.school("TD", types=("counted", "lecture"))
        people = f.staff(s)
        org = people["organizer"]
        act = f.plan(s, org, "counted", [(people["t1"], "member")], {"topic": "x"})
        f.attend(act, org)
        with pytest.raises(GuardFailedError) as refused:
            f.fire(act, org, "hold")
        assert refused.value.extra["missing"] == ["members: 1/2"]
        assert counted.calls == [("counted", act.id, "counted")]

        other = f.plan(s, org, "counted", [(people["t1"], "member"), (people["t2"], "member")], {"topic": "y"})
        f.attend(other, org)
        assert f.fire(other, org, "hold").state == "held"
        lecture = f.plan(s, org, "lecture", [(people["t1"], "attendee"), (people["t2"], "speaker")],
                         registry().get("lecture").type.sample_details())
        f.attend(lecture, org)
        with contextlib.suppress(DomainError):  # the lecture's own guards may refuse: not the point
            f.fire(lecture, org, "hold")
        assert bystander.calls == 0  # asked for no activity of a type it does not provide
        assert [c[0] for c in counted.calls] == ["counted", "counted"]  # and not for the lecture
        assert not registry().plugins.failures


@pytest.mark.parametrize("answer, error", [
    (None, "hook portal_transition_data raised RuntimeError: notes table missing for activity {id}; "
           "the step was refused and nothing changed"),
    (["members"], "portal_transition_data of plugin 'fails' returned ['members'], not a mapping; "
                  "the step was refused and nothing changed"),
])
def test_a_failing_data_hook_refuses_the_trigger_and_is_named(make_app, answer, error):
    app = make_app(EXTRA_PLUGINS=[("fails", Fails(answer))])
    with app.app_context():
        s = f.school("TF", types=("fails",))
        people = f.staff(s)
        act = f.plan(s, people["organizer"], "fails", [(people["t1"], "member")], {"topic": "x"})
        f.attend(act, people["organizer"])
        with pytest.raises(Conflict) as refused:
            f.fire(act, people["organizer"], "hold")
        assert refused.value.message == ("the plugin of activity type 'Home visit' could not supply the data this "
                                         "step needs; the error has been logged and nothing was changed")
        db.session.expire_all()
        assert act.state == "planned"
        # no step logged (the attendance recorded above is an entry of its own)
        assert db.session.execute(select(TransitionLog).where(TransitionLog.activity_id == act.id,
                                                              TransitionLog.trigger.not_in(HISTORY_ONLY))).first() is None
        assert [(x.plugin, x.error) for x in registry().plugins.failures] == [("fails", error.format(id=act.id))]
        client = log_in(app.test_client(), people["organizer"], s.id)
    page = client.get(f"/activities/{act.id}?lang=en")
    assert page.status_code == 200
    assert ("The plugin of activity type 'Home visit' could not show its part of this page. The error has been "
            "logged." in html.unescape(page.get_data(as_text=True)))


def test_a_failing_data_hook_names_the_type_to_its_reader_and_the_plugin_to_the_admin(make_app, plugin_log):
    """A teacher's page reads 「“入户指导”类型的插件……」 (in English the type's English name), never
    the entry-point name ``yx_home_visits``, a code; the log and /admin/plugins name the plugin."""
    app = make_app(EXTRA_PLUGINS=[("yx_home_visits", Fails())])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school("TN", types=("fails",))
        people = f.staff(s)
        act = f.plan(s, people["organizer"], "fails", [(people["t1"], "member")], {"topic": "x"})
        f.attend(act, people["organizer"])
        act_id = act.id
        organizer = log_in(app.test_client(), people["organizer"], s.id)
        admin = log_in(app.test_client(), people["admin"], s.id)
    zh = organizer.get(f"/activities/{act_id}")
    assert zh.status_code == 200
    page = zh.get_data(as_text=True)
    assert "“入户指导”类型的插件未能显示本页中由它提供的内容，错误已记入日志。" in page
    assert "yx_home_visits" not in page and "Home visit" not in page
    refused = organizer.post(f"/activities/{act_id}/trigger", data={"trigger": "hold", "comment": ""})
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    assert "“入户指导”类型的插件未能提供此操作所需的数据，错误已记入日志，未作任何更改" in body
    assert "yx_home_visits" not in body
    en = html.unescape(organizer.get(f"/activities/{act_id}?lang=en").get_data(as_text=True))
    assert "The plugin of activity type 'Home visit' could not show its part of this page." in en
    assert "yx_home_visits" not in en and "入户指导”类型" not in en
    with app.app_context():
        token = tokens.issue(db.session.get(User, people["organizer"].id)).token
    for lang, message in (("en", "the plugin of activity type 'Home visit' could not supply the data this step needs; "
                                  "the error has been logged and nothing was changed"),
                          ("zh-CN", "“入户指导”类型的插件未能提供此操作所需的数据，错误已记入日志，未作任何更改")):
        api = app.test_client().post(f"/api/v1/activities/{act_id}/transitions", json={"trigger": "hold"},
                                     headers={"Authorization": f"Bearer {token}", "Accept-Language": lang})
        assert api.status_code == 409 and api.get_json() == {"error": "conflict", "message": message}  # the same shape
    with app.app_context():
        assert db.session.get(Activity, act_id).state == "planned"
    assert f"plugin yx_home_visits: hook portal_transition_data raised RuntimeError: notes table missing for " \
           f"activity {act_id}" in plugin_log.text
    listing = admin.get("/admin/plugins").get_data(as_text=True)
    assert 'data-testid="plugin-failure-yx_home_visits"' in listing
