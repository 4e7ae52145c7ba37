"""The activity types of one app, each with its workflow engine built once.

The portal reaches types only through this registry; it never imports ``plugins/``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import Flask, current_app

from portal.activity_types import ActivityType
from portal.guards import core_guards
from portal.plugin_loader import LoadedPlugins, call_each, load_plugins
from workflows import WorkflowEngine, build_definition

log = logging.getLogger(__name__)


@dataclass
class RegisteredType:
    type: ActivityType
    plugin: str
    engine: WorkflowEngine


@dataclass
class TypeRegistry:
    plugins: LoadedPlugins
    types: dict[str, RegisteredType] = field(default_factory=dict)

    @property
    def hook(self):
        return self.plugins.manager.hook

    def get(self, key: str) -> RegisteredType | None:
        return self.types.get(key)

    def keys(self) -> list[str]:
        return list(self.types)

    def collect(self) -> None:
        for plugin_name, result in call_each(self.plugins, "portal_activity_types"):
            for t in result if isinstance(result, (list, tuple)) else [result]:
                self._add(plugin_name, t)

    def _add(self, plugin_name: str, t: object) -> None:
        if not isinstance(t, ActivityType):
            self.plugins.fail(plugin_name, f"portal_activity_types returned {t!r}, not an ActivityType")
            return
        key = getattr(t, "key", None)
        if not isinstance(key, str) or not key.isidentifier() or not key.isascii():
            self.plugins.fail(plugin_name, f"activity type key {key!r} must be an ASCII identifier")
            return
        if key in self.types:
            first = self.types[key].plugin
            self.plugins.fail(
                plugin_name, f"duplicate activity type key {key!r}: already provided by plugin {first!r}"
            )
            return
        try:
            definition = build_definition(t.workflow(), common_guards=core_guards(t))
            engine = WorkflowEngine(definition)
        except Exception as exc:
            self.plugins.fail(plugin_name, f"workflow of type {key!r} is invalid: {type(exc).__name__}: {exc}")
            return
        self.types[key] = RegisteredType(t, plugin_name, engine)


def build_registry(app: Flask, extra_plugins=None) -> TypeRegistry:
    loaded = load_plugins(
        allowlist=app.config.get("PLUGINS_ALLOWLIST"),
        extra=list(extra_plugins or []) + list(app.config.get("EXTRA_PLUGINS", [])),
        use_entry_points=app.config.get("PLUGINS_LOAD_ENTRYPOINTS", True),
    )
    registry = TypeRegistry(loaded)
    registry.collect()
    return registry


def registry() -> TypeRegistry:
    """The current app's registry."""
    return current_app.extensions["yanxiu.registry"]
