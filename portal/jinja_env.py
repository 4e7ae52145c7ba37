"""The Jinja environment of the pages: Flask's, with template globals whose names are a set.

Jinja 3 gives every template a ``ChainMap`` of its own globals over the environment's. On every
``{% from "…" import … %}`` it compares the importing context's global names with the imported
template's (``ctx.globals_keys - template.globals.keys()``): a set minus a ``KeysView``, which
Python does one ``ChainMap.__contains__`` at a time, sixty names per import, several imports
per page. Here ``keys()`` answers a real set, so the subtraction is one C-level operation.
Everything else is the ``ChainMap`` Jinja expects: a template's own globals stay its own and
the environment's stay live.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import MutableMapping
from typing import Any

from flask.templating import Environment


class TemplateGlobals(ChainMap):
    """A template's globals over the environment's; ``keys()`` is a set of the names."""

    def keys(self) -> set[str]:  # type: ignore[override]
        return set().union(*self.maps)


class PageEnvironment(Environment):
    """Flask's Jinja environment (``Flask.jinja_environment`` is the documented way to choose it)."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals(d if d is not None else {}, self.globals)
