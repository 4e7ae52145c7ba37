"""A plugin's code has no time limit (Python cannot stop a thread), but a call into it that takes
longer than ``PLUGIN_CALL_BUDGET_MS`` is logged with the plugin's name and the hook, method or
guard, and listed where an operator looks: ``flask plugins list`` and ``/admin/plugins``. The
call is never cut short: the step it served goes on."""

from __future__ import annotations

import time

from portal.registry import registry
from tests.plugins.test_broken_plugins import client_for
from tests.plugins.test_plugin_exits import PLUGIN, _planned, _state_and_history, exiting_type


def _slowly() -> None:
    time.sleep(0.05)


def test_a_guard_over_the_budget_is_reported_naming_the_plugin_and_the_step_goes_on(make_app, plugin_log):
    app, act_id, school_id, staff = _planned(make_app, _slow_plugin(), "SL", PLUGIN_CALL_BUDGET_MS=5)
    r = client_for(app, staff["organizer"], school_id).post(f"/activities/{act_id}/trigger",
                                                          data={"trigger": "hold", "comment": ""})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    assert _state_and_history(app, act_id) == ("held", 1)  # not cut short
    with app.app_context():
        slow = registry().plugins.slow[(PLUGIN, "guard_exiting (hold)")]
        assert slow.count >= 1 and slow.worst_ms >= 50  # the step asks its guards before and as it fires
    assert (f"plugin {PLUGIN}: guard_exiting (hold) took {slow.worst_ms} ms, over the budget of 5 ms "
            "(PLUGIN_CALL_BUDGET_MS)") in plugin_log.text

    out = app.test_cli_runner().invoke(args=["plugins", "list"])
    assert (f"SLOW\t{PLUGIN}\tguard_exiting (hold)\t{slow.count} over 5 ms, the slowest {slow.worst_ms} ms"
            in out.output)

    admin = client_for(app, staff["admin"], school_id)
    zh = admin.get("/admin/plugins").get_data(as_text=True)
    assert "运行缓慢的插件代码：本工作进程中用时超过 5 毫秒（PLUGIN_CALL_BUDGET_MS）的调用" in zh
    assert (f'<tr data-testid="plugin-slow-{PLUGIN}"><td>{PLUGIN}</td><td>guard_exiting (hold)</td><td>{slow.count}</td>'
            f"<td>{slow.worst_ms}</td></tr>") in zh
    en = admin.get("/admin/plugins?lang=en").get_data(as_text=True)
    assert "Slow plugin code: calls longer than 5 ms (PLUGIN_CALL_BUDGET_MS) in this worker process" in en


def test_a_call_within_the_budget_is_not_reported(make_app):
    app, act_id, school_id, staff = _planned(make_app, _slow_plugin(), "SF", PLUGIN_CALL_BUDGET_MS=60_000)
    client = client_for(app, staff["organizer"], school_id)
    assert client.post(f"/activities/{act_id}/trigger", data={"trigger": "hold", "comment": ""}).status_code == 302
    with app.app_context():
        assert registry().plugins.slow == {}
    html = client_for(app, staff["admin"], school_id).get("/admin/plugins").get_data(as_text=True)
    assert 'data-testid="no-slow"' in html and "无：所有插件调用均未超出用时预算。" in html


def _slow_plugin() -> object:
    from tests.plugins.test_request_time_failures import Plugin

    return Plugin(exiting_type(_slowly))
