"""The activity page's work per view (issue 19, round 40): its history read as rows (no
``TransitionLog`` or ``User`` objects), a credited activity's net hours made Decimals once per
distinct total, and what it says of the workflow's steps in a state worked out once per
workflow, state and language — each with the same answers as before."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.extensions import cache, db
from portal.models import CreditEntry, TransitionLog
from portal.once import KeptPer
from portal.services import activities as activities_service
from portal.services import credits, transitions
from portal.web import activities as activity_views
from tests.perf.conftest import login, site
from tests.perf.rows_and_objects import assert_rows_are_the_objects, busiest
from workflows.definition import PARTICIPANTS_CHANGED

SHOWN = ("id", "activity_id", "school_id", "trigger", "from_state", "to_state", "actor_id", "comment", "payload",
         "created_at")


def test_history_rows_match_the_objects(app, generated, queries):
    generated(schools=1, teachers=20, years=1, seed=4)
    act_id = busiest(TransitionLog.activity_id)
    assert_rows_are_the_objects(queries, lambda: transitions.history_rows(act_id),
                                lambda: transitions.history(act_id), SHOWN, least=2)


def test_the_page_builds_no_history_objects(app, generated, monkeypatch):
    """The page shows its history from rows: a view loads no ``TransitionLog`` (the ORM's entity
    loading of three steps and their actors cost more than the statement)."""
    [code] = generated(schools=1, teachers=20, years=1, seed=4)
    s = site(code)
    act_id = s.busiest.id
    client = login(app.test_client(), s.admin, s.school.id)
    loaded: list[Any] = []
    real = db.session.execute

    def watched(statement: Any, *args: Any, **kwargs: Any) -> Any:
        result = real(statement, *args, **kwargs)
        loaded.extend(d.get("entity") for d in getattr(statement, "column_descriptions", []))
        return result

    monkeypatch.setattr(db.session, "execute", watched)
    with app.app_context():
        response = client.get(f"/activities/{act_id}")
    assert response.status_code == 200
    assert 'data-testid="timeline-1"' in response.get_data(as_text=True)
    assert TransitionLog not in loaded, loaded


def test_net_hours_made_once_per_distinct_total(app, generated, monkeypatch):
    [code] = generated(schools=1, teachers=30, years=1, seed=3)
    act = site(code).busiest
    expected = {uid: credits._dec(total) for uid, total in db.session.execute(
        select(CreditEntry.user_id, func.sum(CreditEntry.hours)).where(CreditEntry.activity_id == act.id)
        .group_by(CreditEntry.user_id))}
    made: list[Any] = []
    real = credits._dec
    monkeypatch.setattr(credits, "_dec", lambda v: made.append(v) or real(v))
    net = credits.activity_net_hours(act.id)
    assert net == expected and len(net) > 10
    assert [str(v) for v in net.values()] == [str(expected[uid]) for uid in net]  # the same digits
    assert len(made) == len(set(made)) < len(net)  # each distinct total once (old: once per person)


def test_the_steps_are_worked_out_once_per_workflow_state_and_language(app, generated, monkeypatch):
    [code] = generated(schools=1, teachers=10, years=1, seed=1)
    s = site(code)
    client = login(app.test_client(), s.admin, s.school.id)
    asked: list[Any] = []
    real = activity_views.role_labels
    monkeypatch.setattr(activity_views, "role_labels", lambda roles, *rest: asked.append(roles) or real(roles, *rest))
    monkeypatch.setattr(activity_views, "_STEPS", KeptPer(512), raising=False)
    pages = {}
    for lang in ("zh", "en", "zh", "en"):
        with app.app_context():
            before = len(asked)
            response = client.get(f"/activities/{s.open.id}?lang={lang}")
            cache.clear()
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        start = html.index('data-testid="workflow-next"')
        pages.setdefault(lang, []).append((html[start:html.index("</p>", start)], len(asked) - before))
    # the first view in each language works them out (one step or more out of "planned"), the second none
    assert pages["zh"][0][1] >= 1 and pages["en"][0][1] >= 1
    assert pages["zh"][1][1] == 0 and pages["en"][1][1] == 0
    assert pages["zh"][0][0] == pages["zh"][1][0] != pages["en"][0][0] == pages["en"][1][0]
    assert "（" in pages["zh"][0][0] and "(" in pages["en"][0][0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_kept_steps_equal_fresh_ones(app, lang):
    """Every installed type's steps in each of its states, kept, equal the old page's
    expressions worked out afresh in the viewer's language."""
    from portal.i18n import lang_code
    from portal.messages import role_labels, tr
    from portal.registry import registry

    with app.test_request_context(f"/?lang={lang}"):
        assert lang_code() == lang
        for key in registry().keys():
            definition = registry().get(key).engine.definition
            for state in {st for t in definition.transitions for st in t.sources}:
                declared = registry().self_declared(key)  # its organiser is the declaring teacher
                kept = activity_views._steps(definition, state, declared)
                assert list(kept.next_steps) == [
                    (t.label_en if lang_code() == "en" else t.label_zh, tr(role_labels(sorted(t.roles), declared)))
                    for t in definition.transitions if state in t.sources
                ]
                assert kept.comment_required == {t.trigger for t in definition.transitions if t.comment_required}
                assert kept.going_back == {t.trigger for t in definition.transitions if definition.goes_back(t)}
                assert set(kept.confirming) == {t.trigger for t in definition.transitions
                                                if definition.asks_confirmation(t)}
                assert kept is activity_views._steps(definition, state, declared)


def test_kept_per_keeps_the_object_beside_its_answer():
    kept: KeptPer[str] = KeptPer(2)
    a, b = Thing(), Thing()
    assert kept.get(a, ("x",), lambda: "a x") == "a x"
    assert kept.get(a, ("x",), lambda: "again") == "a x"
    assert kept.get(a, ("y",), lambda: "a y") == "a y"
    assert kept.get(b, ("x",), lambda: "b x") == "b x"  # the third: all dropped, then kept
    assert kept.get(a, ("x",), lambda: "a x, made again") == "a x, made again"
    # the object lives as long as its answer: its id is never recycled for another object
    gone = Thing()
    kept.get(gone, (), lambda: "kept")
    watch = weakref.ref(gone)
    del gone
    gc.collect()
    assert watch() is not None


class Thing:
    """An unhashable object (as a workflow definition with its guards)."""

    __hash__ = None  # type: ignore[assignment]


def test_net_hours_are_read_as_the_driver_gives_them():
    """The net hours' totals come as the driver gives them (``types.driver_hours``), made the
    Decimal ``HoursType`` makes once per distinct total, not once per row by the column type."""
    from portal.models.types import HoursType

    assert type(credits._NET_HOURS.selected_columns[1].type) is type(HoursType.impl)  # values: the test above


def test_the_list_names_are_gathered_only_for_a_change_of_the_list():
    """Most histories change no list: the page no longer gathers sixty names for none."""

    class Watched(dict):
        asked = 0

        def items(self):  # type: ignore[override]
            Watched.asked += 1
            return super().items()

    log = transitions.LogRow(1, 1, 1, "hold", "planned", "held", 7, "", {}, None)  # type: ignore[arg-type]
    actor = activities_service.NameRow(7, "t007", "王七")
    names = Watched({8: activities_service.NameRow(8, "t008", "李八")})
    assert activity_views._list_names([(log, actor)], names) == {}
    assert Watched.asked == 0
    listed = log._replace(trigger=PARTICIPANTS_CHANGED, payload={"added": {"8": "participant"}})
    assert activity_views._list_names([(listed, actor)], names) == {8: "李八", 7: "王七"}
    assert Watched.asked == 1


def test_the_confirm_form_is_built_only_for_the_handover(app, generated, monkeypatch):
    [code] = generated(schools=1, teachers=10, years=1, seed=1)
    s = site(code)
    built: list[Any] = []
    real = activity_views.ConfirmForm
    monkeypatch.setattr(activity_views, "ConfirmForm", lambda *a, **k: built.append(1) or real(*a, **k))
    for who, shown in ((s.teacher, False), (s.admin, True)):
        client = login(app.test_client(), who, s.school.id)
        built.clear()
        with app.app_context():
            html = client.get(f"/activities/{s.open.id}").get_data(as_text=True)
        assert ('data-testid="handover-submit"' in html) is shown
        assert len(built) == (1 if shown else 0), who.username


def test_no_fragment_context_for_a_type_that_draws_none(app, generated, monkeypatch):
    """A type that keeps ``ActivityType.page_fragment`` (it draws nothing) is not asked for a
    fragment, and the page makes no context of sixty participants' snapshots for it; its
    plugin's data hook is asked as before (a failure still shows the notice:
    ``tests/plugins/test_plugin_transition_data.py``)."""
    from portal.registry import registry

    [code] = generated(schools=1, teachers=10, years=1, seed=1)
    s = site(code)
    with app.app_context():
        assert not registry().get(s.busiest.type_key).draws_fragment
    made: list[Any] = []
    real = activity_views.context
    monkeypatch.setattr(activity_views, "context", lambda *a, **k: made.append(1) or real(*a, **k))
    client = login(app.test_client(), s.admin, s.school.id)
    with app.app_context():
        html = client.get(f"/activities/{s.busiest.id}").get_data(as_text=True)
    assert 'data-testid="participant-table"' in html and 'data-testid="plugin-fragment"' not in html
    assert made == []
