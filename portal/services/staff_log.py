"""The audit log of staff changes (:class:`~portal.models.StaffChange`): a person's roles or
teaching groups, and the groups they lead (教研组长), as a school admin changed them — before, after, by whom, when — and each new
password an admin (or the operator) gave them, without the password, each exemption from a
year's assessment set, changed or removed for them, and each piece of their written evidence the
operator's ``flask evidence recount`` counted again. Written in the
transaction of the change itself, only when something changed; never updated. A change made by
the operator's ``flask`` command (``by`` is :data:`portal.policy.SYSTEM`) has no author: the
audit page and its export say "command line" (``staff.command_line``) in the reader's language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import policy
from portal.extensions import db
from portal.models import StaffChange

WHAT = ("roles", "groups", "group_lead", "password", "exemption", "char_count", "writing_count")


def record(s: Session, school_id: int, user_id: int, by: policy.Actor, what: str,
           before: Iterable[object], after: Iterable[object], at: datetime | None = None) -> StaffChange | None:
    """Add the change to ``s`` (the change's own transaction); None when nothing changed.
    ``at``: when the change took effect, when it is dated back (the demo's stretch away: the
    log must say what the memberships say, and migrations rebuild their dates from it)."""
    if what not in WHAT:
        raise ValueError(what)
    old, new = sorted(set(before), key=str), sorted(set(after), key=str)
    if old == new and what != "password":  # a password is never shown: its line says only that it changed
        return None
    row = StaffChange(school_id=school_id, user_id=user_id, changed_by=None if by.system else by.user_id, what=what,
                      before=old, after=new)
    if at is not None:
        row.created_at = at
    s.add(row)
    return row


def record_count(s: Session, school_id: int, user_id: int, piece_id: int, name: str, before: int,
                 after: int, *, own_writing: bool = False) -> StaffChange:
    """Add to ``s`` the operator's recount of a piece of the person's written evidence (or,
    ``own_writing``, of their own writing): the piece (its number and name) with the characters
    it counted, then counts (never a set: the order is the line's meaning)."""
    row = StaffChange(school_id=school_id, user_id=user_id, changed_by=None,
                      what="writing_count" if own_writing else "char_count",
                      before=[piece_id, name, before], after=[piece_id, name, after])
    s.add(row)
    return row


def record_exemption(s: Session, school_id: int, user_id: int, by: policy.Actor, year: str,
                     before: str | None, after: str | None) -> StaffChange | None:
    """Add to ``s`` (the exemption's own transaction) the person's exemption of ``year`` set
    (``before`` None), its reason changed, or removed (``after`` None): ``[year, reason]`` on
    each side, or nothing; None when nothing changed."""
    if before == after:
        return None
    row = StaffChange(school_id=school_id, user_id=user_id, changed_by=None if by.system else by.user_id,
                      what="exemption", before=[] if before is None else [year, before],
                      after=[] if after is None else [year, after])
    s.add(row)
    return row


def changes_of(school_id: int, user_id: int) -> list[StaffChange]:
    """A person's changes in the school, newest first."""
    return list(db.session.execute(
        select(StaffChange).where(StaffChange.school_id == school_id, StaffChange.user_id == user_id)
        .order_by(StaffChange.created_at.desc(), StaffChange.id.desc())
    ).scalars())
