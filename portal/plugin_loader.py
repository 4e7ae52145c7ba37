"""Where a plugin is loaded: entry points → one pluggy PluginManager per app.

Every plugin, built-in or third-party, is found through the entry-point group
``portal.plugins``. They are registered in a fixed order that never depends on what an entry
point is called:

1. the seeds' default assessment policy (``yanxiu.default_policy``);
2. the built-in plugins (entry points of the portal's own distribution whose module is under
   ``plugins.``), by entry-point name;
3. third-party plugins, by distribution name, then entry-point name;
4. ``EXTRA_PLUGINS`` objects (tests, embedding apps), in the order given.

That order is the *registration order*: the registry gives an activity type key to the first
plugin in it that provides the key (built-ins, then third parties named after one of their
types — entry-point name = key —, then the rest: :meth:`portal.registry.TypeRegistry.collect`),
and :func:`call_each` calls implementations in it. A plugin
that fails to import, implements a hook the contract does not have (a misspelling such as
``portal_template_dir``), or is refused while its types are collected is unregistered: it
contributes nothing, and is reported (log, ``flask plugins list``, the admin page) with its
name; the portal keeps running without it. A hook that raises while the portal serves a
request is reported the same way, and the request goes on without that plugin's answer.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from time import perf_counter
from types import TracebackType
from typing import Any

import pluggy
from markupsafe import Markup

from portal import assessment, hookspecs
from portal.config import DefaultConfig

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "portal.plugins"
PORTAL_DISTRIBUTION = "yanxiu"  # the portal's own distribution: its ``plugins.*`` entry points are built-ins
BUILTIN_PACKAGE = "plugins"
DEFAULT_POLICY = "yanxiu.default_policy"
MAX_FAILURES = 200  # failures kept for the pages; later ones (a hook failing on every request) are only logged
BUDGET_MS: float = DefaultConfig.PLUGIN_CALL_BUDGET_MS  # without an app (docs/plugins.md §9)
# A first call may take this many budgets: it pays once for what later calls reuse (imports,
# compiled templates, caches), and in a fresh worker under load, for the other threads' own first work
FIRST_CALL_FACTOR = 4
SLOW = "%(hook)s took %(ms)s ms, over the budget of %(budget)s ms (PLUGIN_CALL_BUDGET_MS)"  # the log's, English


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated where it is shown
    (:meth:`PluginFailure.text`)."""
    return message


# Every failure message, English msgid with named placeholders (docs/plugins.md lists them).
M_IMPORT = N_("failed to load from %(target)s: %(error)s")
M_REGISTER = N_("failed to register: %(error)s")
M_SAME_NAME = N_(
    "entry point name '%(plugin)s' of distribution '%(dist)s' is already taken by plugin '%(plugin)s' "
    "of distribution '%(other)s', which keeps it; this one was not loaded"
)
M_UNKNOWN_HOOK = N_(
    "unknown hook '%(hook)s' in plugin '%(plugin)s' (did you mean '%(suggestion)s'?); the plugin was not loaded"
)
M_UNKNOWN_HOOK_NO_MATCH = N_(
    "unknown hook '%(hook)s' in plugin '%(plugin)s' (the contract has no hook of a similar name); "
    "the plugin was not loaded"
)
M_WRAPPER = N_(
    "hook %(hook)s of plugin '%(plugin)s' is a wrapper, which the portal does not support; the plugin was not loaded"
)
M_HOOK_RAISED = N_("hook %(hook)s raised %(error)s")
M_TYPES_RAISED = N_("hook portal_activity_types raised %(error)s; the plugin was not loaded")
M_NOT_A_TYPE = N_("portal_activity_types returned %(value)s, not an ActivityType; the plugin was not loaded")
M_BAD_KEY = N_("activity type key %(key)s must be an ASCII identifier; the plugin was not loaded")
M_DUPLICATE = N_(
    "duplicate activity type key '%(key)s' in plugin '%(plugin)s': already provided by plugin '%(first)s', "
    "which keeps it; '%(plugin)s' was not loaded"
)
M_SAME_TYPE_NAME = N_(
    "activity type '%(key)s' of plugin '%(plugin)s' is named '%(name)s', as type '%(other)s' of plugin '%(first)s' "
    "is; two types may not share a name; the plugin was not loaded"
)
M_SHARED_MSGID = N_(
    "the catalogue of plugin '%(plugin)s' translates %(n)s msgid(s) that plugin '%(other)s' translates otherwise "
    "(first: %(msgid)s); the words of '%(other)s' are kept"
)
M_UNTRANSLATED = N_(
    "the catalogue of plugin '%(plugin)s' leaves %(n)s msgid(s) without Chinese (first: %(msgid)s); "
    "Chinese pages show them in English"
)
M_NOT_COMPILED = N_(
    "the compiled catalogue (.mo) of plugin '%(plugin)s' lacks %(n)s Chinese translation(s) of its .po "
    "(first: %(msgid)s; run pybabel compile); Chinese pages show them in English"
)
M_BAD_WORKFLOW = N_("workflow of type '%(key)s' is invalid: %(error)s; the plugin was not loaded")
M_WAITS_GOING_BACK = N_(
    "plugin '%(plugin)s': step '%(trigger)s' of type '%(key)s' does not move an activity towards its credits "
    "(it cancels, returns or goes back), so it may not wait for the activity's end (waits_for_end, "
    "not_before_end): nobody could take it before the end; the plugin was not loaded"
)
M_DECLARATION = N_(
    "%(what)s of activity type '%(key)s' is invalid: %(error)s; the plugin was not loaded"
)
M_PHASE = N_(
    "state '%(state)s' of type '%(key)s' has phase '%(phase)s', but type '%(other)s' already uses it with "
    "phase '%(other_phase)s'; the plugin was not loaded"
)
M_STATE_LABEL = N_(
    "state '%(state)s' of type '%(key)s' is labelled '%(label)s', as state '%(other_state)s' of type '%(other)s' is; "
    "a label names one state; the plugin was not loaded"
)
M_ASSESS_RAISED = N_("hook portal_assess_year raised %(error)s; the next policy decided instead")
M_ASSESS_BAD = N_("portal_assess_year returned %(value)s, not an Assessment; the next policy decided instead")
M_FRAGMENT = N_("page_fragment of activity type '%(key)s' raised %(error)s; the page showed a notice instead")
M_DETAILS = N_("render_details of activity type '%(key)s' raised %(error)s; the page showed a notice instead")
M_FORM_BUILT = N_("form of activity type '%(key)s' raised %(error)s when it was built; "
                  "the page showed a notice in place of the type's fields")
M_FORM_DRAWN = N_("field '%(field)s' of the form of activity type '%(key)s' raised %(error)s while it was drawn; "
                  "the page showed a notice in place of the type's fields")
M_FORM_UNDRAWN = N_("field '%(field)s' of the form of activity type '%(key)s' raised %(error)s while it was drawn; "
                    "the step was refused and nothing changed")
M_GUARD_RAISED = N_("guard %(guard)s of trigger '%(trigger)s' of type '%(key)s' raised %(error)s; "
                    "the step was refused and nothing changed")
M_GUARD_PLAIN = N_("guard %(guard)s of trigger '%(trigger)s' of type '%(key)s' answered the plain text %(text)s, "
                   "with no Chinese, on a Chinese page, which showed it as it is; answer Text(\"中文\", \"English\") "
                   "or a string of the plugin's own catalogue")


@dataclass
class PluginInfo:
    name: str
    distribution: str = ""
    version: str = ""
    module: str = ""

    @property
    def builtin(self) -> bool:
        """Shipped with the portal, not installed on its own (see :func:`is_builtin`)."""
        return _builtin(self.distribution, self.module)


@dataclass
class PluginFailure:
    """One failure of one plugin. ``error`` is the English text (log, CLI, API);
    :meth:`text` is the same in the viewer's language."""

    plugin: str
    error: str
    message: str = ""  # the msgid ``error`` was made from ("" when the text is not translatable)
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        if not self.message:
            return self.error
        from flask_babel import gettext

        try:
            return gettext(self.message, **self.params)
        except (KeyError, ValueError, TypeError):  # a translation whose placeholders were mangled
            return self.error


class PluginExited(Exception):
    """A plugin's code raised a BaseException that is not an Exception (``sys.exit()``'s
    SystemExit, GeneratorExit, a class of its own), carried as an ordinary exception: every
    place that reports a plugin's failure and refuses or skips its part (``except Exception``)
    then treats it like any other, instead of it ending the request's thread or the worker with
    a write half-done. KeyboardInterrupt is never carried: an operator's Ctrl-C stops a command."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


@dataclass
class SlowCall:
    """A plugin's code that took longer than the budget: how often, and the worst time."""

    plugin: str
    hook: str
    count: int = 0
    worst_ms: int = 0


class _PluginCode(AbstractContextManager[None]):
    """The one boundary around a call into a plugin's code (:meth:`LoadedPlugins.running`)."""

    def __init__(self, loaded: LoadedPlugins, plugin: str, hook: str) -> None:
        self.loaded, self.plugin, self.hook = loaded, plugin, hook
        self.started = 0.0
        self.first = False

    def __enter__(self) -> None:
        # a call started before any call of the same code had ended in this process: a first call
        self.first = (self.plugin, self.hook) not in self.loaded.warm
        self.started = perf_counter()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.loaded.timed(self.plugin, self.hook, (perf_counter() - self.started) * 1000, first=self.first)
        if self.first:
            self.loaded.warm.add((self.plugin, self.hook))
        if exc is not None and not isinstance(exc, (Exception, KeyboardInterrupt)):
            raise PluginExited(exc) from exc


@dataclass
class LoadedPlugins:
    manager: pluggy.PluginManager
    info: dict[str, PluginInfo] = field(default_factory=dict)  # registered plugins, in registration order
    failures: list[PluginFailure] = field(default_factory=list)
    budget_ms: float = BUDGET_MS
    slow: dict[tuple[str, str], SlowCall] = field(default_factory=dict)
    warm: set[tuple[str, str]] = field(default_factory=set)  # (plugin, hook) that ended a call in this process

    def running(self, plugin: str, hook: str) -> _PluginCode:
        """Around every call of the core into ``plugin``'s code (``hook``: the hook, method or
        guard): a BaseException it raises becomes :class:`PluginExited`, and a call over the
        budget is logged and kept in :attr:`slow`. Python cannot stop a thread, so a slow call
        is not cut short: this only says which plugin holds the request (and, in a step, the
        write transaction). A first call of the same code in this process (those started before
        one ended) has ``FIRST_CALL_FACTOR`` budgets: a restarted worker under load would
        otherwise report its first pages' plugins as slow every time."""
        return _PluginCode(self, plugin, hook)

    def timed(self, plugin: str, hook: str, ms: float, *, first: bool = False) -> None:
        if ms <= self.budget_ms * (FIRST_CALL_FACTOR if first else 1):
            return
        log.warning("plugin %s: %s", plugin, SLOW % {"hook": hook, "ms": round(ms), "budget": round(self.budget_ms)})
        known = self.slow.get((plugin, hook))
        if known is None and len(self.slow) >= MAX_FAILURES:
            return
        known = self.slow.setdefault((plugin, hook), SlowCall(plugin, hook))
        known.count += 1
        known.worst_ms = max(known.worst_ms, round(ms))

    def fail(self, plugin: str, message: str, exc: BaseException | None = None, /, **params: Any) -> PluginFailure:
        """Report a failure of ``plugin``: logged as ``plugin <name>: <error>`` (with the
        traceback of ``exc`` the first time) and kept for the pages. ``message`` is an English
        msgid with ``%(name)s`` placeholders filled from ``params`` (or a plain text without them)."""
        error = message % params if params else message
        failure = PluginFailure(plugin, error, message if params else "", dict(params))
        known = any(f.plugin == plugin and f.error == error for f in self.failures)
        log.error("plugin %s: %s", plugin, error, exc_info=None if known else exc)
        if not known and len(self.failures) < MAX_FAILURES:
            self.failures.append(failure)
        return failure

    def refuse(self, plugin: str, message: str, exc: BaseException | None = None, /, **params: Any) -> None:
        """Report ``plugin`` as failed and unregister it, so it contributes nothing."""
        self.fail(plugin, message, exc, **params)
        self.unregister(plugin)

    def unregister(self, plugin: str) -> None:
        if self.manager.has_plugin(plugin):
            self.manager.unregister(name=plugin)
        self.info.pop(plugin, None)

    def rank(self) -> dict[str, int]:
        """Plugin name → position in the registration order."""
        return {name: i for i, name in enumerate(self.info)}


def plain(value: object) -> str:
    """A plugin's text as the core keeps it, made inside :meth:`LoadedPlugins.running`: ``str()``
    of it, copied into a ``str`` of no subclass. A page, a message or a refusal that shows it
    later runs none of the plugin's code (a ``Text``-like ``__str__`` or ``__html__`` that raises
    or calls ``sys.exit()`` there would take the page or the step down, outside the boundary)."""
    return "".join([str(value)])  # join copies a subclass's characters without calling its methods


def markup(value: object) -> Markup:
    """A plugin's HTML (``__html__``, or a text taken as already safe) as a core
    :class:`~markupsafe.Markup`, made inside :meth:`LoadedPlugins.running` as :func:`plain` is."""
    return Markup(plain(value.__html__() if hasattr(value, "__html__") else value))


def describe(exc: BaseException) -> str:
    """``ExceptionType: message``, as failures show an exception: on one line, at most 300
    characters (a database error adds its SQL and a link; the log has the whole of it)."""
    if isinstance(exc, PluginExited):
        exc = exc.original
    text = " ".join(str(exc).split())
    if len(text) > 300:
        text = text[:299] + "…"
    return f"{type(exc).__name__}: {text}"


class _DefaultPolicy:
    """The seeds' assessment rules, registered first so any other plugin overrides them."""

    @hookspecs.hookimpl
    def portal_assess_year(self, facts):
        return assessment.seed_policy(facts)


def _distribution(ep: EntryPoint) -> tuple[str, str]:
    dist = ep.dist
    if dist is None:
        return "", ""
    folder = getattr(dist, "_path", None)  # the .dist-info folder: its name holds the version
    if folder is None:
        return dist.metadata["Name"] or "", dist.version or ""
    # Read once per process and folder: parsing the metadata file was most of the loader's time,
    # and every app of a process (each test's) loads the plugins again.
    known = _INSTALLED.get(str(folder))
    if known is None:
        known = _INSTALLED[str(folder)] = (dist.metadata["Name"] or "", dist.version or "")
    return known


_INSTALLED: dict[str, tuple[str, str]] = {}


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def is_builtin(ep: EntryPoint) -> bool:
    """An entry point of the portal's own distribution naming a module under ``plugins.``."""
    return _builtin(_distribution(ep)[0], ep.module)


def _builtin(distribution: str, module: str) -> bool:
    return _canonical(distribution) == PORTAL_DISTRIBUTION and module.startswith(BUILTIN_PACKAGE + ".")


def registration_order(eps) -> list[EntryPoint]:
    """Built-ins by entry-point name, then third parties by distribution name, then entry-point
    name: a plugin's place never depends on how its entry point sorts against a built-in's."""

    def key(ep: EntryPoint) -> tuple:
        if is_builtin(ep):
            return (0, "", ep.name, ep.value)
        return (1, _canonical(_distribution(ep)[0]), ep.name, ep.value)

    return sorted(eps, key=key)


def _hook_problems(pm: pluggy.PluginManager, plugin: object, name: str) -> list[tuple[str, dict[str, Any]]]:
    """What is wrong with the hooks of a plugin just registered: hooks the contract does not
    have (pluggy's own check, :meth:`PluginManager.check_pending`) and wrappers."""
    problems: list[tuple[str, dict[str, Any]]] = []
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        # Every plugin registered before passed this check: the unknown hooks are the newcomer's.
        for caller in pm.get_hookcallers(plugin) or []:
            if caller.has_spec():
                continue
            if not any(i.plugin is plugin and not i.optionalhook for i in caller.get_hookimpls()):
                continue
            close = _nearest_hook(caller.name)
            if close:
                problems.append((M_UNKNOWN_HOOK, {"hook": caller.name, "plugin": name, "suggestion": close}))
            else:
                problems.append((M_UNKNOWN_HOOK_NO_MATCH, {"hook": caller.name, "plugin": name}))
        if not problems:  # not the newcomer's after all: report pluggy's own words
            problems.append((M_REGISTER, {"error": describe(exc)}))
    for caller in pm.get_hookcallers(plugin) or []:
        if any(i.plugin is plugin and (i.hookwrapper or i.wrapper) for i in caller.get_hookimpls()):
            problems.append((M_WRAPPER, {"hook": caller.name, "plugin": name}))
    return problems


def _register(loaded: LoadedPlugins, name: str, plugin: object, info: PluginInfo, failed: str,
              target: str = "") -> bool:
    """Register ``plugin`` as ``name`` and check its hooks; a plugin with a problem is
    reported and unregistered. ``failed`` is the message for a refusal by pluggy itself
    (e.g. an implementation asking for an argument its hook does not have)."""
    pm = loaded.manager
    try:
        pm.register(plugin, name=name)
    except Exception as exc:
        loaded.fail(name, failed, exc, target=target, error=describe(exc))
        if pm.get_plugin(name) is plugin:  # an older pluggy keeps the hooks it added before the refused one
            pm.unregister(plugin=plugin, name=name)
        return False
    problems = _hook_problems(pm, plugin, name)
    if problems:
        pm.unregister(plugin=plugin, name=name)
        for message, params in problems:
            loaded.fail(name, message, **params)
        return False
    loaded.info[name] = info
    return True


def load_plugins(
    allowlist: tuple[str, ...] | list[str] | None = None,
    extra: list[tuple[str, Any]] | None = None,
    use_entry_points: bool = True,
    budget_ms: float = BUDGET_MS,
) -> LoadedPlugins:
    """Build a plugin manager: the default policy, then entry points (built-ins first), then
    ``extra`` objects — the registration order described in the module's docstring.

    :param allowlist: entry-point names to load; None loads every installed plugin.
    :param extra: (name, plugin object) pairs registered directly (tests, embedding apps).
    :param budget_ms: how long a call into a plugin's code may take before it is reported as slow.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    loaded = LoadedPlugins(manager=pm, budget_ms=budget_ms)
    pm.register(_DefaultPolicy(), name=DEFAULT_POLICY)
    loaded.info[DEFAULT_POLICY] = PluginInfo(DEFAULT_POLICY, "yanxiu", "", __name__)
    if use_entry_points:
        seen: dict[str, str] = {}  # entry-point name → its distribution
        for ep in registration_order(entry_points(group=ENTRY_POINT_GROUP)):
            if allowlist is not None and ep.name not in allowlist:
                continue
            dist, version = _distribution(ep)
            if ep.name in seen:
                if _canonical(seen[ep.name]) != _canonical(dist):
                    loaded.fail(ep.name, M_SAME_NAME, plugin=ep.name, dist=dist, other=seen[ep.name])
                continue
            seen[ep.name] = dist
            try:
                with loaded.running(ep.name, "import"):
                    plugin = ep.load()
            except Exception as exc:  # a broken plugin must not take the portal down
                loaded.fail(ep.name, M_IMPORT, exc, target=ep.value, error=describe(exc))
                continue
            _register(loaded, ep.name, plugin, PluginInfo(ep.name, dist, version, ep.value), M_IMPORT, ep.value)
    for name, plugin in extra or []:
        module = getattr(plugin, "__name__", type(plugin).__name__)
        _register(loaded, name, plugin, PluginInfo(name, "", "", module), M_REGISTER)
    return loaded


def _nearest_hook(name: str) -> str | None:
    """The contract's hook nearest to ``name``, compared without the shared ``portal_`` prefix
    (which alone would make any two names look alike), or None."""
    prefix = hookspecs.PROJECT_NAME + "_"
    hooks = {h.removeprefix(prefix): h for h in hookspecs.all_hook_names()}
    close = difflib.get_close_matches(name.removeprefix(prefix), list(hooks), n=1, cutoff=0.6)
    return hooks[close[0]] if close else None


def in_registration_order(loaded: LoadedPlugins, hook_name: str) -> list[pluggy.HookImpl]:
    """The implementations of a hook in registration order (``tryfirst`` ones first,
    ``trylast`` ones last)."""
    rank = loaded.rank()
    impls = getattr(loaded.manager.hook, hook_name).get_hookimpls()
    return sorted(impls, key=lambda i: (0 if i.tryfirst else 2 if i.trylast else 1, rank.get(i.plugin_name, len(rank))))


def call_one(loaded: LoadedPlugins, impl: pluggy.HookImpl, hook: str, kwargs: dict[str, Any]) -> Any:
    """Call one implementation of ``hook`` with the arguments it asks for, inside
    :meth:`LoadedPlugins.running`."""
    with loaded.running(impl.plugin_name, hook):
        return impl.function(**{k: kwargs[k] for k in impl.argnames})


def call_each(loaded: LoadedPlugins, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call every implementation of a hook on its own, in registration order, so one that
    raises is reported with its plugin's name and the others still answer. Returns
    (plugin name, result) pairs."""
    out: list[tuple[str, Any]] = []
    for impl in in_registration_order(loaded, hook_name):
        try:
            result = call_one(loaded, impl, hook_name, kwargs)
        except Exception as exc:
            loaded.fail(impl.plugin_name, M_HOOK_RAISED, exc, hook=hook_name, error=describe(exc))
            recover_session()
            continue
        if result is not None:
            out.append((impl.plugin_name, result))
    return out


def assess_year(loaded: LoadedPlugins, facts: assessment.YearFacts) -> assessment.Assessment:
    """``portal_assess_year`` as pluggy would call it (``firstresult``: the last registered
    plugin is asked first, the default policy last), except that an implementation that raises
    or answers something other than an :class:`~portal.assessment.Assessment` is reported with
    its plugin's name and the next one decides (ultimately the seeds' default policy)."""
    return year_assessor(loaded)(facts)


def year_assessor(loaded: LoadedPlugins) -> Callable[[assessment.YearFacts], assessment.Assessment]:
    """:func:`assess_year` for many teachers (a school summary's hundred): the hook's
    implementations looked up once; every teacher is still asked of them in the same order,
    each through :func:`call_one` (its own boundary), a failure reported as there."""
    impls = list(reversed(loaded.manager.hook.portal_assess_year.get_hookimpls()))  # pluggy's call order
    # the portal's own policy is core code, not a plugin's: asked without the plugin boundary
    # (its timing and guard were a third of a summary's assessing, once per teacher)
    own = [isinstance(impl.plugin, _DefaultPolicy) for impl in impls]

    def assess(facts: assessment.YearFacts) -> assessment.Assessment:
        for impl, core in zip(impls, own, strict=True):
            try:
                result = (assessment.seed_policy(facts) if core
                          else call_one(loaded, impl, "portal_assess_year", {"facts": facts}))
            except Exception as exc:
                loaded.fail(impl.plugin_name, M_ASSESS_RAISED, exc, error=describe(exc))
                recover_session()
                continue
            if result is None:
                continue
            if (isinstance(result, assessment.Assessment) and result.status in assessment.STATUSES
                    and type(result.reason) is str and len(result.reason) <= assessment.REASON_MOST):
                return result
            loaded.fail(impl.plugin_name, M_ASSESS_BAD, value=repr(result)[:200])
        # Only reached if the default policy itself was unregistered or failed: refuse to guess.
        raise RuntimeError("no assessment policy answered (see the plugin failures)")

    return assess


def recover_session() -> None:
    """After a plugin's code failed mid-request: if it left the database transaction unusable
    (PostgreSQL refuses every statement after an error until a rollback), roll it back so the
    rest of the request works. A request's own uncommitted writes never reach here: hooks are
    called after commits or while reading."""
    from flask import has_app_context

    if not has_app_context():
        return
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from portal.extensions import db

    try:
        db.session.execute(select(1))
    except SQLAlchemyError:
        db.session.rollback()
