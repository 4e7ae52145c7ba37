"""Who may do what to whom: one function per question, asked by services (which enforce)
and by views, templates and the API (which show or hide).

Separation of duties: nobody decides about their own hours. The workflow definition says
which roles fire which trigger (``workflows/definition.py``, ``independent`` transitions
exclude the activity's organiser and participants); the questions about people — reading a
record, exempting — live here.
"""

from __future__ import annotations

from collections.abc import Iterable

from portal.errors import Forbidden

#: Roles that may read any teacher's record (成长档案) and year in a school they can see.
RECORD_READERS = frozenset({"school_admin", "reviewer", "district_admin"})
#: Roles that may read an activity's credit certification form (学分认定表).
CERTIFICATE_READERS = frozenset({"school_admin", "reviewer", "organizer", "district_admin"})
#: Roles that may exempt a teacher from the year's assessment.
EXEMPTERS = frozenset({"school_admin"})


def may_read_record(viewer_id: int, teacher_id: int, roles: Iterable[str]) -> bool:
    """A teacher reads their own record; school admins, reviewers and the district read anyone's
    (the same rule for the record page, the home's link and ``GET /api/v1/users/<id>/credits``)."""
    return viewer_id == teacher_id or bool(RECORD_READERS & set(roles))


def may_read_certificate(roles: Iterable[str]) -> bool:
    return bool(CERTIFICATE_READERS & set(roles))


def may_exempt(actor_id: int, teacher_id: int, roles: Iterable[str]) -> bool:
    """A school admin exempts others, never themselves."""
    return actor_id != teacher_id and bool(EXEMPTERS & set(roles))


def require_not_self(actor_id: int, subject_id: int) -> None:
    """Refuse a decision about the actor's own hours (exemption, approval, adjustment, revoke)."""
    if actor_id == subject_id:
        raise Forbidden("nobody may decide about their own hours; another school admin must do this")
