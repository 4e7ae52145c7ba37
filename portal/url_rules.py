"""URL rules whose parsed parts and URL builders are made once per process, not once per app;
and the portal's absolute links (:func:`public_url`), built from its public address, never from a
request.

When a rule joins an app's URL map, Werkzeug parses its string (``Rule._parse_rule``: a regular
expression walks it, converters' arguments are parsed, each segment's pattern and weight are
written) and writes two small Python functions that build its URLs (``Rule._compile_builder``:
an ``ast`` tree, then ``compile``). For the portal's ~177 rules that was paid again by every app
the process builds (each test builds its own). Rules with the same string, domain rule and slash
merging, whose converters have the same patterns, have the same parts, and a builder depends only
on the parts and the defaults' names — never on the map, the app or the rule object, which it
receives as its first argument — so :class:`SharedBuilderRule` keeps both per process. Converters
are still made for each map (they may hold it). ``Flask.url_rule_class`` is the documented way to
choose the class; production builds one app and pays only the first, ordinary compile.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from werkzeug.routing import Rule
from werkzeug.routing.rules import RulePart

from portal.config import DEV_PUBLIC_URL


@dataclass(frozen=True)
class _Variable:
    """One converter made while a rule was parsed: what to make it with again, and what of it
    went into the parts (a converter of that name on another map must give the same)."""

    name: str
    converter: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    regex: str
    part_isolating: bool
    weight: int


@dataclass
class _Shape:
    """What :meth:`Rule.compile` made of a rule string: its parts (shared by every map: nothing
    changes a part), its trace, its converters' recipes, and the builders made for it so far."""

    parts: tuple[RulePart, ...]
    trace: tuple[tuple[bool, str], ...]
    variables: tuple[_Variable, ...]
    builders: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = field(default_factory=dict)


class SharedBuilderRule(Rule):
    """A :class:`werkzeug.routing.Rule` that reuses the parts and builders made for an equal rule."""

    _builders: ClassVar[dict[tuple[Any, ...], Callable[..., tuple[str, str]]]] = {}
    _shapes: ClassVar[dict[tuple[Any, ...], _Shape]] = {}
    _recorded: list[_Variable] | None = None

    def compile(self) -> None:
        assert self.map is not None, "rule not bound"
        domain_rule = (self.host if self.map.host_matching else self.subdomain) or ""
        key = (self.rule, domain_rule, bool(self.merge_slashes))
        shape = self._shapes.get(key)
        converters = None if shape is None else self._remake_converters(shape)
        if shape is None or converters is None:
            self._recorded = []
            try:
                super().compile()
                recorded = tuple(self._recorded)
            finally:
                self._recorded = None
            if shape is None:
                self._shapes[key] = _Shape(tuple(self._parts), tuple(self._trace), recorded)
            return
        self._parts = list(shape.parts)
        self._trace = list(shape.trace)
        self._converters = converters
        self.arguments.update(converters)
        self._build = self._shared_builder(shape, False).__get__(self, None)
        self._build_unknown = self._shared_builder(shape, True).__get__(self, None)

    def _remake_converters(self, shape: _Shape) -> dict[str, Any] | None:
        """This map's converters for ``shape``'s variables, or None when one differs from the
        one the parts were made with (another class or pattern under that name)."""
        converters: dict[str, Any] = {}
        for v in shape.variables:
            if v.converter not in self.map.converters:
                return None
            made = self.map.converters[v.converter](self.map, *v.args, **v.kwargs)
            if (made.regex, made.part_isolating, made.weight) != (v.regex, v.part_isolating, v.weight):
                return None
            converters[v.name] = made
        return converters

    def _shared_builder(self, shape: _Shape, append_unknown: bool) -> Callable[..., tuple[str, str]]:
        defaults = self.defaults or {}
        if any(v.name in defaults for v in shape.variables):
            return self._compile_builder(append_unknown)  # a default folded into the URL: its own
        key = (tuple(sorted(map(str, defaults))), append_unknown)
        builder = shape.builders.get(key)
        if builder is None:
            builder = shape.builders[key] = self._compile_builder(append_unknown)
        return builder

    def get_converter(
        self, variable_name: str, converter_name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> Any:
        made = super().get_converter(variable_name, converter_name, args, kwargs)
        if self._recorded is not None:
            self._recorded.append(
                _Variable(variable_name, converter_name, tuple(args), dict(kwargs), made.regex, made.part_isolating,
                          made.weight)
            )
        return made

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
    """The portal's public address (``PUBLIC_URL``, ``YANXIU_PUBLIC_URL``) without a final ``/``.
    Unset — development only: production refuses to start without it — a request's links take the
    address the request was made at (its scheme, host, port and script root: a demo on another
    port than 5000, or reached from a phone on the network, prints codes that lead back to it), and
    what is built outside a request ``config.DEV_PUBLIC_URL``."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return DEV_PUBLIC_URL


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
    printed verification link to it opens nothing anywhere else. Set, never replaced by the
    request's ``Host`` (anyone may send one): production refuses to start without
    ``YANXIU_PUBLIC_URL``; unset (development), the request's own (:func:`public_base`)."""
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
