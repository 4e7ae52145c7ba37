"""URL rules parsed and their builders compiled once per process (``portal.url_rules``): shared
between apps, and matching and building the same URLs as Werkzeug's own rules."""

from __future__ import annotations

from flask import Blueprint, Flask
from werkzeug.routing import Map, Rule
from werkzeug.routing.converters import BaseConverter

from portal.hookspecs import hookimpl
from portal.url_rules import SharedBuilderRule


def _rules(app: Flask) -> dict[str, Rule]:
    return {r.endpoint: r for r in app.url_map.iter_rules()}


def test_two_apps_share_their_url_builders(make_app):
    first, second = _rules(make_app()), _rules(make_app())
    assert all(isinstance(r, SharedBuilderRule) for e, r in first.items() if e != "static")  # made before the class is set
    endpoint = "activities.show"
    assert first[endpoint]._build.__func__ is second[endpoint]._build.__func__  # type: ignore[attr-defined]
    assert first[endpoint] is not second[endpoint]


def test_shared_builders_build_what_werkzeug_builds():
    plain = Map([Rule("/a/<int:x>/b/<name>", endpoint="e"), Rule("/c/", endpoint="c", defaults={"page": 1}),
                 Rule("/d/<int:page>", endpoint="d", defaults={"page": 2})])
    shared = Map([SharedBuilderRule("/a/<int:x>/b/<name>", endpoint="e"),
                  SharedBuilderRule("/c/", endpoint="c", defaults={"page": 1}),
                  SharedBuilderRule("/d/<int:page>", endpoint="d", defaults={"page": 2})])
    a, b = plain.bind("h"), shared.bind("h")
    for endpoint, values in (("e", {"x": 3, "name": "名 字", "q": "1"}), ("c", {}), ("c", {"q": "x y"}), ("d", {}),
                             ("d", {"page": 2})):
        assert a.build(endpoint, values) == b.build(endpoint, values)


def test_the_second_app_reuses_the_first_apps_parsed_rules(make_app):
    first, second = _rules(make_app()), _rules(make_app())
    for endpoint in ("activities.show", "home.index"):
        assert first[endpoint]._parts and all(  # type: ignore[attr-defined]
            a is b for a, b in zip(first[endpoint]._parts, second[endpoint]._parts, strict=True))  # type: ignore[attr-defined]
        assert first[endpoint]._converters.keys() == second[endpoint]._converters.keys()  # type: ignore[attr-defined]
    converter = next(iter(second["activities.show"]._converters.values()))  # type: ignore[attr-defined]
    assert converter.map is second["activities.show"].map  # the converters are each map's own


class _Route:
    @hookimpl
    def portal_register_routes(self):
        bp = Blueprint("echo", __name__)

        @bp.get("/<int:n>/twice")
        def twice(n):
            return {"n": 2 * n}

        return [bp]


def test_an_app_with_a_plugins_route_after_one_without_matches_it(make_app):
    plain = make_app()
    app = make_app(EXTRA_PLUGINS=[("echo", _Route())])
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/x/echo/21/twice") == ("x_echo.echo.twice", {"n": 21})
    assert adapter.build("x_echo.echo.twice", {"n": 4}) == "/x/echo/4/twice"
    assert adapter.match("/activities/7")[1] == plain.url_map.bind("localhost").match("/activities/7")[1]
    assert "x_echo.echo.twice" not in {r.endpoint for r in plain.url_map.iter_rules()}


class _Letters(BaseConverter):
    regex = "[a-z]+"


def test_a_map_whose_converter_differs_parses_the_rule_itself():
    digits = Map([SharedBuilderRule("/t/<int:n>/<name>", endpoint="t")]).bind("h")
    letters = Map([SharedBuilderRule("/t/<int:n>/<name>", endpoint="t")], converters={"default": _Letters}).bind("h")
    assert digits.match("/t/1/Ab9") == ("t", {"n": 1, "name": "Ab9"})
    assert letters.match("/t/1/ab") == ("t", {"n": 1, "name": "ab"})
    assert not letters.test("/t/1/Ab9")
    assert letters.build("t", {"n": 2, "name": "x"}) == digits.build("t", {"n": 2, "name": "x"}) == "/t/2/x"
