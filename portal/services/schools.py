"""Schools, their rules, and which activity types each has enabled."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from portal import policy
from portal.activity_types import Text
from portal.database import keep_compiled, read_rows, write_transaction
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.hours import MAX_HOURS, fmt
from portal.messages import Msg, msg, shown
from portal.models import Activity, School, SchoolActivityType
from portal.models.school import (
    ASKING_QUOTAS,
    LEAST_REQUIRED_HOURS,
    RAISE_ONLY,
    asks_nothing,
    district_rule,
    laxer_than,
)
from portal.once import Memo
from portal.plugin_data import type_answer, type_call, type_errors
from portal.registry import RegisteredType, registry
from portal.services import access, school_log
from portal.timeutil import DEFAULT_ZONE, known_zone
from workflows.definition import Phase


def clean_code(typed: Any) -> str:
    """A school's or a district's code as typed, as it is stored: NFKC (a full-width ＤＥＭＯ is
    DEMO) and trimmed."""
    return unicodedata.normalize("NFKC", typed if isinstance(typed, str) else "").strip()


def valid_code(code: str) -> bool:
    """1–32 letters, digits, '-' or '_' (``school.code_format``)."""
    return 0 < len(code) <= 32 and all(c.isalnum() or c in "-_" for c in code)


def code_taken(column: Any, code: str) -> str | None:
    """The stored code (of ``column``: ``School.code``, ``District.code``) that ``code`` is,
    however its letters' case is spelt, or None: ``tz5`` beside ``TZ5`` was a second school the
    operator could not tell from the first, each command reaching one by the case typed."""
    return db.session.scalars(select(column).where(func.lower(column) == func.lower(code)).limit(1)).first()


def create_school(code: str, name: str, timezone: str = DEFAULT_ZONE, district_id: int | None = None,
                  recheck: Callable[[Session], None] | None = None) -> School:
    """A new school. No permission is checked here: the district admin's way is
    :func:`portal.services.districts.create_school_with_admin`, whose right ``recheck`` asks
    again, first thing inside the write."""
    fields: dict[str, Msg] = {}
    code = clean_code(code)
    name = (name or "").strip()
    if not valid_code(code):
        fields["code"] = msg("school.code_format")
    if not name or len(name) > 200:
        fields["name"] = msg("school.name_length")
    if not known_zone(timezone):
        fields["timezone"] = msg("school.timezone_unknown", timezone=shown(timezone))
    if not fields and (taken := code_taken(School.code, code)) is not None:
        fields["code"] = msg("school.code_taken", code=taken)
    if fields:
        raise Invalid(msg("school.invalid"), fields)
    with write_transaction() as s:
        if recheck is not None:
            recheck(s)
        school = School(code=code, name=name, timezone=timezone, rules={}, district_id=district_id)
        s.add(school)
        s.flush()  # in its district now (the default one when none was named)
        from portal.services import announcements  # announcements → access → schools

        # the district's announced deadlines, read from the announcements: copied from another
        # school of the district, a district's first school had none of those announced before it
        announcements.copy_to_schools(school.district_id)
    return school


def update_rules(school: School, rules: dict[str, Any], *, by: policy.Actor) -> School:
    """Change the school's rules (hours, absence limits, writing quotas: ``SCHOOL_RULES``); a
    school admin's decision. Each as its declaration says (hours in half-hour steps: ``hours=True``)."""
    from portal.school_rules import SCHOOL_RULES

    policy.require(policy.may_administer(by), "policy.admin_only")
    fields: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    if not isinstance(rules, dict):
        raise Invalid(msg("rules.invalid"), {"rules": msg("must_be_object")})
    for key, value in rules.items():
        spec = SCHOOL_RULES.get(key)
        if spec is None:
            fields[key] = msg("rules.unknown")
        elif spec.check(value) is not None:  # the hours' rules too: half hours, 0..999.5 (hours=True)
            fields[key] = spec.check(value)
        elif (refusal := _below_district(school, key, value)) is not None:
            fields[key] = refusal
        else:
            clean[key] = abs(value) if spec.hours else value  # -0.0 is 0 h, not "-0" on every page
    if not fields and (refusal := _warning_after_limit(school, clean)) is not None:
        fields["absence_warning_hours"] = refusal
    if not fields and _asks_nothing_now(school, clean):
        fields["required_hours"] = msg("rules.asks_nothing", n=fmt(LEAST_REQUIRED_HOURS))
    if fields:
        raise Invalid(msg("rules.invalid"), fields)
    with write_transaction() as s:
        access.require_still_admin(s, school.id, by)
        school_log.record_rules(s, school.id, by, {key: school.rule(key) for key in clean}, clean)
        school.rules = {**(school.rules or {}), **clean}
        s.flush()
        from portal.services import teacher_years  # teacher_years → credits → schools

        teacher_years.refresh_people(school.id)  # every teacher's verdict may change
    return school


def _asks_nothing_now(school: School, clean: dict[str, Any]) -> bool:
    """The rules saved would ask nothing of a teacher's year (``asks_nothing``): asked when the
    save changes the required hours or what the writing asks (a rule stored so before reads as
    the least hours until then)."""
    if not set(clean) & {"required_hours", "quotas_decide", *ASKING_QUOTAS}:
        return False
    return asks_nothing(lambda key: clean[key] if key in clean else school.rule(key))


def _warning_after_limit(school: School, clean: dict[str, Any]) -> Msg | None:
    """The absence warning must come before the absence that voids the year (seed 004), or be
    off (0): a warning at or above the limit would never be seen before the year is lost. Asked
    when a save changes either (a district lowering its limit does not block a school's save of
    other rules; the school's next change of the two is held to it)."""
    keys = ("absence_warning_hours", "absence_limit_hours")
    if all(key not in clean or float(clean[key]) == float(school.rule(key)) for key in keys):
        return None

    def rule(key: str) -> float:
        return float(clean[key] if key in clean else school.rule(key))

    warning, limit = rule("absence_warning_hours"), rule("absence_limit_hours")
    if warning and warning >= limit:
        return msg("rules.warning_not_below_limit", n=fmt(limit))
    return None


def district_setting(school: School, key: str) -> Any:
    """What the school's district set for the rule ``key`` (None: nothing)."""
    return district_rule(school.district_rules, key)


def rule_bounds(school: School, key: str) -> tuple[float, float]:
    """The least and most a school may set the number rule ``key`` to: its declared range,
    narrowed by its district — a floor for ``RAISE_ONLY`` rules, a ceiling for the others (what
    :func:`update_rules` refuses outside; the absence warning also stays below the limit)."""
    from portal.school_rules import SCHOOL_RULES

    lo, hi = SCHOOL_RULES[key].bounds
    floor = district_setting(school, key)
    if floor is None:
        return lo, hi
    return (max(lo, floor), hi) if key in RAISE_ONLY else (lo, min(hi, floor))


def _below_district(school: School, key: str, value: float) -> Msg | None:
    """A school may be stricter than its district, never more lenient."""
    floor = district_setting(school, key)
    if floor is None:
        return None
    if not laxer_than(key, value, floor):
        return None
    return msg("rules.below_district" if key in RAISE_ONLY else "rules.above_district", n=fmt(floor))


def require_type(key: str) -> RegisteredType:
    reg = registry().get(key)
    if reg is None:
        raise Invalid(msg("type.unknown", key=shown(key)), {"type": msg("type.unknown", key=shown(key))})
    return reg


# A school's row of a type (bound ``school_id``, ``type_key``): built once, not on every page
_TYPE_ROW = select(SchoolActivityType).where(
    SchoolActivityType.school_id == bindparam("school_id"), SchoolActivityType.type_key == bindparam("type_key")
)


# Only its stored settings, as a plain row (the activity page reads them on every view: the
# ORM's loading of the row cost about three times running the statement)
_TYPE_SETTINGS = keep_compiled(select(SchoolActivityType.settings).where(
    SchoolActivityType.school_id == bindparam("school_id"), SchoolActivityType.type_key == bindparam("type_key")
))


def type_row(school_id: int, key: str) -> SchoolActivityType | None:
    return db.session.execute(_TYPE_ROW, {"school_id": school_id, "type_key": key}).scalar_one_or_none()


def set_type(
    school: School,
    key: str,
    enabled: bool | None = None,
    settings: dict[str, Any] | None = None,
    *,
    by: policy.Actor,
) -> SchoolActivityType:
    """Enable/disable a type for a school and/or change the school's settings for it."""
    policy.require(policy.may_administer(by), "policy.admin_only")
    reg = require_type(key)
    if enabled is not None and not isinstance(enabled, bool):
        raise Invalid(msg("enabled.invalid"), {"enabled": msg("must_be_bool")})
    if settings is not None:
        if not isinstance(settings, dict):
            raise Invalid(msg("settings.must_be_object"), {"settings": msg("must_be_object")})
        errors = type_errors(reg.type, "validate_settings", settings)  # raises: refused naming the plugin
        if errors:
            raise Invalid(msg("settings.invalid"), {f"settings.{k}": v for k, v in errors.items()})
    with write_transaction() as s:
        access.require_still_admin(s, school.id, by)
        if settings is not None and (refusal := _standing_past_record(s, school.id, reg, settings)):
            raise Invalid(msg("settings.invalid"), refusal)
        return write_type(s, school.id, reg, enabled, settings, by=by)


def _standing_past_record(
    s: Session, school_id: int, reg: RegisteredType, settings: dict[str, Any]
) -> dict[str, Msg] | None:
    """Why ``settings`` may not take effect: under them a role of the school's activity of the
    type still to be credited would be credited more than a record holds (a multiplier raised to
    10 over a 120-hour project's leader), which planning refused and every approval would then
    fail. The activity with the most hours is named (None: every standing activity fits, or
    the roles past were past before the change)."""
    from portal.services.ledger import roles_past_record  # ledger → plugin_data; schools is imported first

    definition = reg.engine.definition
    row = s.execute(
        select(Activity.title, Activity.hours, Activity.state)
        .where(Activity.school_id == school_id, Activity.type_key == reg.decl.key,
               Activity.state.in_(definition.states_in(Phase.OPEN, Phase.AWAITING_REVIEW, Phase.CONFIRMED)))
        .order_by(Activity.hours.desc(), Activity.id).limit(1)
    ).first()
    if row is None:
        return None
    before = type_settings(school_id, reg.decl.key)
    past = roles_past_record(reg.type, reg.decl.roles, row.state, row.hours, {**before, **settings})
    if not past or not past[0]:
        return None
    # a role already past (an activity planned before the check) does not block another change
    already = roles_past_record(reg.type, reg.decl.roles, row.state, row.hours, before)
    newly = [r for r in past[0] if not already or r not in already[0]]
    if not newly:
        return None
    role = newly[0]
    refusal = msg("settings.role_past_record", title=row.title, hours=fmt(row.hours),
                  role=Text(reg.decl.roles[role].label_zh, reg.decl.roles[role].label_en), most=fmt(MAX_HOURS))
    key = f"{role}_multiplier"
    return {f"settings.{key}" if key in settings else "settings": refusal}


def write_type(
    s: Session, school_id: int, reg: RegisteredType, enabled: bool | None, settings: dict[str, Any] | None = None,
    *, by: policy.Actor,
) -> SchoolActivityType:
    """Inside the write ``s``: the school's row of the type, enabled or not and its settings
    (checked by the caller), and a line of the school's audit log of what changed."""
    row = type_row(school_id, reg.decl.key)
    was = {"enabled": bool(row and row.enabled), **_as_logged(reg, row.settings if row is not None else None)}
    if row is None:
        row = SchoolActivityType(school_id=school_id, type_key=reg.decl.key, enabled=bool(enabled), settings={})
        s.add(row)
    if enabled is not None:
        row.enabled = enabled
    if settings is not None:
        # values stored before a range was narrowed (or past this validator) are dropped:
        # they would fall back to the default anyway (``settings_with_defaults``); an hours
        # setting saved off the half-hour grid is kept as it reads, down to the half hour
        stored = row.settings if isinstance(row.settings, dict) else {}
        kept = {k: v for k, v in reg.decl.stored_as_read(stored).items()
                if not type_errors(reg.type, "validate_settings", {k: v})}
        row.settings = {**kept, **settings}
        if with_defaults(reg, row.settings) != with_defaults(reg, stored):  # in effect, defaults filled in
            _settings_moved(s, school_id, reg)
    school_log.record_type(s, school_id, by, reg.decl.key, was,
                           {"enabled": bool(row.enabled), **_as_logged(reg, row.settings)})
    return row


def _as_logged(reg: RegisteredType, stored: Any) -> dict[str, Any]:
    """The settings as the school's log compares them: those in effect (:func:`with_defaults`),
    but one the rules read otherwise than stored (an hours setting saved off the half-hour grid)
    as stored. A read never writes; the save that replaces a stored 0.7 by the 0.5 it reads as
    changes what is stored, and is logged as any setting change is (0.7 before, 0.5 after)."""
    stored = stored if isinstance(stored, dict) else {}
    return {**with_defaults(reg, stored), **{k: v for k, (v, _read) in reg.decl.settings_read_otherwise(stored).items()}}


def _settings_moved(s: Session, school_id: int, reg: RegisteredType) -> None:
    """The settings give other hours: every activity of the type still to be credited moves its
    version, so a reviewer who read its figures under the old settings decides nothing until
    they look again (``transitions.fire``'s ``seen_version``): a multiplier raised between the
    reviewer's look and click approved 30 hours where 6 were shown."""
    standing = reg.engine.definition.states_in(Phase.OPEN, Phase.AWAITING_REVIEW, Phase.CONFIRMED)
    s.execute(
        update(Activity)
        .where(Activity.school_id == school_id, Activity.type_key == reg.decl.key, Activity.state.in_(standing))
        .values(version=Activity.version + 1)
        .execution_options(synchronize_session=False)
    )


def enabled_types(school_id: int) -> list[RegisteredType]:
    """The school's enabled types that are installed, in registry order."""
    keys = set(read_rows(_ENABLED_KEYS, {"school_id": school_id}).scalars())
    return [r for k, r in registry().types.items() if k in keys]


# the keys of a school's enabled types (bound ``school_id``): built once, every summary and
# activity form asks
_ENABLED_KEYS = keep_compiled(select(SchoolActivityType.type_key).where(
    SchoolActivityType.school_id == bindparam("school_id"), SchoolActivityType.enabled.is_(True)
))


def type_settings(school_id: int, key: str, *, step: bool = False) -> dict[str, Any]:
    """The school's settings of type ``key``, defaults filled in by the type
    (``settings_with_defaults``). If the type's rule raises, a ``step`` (a trigger, a plan) is
    refused naming its plugin; a page goes on with the core's rule (:func:`with_defaults`)."""
    row = read_rows(_TYPE_SETTINGS, {"school_id": school_id, "type_key": key}).first()
    return settings_from(key, row[0] if row else {}, step=step)


def settings_from(key: str, stored: Any, *, step: bool = False) -> dict[str, Any]:
    """:func:`type_settings` of the settings a school stored (``{}``: none), read already (the
    activity page reads them with the activity: ``access.get_activity_and_lock``)."""
    reg = registry().get(key)
    if reg is None:
        return dict(stored or {})
    return type_call(reg.type, "settings_with_defaults", stored) if step else with_defaults(reg, stored)


def with_defaults(reg: RegisteredType, stored: Any) -> dict[str, Any]:
    """``settings_with_defaults(stored)`` of the type for a page: if the type's own rule raises,
    reported with its plugin's name, and the core's rule answers (the stored values the
    declarations read at load accept, the defaults for the rest: none of the plugin's code), so
    the page still shows every type."""
    return type_answer(reg.type, "settings_with_defaults", reg.decl.settings_with_defaults, stored)


# A school's stored settings and switches by type (bound ``school_id``): built once
_SETTINGS_AND_ENABLED = keep_compiled(select(
    SchoolActivityType.type_key, SchoolActivityType.settings, SchoolActivityType.enabled
).where(SchoolActivityType.school_id == bindparam("school_id")))


def settings_and_enabled(school_id: int) -> tuple[Mapping[str, dict[str, Any]], list[RegisteredType]]:
    """:func:`all_type_settings` and :func:`enabled_types` from one query (the teacher home
    needs both). The settings of a type are made when first asked (a :class:`Memo` by type
    key): the home asks those of the types of the teacher's activities, not of every installed
    type (each crosses the type's plugin boundary)."""
    return settings_and_enabled_of(read_rows(_SETTINGS_AND_ENABLED, {"school_id": school_id}).all())


def settings_and_enabled_of(
    rows: Iterable[tuple[str, Any, bool]],
) -> tuple[Mapping[str, dict[str, Any]], list[RegisteredType]]:
    """:func:`settings_and_enabled` from the school's rows of its types, read already (each
    the type's key, stored settings and whether it is enabled: the teacher home reads them with
    the teacher's year, ``credits.teacher_year_and_types``)."""
    rows = list(rows)
    stored = {key: settings for key, settings, _on in rows}
    on = {key for key, _settings, enabled in rows if enabled}
    types = registry().types
    return (
        cast(Mapping[str, dict[str, Any]], Memo(lambda key: with_defaults(types[key], stored.get(key)))),
        [r for k, r in types.items() if k in on],
    )


# A school's stored settings by type (bound ``school_id``): built once, not on every page
_ALL_SETTINGS = keep_compiled(select(SchoolActivityType.type_key, SchoolActivityType.settings).where(
    SchoolActivityType.school_id == bindparam("school_id")
))


def all_type_settings(school_id: int) -> dict[str, dict[str, Any]]:
    """Every installed type's settings for a school, defaults filled in (one query)."""
    stored: dict[str, dict[str, Any]] = dict(read_rows(_ALL_SETTINGS, {"school_id": school_id}).all())
    return {key: with_defaults(r, stored.get(key)) for key, r in registry().types.items()}


def settings_read_otherwise(school_id: int) -> dict[str, dict[str, tuple[Any, Any]]]:
    """By installed type, the school's stored settings the rules read otherwise than stored
    (``settings_read_otherwise`` of its declarations: an hours setting saved off the half-hour
    grid, read down to the half hour): (stored, read) by name; a type with none is left out. What
    the admin's page and the API say beside the settings in effect, until a save stores the read
    value (one query)."""
    stored: dict[str, Any] = dict(read_rows(_ALL_SETTINGS, {"school_id": school_id}).all())
    out = {key: r.decl.settings_read_otherwise(stored.get(key)) for key, r in registry().types.items()}
    return {key: said for key, said in out.items() if said}


def all_schools(district_id: int | None = None) -> list[School]:
    """Every school (of one district), read afresh (their data stamps key the district page's
    cache)."""
    q = select(School).order_by(School.name_key, School.code).execution_options(populate_existing=True)
    if district_id is not None:
        q = q.where(School.district_id == district_id)
    return list(db.session.execute(q).scalars())


def get_school(school_id: int) -> School:
    school = db.session.get(School, school_id)
    if school is None:
        raise NotFound(msg("school.not_found"))
    return school
