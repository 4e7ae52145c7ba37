"""Where an API route meets the document: the path an operation is documented under."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask

from portal.api.openapi import API_PREFIX, declared
from portal.security import MAX_ID

__all__ = ["API_PREFIX", "MAX_ID", "api_rules", "openapi_path", "operation_of"]

_CONVERTER = re.compile(r"<(?:(?P<conv>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")


def openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """``/a/<int:id>`` → ``/a/{id}`` and its path parameters."""
    params: list[dict[str, Any]] = []

    def repl(m: re.Match) -> str:
        schema = {"type": "integer"} if m.group("conv") == "int" else {"type": "string"}
        params.append({"name": m.group("name"), "in": "path", "required": True, "schema": schema})
        return "{" + m.group("name") + "}"

    return _CONVERTER.sub(repl, rule), params


def api_rules(app: Flask) -> list[tuple[str, str, Callable]]:
    """(rule, method, view) for every documented-or-not API rule (HEAD/OPTIONS left out)."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/") and rule.rule != API_PREFIX:
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.rule, method, view))
    return out


def operation_of(view: Callable) -> Any:
    """The spectree declaration of an API view, or None (then the drift test names it)."""
    return declared(view)
