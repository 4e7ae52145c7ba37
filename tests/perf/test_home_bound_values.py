"""The cold teacher home's statements bind only what the request brings (round 57): the code's
own constants — kinds of the year's rows, states, months, semesters, the teacher's role, the
reading notes' kind, a CASE's 0 and 1 — are written into the statements built once
(``database.constant``), not bound and converted on every run. The teacher year's UNION ALL
bound 121 values a run, 63 of them such constants, and its month bounds twice each (the
writing's month grouped by its expression): now 45, each a value of the request."""

from __future__ import annotations

import pytest
from sqlalchemy import func, literal, select

from portal.database import constant, in_constants
from portal.extensions import cache, db
from portal.models import Activity
from portal.registry import registry
from tests.perf.conftest import cold_bound, login, site

YEAR_UNION = "AS kind"  # the teacher year's statement names its first column so
# 121 before round 57 (tests/perf/conftest.py's generated school); 45 before round 59, whose plan's two
# rows bind its school, teacher and year each
MOST_BOUND_IN_THE_YEAR = 51
# 152 before round 57, 68 before 59, 71 before 62 (the evidence counts' ids): the login's 1, the year's (with the
# plan's), the activities', entries', evidence's (its person and school)
MOST_BOUND_A_HOME = 62


def test_the_cold_home_binds_the_requests_values_only(app, generated):
    [code] = generated(teachers=10, years=1, seed=1)
    s = site(code)
    client = login(app.test_client(), s.teacher, s.school.id)
    response, values = cold_bound(app, client, "/")
    assert response.status_code == 200
    bound = [(statement, len(v)) for statement, v in values]
    year = [n for statement, n in bound if YEAR_UNION in statement]
    assert len(year) == 1 and 0 < year[0] <= MOST_BOUND_IN_THE_YEAR, (year, bound)
    assert sum(n for _statement, n in bound) <= MOST_BOUND_A_HOME, bound


def test_the_homes_evidence_counts_bind_the_person_and_school_only(app, generated):
    """Round 62: the to-do list's evidence counts (``overview.waiting_on``) are read for the
    school's editable activities, the person and the school bound: not a list of the activities'
    ids, which SQLAlchemy wrote into the SQL again on every run (one bound value an activity)."""
    [code] = generated(teachers=10, years=1, seed=1)
    s = site(code)
    client = login(app.test_client(), s.teacher, s.school.id)
    response, values = cold_bound(app, client, "/")
    assert response.status_code == 200
    counts = [len(v) for statement, v in values if statement.startswith("SELECT evidence.activity_id, evidence.kind, count(")]
    assert counts == [2], [(statement[:120], len(v)) for statement, v in values]


def test_the_cold_home_builds_no_url_nor_setting_declarations(app, generated, monkeypatch):
    """Round 59: a cold home, once its links are known (``site_url``), asks Flask's ``url_for``
    nothing (the year switch's form asked it on every page), and a school that stored no
    settings of its types has no setting declarations built (``settings_with_defaults`` with
    none stored: the defaults, as before, three types' declarations a home); one stored still
    asks them, and a value they refuse still falls back to the default."""
    from flask import Flask

    from portal.activity_types import ActivityType

    [code] = generated(teachers=10, years=1, seed=1)
    s = site(code)
    client = login(app.test_client(), s.teacher, s.school.id)
    with app.app_context():
        assert client.get("/").status_code == 200
        cache.clear()
    asked: list[str] = []
    real_url_for, real_declarations = Flask.url_for, ActivityType.setting_declarations
    monkeypatch.setattr(Flask, "url_for", lambda self, endpoint, **v: asked.append(endpoint) or real_url_for(self, endpoint, **v))
    monkeypatch.setattr(ActivityType, "setting_declarations",
                        lambda self: asked.append("declarations") or real_declarations(self))
    with app.app_context():
        page = client.get("/")
    assert page.status_code == 200 and 'action="/"' in page.get_data(as_text=True) and asked == []
    lecture = registry().get("lecture").type
    assert lecture.settings_with_defaults(None) == lecture.settings_with_defaults({}) == lecture.default_settings
    assert asked == []
    key = next(iter(lecture.default_settings))
    assert lecture.settings_with_defaults({key: "not a value"}) == lecture.default_settings and asked == ["declarations"]


def test_constants_select_what_bound_values_select(app, generated):
    generated(teachers=10, years=1, seed=1)
    states = ("planned", "credited")
    by = {
        "bound": select(func.count()).where(Activity.state.in_([literal(s) for s in states])),
        "written in": select(func.count()).where(in_constants(Activity.state, states)),
    }
    counts = {k: db.session.execute(q).scalar_one() for k, q in by.items()}
    assert counts["bound"] == counts["written in"] > 0
    assert db.session.execute(select(constant("w"), constant(7))).one() == ("w", 7)


@pytest.mark.parametrize("value", ["it's", "a b", "学时", 1.5, True, None, b"w"])
def test_constant_takes_plain_words_and_integers_only(value):
    with pytest.raises(ValueError):
        constant(value)  # type: ignore[arg-type]
