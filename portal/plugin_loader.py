"""Where a plugin is loaded: entry points → one pluggy PluginManager per app.

Every plugin, built-in or third-party, is found through the entry-point group
``portal.plugins``. A plugin that fails to import, or whose hook raises while the types are
collected, is left out and reported (log, ``flask plugins list``, the admin page) with its
name; the portal keeps running without it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from portal import assessment, hookspecs

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "portal.plugins"


@dataclass
class PluginInfo:
    name: str
    distribution: str = ""
    version: str = ""
    module: str = ""


@dataclass
class PluginFailure:
    plugin: str
    error: str


@dataclass
class LoadedPlugins:
    manager: pluggy.PluginManager
    info: dict[str, PluginInfo] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)

    def fail(self, plugin: str, error: str) -> None:
        log.error("plugin %s: %s", plugin, error)
        self.failures.append(PluginFailure(plugin, error))


class _DefaultPolicy:
    """The seeds' assessment rules, registered first so any other plugin overrides them."""

    @hookspecs.hookimpl
    def portal_assess_year(self, facts):
        return assessment.seed_policy(facts)


def load_plugins(
    allowlist: tuple[str, ...] | list[str] | None = None,
    extra: list[tuple[str, Any]] | None = None,
    use_entry_points: bool = True,
) -> LoadedPlugins:
    """Build a plugin manager: the default policy, then entry points, then ``extra`` objects.

    :param allowlist: entry-point names to load; None loads every installed plugin.
    :param extra: (name, plugin object) pairs registered directly (tests, embedding apps).
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    loaded = LoadedPlugins(manager=pm)
    pm.register(_DefaultPolicy(), name="yanxiu.default_policy")
    loaded.info["yanxiu.default_policy"] = PluginInfo("yanxiu.default_policy", "yanxiu", "", __name__)
    if use_entry_points:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if allowlist is not None and ep.name not in allowlist:
                continue
            if pm.has_plugin(ep.name) or ep.name in {f.plugin for f in loaded.failures}:
                continue
            try:
                plugin = ep.load()
                pm.register(plugin, name=ep.name)
            except Exception as exc:  # a broken plugin must not take the portal down
                loaded.fail(ep.name, f"failed to load from {ep.value}: {type(exc).__name__}: {exc}")
                continue
            dist = ep.dist
            loaded.info[ep.name] = PluginInfo(
                ep.name, dist.metadata["Name"] if dist else "", dist.version if dist else "", ep.value
            )
    for name, plugin in extra or []:
        try:
            pm.register(plugin, name=name)
        except Exception as exc:
            loaded.fail(name, f"failed to register: {type(exc).__name__}: {exc}")
            continue
        loaded.info[name] = PluginInfo(name, "", "", getattr(plugin, "__name__", type(plugin).__name__))
    return loaded


def call_each(loaded: LoadedPlugins, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call every implementation of a hook on its own, so one that raises is reported with
    its plugin's name and the others still answer. Returns (plugin name, result) pairs."""
    caller = getattr(loaded.manager.hook, hook_name)
    out: list[tuple[str, Any]] = []
    for impl in caller.get_hookimpls():  # registration order
        try:
            args = {k: kwargs[k] for k in impl.argnames}
            result = impl.function(**args)
        except Exception as exc:
            loaded.fail(impl.plugin_name, f"hook {hook_name} raised {type(exc).__name__}: {exc}")
            continue
        if result is not None:
            out.append((impl.plugin_name, result))
    return out
