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
from portal.extensions import db
from portal.models import Activity
from tests.perf.conftest import cold_bound, login, site

YEAR_UNION = "AS kind"  # the teacher year's statement names its first column so
MOST_BOUND_IN_THE_YEAR = 45  # 121 before round 57 (tests/perf/conftest.py's generated school)
MOST_BOUND_A_HOME = 68  # 152 before round 57: the login's 1, the year's, the activities', the plan's, entries', evidence's


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
