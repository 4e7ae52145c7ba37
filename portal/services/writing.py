"""A teacher's own writing, attached to no activity: reading notes, a paper or teaching essay,
a reflection — typed in, or a UTF-8 ``.txt`` file — counted for the writing quotas."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from portal import policy
from portal.database import write_transaction
from portal.errors import Invalid
from portal.extensions import db
from portal.messages import msg
from portal.models import OwnWriting, School, User
from portal.services import access
from portal.services.activities import TEXT_MAX
from portal.services.quotas import WRITTEN_KINDS
from portal.textcount import chinese_count
from portal.timeutil import school_year_of, semester_of, to_local, utcnow

TITLE_MAX = 200


def add_writing(school: School, user: User, kind: Any, title: Any, text: Any = None,
                filename: str | None = None, data: bytes | None = None) -> OwnWriting:
    """Add a piece to the teacher's own record (this school year and semester, in the school's
    time). All input is checked before anything is written."""
    policy.require(policy.may_add_own_writing(access.actor(user.id, school.id)), "policy.own_writing")
    fields: dict[str, Any] = {}
    if kind not in WRITTEN_KINDS:
        fields["kind"] = msg("writing.kind", kinds=", ".join(WRITTEN_KINDS))
    title = title.strip() if isinstance(title, str) else None
    if title is None or len(title) > TITLE_MAX or (not title and kind != "reflection"):
        fields["title"] = msg("writing.title", n=TITLE_MAX)
    if data is not None:
        if text not in (None, ""):
            fields["text"] = msg("writing.text_or_file")
        elif not (filename or "").lower().endswith(".txt"):
            fields["file"] = msg("writing.txt_only")
        elif len(data) > int(current_app.config["UPLOAD_MAX_BYTES"]):
            fields["file"] = msg("file.at_most_mb", n=int(current_app.config["UPLOAD_MAX_BYTES"]) // (1024 * 1024))
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                fields["file"] = msg("file.not_utf8_field")
    if "file" not in fields and "text" not in fields:
        if not isinstance(text, str) or not text.strip():
            fields["text"] = msg("evidence.text_or_file")
        elif len(text) > TEXT_MAX:
            fields["text"] = msg("at_most_chars", n=TEXT_MAX)
        elif "\x00" in text:
            fields["text"] = msg("text.nul")
    if fields:
        raise Invalid(msg("writing.refused"), fields)
    today = to_local(utcnow(), school.timezone).date()
    with write_transaction() as s:
        piece = OwnWriting(
            school_id=school.id, user_id=user.id, school_year=school_year_of(today), semester=semester_of(today),
            kind=kind, title=title or "", text=text, char_count=chinese_count(text), created_at=utcnow(),
        )
        s.add(piece)
    return piece


def writing_list(school: School, user_id: int, year: str) -> list[OwnWriting]:
    return list(
        db.session.execute(
            select(OwnWriting)
            .where(OwnWriting.school_id == school.id, OwnWriting.user_id == user_id, OwnWriting.school_year == year)
            .order_by(OwnWriting.created_at.desc(), OwnWriting.id.desc())
        ).scalars()
    )
