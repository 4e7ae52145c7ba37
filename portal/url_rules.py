"""URL rules whose URL builders are compiled once per process, not once per app; and the
portal's absolute links (:func:`public_url`), built from its public address, never from a request.

When a rule joins an app's URL map, Werkzeug writes two small Python functions that build its
URLs (``Rule._compile_builder``: an ``ast`` tree, then ``compile``). For the portal's ~160 rules
that is two thirds of ``create_app``'s time, paid again by every app the process builds (each
test builds its own). A builder depends only on the rule's parsed parts — never on the map,
the app or the rule object, which it receives as its first argument — so rules with the same
parts share one function. ``Flask.url_rule_class`` is the documented way to choose the class.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import Rule


class SharedBuilderRule(Rule):
    """A :class:`werkzeug.routing.Rule` that reuses the builder compiled for equal parts."""

    _builders: ClassVar[dict[tuple[Any, ...], Callable[..., tuple[str, str]]]] = {}

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        defaults = self.defaults or {}
        if any(is_dynamic and name in defaults for is_dynamic, name in self._trace):
            # a default folded into the URL through the converter's to_url: not shared
            return super()._compile_builder(append_unknown)
        key = (tuple(self._trace), tuple(sorted(map(str, defaults))), append_unknown)
        builder = self._builders.get(key)
        if builder is None:
            builder = self._builders[key] = super()._compile_builder(append_unknown)
        return builder


def public_base() -> str:
    """The portal's public address (``PUBLIC_URL``, ``YANXIU_PUBLIC_URL``) without a final ``/``."""
    return str(current_app.config["PUBLIC_URL"]).rstrip("/")


def public_base_is_local() -> bool:
    """True when the public address names this machine only (``localhost``, ``127.0.0.1``,
    ``::1``): fine on a developer's machine, but a phone that scans a code with that address
    opens its own loopback, not the portal. The check-in screen says so."""
    host = (urlsplit(public_base()).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_public_address() -> str | None:
    """The public address when it names this machine only (:func:`public_base_is_local`), else
    None: what the check-in screen and the pages that print forms warn about — a QR code or a
    printed verification link to it opens nothing anywhere else. Never replaced by the request's
    ``Host`` (anyone may send one): production refuses to start without ``YANXIU_PUBLIC_URL``."""
    return public_base() if public_base_is_local() else None


def site_path(endpoint: str, **values: Any) -> str:
    """The path of ``endpoint`` from the site's root, built outside any request too (a job,
    a feed): what a stored link or a ``next`` holds, the script root added where it is followed."""
    return current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` on the portal's public address: what goes out of the
    portal (printed forms and their QR codes, check-in QR codes, calendar feeds, email). Never
    ``url_for(..., _external=True)``, which takes the host from the request's ``Host`` header —
    anyone can send ``Host: evil.example`` and get a certificate whose link leads to their site."""
    parts = urlsplit(public_base())
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    current_app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)
