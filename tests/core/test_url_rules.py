"""URL builders compiled once per process (``portal.url_rules``): shared between apps, and
building the same URLs as Werkzeug's own rules."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import Map, Rule

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
