"""The doors of contract 1.2: a plugin's own pages (``portal_register_routes``, mounted by the
core at ``/x/<plugin name>``, behind the login) and commands (``portal_register_commands``), both
given the facade :class:`portal.facade.Portal`; a failing door is reported with the plugin's name
and the portal stays healthy."""

from __future__ import annotations

import click
import pytest
from flask import Blueprint, render_template_string, request

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


class AppWide:
    """A blueprint reaching past its pages, one way per plugin (``how``)."""

    def __init__(self, how: str):
        self.how = how

    @hookimpl
    def portal_register_routes(self):
        bp = Blueprint("wide", __name__)

        @bp.get("/")
        def own():
            return "own page"

        if self.how == "before_app_request":
            @bp.before_app_request
            def everywhere():
                if request.args.get("boom"):
                    raise RuntimeError("boom on every page")
        elif self.how == "after_app_request":
            @bp.after_app_request
            def stamp(response):
                response.headers["X-Plugin-Was-Here"] = "1"
                return response
        elif self.how == "app_errorhandler":
            bp.app_errorhandler(404)(lambda e: ("the plugin's 404", 404))
        elif self.how == "app_template_filter":
            bp.app_template_filter("hours")(lambda v: "forged")  # the core's filter of hours
        elif self.how == "app_context_processor":
            bp.app_context_processor(lambda: {"may": lambda *a: True})
        elif self.how == "cli":
            bp.cli.command("export")(lambda: None)
        return bp


WIDE = ["before_app_request", "after_app_request", "app_errorhandler", "app_template_filter", "app_context_processor",
        "cli"]


@pytest.mark.parametrize("how", WIDE)
def test_a_blueprint_reaching_every_page_is_refused_naming_the_plugin(make_app, how):
    """Attack: a plugin's blueprint with ``before_app_request`` ran its code on every page of the
    portal, the login page too (a raise there: 500 everywhere, and nobody named); the contract says
    a plugin's pages cannot leave ``/x/<plugin>``. Such a blueprint is now refused whole."""
    app = make_app(EXTRA_PLUGINS=[("wide", AppWide(how))])
    assert not [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/x/wide")]
    with app.app_context():
        said = [x.error for x in registry().plugins.failures if x.plugin == "wide"]
        assert len(said) == 1 and said[0].startswith(
            "the pages of plugin 'wide' would run its code on every page of the portal or add commands ("), said
    client = app.test_client()
    r = client.get("/login?boom=1")
    assert r.status_code == 200 and "X-Plugin-Was-Here" not in r.headers
    assert client.get("/no/such/page").get_data(as_text=True) != "the plugin's 404"
    assert "wide" not in app.cli.commands


class Subcommands:
    def __init__(self, then_raise: bool = False):
        self.then_raise = then_raise

    @hookimpl
    def portal_register_commands(self, cli):
        fake = click.Command("set-password", callback=lambda: click.echo("PLUGIN REPLACED"))
        cli.commands["user"].commands["set-password"] = fake  # a core subcommand swapped
        cli.commands["credits"].add_command(click.Command("wipe", callback=lambda: None))  # one slipped in

        @cli.command("mine")  # its own: welcome
        def mine():
            click.echo("mine")

        if self.then_raise:
            raise RuntimeError("halfway")


@pytest.mark.parametrize("then_raise", [False, True], ids=["returns", "raises"])
def test_a_plugin_changing_a_core_command_group_is_reported_and_the_group_put_back(make_app, then_raise):
    """Attack: only the top level of ``flask`` was compared: ``flask user set-password`` could be
    replaced and ``flask credits`` given new commands, unreported (and left so when the hook
    raised afterwards)."""
    app = make_app(EXTRA_PLUGINS=[("swapper", Subcommands(then_raise))])
    with app.app_context():
        said = [x.error for x in registry().plugins.failures if x.plugin == "swapper"]
    if then_raise:
        assert said == ["hook portal_register_commands raised RuntimeError: halfway"]
        assert "mine" not in app.cli.commands
    else:
        assert sorted(said) == [
            "plugin 'swapper' changed the portal's command group 'credits' (wipe); the group was put back as it was",
            "plugin 'swapper' changed the portal's command group 'user' (set-password); the group was put back as it was",
        ]
        assert app.test_cli_runner().invoke(args=["mine"]).output == "mine\n"
    assert "wipe" not in app.cli.commands["credits"].commands
    out = app.test_cli_runner().invoke(args=["user", "set-password", "--help"])
    assert "PLUGIN REPLACED" not in out.output and "--password" in out.output


class ClubGroup:
    @hookimpl
    def portal_register_commands(self, cli):
        @cli.group("club")
        def club():
            """A plugin's own group."""


class ClubMember:
    @hookimpl
    def portal_register_commands(self, cli):
        cli.commands["club"].add_command(click.Command("tally", callback=lambda: click.echo("tallied")))


class ReadsConfig:
    @hookimpl
    def portal_register_routes(self):
        bp = Blueprint("cfg", __name__)
        bp.record_once(lambda state: state.app.config["SECRET_KEY"])  # reads the app it is registered on

        @bp.get("/")
        def own():
            return "own"

        return bp


def test_plugins_may_share_a_plugins_group_and_read_the_app_when_registered(make_app):
    """Review: a second plugin adding a command to a first plugin's group was refused as changing
    "the portal's command group"; a blueprint reading the app's configuration when registered was
    refused (the empty app it is first registered on had none)."""
    app = make_app(EXTRA_PLUGINS=[("club_a", ClubGroup()), ("club_b", ClubMember()), ("cfg", ReadsConfig())])
    with app.app_context():
        assert not [x for x in registry().plugins.failures if x.plugin in ("club_a", "club_b", "cfg")]
    assert app.test_cli_runner().invoke(args=["club", "tally"]).output == "tallied\n"
    assert "/x/cfg/" in {r.rule for r in app.url_map.iter_rules()}
