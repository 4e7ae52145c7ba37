"""A plugin that added a state is removed (or a new version drops the state) while an activity
stands in it: the core takes the state as closed, and says so where it shows — the activity's
page, the school admin's plugins page and ``flask plugins list`` — rather than letting the
activity drop out of the review queue and the year's absences unexplained."""

from __future__ import annotations

from datetime import timedelta

from portal.activity_types import ActivityType, Role
from portal.extensions import db
from portal.models import Activity, School, User
from portal.services import credits, stranded_states, transitions
from portal.timeutil import utcnow
from tests.plugins.plugin_throwaway import ProvidesTypes
from tests.support import factories as f
from tests.support.sessions import log_in
from workflows import State, Transition, WorkflowExtension
from workflows.definition import Phase

STATE_MISSING = 'data-testid="state-missing"'


class Audited(ActivityType):
    """Version 1: reviewed lessons go through a district audit (a confirmed state) before credit."""

    key = "audited"
    name_zh, name_en = "督导课", "Audited lesson"
    roles = {"member": Role("成员", "Member")}

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension(
            states=(State("audited", "已督导", "Audited", phase=Phase.CONFIRMED),),
            transitions=(Transition("audit", ("reviewed",), "audited", frozenset({"reviewer"}), "督导", "Audit"),),
        )


class AuditedWithoutAudit(Audited):
    """Version 2: the audit step dropped."""

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension()


def _client(app, user_id: int):
    """A test client of ``app`` signed in as ``user_id``."""
    with app.app_context():
        return log_in(app.test_client(), db.session.get(User, user_id))


def _absent_hours(person_id: int, school_id: int, year: int) -> float:
    facts = credits.teacher_year(db.session.get(User, person_id), db.session.get(School, school_id), year).facts
    return float(sum(facts.absent_hours.values()))


def test_an_activity_left_in_a_dropped_state_is_reported_where_it_shows(make_app):
    app = make_app(EXTRA_PLUGINS=[("audited", ProvidesTypes(Audited))])
    with app.app_context():
        s = f.school("S1", types=("lecture", "audited"))
        staff = f.staff(s)
        act = f.plan(s, staff["organizer"], "audited", [(staff["t1"], "member"), (staff["t2"], "member")],
                     hours="2", start=utcnow() - timedelta(days=2))
        f.attend(act, staff["organizer"], absent={staff["t2"].id: "2"}, hours={staff["t2"].id: "0"})
        for who, trigger in (("organizer", "hold"), ("reviewer", "approve"), ("reviewer", "audit")):
            f.fire(act, staff[who], trigger)
        act_id, school_id, year = act.id, s.id, act.school_year
        ids = {name: u.id for name, u in staff.items()}
        assert _absent_hours(ids["t2"], school_id, year) == 2  # audited is confirmed: the absence counts
        assert stranded_states.stranded() == []
    admin = _client(app, ids["admin"])
    assert 'data-testid="no-stranded"' in admin.get("/admin/plugins").get_data(as_text=True)
    assert STATE_MISSING not in admin.get(f"/activities/{act_id}").get_data(as_text=True)

    # version 2 of the plugin: the type is installed, its audited state is gone
    later = make_app(EXTRA_PLUGINS=[("audited", ProvidesTypes(AuditedWithoutAudit))],
                     SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    with later.app_context():
        assert stranded_states.stranded(school_id) == [stranded_states.Stranded("audited", "audited", 1)]
        row = db.session.get(Activity, act_id)
        assert transitions.allowed_triggers(row, ids["reviewer"]) == []
        assert _absent_hours(ids["t2"], school_id, year) == 0  # what the pages now say
    admin = _client(later, ids["admin"])
    plugins = admin.get("/admin/plugins").get_data(as_text=True)
    assert 'data-testid="stranded-audited-audited"' in plugins and 'data-testid="no-stranded"' not in plugins
    row_html = plugins.split('data-testid="stranded-audited-audited"')[1].split("</tr>")[0]
    assert "督导课" in row_html and "<td>1</td>" in row_html
    assert "不进入审核队列" in plugins
    page = admin.get(f"/activities/{act_id}").get_data(as_text=True)
    assert STATE_MISSING in page and 'data-testid="type-missing"' not in page
    reviewer = _client(later, ids["reviewer"])
    assert f'data-testid="queue-item-{act_id}"' not in reviewer.get("/review").get_data(as_text=True)
    listed = later.test_cli_runner().invoke(args=["plugins", "list"])
    assert "STRANDED\taudited\taudited\t1 activities" in listed.output

    # the plugin removed: the type is not installed, and its state is still reported
    gone = make_app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    with gone.app_context():
        assert stranded_states.stranded() == [stranded_states.Stranded("audited", "audited", 1)]
    admin = _client(gone, ids["admin"])
    page = admin.get(f"/activities/{act_id}").get_data(as_text=True)
    assert STATE_MISSING in page and 'data-testid="type-missing"' in page

    # version 1 again: the activity is back as it was, with nothing to report
    again = make_app(EXTRA_PLUGINS=[("audited", ProvidesTypes(Audited))],
                     SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    with again.app_context():
        assert stranded_states.stranded() == []
        assert _absent_hours(ids["t2"], school_id, year) == 2
        assert transitions.allowed_triggers(db.session.get(Activity, act_id), ids["reviewer"]) == ["return"]


def test_only_the_schools_own_stranded_activities_are_listed(make_app):
    app = make_app(EXTRA_PLUGINS=[("audited", ProvidesTypes(Audited))])
    with app.app_context():
        s = f.school("S1", types=("lecture", "audited"))
        other = f.school("S2", types=("lecture", "audited"))
        for school in (s, other):
            staff = f.staff(school)
            act = f.plan(school, staff["organizer"], "audited", [(staff["t1"], "member")], hours="2",
                         start=utcnow() - timedelta(days=2))
            f.attend(act, staff["organizer"])
            for who, trigger in (("organizer", "hold"), ("reviewer", "approve"), ("reviewer", "audit")):
                f.fire(act, staff[who], trigger)
        ids = (s.id, other.id)
    later = make_app(EXTRA_PLUGINS=[("audited", ProvidesTypes(AuditedWithoutAudit))],
                     SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    with later.app_context():
        assert [x.count for x in stranded_states.stranded(ids[0])] == [1]
        assert [x.count for x in stranded_states.stranded()] == [2]
