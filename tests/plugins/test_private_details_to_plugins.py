"""A declaration's private part and a plugin's own page fragment. ``policy.may_read_private``
kept a declaration's private fields (``ActivityType.private_details``) from its peers on the page's
rendered details and in the API, but the type's own fragment (``ActivityType.page_fragment``) and
the data hook asked for it (``portal_transition_data``) were handed the details whole: a type that
draws its details showed a colleague's completion code to every teacher of the school. Now the
page hands both the details as its reader reads them; a step's guards still read them all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint
from markupsafe import escape
from wtforms import Form, StringField

from portal.activity_types import ActivityType, EvidenceKind, Role, Text
from portal.extensions import db
from portal.hookspecs import hookimpl
from portal.models import Activity
from portal.registry import registry
from portal.services import activities
from tests.plugins.test_broken_plugins import failures
from tests.plugins.test_declared_certificate_of_another import _page
from tests.plugins.test_declared_hours import ended, past_start
from tests.support import factories as f
from tests.support.sessions import log_in

KEY = "mooc_p"
CODE = "ZX-PRIVATE-0042"
COURSE = "大单元教学设计"


class CourseForm(Form):
    course = StringField(Text("课程", "Course"))
    course_code = StringField(Text("结业编码", "Completion code"))


class DrawnMooc(ActivityType):
    """A self-declared online course that draws its own details, its completion code private."""

    key = KEY
    name_zh, name_en = "慕课学时（片段测试）", "MOOC hours (fragment test)"
    roles = {"learner": Role("学员", "Learner")}
    form = CourseForm
    self_declared = True
    private_details = ("course_code",)
    evidence_kinds = {"certificate": EvidenceKind("结业证书", "Completion certificate", written=False)}

    def page_fragment(self, ctx, locale: str | None) -> str:
        details = ctx.activity.details
        return (f'<p data-testid="mooc-fragment">{escape(details.get("course", ""))} · '
                f'{escape(details.get("course_code", "—"))} · {escape(ctx.data.get("code_seen", ""))}</p>')


class Provides:
    @hookimpl
    def portal_activity_types(self) -> list[ActivityType]:
        return [DrawnMooc()]

    @hookimpl
    def portal_transition_data(self, activity) -> dict[str, Any]:
        return {"code_seen": f"data:{activity.details.get('course_code', 'none')}"}

    @hookimpl
    def portal_register_routes(self, portal) -> Blueprint:
        bp = Blueprint("mooc_p", __name__)

        @bp.get("/courses/<int:activity_id>")
        def course(activity_id: int) -> dict[str, Any]:
            return dict(portal.activity(activity_id).details)  # the facade: as its viewer reads it

        @bp.get("/all/<int:activity_id>")
        def whole(activity_id: int) -> dict[str, Any]:  # the plugin's own read of its row: its business
            return dict(portal.session.get(Activity, activity_id).details)

        return bp


def _fragment(page: str) -> str:
    start = page.index('data-testid="mooc-fragment"')
    return page[start:page.index("</p>", start)]


READERS = (("t1", True), ("reviewer", True), ("admin", True), ("t2", False), ("organizer", False))


def _declared(app) -> tuple[Any, dict[str, Any], Activity]:
    assert registry().get(KEY) is not None and "yx_drawn_mooc" not in failures()
    school = f.school("P1", types=(KEY,))
    people = f.staff(school)
    start = past_start(3)
    act = activities.plan_activity(
        school, people["t1"], KEY, "慕课：大单元", start.isoformat(timespec="minutes"),
        ended(start, timedelta(hours=2)).isoformat(timespec="minutes"), "2", None,
        {"course": COURSE, "course_code": CODE})
    db.session.commit()
    return school, people, act


def test_a_peer_gets_no_private_field_in_the_fragment_nor_its_data_hook(make_app):
    app = make_app(EXTRA_PLUGINS=[("yx_drawn_mooc", Provides())])
    with app.app_context():
        school, people, act = _declared(app)
        for who, reads in READERS:
            page = _page(app, people[who], school, act.id)
            drawn = _fragment(page)
            assert COURSE in drawn, who  # the declaration itself is every colleague's to read
            assert (CODE in drawn) is reads, (who, drawn)
            assert (f"data:{CODE}" in drawn) is reads and ("data:none" in drawn) is not reads, (who, drawn)
            assert (CODE in page) is reads, who  # nowhere else on the page either
        assert "yx_drawn_mooc" not in failures()


def test_the_facade_hands_a_plugin_page_the_details_its_viewer_reads(make_app):
    """``Portal.activity`` on a plugin's own page: the viewer's details; in a command: all."""
    from portal.plugin_doors import facade

    app = make_app(EXTRA_PLUGINS=[("yx_drawn_mooc", Provides())])
    with app.app_context():
        school, people, act = _declared(app)
        for who, reads in READERS:
            client = log_in(app.test_client(), people[who], school.id)
            got = client.get(f"/x/yx_drawn_mooc/courses/{act.id}")
            assert got.status_code == 200, (who, got.get_data(as_text=True)[:300])
            assert got.get_json()["course"] == COURSE, who
            assert ("course_code" in got.get_json()) is reads, (who, got.get_json())
            assert client.get(f"/x/yx_drawn_mooc/all/{act.id}").get_json()["course_code"] == CODE, who
        # outside a request (a command, a job): the operator's, whole
        assert facade(app, "yx_drawn_mooc").activity(act.id, school_id=school.id).details["course_code"] == CODE


def test_a_discontinued_types_fields_are_read_as_a_declarations_private_part(make_app):
    """Its plugin removed, nobody can say whether an activity was a teacher's declaration nor which
    of its fields were private: its stored fields are shown to who reads a declaration's private
    part (its declarer, the reviewers, the school admin), not to the school's other teachers."""
    app = make_app(EXTRA_PLUGINS=[("yx_drawn_mooc", Provides())])
    with app.app_context():
        _school, people, act = _declared(app)
        act_id = act.id
        users = {who: (people[who].username, reads) for who, reads in READERS}
    gone = make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    with gone.app_context():
        assert registry().get(KEY) is None
    for who, (username, reads) in users.items():
        client = gone.test_client()
        assert client.post("/login", data={"username": username, "password": f.PASSWORD}).status_code in (302, 303)
        page = client.get(f"/activities/{act_id}?lang=zh_Hans_CN")
        assert page.status_code == 200, who
        html = page.get_data(as_text=True)
        assert "慕课：大单元" in html, who  # the activity itself: its title, hours and status
        assert (CODE in html) is reads and (COURSE in html) is reads, who
        assert ('data-testid="gone-field"' in html) is reads, who
