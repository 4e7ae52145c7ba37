"""A type's declarations — its name, description, roles and their labels, evidence kinds,
whether it is self-declared, settings and their schema — are read once, when its plugin loads,
inside the plugin's boundary; the portal's pages, lists, forms, review queue, exports and API
document read that copy. A type whose methods answer at load and raise or call ``sys.exit()``
afterwards takes none of them down.

And a plugin's page: what its view returns is made a response inside the plugin's boundary, so
a value that cannot be one, or whose conversion raises or exits, is reported with the plugin's
name and an error page saying so is shown, the portal going on."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Blueprint, url_for
from sqlalchemy import select

from portal.activity_types import ActivityType, EvidenceKind, Role, Setting, Text
from portal.extensions import db
from portal.hookspecs import hookimpl
from portal.models import Activity, Evidence, User
from portal.policy import SYSTEM
from portal.registry import registry
from portal.services import activities, plans
from portal.timeutil import current_school_year, utcnow, year_bounds
from tests.plugins.test_broken_plugins import a_plugin_page_and_its_failure, client_for, failures
from tests.support import factories as f
from tests.support.texts import prose

PLUGIN, KEY = "yx_fickle", "fickle"


class Gone(BaseException):
    """A plugin's own BaseException (not an Exception)."""


def _runtime_error() -> None:
    raise RuntimeError("declarations changed their mind")


def _exit() -> None:
    sys.exit("declarations left")


def _own_base_exception() -> None:
    raise Gone("declarations gone")


LEAVES: dict[str, Callable[[], None]] = {"RuntimeError": _runtime_error, "sys.exit": _exit,
                                         "its own BaseException": _own_base_exception}
LEAVE: list[Callable[[], None]] = []  # set once the app is built: every declaration then leaves so


def _fickle() -> None:
    if LEAVE:
        LEAVE[0]()


class Fickle(ActivityType):
    """Answers every declaration soundly at load; once :data:`LEAVE` is set, none of them."""

    key = KEY
    name_zh, name_en = "风云课", "Fickle course"
    declared_settings = {"speaker_multiplier": Setting(2, 0, 10, Text("主讲倍数风云", "Fickle speaker multiplier"))}

    @property  # type: ignore[override]
    def roles(self) -> dict[str, Role]:  # type: ignore[override]
        _fickle()
        return {"speaker": Role("主讲风云", "Fickle speaker"), "member": Role("成员风云", "Fickle member")}

    @property
    def default_role(self) -> str:
        _fickle()
        return "member"

    @property  # type: ignore[override]
    def self_declared(self) -> bool:  # type: ignore[override]
        _fickle()
        return False

    @property  # type: ignore[override]
    def description_zh(self) -> str:  # type: ignore[override]
        _fickle()
        return "说明风云"

    def name(self, locale: str | None) -> str:
        _fickle()
        return super().name(locale)

    def role_label(self, role: str, locale: str | None) -> str:
        _fickle()
        return super().role_label(role, locale)

    def all_evidence_kinds(self) -> dict[str, EvidenceKind]:
        _fickle()
        return {**super().all_evidence_kinds(), "lesson_plan": EvidenceKind("教案风云", "Fickle lesson plan")}

    def setting_declarations(self) -> dict[str, Setting]:
        _fickle()
        return super().setting_declarations()

    def settings_json_schema(self) -> dict[str, Any]:
        _fickle()
        return super().settings_json_schema()


class FicklePlugin:
    @hookimpl
    def portal_activity_types(self):
        return [Fickle()]


@pytest.fixture(params=list(LEAVES))
def leave(request) -> Iterator[Callable[[], None]]:
    yield LEAVES[request.param]
    LEAVE.clear()


def _portal(make_app) -> tuple[Any, dict[str, int], dict[str, int]]:
    """The fickle plugin's app, a school of its type with a credited activity (a certificate)
    and one held for review: (app, staff ids by role, activity ids by name)."""
    app = make_app(EXTRA_PLUGINS=[(PLUGIN, FicklePlugin())])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        assert registry().get(KEY) is not None, failures()
        s = f.school("FK", types=(KEY,))
        p = f.staff(s)
        # the plan page offers its form (with the type's name) only before the teacher's deadline
        # (31 October by default: d892b893); the year's last day keeps it open whatever today is
        year = current_school_year(s.timezone)
        plans.set_deadline(s, year, year_bounds(year)[1].isoformat(), by=SYSTEM)
        acts = {}
        for name, triggers in (("credited", ("approve", "credit")), ("held", ())):
            act = f.plan(s, p["organizer"], KEY, [(p["t1"], "speaker"), (p["t2"], "member")], hours="2",
                         start=utcnow() - timedelta(days=2), title=f"风云{name}")
            f.attend(act, p["organizer"])
            activities.add_evidence(act, p["t1"], p["t1"].id, "lesson_plan", "教案一", text=prose(100, "教案的文字"))
            f.fire(act, p["organizer"], "hold")
            for trigger in triggers:
                f.fire(db.session.get(Activity, act.id), p["reviewer"], trigger)
            acts[name] = act.id
        return app, {role: u.id for role, u in p.items()} | {"school": s.id}, acts


#: (who, page, a text of the copy it shows) of every page that shows the type's declarations
PAGES: list[tuple[str, str, str]] = [
    ("organizer", "/", ""),  # the home asks the settings of every type
    ("organizer", "/activities", "风云课"),
    ("organizer", "/activities/new", "说明风云"),
    ("organizer", f"/activities/new/{KEY}", "主讲风云"),
    ("organizer", "/activities/{held}", "教案风云"),
    ("organizer", "/activities/{held}/attendance", "成员风云"),
    ("t1", "/activities/{held}", "主讲风云"),
    ("t1", "{my_plan}", "风云课"),
    ("reviewer", "/review", "风云课"),
    ("admin", "/admin/types", "主讲倍数风云"),
    ("admin", "/admin/plugins", "风云课"),
    ("admin", "/activities/{credited}/certificate", "主讲风云"),
    ("admin", "/teachers/{t1}/record", "风云课"),
    ("admin", "/reports/summary.csv", "风云课"),
    ("admin", "/api/v1/openapi.json", "Fickle speaker multiplier"),
]


@pytest.mark.parametrize(("who", "page", "shown"), PAGES, ids=[f"{w} {p}" for w, p, _s in PAGES])
def test_the_pages_that_show_a_type_read_what_it_declared_at_load(make_app, leave, who, page, shown):
    app, ids, acts = _portal(make_app)
    with app.test_request_context():
        url = page.format(my_plan=url_for("year.my_plan"), t1=ids["t1"], **acts)
    client = client_for(app, ids[who], ids["school"])
    LEAVE.append(leave)
    r = client.get(url)
    assert r.status_code == 200, (url, r.get_data(as_text=True)[:800])
    assert shown in r.get_data(as_text=True), url


def test_evidence_of_a_kind_it_declared_is_taken_after_its_methods_fail(make_app, leave):
    """Adding evidence checks the kind against the kinds read at load."""
    app, ids, acts = _portal(make_app)
    client = client_for(app, ids["organizer"], ids["school"])
    LEAVE.append(leave)
    r = client.post(f"/activities/{acts['held']}/evidence",
                    data={"kind": "lesson_plan", "title": "教案二", "text": prose(100, "第二份教案"), "user_id": ids["t2"]})
    assert r.status_code == 302, r.get_data(as_text=True)[:800]
    with app.app_context():
        kinds = db.session.execute(select(Evidence.kind).where(Evidence.activity_id == acts["held"],
                                                                Evidence.user_id == ids["t2"])).scalars().all()
        assert kinds == ["lesson_plan"]


def refused_at_load(make_app, **declared) -> str:
    """Install the fickle type with ``declared`` in place of its own declarations: it must not be
    registered; the failure reported for the plugin."""
    changed = type("Changed", (Fickle,), declared)

    class ChangedPlugin:
        @hookimpl
        def portal_activity_types(self):
            return [changed()]

    app = make_app(EXTRA_PLUGINS=[(PLUGIN, ChangedPlugin())])
    with app.app_context():
        assert registry().get(KEY) is None
        return failures()[PLUGIN]


def test_a_default_role_that_is_not_one_of_its_roles_is_refused_at_load(make_app):
    """The default role is read at load with the rest: one the type does not have is refused."""
    assert refused_at_load(make_app, default_role=property(lambda self: "nobody")) == (
        f"default_role of activity type '{KEY}' is invalid: 'nobody' is not one of its roles; the plugin was not loaded")


class _ExitsAsHtml:
    """A value whose JSON form (Flask's default: ``__html__``) calls sys.exit()."""

    def __html__(self) -> str:
        sys.exit("no markup today")


class Pages:
    @hookimpl
    def portal_register_routes(self):
        bp = Blueprint("odd", __name__)

        @bp.get("/nothing")
        def nothing():
            return object()

        @bp.get("/exits")
        def exits():
            return {"value": _ExitsAsHtml()}

        @bp.get("/fine")
        def fine():
            return {"ok": True}

        return bp


@pytest.mark.parametrize(("path", "error"), [
    ("nothing", "TypeError: The view function did not return a valid response."),
    ("exits", "SystemExit: no markup today"),
])
def test_a_plugin_page_whose_answer_cannot_be_a_response_is_reported_naming_the_plugin(make_app, path, error):
    app, client, r, reported = a_plugin_page_and_its_failure(make_app, "yx_pages", Pages(), "PG", f"/x/yx_pages/{path}")
    assert r.status_code == 500
    assert "本页面由插件提供，运行时出错，错误已记入日志" in r.get_data(as_text=True)  # its name, a code, is logged
    assert "yx_pages" not in r.get_data(as_text=True).replace("/x/yx_pages/", "")
    assert reported.startswith(f"page x_yx_pages.odd.{path} of plugin 'yx_pages' failed: {error}"), reported
    assert client.get("/x/yx_pages/fine").get_json() == {"ok": True}
    assert client.get("/").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.username == "org")) is not None  # the session goes on
