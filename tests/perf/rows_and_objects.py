"""A page's pairs read as rows instead of ORM objects (its participants, its history): the same
values in the same order, in one statement, with no object built — asked alike of each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select

from portal.extensions import db

USER_SHOWN = ("id", "username", "display_name")


def busiest(activity_id: Any) -> int:
    """The activity with the most rows of ``activity_id``'s table (ties: the lowest id)."""
    return db.session.execute(
        select(activity_id).group_by(activity_id).order_by(func.count().desc(), activity_id).limit(1)
    ).scalar_one()


def assert_rows_are_the_objects(queries: Any, rows_of: Callable[[], Sequence[Any]],
                                objects_of: Callable[[], Sequence[Any]], shown: Sequence[str], least: int) -> None:
    """``rows_of()`` reads (thing, user) pairs in one statement and builds no object; they hold
    the ``shown`` values of ``objects_of()``'s pairs, and their users', in the same order (at
    least ``least`` + 1 of them)."""
    db.session.expunge_all()
    with queries.counting():
        rows = rows_of()
    assert queries.count == 1
    assert len(db.session.identity_map) == 0  # rows, not objects
    objects = objects_of()
    assert len(rows) == len(objects) > least
    for (row, user_row), (obj, user) in zip(rows, objects, strict=True):
        assert {k: getattr(row, k) for k in shown} == {k: getattr(obj, k) for k in shown}
        assert [getattr(user_row, k) for k in USER_SHOWN] == [getattr(user, k) for k in USER_SHOWN]
