"""The doors a format needs: a plugin's own pages (``portal_register_routes``) and its own
``flask`` commands (``portal_register_commands``), both given a :class:`portal.facade.Portal`.

Pages: every blueprint a plugin returns is mounted inside a blueprint the core makes for that
plugin, at ``/x/<plugin name>`` and under the endpoint name ``x_<plugin name>.<blueprint name>``,
so its URLs can neither leave that prefix nor clash with the core's or another plugin's; a
blueprint that would add anything to the whole app (``before_app_request``, ``app_errorhandler``,
a template filter, ``bp.cli`` commands) is refused whole (:func:`_app_wide`). Every
route there requires a signed-in person (the core checks it before the plugin's view runs); the
portal's CSRF protection, layout (``base.html``), error pages and security headers apply as to
any page.

Commands: the hook receives the ``flask`` command group (``app.cli``); a plugin that would
replace a command already there, or change a group already there, is refused and reported, and
the command or group stays as it was.

A hook that raises, or returns something else than blueprints, is reported with the plugin's
name like any other plugin failure (log, ``flask plugins list``, ``/admin/plugins``); the
portal starts without that plugin's pages or commands.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache, wraps
from typing import Any

import click
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
M_COMMAND_GROUP = N_("plugin '%(plugin)s' changed the portal's command group '%(group)s' (%(commands)s); "
                     "the group was put back as it was")
M_ROUTES_APP_WIDE = N_("the pages of plugin '%(plugin)s' would run its code on every page of the portal or "
                       "add commands (%(what)s); its pages were not added")
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
            if what := _app_wide(app, outer):
                loaded.fail(plugin, M_ROUTES_APP_WIDE, plugin=plugin, what=", ".join(what))
                continue
            app.register_blueprint(outer)
        except Exception as exc:  # a rule Werkzeug refuses …
            loaded.fail(plugin, M_ROUTES_FAILED, exc, plugin=plugin, error=describe(exc))
            continue
        for endpoint, view in list(app.view_functions.items()):
            if endpoint.startswith(outer.name + "."):
                app.view_functions[endpoint] = _running(registry, plugin, endpoint, view)


#: What a blueprint may add to the whole app (Flask's ``before_app_request``,
#: ``app_errorhandler``, ``app_template_filter`` …), by the app's attribute holding it.
_APP_WIDE = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs", "template_context_processors",
             "url_value_preprocessors", "url_default_functions", "error_handler_spec")


def _app_wide(app: Flask, outer: Blueprint) -> list[str]:
    """What registering ``outer`` would add beyond the plugin's own pages: it is registered first
    on an empty app of its own, and that app compared with one it was not registered on. A
    blueprint's ``before_app_request`` (and the like) would run the plugin's code on every page of
    the portal — the login page too — outside its boundary, and a blueprint's ``cli`` would add a
    ``flask`` command past ``portal_register_commands``; its own ``before_request``, error handlers
    and templates stay inside its pages. The empty app has the app's configuration and extensions
    (a ``record`` function reading them works there too); a blueprint's ``record`` functions thus
    run twice. A guard against a plugin's slips, not a sandbox: Python code can reach anything."""
    probe = Flask("yanxiu.plugin.probe")
    probe.config.update(app.config)  # what a blueprint's ``record`` may read of the app
    probe.extensions.update(app.extensions)
    probe.register_blueprint(outer)
    before, after = _bare_parts(), _app_wide_parts(probe)
    return [name for name in after if after[name] != before[name]]


@cache
def _bare_parts() -> dict[str, Any]:
    """:func:`_app_wide_parts` of an app no blueprint was registered on (Flask's own defaults)."""
    return _app_wide_parts(Flask("yanxiu.plugin.probe"))


def _app_wide_parts(app: Flask) -> dict[str, Any]:
    found: dict[str, Any] = {name: getattr(app, name).get(None) for name in _APP_WIDE}
    for name in ("globals", "filters", "tests"):
        found[f"template {name}"] = set(getattr(app.jinja_env, name))
    found["commands"] = set(app.cli.commands)
    return found


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

            return render_error(500, tr(msg("plugin.page_failed")))  # the plugin's name is a code: logged above

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


def _groups(group: click.Group, path: str = "") -> dict[str, tuple[click.Group, dict[str, click.Command]]]:
    """Every command group under ``group`` (itself included, as ""), by its path ("credits"),
    with its commands as they are."""
    out = {path: (group, dict(group.commands))}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out.update(_groups(command, f"{path} {name}".strip()))
    return out


def register_commands(app: Flask, registry: TypeRegistry) -> None:
    """Each plugin's ``portal_register_commands``. It may add commands of its own to ``flask``
    (and to another plugin's group); one that replaces or removes a command there, or changes a
    group of the portal's (``flask credits export`` swapped, ``flask user set-password``
    replaced), is reported naming it and every group is put back as it was."""
    loaded = registry.plugins
    cli = app.cli
    portals = set(_groups(cli)) - {""}  # the portal's own groups, before any plugin's
    for impl in in_registration_order(loaded, "portal_register_commands"):
        plugin = impl.plugin_name
        before = {path: kept for path, kept in _groups(cli).items() if path in portals or path == ""}
        kwargs = {"cli": cli, "portal": facade(app, plugin)}
        try:
            call_one(loaded, impl, "portal_register_commands", kwargs)
        except Exception as exc:
            _put_back(before)
            loaded.fail(plugin, M_HOOK_RAISED, exc, hook="portal_register_commands", error=describe(exc))
            continue
        for path, (group, commands) in before.items():
            changed = sorted(n for n in {*commands, *group.commands} if group.commands.get(n) is not commands.get(n))
            if path == "":  # the top level: a command of the plugin's own is welcome
                for name in (n for n in changed if n in commands):
                    cli.commands[name] = commands[name]
                    loaded.fail(plugin, M_COMMAND_TAKEN, command=name, plugin=plugin)
            elif changed:
                group.commands.clear()
                group.commands.update(commands)
                loaded.fail(plugin, M_COMMAND_GROUP, plugin=plugin, group=path, commands=", ".join(changed))


def _put_back(groups: dict[str, tuple[click.Group, dict[str, click.Command]]]) -> None:
    for group, commands in groups.values():
        group.commands.clear()
        group.commands.update(commands)


def init_app(app: Flask, registry: TypeRegistry) -> None:
    register_routes(app, registry)
    register_commands(app, registry)
