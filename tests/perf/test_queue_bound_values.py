"""The review queue's statements bind only what the request brings (round 58, as round 57 did for
the cold home): the workflows' state names (the sections' and counts' ``IN``), the CASE's 1 and 0
of a type's stored settings and the core's triggers of its history (a handover, a recorded
attendance) are written into the statements built once (``database.constant``), not bound and
converted on every run. The bench reviewer's queue bound 95 values a request before (the
sections' UNION ALL 22, the history's 40); now 83 (13 and 37)."""

from __future__ import annotations

import pytest

from portal.database import constant
from portal.extensions import db
from portal.registry import registry
from tests.perf.conftest import cold_bound, login, site
from workflows.definition import ATTENDANCE_RECORDED, HANDED_OVER

MOST_BOUND_A_QUEUE = 94  # 106 before round 58 (tests/perf/conftest.py's generated school, its reviewer)
SECTIONS = "FROM school_activity_type"  # only the sections' UNION ALL reads the type settings


def test_the_queue_binds_the_requests_values_only(app, generated):
    [code] = generated(teachers=10, years=1, seed=1)
    s = site(code)
    client = login(app.test_client(), s.reviewer, s.school.id)
    page, bound = cold_bound(app, client, "/review")
    assert page.status_code == 200 and 'data-testid="queue-item-' in page.get_data(as_text=True)  # cards on it
    reg = registry()
    states = {state.name for key in reg.keys() for state in reg.definition(key).states}
    [sections] = [values for statement, values in bound if SECTIONS in statement]
    assert not states & set(sections), sections  # the sections' and counts' states written in
    triggers = {HANDED_OVER, ATTENDANCE_RECORDED}  # the history's handovers and attendance, written in
    assert [v for _statement, values in bound for v in values if v in triggers] == []
    assert sum(len(values) for _statement, values in bound) <= MOST_BOUND_A_QUEUE, [len(v) for _s, v in bound]

@pytest.mark.parametrize("value", ["organizer.handed_over", "attendance.recorded", "held", "a.b.c"])
def test_a_dotted_name_is_a_constant(app, value):
    assert db.session.execute(db.select(constant(value))).scalar_one() == value


@pytest.mark.parametrize("value", [".a", "a.", "a..b", "a.b c", "a.'b", "a.学"])
def test_a_dotted_name_is_plain_words_between_dots(value):
    with pytest.raises(ValueError):
        constant(value)
