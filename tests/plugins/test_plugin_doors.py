"""The doors of contract 1.2: a plugin's own pages (``portal_register_routes``, mounted by the
core at ``/x/<plugin name>``, behind the login) and commands (``portal_register_commands``), both
given the facade :class:`portal.facade.Portal`; a failing door is reported with the plugin's name
and the portal stays healthy."""

from __future__ import annotations

import click
from flask import Blueprint, render_template_string

from portal.facade import Portal
from portal.hookspecs import hookimpl
from portal.registry import registry
from tests.support import factories as f


class Pages:
    @hookimpl
    def portal_register_routes(self, portal):
        bp = Blueprint("hello", __name__, url_prefix="/admin")  # cannot reach the core's /admin

        @bp.get("/ping")
        def ping():
            school = portal.require_school()
            actor = portal.actor()
            return render_template_string(
                '{% extends "base.html" %}{% block content %}<p id="pong">{{ s }} {{ n }} {{ plan }}</p>{% endblock %}',
                s=school.code, n=actor.user_id, plan=portal.policy.may_plan(actor))

        other = Blueprint("hello2", __name__)

        @other.get("/")
        def root():
            return {"prefix": portal.url_prefix, "plugin": portal.plugin}

        return [bp, other]


class Broken:
    @hookimpl
    def portal_register_routes(self):
        raise RuntimeError("routes exploded")

    @hookimpl
    def portal_register_commands(self, cli):
        raise RuntimeError("commands exploded")


class NotABlueprint:
    @hookimpl
    def portal_register_routes(self):
        return "/x/elsewhere"


class Commands:
    @hookimpl
    def portal_register_commands(self, cli, portal):
        @cli.group("hello")
        def group():
            """Greetings."""

        @group.command("school")
        @click.argument("code")
        def school(code):
            click.echo(f"{portal.plugin}: {portal.session.execute(portal_sql(code)).scalar_one()}")

        @cli.command("school")  # the core's: refused, the core's stays
        def squat():
            click.echo("squatted")


def portal_sql(code):
    from sqlalchemy import text

    return text("SELECT name FROM school WHERE code = :c").bindparams(c=code)


def test_hook_portal_register_routes(make_app):
    app = make_app(EXTRA_PLUGINS=[("hello", Pages()), ("broken", Broken()), ("wrong", NotABlueprint())])
    rules = {r.rule: r.endpoint for r in app.url_map.iter_rules()}
    assert rules["/x/hello/admin/ping"] == "x_hello.hello.ping" and rules["/x/hello/"] == "x_hello.hello2.root"
    assert not [r for r in rules if r.startswith("/x/") and not r.startswith("/x/hello/") and "lesson_study" not in r]
    with app.app_context():
        failures = {(x.plugin, x.error) for x in registry().plugins.failures}
        s = f.school("DR")
        organizer = f.staff(s)["organizer"]
        username, user_id = organizer.username, organizer.id
    assert ("broken", "hook portal_register_routes raised RuntimeError: routes exploded") in failures
    assert ("wrong", "portal_register_routes of plugin 'wrong' returned '/x/elsewhere', not a Blueprint; "
                     "its pages were not added") in failures
    client = app.test_client()
    assert client.get("/x/hello/admin/ping").status_code in (302, 401)  # the core asks for a login
    r = client.post("/login", data={"username": username, "password": f.PASSWORD})
    assert r.status_code in (302, 303)
    r = client.get("/x/hello/admin/ping")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and f'<p id="pong">DR {user_id} True</p>' in html
    assert "<nav" in html and r.headers["Content-Security-Policy"]  # the portal's layout and headers
    assert client.get("/x/hello/").get_json() == {"prefix": "/x/hello", "plugin": "hello"}
    assert client.get("/").status_code == 200  # the portal is healthy


def test_hook_portal_register_commands(make_app):
    app = make_app(EXTRA_PLUGINS=[("hello", Commands()), ("broken", Broken())])
    with app.app_context():
        f.school("CM")
        failures = {(x.plugin, x.error) for x in registry().plugins.failures}
    assert ("hello", "command 'school' of plugin 'hello' would replace an existing command; it was not added") \
        in failures
    assert ("broken", "hook portal_register_commands raised RuntimeError: commands exploded") in failures
    runner = app.test_cli_runner()
    out = runner.invoke(args=["hello", "school", "CM"])
    assert out.exit_code == 0 and out.output == "hello: 测试学校CM\n", out.output
    assert "squatted" not in runner.invoke(args=["school", "--help"]).output


def test_the_facade_answers_in_a_request(make_app):
    app = make_app()
    portal = Portal(app, "someone")
    with app.test_request_context():
        assert portal.school() is None and portal.url_prefix == "/x/someone"
        assert portal.phase("lecture", "held") is Portal.Phase.AWAITING_REVIEW
        assert portal.tr(portal.msg("forbidden")) == "您无权进行此操作"  # Chinese first
        s = f.school("FC", types=("lecture",))
        assert portal.settings("lecture", school_id=s.id) == registry().get("lecture").type.settings_with_defaults({})
