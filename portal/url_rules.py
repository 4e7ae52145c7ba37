"""URL rules whose URL builders are compiled once per process, not once per app.

When a rule joins an app's URL map, Werkzeug writes two small Python functions that build its
URLs (``Rule._compile_builder``: an ``ast`` tree, then ``compile``). For the portal's ~160 rules
that is two thirds of ``create_app``'s time, paid again by every app the process builds (each
test builds its own). A builder depends only on the rule's parsed parts — never on the map,
the app or the rule object, which it receives as its first argument — so rules with the same
parts share one function. ``Flask.url_rule_class`` is the documented way to choose the class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

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
