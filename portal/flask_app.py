"""The portal's Flask class: Flask's, with two per-request look-ups of Flask's own made once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.globals import _cv_request
from flask.templating import _default_template_ctx_processor

#: functions whose kind (``async def`` or not) is kept, per app; then it starts again
KINDS_KEPT = 4096


class PortalFlask(Flask):
    """Flask, with two of its per-request steps made cheaper; what they give is Flask's.

    * :meth:`ensure_sync`: Flask asks of every hook, view and context processor, on every
      request, whether it is an ``async def`` (``inspect.iscoroutinefunction``: a dozen to twenty
      asks a page). A function's kind is its code's: asked once per function here.
    * :meth:`update_template_context`: Flask 3.1 gives every blueprint a list of context
      processors that starts with Flask's own default one (``g`` and ``request``), so each
      ``render_template`` of a blueprint's page ran it twice (a plugin's page, inside two
      nested blueprints, three times): the same two objects put in again. It runs once here.
      Everything else is Flask's: the app's processors, then each blueprint's from the
      outermost, the values passed to the render winning over all of them. (The repeat could
      differ only if a processor between the two runs set ``g`` or ``request``: none does.)"""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._async_kind: dict[Any, bool] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        key = getattr(func, "__func__", func)  # a bound method's kind is its function's
        try:
            is_async = self._async_kind[key]
        except KeyError:
            if len(self._async_kind) >= KINDS_KEPT:  # callables made per request (partials): start again
                self._async_kind.clear()
            wrapped = super().ensure_sync(func)
            self._async_kind[key] = wrapped is not func
            return wrapped
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)
        return self.async_to_sync(func) if is_async else func

    def update_template_context(self, context: dict[str, Any]) -> None:
        reqctx = _cv_request.get(None)
        names = (None, *reversed(reqctx.request.blueprints)) if reqctx is not None else (None,)
        given = context.copy()
        processors = self.template_context_processors
        default_run = False
        for name in names:
            for func in processors.get(name, ()):
                if func is _default_template_ctx_processor:
                    if default_run:
                        continue
                    default_run = True
                context.update(self.ensure_sync(func)())
        context.update(given)
