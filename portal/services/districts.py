"""Districts as tenants: the schools of a district, looked up only within it.

A district user names schools by code or id; a school of another district is 'not found'
(never 'forbidden': one district does not learn another's schools).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal import policy
from portal.database import write_transaction
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.messages import Msg, SchoolYear, msg, shown
from portal.models import SCHOOL_ADMIN, TEACHER, District, School, User
from portal.models.school import DEFAULT_SCHOOL_RULES, DISTRICT_QUOTAS, rules_of_district
from portal.registry import registry
from portal.school_rules import SCHOOL_RULES
from portal.services import access, announcements
from portal.services.schools import clean_code, code_taken, valid_code
from portal.timeutil import is_month_day


def get_district(district_id: int) -> District:
    district = db.session.get(District, district_id)
    if district is None:
        raise NotFound(msg("district.not_found"))
    return district


def by_code(code: Any) -> District:
    """The district with this code (the operator's commands name districts by code)."""
    district = None
    if isinstance(code, str) and 0 < len(code) <= 32:
        district = db.session.execute(select(District).where(District.code == code)).scalar_one_or_none()
    if district is None:
        raise NotFound(msg("district.no_code", code=shown(code)))
    return district


def school_by_code(district_id: int, code: Any) -> School:
    """The district's school with this code (another district's is not found)."""
    school = None
    if isinstance(code, str) and 0 < len(code) <= 32:
        school = db.session.execute(
            select(School).where(School.code == code, School.district_id == district_id)
        ).scalar_one_or_none()
    if school is None:
        raise NotFound(msg("school.no_code", code=shown(code)))
    return school


def school_by_id(district_id: int, school_id: Any) -> School:
    school = db.session.get(School, school_id) if access.id_in_range(school_id) else None
    if school is None or school.district_id != district_id:
        raise NotFound(msg("school.not_found"))
    return school


def create_district(code: str, name: str, settings: dict[str, Any] | None = None) -> District:
    """A new district (the operator's command, the demo, the tests)."""
    code, name = clean_code(code), (name or "").strip()
    fields: dict[str, Any] = {}
    if not valid_code(code):
        fields["code"] = msg("school.code_format")
    if not name or len(name) > 200:
        fields["name"] = msg("between_chars", low=1, high=200)
    if not fields and (taken := code_taken(District.code, code)) is not None:
        fields["code"] = msg("district.code_taken", code=taken)
    if fields:
        raise Invalid(msg("district.invalid"), fields)
    with write_transaction() as s:
        district = District(code=code, name=name, settings=dict(settings or {}))
        s.add(district)
    return district


# -- the district admin's decisions -----------------------------------------------------------

SETTING_KEYS = ("required_hours", "absence_limit_hours", "submission_period", "plan_deadline", *DISTRICT_QUOTAS)


def _clean_settings(values: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in SETTING_KEYS:
            fields[key] = msg("district.setting_unknown")
        elif key in ("required_hours", "absence_limit_hours"):
            if value in (None, ""):
                clean[key] = None  # the district sets no minimum: each school decides
            elif (refusal := SCHOOL_RULES[key].check(value)) is not None:  # the school's rule's own check
                fields[key] = refusal
            else:
                clean[key] = abs(value)  # -0.0 is 0 h, not "-0" on every page
        elif key in DISTRICT_QUOTAS:  # a minimum in the school rule's own range (None: none)
            refusal = None if value in (None, "") else SCHOOL_RULES[key].check(value)
            if refusal is not None:
                fields[key] = refusal
            else:
                clean[key] = None if value in (None, "") else int(value)
        elif key == "submission_period":
            if value not in ("year", "semester"):
                fields[key] = msg("district.period")
            else:
                clean[key] = value
        elif not is_month_day(value):
            fields[key] = msg("district.deadline")
        else:
            clean[key] = value
    if fields:
        raise Invalid(msg("district.settings_invalid"), fields)
    return clean


def update_settings(district: District, values: Any, *, by: policy.Actor) -> District:
    """The district's defaults: required hours, absence limit and minimum writing quotas its
    schools may tighten but not loosen, whether schools submit years or semesters, the annual plan's deadline. Every
    school's cached pages are renewed (their rules may have changed), and its teachers' stored
    years computed again in the same transaction, as a school's own rule change does: the
    district's figures (the teacher-year rows) follow the new minimum at once."""
    policy.require(policy.may_administer_district(by), "policy.district_only")
    if not isinstance(values, dict):
        raise Invalid(msg("district.settings_invalid"), {"settings": msg("must_be_object")})
    clean = _clean_settings(values)
    with write_transaction() as s:
        access.require_still(s, by, policy.may_administer_district, "policy.district_only", district_id=district.id)
        merged = {**(district.settings or {}), **clean}
        district.settings = {k: v for k, v in merged.items() if v is not None}
        s.execute(  # the schools' copy of the district's rules; their cached pages are renewed
            update(School)
            .where(School.district_id == district.id)
            .values(district_rules=rules_of_district(district.settings), data_version=School.data_version + 1)
            .execution_options(synchronize_session="fetch")
        )
        if set(clean) & set(DEFAULT_SCHOOL_RULES):  # a rule a verdict depends on (not a deadline)
            from portal.services import teacher_years  # teacher_years → credits → access

            for school_id in s.execute(select(School.id).where(School.district_id == district.id)).scalars().all():
                teacher_years.refresh_people(school_id)
    return district


#: The school admin's fields of a new school as :func:`users.create_user` names them, and as the
#: district's form and the API's body name them.
ADMIN_FIELDS = {"username": "admin_username", "name": "admin_name", "password": "admin_password"}


def create_school_with_admin(
    district: District, code: Any, name: Any, admin_username: Any, admin_name: Any, password: Any, *,
    by: policy.Actor,
) -> tuple[School, User]:
    """A new school of the district with the types the district enables and its first school
    admin; all or nothing. The district admin's right is asked again inside each write
    (:func:`access.require_still`): one whose role is taken at the same moment creates neither."""
    from portal.services import schools, users

    policy.require(policy.may_administer_district(by), "policy.district_only")

    def recheck(s: Session) -> None:
        access.require_still(s, by, policy.may_administer_district, "policy.district_only", district_id=district.id)

    texts = [v if isinstance(v, str) else "" for v in (code, name, admin_username, admin_name, password)]
    school = schools.create_school(texts[0], texts[1], district_id=district.id, recheck=recheck)
    try:
        admin = users.create_user(texts[2], texts[4], texts[3], school, [SCHOOL_ADMIN, TEACHER], logged_by=by,
                                  recheck=recheck)
    except (Invalid, Forbidden) as exc:
        with write_transaction() as s:  # no school without its admin
            s.delete(school)
        if isinstance(exc, Invalid):  # named as the form and the API body name them (admin_password)
            raise Invalid(exc.msg, {ADMIN_FIELDS.get(k, k): _to_the_district(v) for k, v in exc.fields.items()}) from None
        raise
    take_district_types(school, district)
    return school, admin


def _to_the_district(problem: Msg) -> Msg:
    """A problem of the new school's admin as the district reads it: a username used elsewhere
    points to the district's own move of a teacher, not to asking the district for one."""
    from portal.services import users

    return msg("user.username_unavailable_district") if problem == users.USERNAME_UNAVAILABLE else problem


def take_district_types(school: School, district: District) -> None:
    """Enable for a new school the types its district enables district-wide."""
    from portal.services import schools

    for key in district.settings.get("enabled_types", []) if district.settings else []:
        if registry().get(key) is not None:
            schools.set_type(school, key, enabled=True, by=policy.SYSTEM)


def enable_type(district: District, key: Any, enabled: Any, *, by: policy.Actor) -> int:
    """Enable (or disable) an activity type in every school of the district, and for schools
    created later, in one write that asks the district admin's right again
    (:func:`access.require_still`); returns the number of schools."""
    from portal.services import schools

    policy.require(policy.may_administer_district(by), "policy.district_only")
    reg = schools.require_type(key if isinstance(key, str) else "")
    if not isinstance(enabled, bool):
        raise Invalid(msg("enabled.invalid"), {"enabled": msg("must_be_bool")})
    with write_transaction() as s:  # all the schools or none, by one who still may
        access.require_still(s, by, policy.may_administer_district, "policy.district_only", district_id=district.id)
        members = list(s.execute(select(School.id).where(School.district_id == district.id)).scalars())
        for school_id in members:
            schools.write_type(s, school_id, reg, enabled, by=by)
        keys = [k for k in (district.settings or {}).get("enabled_types", []) if k != reg.decl.key]
        district.settings = {**(district.settings or {}), "enabled_types": keys + ([reg.decl.key] if enabled else [])}
    return len(members)


def move_school(school: School, district: District) -> School:
    """Put a school in another district (the operator's decision): it takes that district's
    rules — its stored teacher-year rows judged by them again, as when a district changes a
    rule — and its cached pages are renewed. Not while a year it sent waits for its district's
    decision: that district no longer decides for a school that left it
    (:func:`policy.decides_for_school`) and the new one was not sent it, so the round would wait
    for no one and the school could not send the year again; the district decides it first."""
    from portal.models import YearSubmission
    from portal.services import submissions, teacher_years  # teacher_years → credits → access

    with write_transaction() as s:
        waiting = s.execute(
            select(YearSubmission.school_year).where(
                YearSubmission.school_id == school.id, YearSubmission.district_id == school.district_id,
                YearSubmission.status == submissions.SUBMITTED)
            .order_by(YearSubmission.school_year).limit(1)
        ).scalar_one_or_none()
        if waiting is not None:
            raise Conflict(msg("school.move_pending", year=SchoolYear.said(waiting)))
        school.district_id = district.id
        school.district_rules = rules_of_district(district.settings)
        school.data_version = (school.data_version or 0) + 1
        s.flush()
        teacher_years.refresh_people(school.id)
        announcements.copy_to_schools(district.id)  # and the new district's announcements
    return school
