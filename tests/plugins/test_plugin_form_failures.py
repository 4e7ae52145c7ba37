"""A type's details form is its plugin's code at request time too: a widget that raises while
the planning page draws it, a validator that raises something other than ``ValidationError``,
a field whose ``process_formdata`` raises on what was sent. Each is reported with the plugin's
name and the type's key; the page is shown (200) with a notice in place of the type's fields,
a submission is refused (409, the step naming the plugin) and the API answers a coded 409;
nothing is written, never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from wtforms import Form, StringField

from portal.extensions import db
from portal.models import Activity
from portal.services import tokens
from tests.plugins.test_broken_plugins import client_for, failures
from tests.plugins.test_request_time_failures import Plugin, one_role_type
from tests.support import factories as f

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "yx_forms"
KEY = "rt_form"
FORM_NOTICE = "“网络研修”类型的插件未能显示该类型的专属字段，错误已记入日志"  # the type's name, not the plugin's
STEP_NOTICE = "“网络研修”类型的插件在执行此操作时出错，错误已记入日志，未作任何更改"
STEP_EN = "the plugin of activity type 'Online forum' failed while this step was taken"
DRAWN = ("field 'topic' of the form of activity type 'rt_form' raised RuntimeError: widget exploded while it was "
         "drawn; the page showed a notice in place of the type's fields")
REFUSED = "form of activity type 'rt_form' raised RuntimeError: {}; the step was refused and nothing changed"
UNDRAWN = ("field 'topic' of the form of activity type 'rt_form' raised RuntimeError: widget exploded while it was "
           "drawn; the step was refused and nothing changed")


def exploding_widget(field, **kwargs):
    raise RuntimeError("widget exploded")


def exploding_validator(form, field):
    raise RuntimeError("topic service down")


class FragileField(StringField):
    """A field that cannot take what a browser sends it."""

    def process_formdata(self, valuelist):
        if valuelist:
            raise RuntimeError("odd input")
        super().process_formdata(valuelist)


FORMS = {
    "widget": type("WidgetForm", (Form,), {"topic": StringField("Topic", widget=exploding_widget),
                                           "note": StringField("Note")}),
    "validator": type("ValidatorForm", (Form,), {"topic": StringField("Topic", validators=[exploding_validator]),
                                                 "note": StringField("Note")}),
    "formdata": type("FormdataForm", (Form,), {"topic": FragileField("Topic"), "note": StringField("Note")}),
}
BUILT = ("form of activity type 'rt_form' raised RuntimeError: choices service down when it was built; the page "
         "showed a notice in place of the type's fields")
REPORTED = {"widget": UNDRAWN, "validator": REFUSED.format("topic service down"), "formdata": REFUSED.format("odd input")}


def _planner(make_app, case: str):
    """An app whose plugin's type has the form of ``case``, a school of that type: (app, school
    id, organizer id, the organizer's API token)."""
    app = make_app(EXTRA_PLUGINS=[(PLUGIN, Plugin(one_role_type(KEY, "网络研修", "Online forum", form=FORMS[case])))])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school("PF", types=(KEY, "lecture"))
        organizer = f.staff(s)["organizer"]
        return app, s.id, organizer.id, tokens.issue(organizer).token


PLAN = {"title": "网络研修", "starts_at": "2026-09-10T09:00", "ends_at": "2026-09-10T11:00", "hours": "2",
        "details-topic": "大单元", "details-note": "x"}


def _no_activity(app) -> None:
    with app.app_context():
        assert db.session.query(Activity).count() == 0


def test_a_widget_that_raises_shows_the_page_with_a_notice_in_place_of_the_types_fields(make_app, plugin_log):
    app, school_id, organizer, _token = _planner(make_app, "widget")
    r = client_for(app, organizer, school_id).get(f"/activities/new/{KEY}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:500]
    assert 'data-testid="plugin-form-failed"' in html and FORM_NOTICE in html and PLUGIN not in html
    assert 'data-testid="field-title"' in html and 'data-testid="field-hours"' in html  # the core fields
    assert 'data-testid="field-details-note"' not in html  # none of the type's fields: it could not be filled in
    assert 'data-testid="activity-submit" disabled' in html  # a submission is refused (below)
    with app.app_context():
        assert failures()[PLUGIN] == DRAWN
    assert f"plugin {PLUGIN}: {DRAWN}" in plugin_log.text


@pytest.mark.parametrize("case", ["validator", "formdata"])
def test_a_form_that_draws_shows_its_fields(make_app, case):
    """A validator and ``process_formdata`` are not run by drawing the empty form."""
    app, school_id, organizer, _token = _planner(make_app, case)
    r = client_for(app, organizer, school_id).get(f"/activities/new/{KEY}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:500]
    assert 'data-testid="field-details-topic"' in html and 'data-testid="plugin-form-failed"' not in html
    with app.app_context():
        assert PLUGIN not in failures()


@pytest.mark.parametrize("case", ["widget", "validator", "formdata"])
def test_planning_with_a_form_that_raises_is_refused_naming_the_plugin(make_app, plugin_log, case):
    app, school_id, organizer, _token = _planner(make_app, case)
    r = client_for(app, organizer, school_id).post(f"/activities/new/{KEY}", data=PLAN)
    html = r.get_data(as_text=True)
    assert r.status_code == 409, html[:500]
    assert STEP_NOTICE in html and PLUGIN not in html
    _no_activity(app)
    with app.app_context():
        assert failures()[PLUGIN] == REPORTED[case]


@pytest.mark.parametrize("case", ["widget", "validator", "formdata"])
def test_planning_from_the_page_is_refused_back_on_the_page(make_app, case):
    """Sent from the planning page (a referrer), the refusal is shown there like any other."""
    app, school_id, organizer, _token = _planner(make_app, case)
    client = client_for(app, organizer, school_id)
    page = f"http://localhost/activities/new/{KEY}"
    r = client.post(f"/activities/new/{KEY}", data=PLAN, headers={"Referer": page})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/activities/new/{KEY}")
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert STEP_NOTICE in html
    _no_activity(app)


def _api_plan(app, token: str):
    return app.test_client().post(
        "/api/v1/activities", headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
        json={"type": KEY, "title": "网络研修", "starts_at": "2026-09-10T09:00+08:00",
              "ends_at": "2026-09-10T11:00+08:00", "hours": 2, "details": {"topic": "大单元", "note": "x"}})


@pytest.mark.parametrize("case", ["validator", "formdata"])
def test_the_api_refuses_a_plan_whose_form_raises_with_a_coded_error(make_app, plugin_log, case):
    app, _school_id, _organizer, token = _planner(make_app, case)
    r = _api_plan(app, token)
    assert r.status_code == 409, r.get_data(as_text=True)[:500]
    body = r.get_json()
    assert body["error"] == "conflict" and STEP_EN in body["message"] and PLUGIN not in body["message"]
    _no_activity(app)
    with app.app_context():
        assert failures()[PLUGIN] == REPORTED[case]


def test_the_api_does_not_draw_the_form(make_app):
    """The API never draws the form: a widget that raises there leaves planning through it working."""
    app, _school_id, _organizer, token = _planner(make_app, "widget")
    r = _api_plan(app, token)
    assert r.status_code == 201, r.get_data(as_text=True)[:500]
    with app.app_context():
        assert db.session.query(Activity).one().details == {"topic": "大单元", "note": "x"}
        assert PLUGIN not in failures()


def test_the_guide_quotes_the_form_messages():
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    section = guide.split("## 10. Mistakes and the messages they produce", 1)[1].split("\n## ", 1)[0]
    for message in (DRAWN, UNDRAWN, BUILT):
        assert f"\n{message}\n" in section


def test_a_form_that_cannot_be_built_on_the_page_shows_the_notice(make_app, plugin_log):
    """Built at load, the form may still raise when the page builds it (a service it asks is down)."""
    class Flaky(Form):
        topic = StringField("Topic")
        broken = False

        def __init__(self, *args, **kwargs):
            if Flaky.broken:
                raise RuntimeError("choices service down")
            super().__init__(*args, **kwargs)

    app = make_app(EXTRA_PLUGINS=[(PLUGIN, Plugin(one_role_type(KEY, "网络研修", "Online forum", form=Flaky)))])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        s = f.school("PB", types=(KEY,))
        school_id, organizer = s.id, f.staff(s)["organizer"].id
    Flaky.broken = True
    r = client_for(app, organizer, school_id).get(f"/activities/new/{KEY}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html[:500]
    assert FORM_NOTICE in html and 'data-testid="field-title"' in html
    with app.app_context():
        assert failures()[PLUGIN] == BUILT


def test_the_builtin_types_draw_and_validate_as_before(make_app):
    """A built-in type's form is drawn with its fields and refuses what it refused before."""
    app, school_id, organizer, _token = _planner(make_app, "validator")
    client = client_for(app, organizer, school_id)
    html = client.get("/activities/new/lecture").get_data(as_text=True)
    assert 'data-testid="details-fields"' in html and 'data-testid="plugin-form-failed"' not in html
    r = client.post("/activities/new/lecture", data={**{k: v for k, v in PLAN.items() if not k.startswith("details-")},
                                                     "details-nonsense": "x"})
    assert r.status_code == 422, r.get_data(as_text=True)[:500]
    _no_activity(app)
    with app.app_context():
        assert failures() == {}
