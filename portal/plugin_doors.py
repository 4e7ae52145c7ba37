"""The doors a format needs: a plugin's own pages (``portal_register_routes``) and its own
``flask`` commands (``portal_register_commands``), both given a :class:`portal.facade.Portal`.

Pages: every blueprint a plugin returns is mounted inside a blueprint the core makes for that
plugin, at ``/x/<plugin name>`` and under the endpoint name ``x_<plugin name>.<blueprint name>``,
so its URLs can neither leave that prefix nor clash with the core's or another plugin's. Every
route there requires a signed-in person (the core checks it before the plugin's view runs); the
portal's CSRF protection, layout (``base.html``), error pages and security headers apply as to
any page.

Commands: the hook receives the ``flask`` command group (``app.cli``); a plugin that would
replace a command already there is refused and reported, and the command stays as it was.

A hook that raises, or returns something else than blueprints, is reported with the plugin's
name like any other plugin failure (log, ``flask plugins list``, ``/admin/plugins``); the
portal starts without that plugin's pages or commands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, current_app
from werkzeug.exceptions import HTTPException

from portal.errors import DomainError
from portal.facade import ROUTE_ROOT, Portal
from portal.plugin_loader import N_, call_one, describe, in_registration_order, recover_session
from portal.registry import TypeRegistry

M_ROUTES_BAD = N_("portal_register_routes of plugin '%(plugin)s' returned %(value)s, not a Blueprint; "
                  "its pages were not added")
M_ROUTES_FAILED = N_("the pages of plugin '%(plugin)s' could not be added: %(error)s")
M_ROUTES_NAME = N_("plugin name '%(plugin)s' cannot be used in a URL; its pages were not added")
M_COMMAND_TAKEN = N_("command '%(command)s' of plugin '%(plugin)s' would replace an existing command; "
                     "it was not added")
M_HOOK_RAISED = N_("hook %(hook)s raised %(error)s")
M_PAGE_FAILED = N_("page %(endpoint)s of plugin '%(plugin)s' failed: %(error)s; an error page was shown instead")
M_STREAM_FAILED = N_("page %(endpoint)s of plugin '%(plugin)s' failed while its response was being sent: "
                     "%(error)s; the response was cut short")

URL_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


def facade(app: Flask, plugin: str) -> Portal:
    """The one :class:`Portal` object of ``plugin`` in ``app``."""
    made: dict[str, Portal] = app.extensions.setdefault("yanxiu.facades", {})
    if plugin not in made:
        made[plugin] = Portal(app, plugin)
    return made[plugin]


def endpoint_prefix(plugin: str) -> str:
    """The blueprint name the core mounts a plugin's blueprints in (``x_<name>``)."""
    return "x_" + re.sub(r"[^A-Za-z0-9_]", "_", plugin)


def _require_login() -> Any:
    from flask_login import current_user

    from portal.extensions import login_manager

    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def register_routes(app: Flask, registry: TypeRegistry) -> None:
    loaded = registry.plugins
    for impl in in_registration_order(loaded, "portal_register_routes"):
        plugin = impl.plugin_name
        try:
            result = call_one(loaded, impl, "portal_register_routes", {"portal": facade(app, plugin)})
        except Exception as exc:
            loaded.fail(plugin, M_HOOK_RAISED, exc, hook="portal_register_routes", error=describe(exc))
            continue
        items = [] if result is None else list(result) if isinstance(result, (list, tuple)) else [result]
        bad = next((b for b in items if not isinstance(b, Blueprint)), None)
        if bad is not None:
            loaded.fail(plugin, M_ROUTES_BAD, plugin=plugin, value=repr(bad)[:200])
            continue
        blueprints: list[Blueprint] = [b for b in items if isinstance(b, Blueprint)]
        if not blueprints:
            continue
        if not URL_SAFE.match(plugin):
            loaded.fail(plugin, M_ROUTES_NAME, plugin=plugin)
            continue
        names = [bp.name for bp in blueprints]
        if len(set(names)) != len(names):
            loaded.fail(plugin, M_ROUTES_FAILED, plugin=plugin,
                        error=f"two blueprints are named {sorted(n for n in names if names.count(n) > 1)[0]!r}")
            continue
        outer = Blueprint(endpoint_prefix(plugin), f"yanxiu.plugin.{plugin}", url_prefix=f"{ROUTE_ROOT}/{plugin}")
        outer.before_request(_require_login)
        for bp in blueprints:
            outer.register_blueprint(bp)
        try:
            app.register_blueprint(outer)
        except Exception as exc:  # a rule Werkzeug refuses …
            loaded.fail(plugin, M_ROUTES_FAILED, exc, plugin=plugin, error=describe(exc))
            continue
        for endpoint, view in list(app.view_functions.items()):
            if endpoint.startswith(outer.name + "."):
                app.view_functions[endpoint] = _running(registry, plugin, endpoint, view)


def _running(registry: TypeRegistry, plugin: str, endpoint: str, view: Callable[..., Any]) -> Callable[..., Any]:
    """``view`` of ``plugin`` inside :meth:`~portal.plugin_loader.LoadedPlugins.running`, what
    it returns made a response there too (Flask's ``make_response``: a value that cannot be one,
    or a conversion that raises, is the plugin's failure). A failure — an exception, a
    ``sys.exit()`` — is reported naming the plugin and the page, and an error page saying so is
    shown; the thread goes on. An HTTP error (``abort(404)``) or a refusal of the portal's
    (:class:`~portal.errors.DomainError`, from the facade) is shown as on any page.

    A streamed response (a generator, a file) is sent after the view has returned: each of its
    steps is run inside the boundary too (:class:`_Stepped`)."""

    @wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            with registry.plugins.running(plugin, endpoint):
                response = current_app.make_response(view(*args, **kwargs))
                if response.is_streamed:
                    response.response = _Stepped(registry, plugin, endpoint, response.response)
                return response
        except (HTTPException, DomainError):
            raise
        except Exception as exc:
            registry.plugins.fail(plugin, M_PAGE_FAILED, exc, endpoint=endpoint, plugin=plugin, error=describe(exc))
            recover_session()
            from portal.messages import msg, tr
            from portal.web.errors import render_error

            return render_error(500, tr(msg("plugin.page_failed", plugin=plugin)))

    return run


class _Stepped:
    """A plugin page's streamed response body, each chunk made inside the plugin's boundary (a
    text chunk encoded there, anything else than bytes refused there), as is its ``close()``
    (which Werkzeug calls even when the body is never read: a ``HEAD`` request, a client gone).
    The status and headers have gone by then, so no error page can be shown: a failure — an
    exception, a ``sys.exit()`` — is reported naming the plugin and the page, and the response
    ends there (the client gets what was sent before it)."""

    def __init__(self, registry: TypeRegistry, plugin: str, endpoint: str, body: Any) -> None:
        self.registry, self.plugin, self.endpoint, self.body = registry, plugin, endpoint, body
        self.chunks: Iterator[Any] = iter(body)  # made inside the boundary (see _running)
        self.closed = False

    def _step(self, what: Callable[[], Any]) -> Any:
        with self.registry.plugins.running(self.plugin, self.endpoint):
            return what()

    def _failed(self, exc: Exception) -> None:
        self.registry.plugins.fail(self.plugin, M_STREAM_FAILED, exc, endpoint=self.endpoint, plugin=self.plugin,
                                   error=describe(exc))

    def _chunk(self) -> bytes:
        value = next(self.chunks)
        if isinstance(value, str):
            return value.encode()
        if not isinstance(value, (bytes, bytearray)):
            raise TypeError(f"a streamed response yielded {type(value).__name__}, not bytes or str")
        return bytes(value)

    def __iter__(self) -> Iterator[bytes]:
        while not self.closed:
            try:
                value = self._step(self._chunk)
            except StopIteration:
                return
            except Exception as exc:
                self._failed(exc)
                self.close()
                return
            yield value

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True

        def shut() -> None:
            for part in (self.body, self.chunks) if self.chunks is not self.body else (self.body,):
                if callable(closing := getattr(part, "close", None)):
                    closing()

        try:
            self._step(shut)
        except Exception as exc:
            self._failed(exc)


def register_commands(app: Flask, registry: TypeRegistry) -> None:
    loaded = registry.plugins
    cli = app.cli
    for impl in in_registration_order(loaded, "portal_register_commands"):
        plugin = impl.plugin_name
        before = dict(cli.commands)
        kwargs = {"cli": cli, "portal": facade(app, plugin)}
        try:
            call_one(loaded, impl, "portal_register_commands", kwargs)
        except Exception as exc:
            cli.commands.clear()
            cli.commands.update(before)
            loaded.fail(plugin, M_HOOK_RAISED, exc, hook="portal_register_commands", error=describe(exc))
            continue
        replaced = sorted(n for n, c in before.items() if cli.commands.get(n) is not c)
        for name in replaced:
            cli.commands[name] = before[name]
            loaded.fail(plugin, M_COMMAND_TAKEN, command=name, plugin=plugin)


def init_app(app: Flask, registry: TypeRegistry) -> None:
    register_routes(app, registry)
    register_commands(app, registry)
