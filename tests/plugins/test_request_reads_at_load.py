"""The last of a type's declarations a request read on the plugin's object — its key, its
details form (the class, built inside the plugin's boundary; its fields described for the API's
list of types; its JSON Schema in the API document) and its ``plan_rules`` — are read once at
load, inside the plugin's boundary, like the others (tests/plugins/test_declarations_read_at_load.py).

And a plugin page's streamed response: each step of it runs inside the plugin's boundary; a
failure mid-stream is reported naming the plugin and the page, and ends the response."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Blueprint, Response, request
from wtforms import Form, StringField
from wtforms.validators import DataRequired

from portal.activity_types import Text
from portal.hookspecs import hookimpl
from portal.registry import registry
from tests.api.conftest import login
from tests.plugins.test_broken_plugins import (
    a_plugin_page_and_its_failure,
    client_for,
    failures,
    organizer_of_a_plugin_page,
    reported_failure,
)
from tests.plugins.test_declarations_read_at_load import (
    KEY,
    LEAVE,
    LEAVES,
    PLUGIN,
    Fickle,
    _fickle,
    refused_at_load,
)
from tests.support import factories as f


class FickleForm(Form):
    venue_note = StringField(Text("场地风云", "Fickle venue"), validators=[DataRequired()])


class FickleToo(Fickle):
    """Its key, form and plan rules answer at load; once :data:`LEAVE` is set, none of them."""

    @property  # type: ignore[override]
    def key(self) -> str:  # type: ignore[override]
        _fickle()
        return KEY

    @property  # type: ignore[override]
    def form(self) -> type[Form]:  # type: ignore[override]
        _fickle()
        return FickleForm

    @property  # type: ignore[override]
    def plan_rules(self) -> tuple[dict[str, str], ...]:  # type: ignore[override]
        _fickle()
        return ({"field": "hours", "message": "^fickle", "rule": "fickle: a rule read at load"},)


class FickleTooPlugin:
    @hookimpl
    def portal_activity_types(self):
        return [FickleToo()]


@pytest.fixture(params=list(LEAVES))
def leave(request) -> Iterator[Any]:
    yield LEAVES[request.param]
    LEAVE.clear()


#: (who, page, a text of the copy it shows)
PAGES: list[tuple[str, str, str]] = [
    ("organizer", "/activities/new", f"/activities/new/{KEY}"),  # the key
    ("organizer", f"/activities/new/{KEY}", "场地风云"),  # the form, built inside the boundary
    ("organizer", "/api/v1/activity-types", "场地风云"),  # the form's fields, described
    ("admin", "/api/v1/openapi.json", "fickle: a rule read at load"),  # plan rules
    ("admin", "/api/v1/openapi.json", "venue_note"),  # the details schema
    ("admin", "/admin/plugins", f"plugin-type-{KEY}"),
]


@pytest.mark.parametrize(("who", "page", "shown"), PAGES, ids=[f"{w} {p} {s}" for w, p, s in PAGES])
def test_the_key_form_and_plan_rules_are_read_at_load(make_app, leave, who, page, shown):
    app = make_app(EXTRA_PLUGINS=[(PLUGIN, FickleTooPlugin())])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        assert registry().get(KEY) is not None, failures()
        s = f.school("FK", types=(KEY,))
        p = f.staff(s)
        ids = {role: u.id for role, u in p.items()} | {"school": s.id}
    client = client_for(app, ids[who], ids["school"])
    api = login(app.test_client(), "org", f.PASSWORD) if page == "/api/v1/activity-types" else None
    LEAVE.append(leave)
    r = api.get(page, headers={"X-School": "FK"}) if api is not None else client.get(page)
    assert r.status_code == 200, (page, r.get_data(as_text=True)[:800])
    assert shown in r.get_data(as_text=True), page


def test_the_form_fields_are_described_in_each_language_at_load(make_app):
    app = make_app(EXTRA_PLUGINS=[(PLUGIN, FickleTooPlugin())])
    with app.app_context():
        decl = registry().types[KEY].decl
    assert [x["label"] for x in decl.describe_form("en")] == ["Fickle venue"]
    assert [x["label"] for x in decl.describe_form("zh_Hans_CN")] == ["场地风云"]


def test_plan_rules_that_are_not_texts_are_refused_at_load(make_app):
    refused = refused_at_load(make_app, plan_rules=({"field": "hours", "message": 3, "rule": "r"},))
    assert refused.startswith(f"plan_rules of activity type '{KEY}' is invalid: 3 is not a text"), refused


def _raises() -> Iterator[str]:
    yield "first;"
    raise RuntimeError("the stream broke")


def _exits() -> Iterator[bytes]:
    yield b"first;"
    sys.exit("the stream left")


def _odd() -> Iterator[Any]:
    yield "first;"
    yield object()


CLOSED: list[str] = []


class ClosesBadly:
    """A body whose ``close()`` (which Werkzeug calls once it is sent, or not read) raises."""

    def __init__(self, how: str) -> None:
        self.how = how

    def __iter__(self) -> Iterator[str]:
        yield "all;"

    def close(self) -> None:
        CLOSED.append(self.how)
        raise RuntimeError("close broke")


class Streams:
    @hookimpl
    def portal_register_routes(self):
        bp = Blueprint("streams", __name__)

        @bp.get("/<how>")
        def stream(how: str):
            return Response({"raises": _raises, "exits": _exits, "odd": _odd}[how](), mimetype="text/plain")

        @bp.route("/closes", methods=["GET", "HEAD"])
        def closes():
            return Response(ClosesBadly(request.method), mimetype="text/plain")

        @bp.get("/whole")
        def whole():
            return Response(iter(["a;", b"b;", "c"]), mimetype="text/plain")

        return bp


@pytest.mark.parametrize(("how", "error"), [
    ("raises", "RuntimeError: the stream broke"),
    ("exits", "SystemExit: the stream left"),
    ("odd", "TypeError: a streamed response yielded object, not bytes or str"),
])
def test_a_plugin_page_whose_stream_fails_is_reported_naming_the_plugin_and_ends(make_app, how, error):
    app, client, r, reported = a_plugin_page_and_its_failure(make_app, "yx_streams", Streams(), "ST", f"/x/yx_streams/{how}")
    assert r.status_code == 200
    assert r.get_data() == b"first;"
    assert reported == (f"page x_yx_streams.streams.stream of plugin 'yx_streams' failed while its response was "
                        f"being sent: {error}; the response was cut short"), reported
    assert client.get("/x/yx_streams/whole").get_data() == b"a;b;c"
    assert client.get("/").status_code == 200


def test_a_plugin_page_whose_stream_fails_to_close_is_reported_naming_the_plugin(make_app):
    """Its close() runs inside the boundary too, also when the body is never read (HEAD)."""
    app, client = organizer_of_a_plugin_page(make_app, "yx_streams", Streams(), "ST")
    CLOSED.clear()
    assert client.get("/x/yx_streams/closes").get_data() == b"all;"
    assert client.head("/x/yx_streams/closes").status_code == 200
    assert CLOSED == ["GET", "HEAD"]
    reported = reported_failure(app, "yx_streams")
    assert reported == ("page x_yx_streams.streams.closes of plugin 'yx_streams' failed while its response was "
                        "being sent: RuntimeError: close broke; the response was cut short"), reported
    assert client.get("/").status_code == 200
