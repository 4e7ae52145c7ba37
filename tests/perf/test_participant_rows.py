"""The activity page reads its participants as rows: the same values as the ORM objects, in
the same order, in one statement, with no object built."""

from __future__ import annotations

from portal.models import Participation
from portal.services import activities
from tests.perf.rows_and_objects import assert_rows_are_the_objects, busiest

SHOWN = ("id", "activity_id", "user_id", "role", "attended_hours", "absent_hours", "excused_hours",
         "adjusted_hours", "adjust_reason", "adjusted_by")


def test_rows_match_the_objects(app, generated, queries):
    generated(schools=1, teachers=30, years=1, seed=3)
    act_id = busiest(Participation.activity_id)
    assert_rows_are_the_objects(queries, lambda: activities.participant_rows(act_id),
                                lambda: activities.participants_with_users(act_id), SHOWN, least=10)
