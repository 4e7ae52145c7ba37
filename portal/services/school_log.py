"""The audit log of a school's settings (:class:`~portal.models.SchoolChange`): each rule and
each activity type's switch or settings as an admin (of the school, or of its district for a
type switched on district-wide) or the operator changed them — before, after, by whom, when.
Written in the transaction of the change itself, only when something changed; never updated.
The audit page's "school settings" view and its export show it (:mod:`portal.audit.service`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from portal import policy
from portal.models import SchoolChange

WHAT = ("rule", "type")


def record_rules(s: Session, school_id: int, by: policy.Actor, before: Mapping[str, Any],
                 after: Mapping[str, Any]) -> list[SchoolChange]:
    """Add to ``s`` a line for each rule of ``after`` whose value differs from ``before``
    (the values in effect: 24 and 24.0 are one value)."""
    rows = [SchoolChange(school_id=school_id, changed_by=None if by.system else by.user_id, what="rule",
                         subject=key, before=[before.get(key)], after=[value])
            for key, value in after.items() if not _same(before.get(key), value)]
    s.add_all(rows)
    return rows


def record_type(s: Session, school_id: int, by: policy.Actor, key: str, before: Mapping[str, Any],
                after: Mapping[str, Any]) -> SchoolChange | None:
    """Add to ``s`` the type's switch (``enabled``) and settings that ``after`` changed from
    ``before``, those names only; None when nothing changed."""
    changed = sorted(name for name in {*before, *after} if not _same(before.get(name), after.get(name)))
    if not changed:
        return None
    row = SchoolChange(school_id=school_id, changed_by=None if by.system else by.user_id, what="type", subject=key,
                       before={n: before.get(n) for n in changed}, after={n: after.get(n) for n in changed})
    s.add(row)
    return row


def _same(a: Any, b: Any) -> bool:
    """One value: a number however stored (2 is 2.0), never a switch (True is no 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b
