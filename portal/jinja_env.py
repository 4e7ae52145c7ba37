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
from collections.abc import Callable, MutableMapping
from types import FunctionType
from typing import Any

from flask.templating import Environment
from jinja2.runtime import Context
from jinja2.utils import _PassArg, internalcode


class TemplateGlobals(ChainMap):
    """A template's globals over the environment's; ``keys()`` is a set of the names."""

    def keys(self) -> set[str]:  # type: ignore[override]
        return set().union(*self.maps)


class PageContext(Context):
    """Jinja's context, whose :meth:`call` (every ``{{ f(…) }}`` of a template: ``_()``,
    ``site_url``, ``may`` … a hundred a page) hands a plain function its arguments without
    Jinja's general look-ups (two ``hasattr`` through ``_PassArg.from_obj`` each, for a callable
    class's ``__call__`` and the function). The rest — a callable object, a macro, a function
    marked ``pass_context`` or ``pass_environment`` — goes through Jinja's own ``call``."""

    @internalcode
    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:  # noqa: N805,B902
        if type(__obj) is not FunctionType:
            return super().call(__obj, *args, **kwargs)
        pass_arg = __obj.__dict__.get("jinja_pass_arg")
        if pass_arg is _PassArg.eval_context:
            args = (__self.eval_ctx, *args)
        elif pass_arg is not None:
            return super().call(__obj, *args, **kwargs)
        if kwargs:  # a call in a loop or a block gets these for pass_context callables only
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja's call answers it
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class PageEnvironment(Environment):
    """Flask's Jinja environment (``Flask.jinja_environment`` is the documented way to choose it),
    its templates rendered with :class:`PageContext`."""

    context_class = PageContext

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return TemplateGlobals(d if d is not None else {}, self.globals)
