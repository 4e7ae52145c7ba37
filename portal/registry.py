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
from workflows.definition import CORE, Phase, State, WorkflowDefinition

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

    def definition(self, key: str | None) -> WorkflowDefinition:
        """The workflow of type ``key``; the core's for a type that is not installed."""
        reg = self.types.get(key) if key else None
        return reg.engine.definition if reg else CORE

    def phase(self, key: str | None, state: str) -> Phase:
        """What ``state`` of an activity of type ``key`` means to the core."""
        definition = self.definition(key)
        if any(s.name == state for s in definition.states):
            return definition.phase(state)
        return CORE.phase(state)

    def states_in(self, *phases: Phase) -> list[str]:
        """Every state name, of any installed type, in one of ``phases`` (for SQL filters that
        span types, e.g. the absences that count)."""
        names: dict[str, None] = {s: None for s in CORE.states_in(*phases)}
        for reg in self.types.values():
            names.update({s: None for s in reg.engine.definition.states_in(*phases)})
        return list(names)

    def all_states(self) -> list[State]:
        """Every state of every installed type once, in phase order (the activity filter)."""
        seen: dict[str, State] = {s.name: s for s in CORE.ordered_states()}
        for reg in self.types.values():
            for st in reg.engine.definition.ordered_states():
                seen.setdefault(st.name, st)
        order = list(Phase)
        return sorted(seen.values(), key=lambda st: order.index(st.phase))

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
        for st in definition.states:  # a state name means one phase across the portal
            other = next((r for r in self.types.values() if r.engine.definition.phase(st.name) != st.phase
                          and any(x.name == st.name for x in r.engine.definition.states)), None)
            if other is not None:
                self.plugins.fail(
                    plugin_name,
                    f"state {st.name!r} of type {key!r} has phase {st.phase.value!r}, but type "
                    f"{other.type.key!r} already uses it with phase {other.engine.definition.phase(st.name).value!r}",
                )
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
