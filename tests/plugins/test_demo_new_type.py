"""``flask demo`` in an instance whose DEMO school exists already, after a plugin was installed:
the new type is enabled there and given its demo activities, one in each phase, as a new DEMO
school would have them (it changed nothing: the author had to start a new instance or plan by
hand). Idempotent: a second run adds nothing. A type the school's admin switched off stays off."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from wtforms import Form, StringField

from portal.activity_types import ActivityType, Role, Text
from portal.demo import load_demo
from portal.extensions import db
from portal.models import Activity, School, SchoolActivityType
from portal.registry import registry
from portal.services import schools
from tests.plugins.test_broken_plugins import failures
from tests.plugins.test_request_time_failures import Plugin
from workflows import Phase


class _Form(Form):
    topic = StringField(Text("主题", "Topic"))


class Contest(ActivityType):
    key = "demo_contest"
    name_zh, name_en = "青年教师赛课", "Young teachers' contest"
    roles = {"judge": Role("评委", "Judge"), "contestant": Role("参赛教师", "Contestant")}
    form = _Form

    def sample_details(self):
        return {"topic": "课堂提问的有效设计"}


def _counts() -> tuple[Counter, int]:
    demo = db.session.scalar(select(School.id).where(School.code == "DEMO"))
    phases = Counter(registry().phase(a.type_key, a.state) for a in db.session.scalars(
        select(Activity).where(Activity.school_id == demo, Activity.type_key == "demo_contest")))
    return phases, db.session.scalar(select(func.count(Activity.id)))


def test_a_type_installed_after_the_demo_joins_the_demo_school_once(make_app):
    before = make_app(demo=True)
    uri = before.config["SQLALCHEMY_DATABASE_URI"]
    with before.app_context():
        others = db.session.scalar(select(func.count(Activity.id)))
    app = make_app(SQLALCHEMY_DATABASE_URI=uri, EXTRA_PLUGINS=[("yx_contest", Plugin(Contest()))])
    with app.app_context():
        school = load_demo()
        assert "yx_contest" not in failures()
        assert "demo_contest" in [r.type.key for r in schools.enabled_types(school.id)]
        phases, total = _counts()
        assert phases == Counter({Phase.OPEN: 1, Phase.AWAITING_REVIEW: 1, Phase.CONFIRMED: 1, Phase.CREDITED: 1,
                                  Phase.CLOSED: 1})
        assert total == others + 5  # nothing of the other types
        load_demo()  # again: nothing more
        assert _counts() == (phases, total)


def test_a_type_the_demo_schools_admin_switched_off_stays_off(make_app):
    before = make_app(demo=True)
    uri = before.config["SQLALCHEMY_DATABASE_URI"]
    app = make_app(SQLALCHEMY_DATABASE_URI=uri, EXTRA_PLUGINS=[("yx_contest", Plugin(Contest()))])
    with app.app_context():
        demo = db.session.scalar(select(School).where(School.code == "DEMO"))
        from portal import policy

        schools.set_type(demo, "demo_contest", enabled=False, by=policy.SYSTEM)
        load_demo()
        row = db.session.scalar(select(SchoolActivityType).where(SchoolActivityType.school_id == demo.id,
                                                                 SchoolActivityType.type_key == "demo_contest"))
        assert row is not None and row.enabled is False
        assert _counts()[0] == Counter()
