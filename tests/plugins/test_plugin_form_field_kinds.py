"""A type's form may have fields of every kind WTForms offers, and the planning page takes them:
the page's form data is text throughout (the fields convert it), where the API's JSON ``details``
must already be of each field's JSON type (``portal.details_json``). A number field on the page was
refused as "must be a whole number" (in English, on the Chinese page): no type with one could be
planned on the web."""

from __future__ import annotations

import re
from decimal import Decimal

from wtforms import BooleanField, DecimalField, Form, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from portal.activity_types import Text
from portal.extensions import db
from portal.models import Activity, User
from portal.registry import registry
from tests.plugins.test_broken_plugins import client_for
from tests.plugins.test_request_time_failures import Plugin, one_role_type
from tests.support import factories as f


class _Workshop(Form):
    lesson = StringField(Text("课题", "Lesson"), validators=[DataRequired()])
    designs = IntegerField(Text("执教教师人数", "Lesson designs"), validators=[DataRequired(), NumberRange(2, 6)])
    share = DecimalField(Text("分享时长", "Sharing time"), places=1)
    recorded = BooleanField(Text("录像", "Recorded"))


PLAN = {"title": "同课异构", "starts_at": "2026-09-10T09:00", "ends_at": "2026-09-10T11:00", "hours": "2",
        "details-lesson": "《背影》", "details-designs": "3", "details-share": "1.5", "details-recorded": "y"}


def _app(make_app):
    app = make_app(EXTRA_PLUGINS=[("yx_fields", Plugin(one_role_type("rt_fields", "工作坊", "Workshop", form=_Workshop)))])
    with app.app_context():
        s = f.school("FK", types=("rt_fields",))
        return app, s.id, f.staff(s)["organizer"].id


def test_the_planning_page_takes_number_and_checkbox_fields(make_app):
    app, school_id, organizer = _app(make_app)
    r = client_for(app, organizer, school_id).post("/activities/new/rt_fields", data=PLAN)
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    with app.app_context():
        act = db.session.query(Activity).one()
        assert act.details["designs"] == 3 and act.details["recorded"] is True
        assert Decimal(str(act.details["share"])) == Decimal("1.5")


def _error(html: str, field: str) -> str:
    found = re.search(rf'data-testid="error-details-{field}">([^<]*)<', html)
    assert found, html[-1500:]
    return found.group(1)


def test_the_page_still_refuses_what_the_fields_refuse_in_the_viewers_language(make_app):
    app, school_id, organizer = _app(make_app)
    page = client_for(app, organizer, school_id)
    r = page.post("/activities/new/rt_fields", data={**PLAN, "details-designs": "9", "details-share": "很久"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert _error(html, "designs") == "必须是 2 到 6 之间的数字"  # NumberRange's, in the catalogue's words
    assert _error(html, "share") == "须为数字。"
    r = page.post("/activities/new/rt_fields?lang=en", data={**PLAN, "details-designs": "1"})
    assert _error(r.get_data(as_text=True), "designs") == "must be a number from 2 to 6"
    with app.app_context():
        assert db.session.query(Activity).count() == 0


def test_the_api_still_wants_json_numbers_for_number_fields_and_says_so_in_the_readers_language(make_app):
    app, school_id, organizer = _app(make_app)
    with app.app_context():
        username = db.session.get(User, organizer).username
    api = app.test_client()
    token = api.post("/api/v1/auth/token", json={"username": username, "password": f.PASSWORD}).get_json()["token"]
    body = {"type": "rt_fields", "title": "同课异构", "starts_at": "2026-09-10T09:00", "ends_at": "2026-09-10T11:00",
            "hours": 2, "details": {"lesson": "《背影》", "designs": "3", "recorded": "y"}}
    said = {}
    for lang in ("zh-CN", "en"):
        r = api.post("/api/v1/activities", json=body, headers={"Authorization": f"Bearer {token}", "Accept-Language": lang})
        assert r.status_code == 422, r.get_json()
        said[lang] = r.get_json()["fields"]["details"]
    assert said["en"] == {"designs": ["must be a whole number"], "recorded": ["must be true or false"]}
    assert said["zh-CN"] == {"designs": ["须为整数"], "recorded": ["必须为是或否"]}
    r = api.post("/api/v1/activities", json={**body, "details": {"lesson": "《背影》", "designs": 3, "recorded": True}},
                 headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.get_json()
    with app.app_context():
        assert db.session.query(Activity).one().details["designs"] == 3


def test_no_number_field_takes_what_is_no_number(make_app):
    """Python's float and Decimal read "NaN", "Infinity", "-inf" and "sNaN", and a "1e999" too
    large for a float became infinity: the planning page stored them in the details (``NaN`` is
    no JSON: PostgreSQL's json column refuses it, the API would answer it), and "sNaN" was blamed
    on the plugin's form. Each is refused on the field as the API refuses them (its JSON takes no
    ``NaN`` literal; ``1e999``: "must be a finite number"), nothing planned; an ordinary number
    still is."""
    app, school_id, organizer = _app(make_app)
    page = client_for(app, organizer, school_id)
    for odd in ("NaN", "nan", "Infinity", "-inf", "1e999", "sNaN"):
        r = page.post("/activities/new/rt_fields", data={**PLAN, "details-share": odd})
        assert r.status_code == 422, (odd, r.status_code)
        assert _error(r.get_data(as_text=True), "share") == "须为有限数值", odd  # as the API says
    with app.app_context():
        username = db.session.get(User, organizer).username
        assert db.session.query(Activity).count() == 0
    api = app.test_client()
    token = api.post("/api/v1/auth/token", json={"username": username, "password": f.PASSWORD}).get_json()["token"]
    head = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept-Language": "en"}
    body = ('{"type": "rt_fields", "title": "同课异构", "starts_at": "2026-09-10T09:00", "ends_at": "2026-09-10T11:00",'
            ' "hours": 2, "details": {"lesson": "x", "designs": 3, "share": %s}}')
    for odd in ("NaN", "Infinity", "-Infinity"):
        assert api.post("/api/v1/activities", data=body % odd, headers=head).status_code == 400, odd
    for odd in ("1e999", "-1e999"):
        r = api.post("/api/v1/activities", data=body % odd, headers=head)
        assert r.status_code == 422 and r.get_json()["fields"] == {"details.share": "must be a finite number"}, odd
    assert api.post("/api/v1/activities", data=body % "1.5", headers=head).status_code == 201
    with app.app_context():
        assert [a.details["share"] for a in db.session.query(Activity)] == [1.5]


class _Ranged(Form):
    lesson = StringField(Text("课题", "Lesson"), validators=[
        DataRequired(), Length(max=6, message=Text("课题至多%(max)d个字", "a lesson of at most %(max)d characters"))])
    designs = IntegerField(Text("执教教师人数", "Lesson designs"), validators=[
        DataRequired(), NumberRange(2, 6, message=Text("须在%(min)s至%(max)s人之间", "from %(min)s to %(max)s designs"))])


def test_a_validators_own_message_in_both_languages_takes_its_numbers(make_app):
    """docs/plugins.md §3: "give a validator ``message=Text(…)`` for your own". ``Length`` and
    ``NumberRange`` format their message (``message % dict(min=…, max=…)``), which a ``Text`` could
    not do: the validator raised TypeError, and the type could not be planned at all (409)."""
    app = make_app(EXTRA_PLUGINS=[("yx_ranged", Plugin(one_role_type("rt_ranged", "工作坊", "Workshop", form=_Ranged)))])
    with app.app_context():
        s = f.school("FR", types=("rt_ranged",))
        school_id, organizer = s.id, f.staff(s)["organizer"].id
    page = client_for(app, organizer, school_id)
    plan = {k: v for k, v in PLAN.items() if k not in ("details-share", "details-recorded")}
    bad = {**plan, "details-lesson": "一节很长很长的课题", "details-designs": "9"}
    html = page.post("/activities/new/rt_ranged", data=bad).get_data(as_text=True)
    assert (_error(html, "lesson"), _error(html, "designs")) == ("课题至多6个字", "须在2至6人之间")
    html = page.post("/activities/new/rt_ranged?lang=en", data=bad).get_data(as_text=True)
    assert _error(html, "designs") == "from 2 to 6 designs"
    assert _error(html, "lesson") == "a lesson of at most 6 characters"
    with app.app_context():
        assert db.session.query(Activity).count() == 0
        assert [x.error for x in registry().plugins.failures if x.plugin == "yx_ranged"] == []
    r = page.post("/activities/new/rt_ranged", data={**plan, "details-lesson": "背影", "details-designs": "3"})
    assert r.status_code == 302
