"""The Jinja environment of the pages: Flask's, with template globals whose names are a set.

Jinja 3 gives every template a ``ChainMap`` of its own globals over the environment's. On every
``{% from "…" import … %}`` it compares the importing context's global names with the imported
template's (``ctx.globals_keys - template.globals.keys()``): a set minus a ``KeysView``, which
Python does one ``ChainMap.__contains__`` at a time, sixty names per import, several imports
per page. Here ``keys()`` answers a real set, so the subtraction is one C-level operation.
Everything else is the ``ChainMap`` Jinja expects: a template's own globals stay its own and
the environment's stay live.

Every render (and every import of a template's macros) starts a context holding the globals and
the page's variables. Jinja copies the globals with ``dict(globals, **vars)``, which reads a
``ChainMap`` one name at a time through Python (about seventy names, most of them a ``KeyError``
in the template's own empty map first): a few hundred µs a page. :class:`PageTemplate` merges
the maps with C-level ``dict.update`` instead; the context is the same.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import MutableMapping
from typing import Any

from flask.templating import Environment
from jinja2 import Template
from jinja2.runtime import Context, new_context


class TemplateGlobals(ChainMap):
    """A template's globals over the environment's; ``keys()`` is a set of the names."""

    def keys(self) -> set[str]:  # type: ignore[override]
        return set().union(*self.maps)


class PageTemplate(Template):
    """Jinja's template; a new context gets its globals merged map by map (see the module)."""

    def new_context(
        self, vars: dict[str, Any] | None = None, shared: bool = False, locals: Any = None
    ) -> Context:
        if not shared:  # Jinja would build dict(self.globals, **vars) one name at a time
            found = self.globals
            merged: dict[str, Any] = {}
            for names in reversed(found.maps) if isinstance(found, ChainMap) else (found,):
                merged.update(names)
            if vars:
                merged.update(vars)
            vars, shared = merged, True  # a dict of our own: Jinja keeps it as the context's
        return new_context(self.environment, self.name, self.blocks, vars, shared, self.globals, locals)


class PageEnvironment(Environment):
    """Flask's Jinja environment (``Flask.jinja_environment`` is the documented way to choose it)."""

    template_class = PageTemplate

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals(d if d is not None else {}, self.globals)
