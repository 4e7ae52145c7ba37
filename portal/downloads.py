"""An evidence file as a download, for the pages and the API alike."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response
from werkzeug.utils import secure_filename

from portal.errors import NotFound
from portal.messages import msg
from portal.models import Evidence
from portal.services.activities import evidence_path


def evidence_response(ev: Evidence) -> Response:
    """The evidence's file as an attachment (never shown inline: an upload is not trusted), or
    its written text as a .txt file; 404 when it has neither (a file gone from the disk)."""
    path = evidence_path(ev)
    if path is not None and path.exists():  # read whole (uploads are bounded): the API checks the response
        name = ev.filename or path.name
        return Response(path.read_bytes(), mimetype=stored_mimetype(ev), headers={
            "Content-Disposition": attachment(name, "evidence"), "Cache-Control": "no-store"})
    if ev.text is None:
        raise NotFound(msg("evidence.not_found"))
    return Response(ev.text, mimetype="text/plain; charset=utf-8", headers={
        "Content-Disposition": attachment(f"evidence-{ev.id}.txt"), "Cache-Control": "no-store"})


def stored_mimetype(ev: Evidence) -> str:
    """The evidence file's media type without its parameters, for ``mimetype=``: werkzeug adds
    ``charset=utf-8`` to a text type itself, and a .txt upload is stored as
    ``text/plain; charset=utf-8`` — sent as it is, the header said the charset twice."""
    return (ev.content_type or "").split(";", 1)[0].strip() or "application/octet-stream"


def attachment(name: str, fallback: str = "download") -> str:
    """``Content-Disposition`` for any file name: an ASCII fallback and the UTF-8 name (RFC 6266).
    Every download names its file through this: a header is Latin-1, and a name such as
    ``summary-实验一小-2026-2027.csv`` (a school code may be Chinese) cannot be sent as it is."""
    fallback = secure_filename(name) or fallback
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
