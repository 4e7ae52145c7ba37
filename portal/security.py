"""Security headers on every response.

The Content-Security-Policy allows only this origin: no inline scripts or styles, no CDN,
no framing. Pages must keep to it (assets under ``/static``, images may be ``data:`` URIs).
HSTS is sent only in production, where the portal is served over HTTPS.

Nothing but static assets may be kept by a browser or a proxy: every other response (signed-in
pages, API answers, downloads, and the anonymous pages too, whose forms carry the session's
CSRF token) carries ``Cache-Control: no-store``, so a shared computer or a caching proxy keeps
no copy of someone's hours, evidence or token. A view may instead send
``private, no-cache`` (a download revalidated on every use); anything weaker is replaced.
Static assets (``static`` and any blueprint's ``*.static``) keep their own caching.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

# The largest id: id columns are 32-bit ``integer`` on PostgreSQL. A larger id in a URL, a
# query argument or a form is simply not found. The one definition; import it from here.
MAX_ID = 2**31 - 1

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    )
)

BASE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}

HSTS = "max-age=31536000; includeSubDomains"
NO_STORE = "no-store"


# Bidirectional controls make "gpj.exe" look like "exe.jpg" (U+202E), turn a name printed on a
# list around, or make a title print "已认定30学时" where "时学03定认已" is stored; no text of the
# portal needs them (``portal.input_guard`` refuses them in every request).
#
# Free text refuses those that reorder whole runs (embeddings, overrides, isolates); the marks
# (U+200E, U+200F, U+061C) come in with pasted text and turn no run around, so only names and
# file names refuse them too.
BIDI_REORDERING = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BIDI_CONTROLS = "\u061c\u200e\u200f" + BIDI_REORDERING
_BIDI_CONTROLS = frozenset(BIDI_CONTROLS)
_BIDI_REORDERING = frozenset(BIDI_REORDERING)


def derived_key(purpose: bytes) -> bytes:
    """A key of its own for one use of ``SECRET_KEY`` (the check-in codes, the verification
    codes): one leaked or broken does not give another, nor the session key."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hashlib.sha256(purpose + b"\x00" + secret).digest()


def reorders(text: str) -> bool:
    """``text`` holds a bidirectional control that reorders a run of it (:data:`BIDI_REORDERING`)."""
    return any(c in _BIDI_REORDERING for c in text)


def has_controls(text: str) -> bool:
    """``text`` holds a control character (C0/C1: NUL, a line break …), a bidirectional
    control or an unpaired surrogate: nothing a file name or a person's name may hold. The one
    rule; import it from here."""
    return any(c in _BIDI_CONTROLS or unicodedata.category(c) in ("Cc", "Cs") for c in text)


def is_digits(text: str) -> bool:
    """``text`` is a plain decimal number, ASCII 0-9 only: ``str.isdigit()`` is also true of
    "²" or "①", which ``int()`` then refuses (a 500 where a refusal was due)."""
    return text.isascii() and text.isdigit()


def security_headers(production: bool) -> dict[str, str]:
    """The headers every response carries (HSTS only in production)."""
    headers = dict(BASE_HEADERS)
    if production:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def is_static_endpoint(endpoint: str | None) -> bool:
    return endpoint == "static" or (endpoint or "").endswith(".static")


def cache_control(current: str | None) -> str:
    """The Cache-Control a non-static response leaves with: ``no-store`` unless the view
    already asked for ``no-store`` or for ``private, no-cache``."""
    directives = {d.split("=", 1)[0].strip().lower() for d in (current or "").split(",")}
    if "no-store" in directives or {"private", "no-cache"} <= directives:
        return current or NO_STORE
    return NO_STORE


@functools.cache  # one regex per bound, not one per ``<int:…>`` rule of every app
def _digits_at_most(limit: int) -> str:
    """A regex of the decimal numbers 0…``limit`` (no sign, no leading zeros beyond its length)."""
    text = str(limit)
    parts = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - i - 1
            parts.append(text[:i] + f"[0-{int(digit) - 1}]" + (f"[0-9]{{{rest}}}" if rest else ""))
    parts.append(text)
    return "(?:" + "|".join(parts) + ")"


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that no database column can overflow: larger numbers are a plain 404.

    The bound is in the pattern, not only in the conversion: werkzeug notes a rule's methods
    before it converts, so a number too large for ``PUT /x/<int:id>`` would otherwise answer
    405 naming the ``GET`` of the same path instead of 404."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)
        if not fixed_digits and not signed and max is None:
            self.regex = _digits_at_most(MAX_ID)


def init_app(app: Flask) -> None:
    from portal import input_guard

    # Before the blueprints are registered, so every ``<int:…>`` rule uses it.
    app.url_map.converters["int"] = BoundedIntConverter
    input_guard.init_app(app)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    headers = [(name.lower(), name, value) for name, value in security_headers(bool(app.config.get("PRODUCTION"))).items()]

    @app.after_request
    def _add_security_headers(response: Response) -> Response:
        # What ``headers.setdefault`` for each would do, in one pass over the response's headers:
        # werkzeug looks a name up by walking the list, case-blind, and every response goes through here.
        out = response.headers
        present = {name.lower() for name in out.keys()}
        out.extend([(name, value) for key, name, value in headers if key not in present])
        if not is_static_endpoint(request.endpoint):
            if "cache-control" in present:
                out["Cache-Control"] = cache_control(out.get("Cache-Control"))
            else:
                out.add("Cache-Control", NO_STORE)
            if "expires" in present:
                out.pop("Expires", None)
        return response
