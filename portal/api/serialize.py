"""Rows → the JSON shapes described in ``portal.api.schemas``."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from portal.models import Activity, Evidence, Participation, School, TransitionLog, User
from portal.registry import registry
from portal.services.credits import TeacherYear
from portal.services.details import describe_form
from portal.timeutil import to_local


def hours(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def local_time(value: datetime, school: School) -> str:
    return to_local(value, school.timezone).isoformat(timespec="seconds")


def utc_time(value: datetime) -> str:
    return value.replace(tzinfo=UTC).isoformat(timespec="seconds")


def activity_summary(act: Activity, school: School) -> dict[str, Any]:
    return {
        "id": act.id,
        "type": act.type_key,
        "title": act.title,
        "state": act.state,
        "starts_at": local_time(act.starts_at, school),
        "ends_at": local_time(act.ends_at, school),
        "hours": hours(act.hours),
        "school_year": act.school_year,
        "semester": act.semester,
        "location": act.location or "",
        "organizer_id": act.organizer_id,
        "details": dict(act.details or {}),
    }


def participant(p: Participation, user: User) -> dict[str, Any]:
    return {
        "user_id": p.user_id,
        "name": user.display_name,
        "role": p.role,
        "attended_hours": hours(p.attended_hours),
        "absent_hours": hours(p.absent_hours) or 0.0,
        "excused_hours": hours(p.excused_hours) or 0.0,
        "adjusted_hours": hours(p.adjusted_hours),
        "adjust_reason": p.adjust_reason,
    }


def evidence(ev: Evidence, school: School) -> dict[str, Any]:
    return {
        "id": ev.id,
        "user_id": ev.user_id,
        "kind": ev.kind,
        "title": ev.title or "",
        "char_count": ev.char_count or 0,
        "filename": ev.filename,
        "content_type": ev.content_type,
        "size": ev.size or 0,
        "uploaded_by": ev.uploaded_by,
        "uploaded_at": local_time(ev.uploaded_at, school),
    }


def activity_detail(
    act: Activity,
    school: School,
    people: list[tuple[Participation, User]],
    evidence_rows: list[Evidence],
    allowed: list[str],
) -> dict[str, Any]:
    return {
        **activity_summary(act, school),
        "participants": [participant(p, u) for p, u in people],
        "allowed_triggers": allowed,
        "evidence": [evidence(e, school) for e in evidence_rows],
    }


def history_entry(row: TransitionLog, actor: User, school: School) -> dict[str, Any]:
    return {
        "id": row.id,
        "trigger": row.trigger,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "actor": {"id": actor.id, "name": actor.display_name},
        "comment": row.comment or "",
        "payload": dict(row.payload or {}),
        "created_at": local_time(row.created_at, school),
    }


def activity_type(key: str, enabled: bool, settings: dict[str, Any], locale: str | None) -> dict[str, Any]:
    t = registry().types[key].type
    return {
        "key": key,
        "name": t.name(locale),
        "name_zh": t.name_zh,
        "name_en": t.name_en,
        "roles": [{"key": k, "name_zh": r.label_zh, "name_en": r.label_en} for k, r in t.roles.items()],
        "fields": describe_form(t.form),
        "evidence_kinds": list(t.all_evidence_kinds()),
        "enabled": enabled,
        "settings": settings,
    }


def _semesters(values: dict[int, Decimal]) -> dict[str, float]:
    out = {"1": 0.0, "2": 0.0}
    for sem, v in values.items():
        out[str(sem)] = float(v)
    return out


def teacher_year(ty: TeacherYear) -> dict[str, Any]:
    f = ty.facts
    return {
        "user_id": ty.user.id,
        "year": f.school_year,
        "required_hours": float(f.required_hours),
        "total_hours": float(f.total_hours),
        "by_type": {k: float(v) for k, v in sorted(f.by_type.items())},
        "absent_hours": _semesters(f.absent_hours),
        "excused_hours": _semesters(f.excused_hours),
        "status": ty.assessment.status,
        "reason": ty.assessment.reason,
    }


def credit_line(entry, act: Activity, school: School) -> dict[str, Any]:
    return {
        "activity_id": act.id,
        "activity_title": act.title,
        "type": entry.type_key,
        "role": entry.role,
        "semester": entry.semester,
        "hours": float(entry.hours),
        "kind": entry.kind,
        "reason": entry.reason or "",
        "created_at": local_time(entry.created_at, school),
    }
