"""The activity page reads its participants as rows: the same values as the ORM objects, in
the same order, in one statement, with no object built."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Participation
from portal.services import activities

SHOWN = ("id", "activity_id", "user_id", "role", "attended_hours", "absent_hours", "excused_hours",
         "adjusted_hours", "adjust_reason", "adjusted_by")


def test_rows_match_the_objects(app, generated, queries):
    generated(schools=1, teachers=30, years=1, seed=3)
    act_id = db.session.execute(
        select(Participation.activity_id).group_by(Participation.activity_id)
        .order_by(func.count().desc(), Participation.activity_id).limit(1)
    ).scalar_one()
    db.session.expunge_all()
    with queries.counting():
        rows = activities.participant_rows(act_id)
    assert queries.count == 1
    assert len(db.session.identity_map) == 0  # rows, not objects
    objects = activities.participants_with_users(act_id)
    assert len(rows) == len(objects) > 10
    for (p_row, u_row), (p, u) in zip(rows, objects, strict=True):
        assert {k: getattr(p_row, k) for k in SHOWN} == {k: getattr(p, k) for k in SHOWN}
        assert (u_row.id, u_row.username, u_row.display_name) == (u.id, u.username, u.display_name)
