"""Planning activities, their participants, attendance and evidence.

Attendance and evidence may change while an activity is planned or held (the types'
workflows may add states in between); once reviewed they are frozen — a return to
``held`` opens them again.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.database import write_transaction
from portal.details_json import json_type_errors
from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.hours import BadHours, parse_hours
from portal.models import Activity, Evidence, Membership, Participation, School, User
from portal import policy
from portal.services import access, schools
from portal.services.details import json_to_formdata, validate_details
from portal.timeutil import BadTime, parse_iso, school_year_of, semester_of, to_local, utcnow

TITLE_MAX = 200


@dataclass
class ParticipantInput:
    user_id: int
    role: str


def _parse_participants(raw: Any, type_roles: dict, default_role: str) -> tuple[list[ParticipantInput], list[str]]:
    errors: list[str] = []
    out: list[ParticipantInput] = []
    if raw is None:
        return out, errors
    if not isinstance(raw, list):
        return out, ["participants must be a list"]
    seen: set[int] = set()
    for i, item in enumerate(raw):
        if isinstance(item, dict):
            uid, role = item.get("user_id"), item.get("role") or default_role
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            uid, role = item
        else:
            errors.append(f"#{i + 1}: expected {{user_id, role}}")
            continue
        if isinstance(uid, bool) or not isinstance(uid, int):
            errors.append(f"#{i + 1}: user_id must be an integer")
            continue
        if role not in type_roles:
            errors.append(f"#{i + 1}: role must be one of {', '.join(type_roles)}")
            continue
        if uid in seen:
            errors.append(f"#{i + 1}: user {uid} is listed twice")
            continue
        seen.add(uid)
        out.append(ParticipantInput(uid, role))
    return out, errors


def _members(school_id: int, user_ids: list[int]) -> set[int]:
    if not user_ids:
        return set()
    return set(
        db.session.execute(
            select(Membership.user_id).where(
                Membership.school_id == school_id,
                Membership.user_id.in_(user_ids),
                Membership.active.is_(True),
            )
        ).scalars()
    )


def plan_activity(
    school: School,
    organizer: User,
    type_key: str,
    title: str,
    starts_at: str | datetime,
    ends_at: str | datetime,
    hours: Any,
    participants: Any = None,
    details: dict[str, Any] | MultiDict | None = None,
    location: str = "",
    organizer_id: int | None = None,
) -> Activity:
    """Create an activity in state ``planned``. All input is checked before anything is written."""
    policy.require(policy.may_plan(access.actor(organizer.id, school.id)), "only an organizer or a school admin may plan")
    fields: dict[str, Any] = {}
    reg = schools.registry().get(type_key) if isinstance(type_key, str) else None
    if reg is None:
        raise Invalid(f"unknown activity type {type_key!r}", {"type": "unknown activity type"})
    if reg not in schools.enabled_types(school.id):
        raise Invalid(f"activity type {type_key!r} is not enabled for this school", {"type": "not enabled"})
    title = (title or "").strip() if isinstance(title, str) else ""
    if not title or len(title) > TITLE_MAX:
        fields["title"] = f"a title of 1–{TITLE_MAX} characters is required"
    if not isinstance(location, str) or len(location) > 200:
        fields["location"] = "at most 200 characters"
    start = end = None
    try:
        start = parse_iso(starts_at, school.timezone)
    except BadTime as exc:
        fields["starts_at"] = str(exc)
    try:
        end = parse_iso(ends_at, school.timezone)
    except BadTime as exc:
        fields["ends_at"] = str(exc)
    if start and end and end < start:
        fields["ends_at"] = "must not be before the start"
    try:
        h = parse_hours(hours)
        if h == 0:
            fields["hours"] = "must be more than 0"
    except BadHours as exc:
        fields["hours"] = str(exc)
    people, perrs = _parse_participants(participants, reg.type.roles, reg.type.default_role)
    if perrs:
        fields["participants"] = perrs
    elif people:
        members = _members(school.id, [p.user_id for p in people])
        strangers = [p.user_id for p in people if p.user_id not in members]
        if strangers:
            fields["participants"] = [f"user {u} is not a member of this school" for u in strangers]
    owner_id = organizer_id or organizer.id
    if owner_id != organizer.id and not _members(school.id, [owner_id]):
        fields["organizer_id"] = "not a member of this school"
    formdata = details if isinstance(details, MultiDict) else json_to_formdata(details or {})
    if details is not None and not isinstance(details, (dict, MultiDict)):
        fields["details"] = "must be an object"
        clean = {}
    else:
        clean, derrs = validate_details(reg.type.form, formdata)
        if isinstance(details, dict):  # JSON: a number or an object is no text (portal.details_json)
            derrs = {**derrs, **json_type_errors(reg.type.form, details)}
        if derrs:
            fields["details"] = derrs
    if fields:
        raise Invalid("the activity could not be planned", fields)
    local_day = to_local(start, school.timezone).date()
    with write_transaction() as s:
        act = Activity(
            school_id=school.id,
            type_key=type_key,
            title=title,
            organizer_id=owner_id,
            starts_at=start,
            ends_at=end,
            hours=h,
            school_year=school_year_of(local_day),
            semester=semester_of(local_day),
            state=reg.engine.definition.initial,
            credit_round=0,
            details=clean,
            location=location.strip(),
        )
        s.add(act)
        s.flush()
        for p in people:
            s.add(Participation(activity_id=act.id, user_id=p.user_id, role=p.role))
    return act


def _require_open(act: Activity, what: str) -> None:
    """Attendance, participants and evidence change only while the state's phase is editable."""
    if not schools.registry().phase(act.type_key, act.state).editable:
        raise Conflict(f"{what} cannot change once the activity is {act.state}", state=act.state)


def has_started(act: Activity) -> bool:
    """Whether the activity's start has passed (attendance and ``hold`` wait for it)."""
    return utcnow() >= act.starts_at


def _require_started(act: Activity, what: str) -> None:
    """Nobody attended what has not begun: refused before the start, named in the school's time."""
    if not has_started(act):
        school = db.session.get(School, act.school_id)
        tz = school.timezone if school else "UTC"
        start = to_local(act.starts_at, tz).strftime("%Y-%m-%d %H:%M")
        raise Conflict(
            f"{what} can be recorded once the activity has started: it starts at {start} ({tz})",
            state=act.state,
            starts_at=start,
        )


def _require_organizer(act: Activity, user_id: int) -> None:
    policy.require(
        policy.may_organise(access.actor(user_id, act.school_id), act),
        "only the activity's organizer or a school admin may do this",
    )


def set_participants(act: Activity, actor: User, participants: Any) -> None:
    """Add participants or change their role (existing attendance is kept)."""
    _require_organizer(act, actor.id)
    _require_open(act, "participants")
    reg = schools.require_type(act.type_key)
    people, perrs = _parse_participants(participants, reg.type.roles, reg.type.default_role)
    if perrs:
        raise Invalid("invalid participants", {"participants": perrs})
    members = _members(act.school_id, [p.user_id for p in people])
    strangers = [p.user_id for p in people if p.user_id not in members]
    if strangers:
        raise Invalid("invalid participants", {"participants": [f"user {u} is not a member" for u in strangers]})
    with write_transaction() as s:
        existing = {
            p.user_id: p
            for p in s.execute(select(Participation).where(Participation.activity_id == act.id)).scalars()
        }
        for p in people:
            row = existing.get(p.user_id)
            if row is None:
                s.add(Participation(activity_id=act.id, user_id=p.user_id, role=p.role))
            else:
                row.role = p.role


def remove_participant(act: Activity, actor: User, user_id: int) -> None:
    _require_organizer(act, actor.id)
    _require_open(act, "participants")
    with write_transaction() as s:
        row = s.execute(
            select(Participation).where(Participation.activity_id == act.id, Participation.user_id == user_id)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound("participant not found")
        if s.execute(select(Evidence.id).where(Evidence.activity_id == act.id, Evidence.user_id == user_id)).first():
            raise Conflict("this participant has evidence; keep them and record their absence instead")
        s.delete(row)


def record_attendance(act: Activity, actor: User, rows: Any) -> list[Participation]:
    """Set attended / unexcused absent / excused hours for participants, all or nothing.

    Each row: ``{"user_id", "attended_hours", "absent_hours", "excused_hours"}`` (absent and
    excused default to 0). The three together are at most the activity's hours.
    """
    _require_organizer(act, actor.id)
    _require_open(act, "attendance")
    _require_started(act, "attendance")
    if not isinstance(rows, list) or not rows:
        raise Invalid("attendance must be a non-empty list", {"attendance": "must be a non-empty list"})
    parts = {
        p.user_id: p
        for p in db.session.execute(select(Participation).where(Participation.activity_id == act.id)).scalars()
    }
    errors: dict[str, Any] = {}
    parsed: list[tuple[Participation, Decimal, Decimal, Decimal]] = []
    seen: set[int] = set()
    for i, row in enumerate(rows):
        key = f"{i}"
        if not isinstance(row, dict):
            errors[key] = "expected an object"
            continue
        uid = row.get("user_id")
        if isinstance(uid, bool) or not isinstance(uid, int) or uid not in parts:
            errors[key] = {"user_id": "not a participant of this activity"}
            continue
        if uid in seen:
            errors[key] = {"user_id": "listed twice"}
            continue
        seen.add(uid)
        rerr: dict[str, str] = {}
        vals: dict[str, Decimal] = {}
        for name, default in (("attended_hours", None), ("absent_hours", 0), ("excused_hours", 0)):
            value = row.get(name, default)
            try:
                vals[name] = parse_hours(value, field=name, maximum=act.hours)
            except BadHours as exc:
                rerr[name] = str(exc)
        if not rerr and sum(vals.values()) > act.hours:
            rerr["attended_hours"] = f"attended, absent and excused hours together exceed the activity's {act.hours}"
        if rerr:
            errors[key] = rerr
            continue
        parsed.append((parts[uid], vals["attended_hours"], vals["absent_hours"], vals["excused_hours"]))
    if errors:
        raise Invalid("attendance was not saved", {"attendance": errors})
    with write_transaction():
        for p, attended, absent, excused in parsed:
            p.attended_hours, p.absent_hours, p.excused_hours = attended, absent, excused
    return [p for p, *_ in parsed]


# -- evidence ------------------------------------------------------------------------------

ALLOWED_UPLOADS: dict[str, tuple[tuple[bytes, ...], str]] = {
    # extension: (magic prefixes, content type)
    ".pdf": ((b"%PDF-",), "application/pdf"),
    ".png": ((b"\x89PNG\r\n\x1a\n",), "image/png"),
    ".jpg": ((b"\xff\xd8\xff",), "image/jpeg"),
    ".jpeg": ((b"\xff\xd8\xff",), "image/jpeg"),
    ".docx": ((b"PK\x03\x04",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": ((b"PK\x03\x04",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pptx": ((b"PK\x03\x04",), "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ".doc": ((b"\xd0\xcf\x11\xe0",), "application/msword"),
    ".txt": ((), "text/plain; charset=utf-8"),
}
TEXT_MAX = 100_000


def upload_folder() -> Path:
    folder = current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")
    path = Path(folder)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)  # evidence: the portal's user only
    return path


FILENAME_MAX = 255  # Evidence.filename is String(255)
# Bidirectional controls make "gpj.exe" look like "exe.jpg" (U+202E); no file name needs them.
_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _check_file_name(filename: str) -> None:
    """A file name the portal keeps and shows: ≤ 255 characters, no control characters
    (C0/C1, bidirectional controls) and no unpaired surrogates."""
    if len(filename) > FILENAME_MAX:
        raise Invalid("file name too long", {"file": f"the file name is longer than {FILENAME_MAX} characters"})
    if any(c in _BIDI_CONTROLS or unicodedata.category(c) in ("Cc", "Cs") for c in filename):
        raise Invalid("file name not allowed", {"file": "the file name contains control characters"})


def _check_file(filename: str, data: bytes) -> tuple[str, str]:
    _check_file_name(filename or "")
    ext = os.path.splitext(filename or "")[1].lower()
    if ext not in ALLOWED_UPLOADS:
        raise Invalid("file type not allowed", {"file": f"allowed types: {', '.join(sorted(ALLOWED_UPLOADS))}"})
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    if len(data) > limit:
        raise Invalid("file too large", {"file": f"at most {limit // (1024 * 1024)} MB"})
    if not data:
        raise Invalid("empty file", {"file": "the file is empty"})
    magics, ctype = ALLOWED_UPLOADS[ext]
    if magics and not any(data.startswith(m) for m in magics):
        raise Invalid("file content does not match its type", {"file": f"this is not a real {ext} file"})
    if ext == ".txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid("text file is not UTF-8", {"file": "text files must be UTF-8"}) from None
    return ext, ctype


def add_evidence(
    act: Activity,
    actor: User,
    user_id: int | None,
    kind: str,
    title: str = "",
    text: str | None = None,
    filename: str | None = None,
    data: bytes | None = None,
) -> Evidence:
    """Attach a written piece or a file to a participant (or, for the organizer, the activity).

    A participant adds their own; the organizer or a school admin may add for anyone.
    """
    reg = schools.require_type(act.type_key)
    _require_open(act, "evidence")
    uid = actor.id if user_id is None else user_id
    fields: dict[str, str] = {}
    if isinstance(uid, bool) or not isinstance(uid, int):
        raise Invalid("user_id must be an integer", {"user_id": "must be an integer"})
    policy.require(
        policy.may_add_evidence(access.actor(actor.id, act.school_id), act, uid), "you may only add your own evidence"
    )
    participant_ids = set(
        db.session.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars()
    )
    if uid not in participant_ids and uid != act.organizer_id:
        raise Invalid("not a participant", {"user_id": "not a participant of this activity"})
    kinds = reg.type.all_evidence_kinds()
    if kind not in kinds:
        fields["kind"] = f"kinds: {', '.join(kinds)}"
    if not isinstance(title, str) or len(title) > 200:
        fields["title"] = "at most 200 characters"
    has_text = isinstance(text, str) and text.strip() != ""
    if text is not None and not isinstance(text, str):
        fields["text"] = "must be text"
    if not has_text and data is None:
        fields["text"] = "write the text or attach a file"
    if has_text and len(text) > TEXT_MAX:
        fields["text"] = f"at most {TEXT_MAX} characters"
    if fields:
        raise Invalid("evidence was not saved", fields)
    stored = ctype = None
    size = 0
    if data is not None:
        ext, ctype = _check_file(filename or "", data)
        stored = uuid.uuid4().hex + ext
        size = len(data)
    char_count = len("".join((text or "").split())) if has_text else 0
    path = upload_folder() / stored if stored else None
    if path is not None:
        with os.fdopen(  # a new file (generated name), readable by the portal only: 0600
            os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb"
        ) as fh:
            fh.write(data)
    try:
        with write_transaction() as s:
            ev = Evidence(
                activity_id=act.id,
                user_id=uid,
                kind=kind,
                title=(title or "").strip(),
                text=text if has_text else None,
                char_count=char_count,
                filename=os.path.basename(filename) if filename else None,
                stored_name=stored,
                content_type=ctype,
                size=size,
                uploaded_by=actor.id,
                uploaded_at=utcnow(),
            )
            s.add(ev)
    except BaseException:
        if path is not None and path.exists():
            path.unlink()
        raise
    return ev


def evidence_path(ev: Evidence) -> Path | None:
    if not ev.stored_name:
        return None
    return upload_folder() / ev.stored_name


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def participants_with_users(activity_id: int) -> list[tuple[Participation, User]]:
    return list(
        db.session.execute(
            select(Participation, User)
            .join(User, User.id == Participation.user_id)
            .where(Participation.activity_id == activity_id)
            .order_by(Participation.id)
        )
    )


def evidence_of(activity_id: int) -> list[Evidence]:
    return list(
        db.session.execute(
            select(Evidence).where(Evidence.activity_id == activity_id).order_by(Evidence.uploaded_at, Evidence.id)
        ).scalars()
    )
