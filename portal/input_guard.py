"""The request-level input guard: text no database column can store never reaches a view.

A NUL character (PostgreSQL refuses it in text columns), an unpaired surrogate (not
encodable as UTF-8) or a bidirectional control (U+202E makes a stored "时学03定认已" show and
print as "已认定30学时") in a query argument, a URL part, a form field (name or value), an
uploaded file's name or a string of a JSON body, and a query string or urlencoded form that
is not UTF-8 once its %-escapes are decoded (``%ED%A0%80`` is a surrogate), are refused
before any view runs: a page answers 400 with a clear message, the JSON API answers
``invalid`` — 422 with per-field messages, 400 for an undecodable query string or form.

Refusals are coded messages (``portal.messages``): the API renders them in the language
``Accept-Language`` asks for, a page in the viewer's.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from flask import Flask, Request, request
from werkzeug.datastructures import ImmutableMultiDict

from portal.errors import DomainError, Invalid
from portal.messages import Msg, msg, tr
from portal.security import BIDI_REORDERING

_UNSTORABLE = re.compile(f"[\x00\ud800-\udfff{BIDI_REORDERING}]")
_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
NUL_MESSAGE = msg("guard.nul")
SURROGATE_MESSAGE = msg("guard.surrogate")
BIDI_MESSAGE = msg("guard.bidi")
MAX_REPORTED = 20  # fields named in one refusal


class UndecodableRequest(DomainError):
    """The query string is not UTF-8 (400 ``invalid``)."""

    status = 400
    code = "invalid"

    def __init__(self, message: Any, fields: dict[str, Any] | None = None):
        super().__init__(message, fields=fields or {})


def text_problem(value: str, *, bidi: bool = True) -> Msg | None:
    """Why ``value`` cannot be stored as text, or None: a NUL, an unpaired surrogate, or a
    bidirectional control that reorders text (stored, it would show and print as other text
    than it is; ``security.BIDI_REORDERING``)."""
    found = (_UNSTORABLE if bidi else _UNSTORABLE_TEXT).search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return NUL_MESSAGE
    return BIDI_MESSAGE if found.group() in BIDI_REORDERING else SURROGATE_MESSAGE


def field_name(path: list[Any]) -> str:
    """``["participants", 0, "role"]`` → ``participants.0.role`` (the API's field names)."""
    return ".".join(str(p) for p in path) or "body"


def text_problems(value: Any, path: list[Any]) -> dict[str, Msg]:
    """Per-field messages for every string (keys included) in a JSON-like value that cannot be stored."""
    out: dict[str, Msg] = {}
    stack: list[tuple[Any, list[Any]]] = [(value, path)]
    while stack and len(out) < MAX_REPORTED:
        item, where = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                out.setdefault(field_name(where), problem)
        elif isinstance(item, dict):
            for k, v in item.items():
                stack.append((k, [*where, "(key)"]))
                stack.append((v, [*where, k]))
        elif isinstance(item, list):
            stack.extend((v, [*where, i]) for i, v in enumerate(item))
    return out


def _shown(name: str) -> str:
    """A field name fit to repeat in a message (it may itself be the bad text)."""
    return _UNSTORABLE.sub("?", name)[:64] or "(empty)"


def _pairs_problems(pairs: Any, what: str = "", *, bidi: bool = True) -> dict[str, Msg]:
    out: dict[str, Msg] = {}
    for key, value in pairs:
        problem = (text_problem(key) if isinstance(key, str) else None) or (
            text_problem(value, bidi=bidi) if isinstance(value, str) else None)
        if problem:
            out.setdefault(_shown(key or "") + what, problem)
        if len(out) >= MAX_REPORTED:
            break
    return out


def _json_problems() -> dict[str, Msg]:
    try:
        data = json.loads(request.get_data(cache=True).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}  # not JSON: the view says so
    return text_problems(data, [])


def request_problems() -> dict[str, Msg]:
    """Field → message for everything in this request that cannot be stored as text.

    Raises :class:`UndecodableRequest` when the query string is not UTF-8.
    """
    req: Request = request._get_current_object()  # type: ignore[attr-defined]  # every request comes through here: the proxy once, not a dozen times
    if req.query_string:  # none (most pages): no arguments to look at
        if not _utf8_when_unquoted(req.query_string):
            req.__dict__["args"] = ImmutableMultiDict()  # the error page reads ``args`` too
            raise UndecodableRequest(msg("guard.query_utf8"), {"query": msg("guard.not_utf8")})
        problems = _pairs_problems(req.args.items(multi=True))
    else:
        problems = {}
    if req.view_args:
        problems.update(_pairs_problems(req.view_args.items()))
    mimetype = req.mimetype
    if mimetype == "application/x-www-form-urlencoded" and not _utf8_when_unquoted(req.get_data(cache=True)):
        raise UndecodableRequest(msg("guard.form_utf8"), {"body": msg("guard.not_utf8")})
    if mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        problems.update(_pairs_problems(req.form.items(multi=True)))
        files = [(key, upload.filename or "") for key, upload in req.files.items(multi=True)]
        # a file name's controls are the upload's own refusal (``security.has_controls``), beside the form's field
        bad_names = _pairs_problems(files, bidi=False)
        problems.update({name: msg("guard.file_name", problem=problem) for name, problem in bad_names.items()})
    elif req.is_json:
        problems.update(_json_problems())
    return problems


def _utf8_when_unquoted(raw: bytes) -> bool:
    """Whether urlencoded ``raw`` is UTF-8 once its %-escapes are decoded. (Werkzeug keeps an
    escape that is not UTF-8, such as ``%ED%A0%80`` — a surrogate — as literal text.)"""
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _is_api() -> bool:
    return request.path.startswith("/api/")


def check_request():
    """``before_request``: refuse the request when it holds text that cannot be stored."""
    try:
        problems = request_problems()
    except UndecodableRequest:
        if _is_api():
            raise
        return _refused()
    if not problems:
        return None
    if _is_api():
        raise Invalid(msg("guard.request"), problems)
    return _refused()


def _refused():
    from portal.web.errors import render_error

    return render_error(400, tr(msg("guard.page")))


def init_app(app: Flask) -> None:
    app.before_request(check_request)
