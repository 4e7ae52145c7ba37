"""Districts as tenants: the schools of a district, looked up only within it.

A district user names schools by code or id; a school of another district is 'not found'
(never 'forbidden': one district does not learn another's schools).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from portal.database import write_transaction
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.messages import msg
from portal.models import District, School
from portal.services import access


def get_district(district_id: int) -> District:
    district = db.session.get(District, district_id)
    if district is None:
        raise NotFound(msg("district.not_found"))
    return district


def school_by_code(district_id: int, code: Any) -> School:
    """The district's school with this code (another district's is not found)."""
    school = None
    if isinstance(code, str) and 0 < len(code) <= 32:
        school = db.session.execute(
            select(School).where(School.code == code, School.district_id == district_id)
        ).scalar_one_or_none()
    if school is None:
        raise NotFound(msg("school.no_code", code=repr(code)[:40]))
    return school


def school_by_id(district_id: int, school_id: Any) -> School:
    school = db.session.get(School, school_id) if access.id_in_range(school_id) else None
    if school is None or school.district_id != district_id:
        raise NotFound(msg("school.not_found"))
    return school


def create_district(code: str, name: str, settings: dict[str, Any] | None = None) -> District:
    """A new district (the operator's command, the demo, the tests)."""
    code, name = (code or "").strip(), (name or "").strip()
    fields: dict[str, Any] = {}
    if not code or len(code) > 32 or not all(c.isalnum() or c in "-_" for c in code):
        fields["code"] = msg("school.code_format")
    if not name or len(name) > 200:
        fields["name"] = msg("between_chars", low=1, high=200)
    if not fields and db.session.execute(select(District.id).where(District.code == code)).first():
        fields["code"] = msg("district.code_taken", code=code)
    if fields:
        raise Invalid(msg("district.invalid"), fields)
    with write_transaction() as s:
        district = District(code=code, name=name, settings=dict(settings or {}))
        s.add(district)
    return district
