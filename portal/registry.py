"""The activity types of one app, each with its workflow engine built once.

The portal reaches types only through this registry; it never imports ``plugins/``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from functools import wraps

from flask import Flask, current_app

from portal.activity_types import COMMON_EVIDENCE_KINDS, ActivityType, Text
from portal.guards import core_guards
from portal.messages import in_lang, msg, norm_lang
from portal.plugin_loader import (
    M_BAD_KEY,
    M_BAD_WORKFLOW,
    M_DECLARATION,
    M_DUPLICATE,
    M_GUARD_PLAIN,
    M_NOT_A_TYPE,
    M_PHASE,
    M_SAME_TYPE_NAME,
    M_STATE_LABEL,
    M_TYPES_RAISED,
    M_WAITS_GOING_BACK,
    LoadedPlugins,
    call_one,
    describe,
    load_plugins,
    plain,
)
from portal.textcount import is_cjk
from portal.type_declarations import TypeDeclarations, read_declarations_once, workflow_labels_fault
from workflows import Guard, TransitionContext, WorkflowEngine, build_definition
from workflows.definition import CORE, HANDED_OVER, HISTORY_ONLY, Phase, State, WorkflowDefinition
from workflows.engine import what_is_missing
from workflows.extension import WaitsGoingBack, same_text

log = logging.getLogger(__name__)


@dataclass
class RegisteredType:
    """An installed type: the plugin's object (asked, inside the plugin's boundary, for what
    depends on an activity: guards, hours, details…), its plugin, its workflow engine, and
    ``decl``, what it declared (name, roles, evidence kinds, settings), read once at load: the
    core reads those there, never from the type."""

    type: ActivityType
    plugin: str
    engine: WorkflowEngine
    decl: TypeDeclarations

    @property
    def label(self) -> Text:
        """The type's name in both languages, as a message parameter: how a refusal or notice
        names the plugin that failed to its reader (its entry-point name, a code, goes to the
        log and ``/admin/plugins`` only)."""
        return Text(self.decl.name_zh, self.decl.name_en)

    @property
    def draws_fragment(self) -> bool:
        """Whether the type draws its own page fragment (its class overrides
        ``ActivityType.page_fragment``, which draws none): the activity page asks only a type
        that does, and makes the context of the fragment (sixty participants' snapshots) only
        for it."""
        return getattr(type(self.type), "page_fragment", None) is not ActivityType.page_fragment

    def page_fragment(self, ctx, locale: str | None):
        """The type's page fragment; if it raises, a notice naming the type instead (the
        error is logged and listed with the plugin's name)."""
        from portal.web.plugin_fragment import page_fragment

        return page_fragment(self, ctx, locale)


@dataclass
class TypeRegistry:
    plugins: LoadedPlugins
    types: dict[str, RegisteredType] = field(default_factory=dict)
    _states_in: dict[tuple, list[str]] = field(default_factory=dict, repr=False, compare=False)
    _gone: list[str] | None = field(default=None, repr=False, compare=False)
    _of: dict[int, RegisteredType] = field(default_factory=dict, repr=False, compare=False)

    @property
    def hook(self):
        return self.plugins.manager.hook

    def get(self, key: str) -> RegisteredType | None:
        return self.types.get(key)

    def of(self, activity_type: object) -> RegisteredType | None:
        """The registered type whose plugin object is ``activity_type`` (found by identity: the
        core reads its key from :attr:`RegisteredType.decl`, never from the plugin's object).
        A page asks it per type and row: the answer is remembered by the object's id, and used
        while that object is still the one registered under its key."""
        found = self._of.get(id(activity_type))
        if found is not None and found.type is activity_type and self.types.get(found.decl.key) is found:
            return found
        found = next((r for r in self.types.values() if r.type is activity_type), None)
        if found is not None:
            self._of[id(activity_type)] = found
        return found

    def key_of(self, activity_type: object) -> str:
        """The key ``activity_type`` was registered under, as read at load."""
        reg = self.of(activity_type)
        if reg is None:
            raise LookupError(f"{activity_type!r} is not a registered activity type")
        return reg.decl.key

    def keys(self) -> list[str]:
        return list(self.types)

    def self_declared(self, key: str | None) -> bool:
        """Whether type ``key`` is installed and declared itself self-declared (a teacher's own
        declaration, run by its declarer: :func:`portal.policy.may_run_as_organiser`)."""
        reg = self.types.get(key) if key else None
        return reg is not None and reg.decl.self_declared

    def name(self, key: str, lang: str | None = None) -> str:
        """The name of type ``key`` in ``lang`` (the viewer's when None): see :class:`TypeNames`."""
        return self.names(lang)[key]

    def names(self, lang: str | None = None) -> TypeNames:
        """The names of the types in ``lang`` (the viewer's when None), for every key a row holds."""
        return TypeNames(self, lang)

    def gone_number(self, key: str) -> int | None:
        """The number that tells type ``key``, not installed, from the deployment's other types
        not installed (its place among the keys stored rows hold, from 1); None when it is the
        only one, or outside an app. Read once per app, never again: a plugin's removal takes a
        restart, and no new row takes a type that is not installed. (Read again for each key not
        yet seen, a key typed into a URL would have cost a scan of the ledger per request.)"""
        from flask import has_app_context

        if self._gone is None:
            if not has_app_context():
                return None
            from portal.services.gone_types import stored_not_installed

            self._gone = stored_not_installed(self.types)  # a key no row holds (a typed URL) stays out
        if len(self._gone) < 2 or key not in self._gone:
            return None
        return self._gone.index(key) + 1

    def role_name(self, key: str, role: str, lang: str | None = None) -> str:
        """The label of ``role`` of type ``key`` in ``lang`` (the viewer's when None); a role its
        type does not declare (the type not installed, or the role since removed) is
        「已停用类型的角色」 (the type not installed) or 「已停用的角色」 from the catalogue — never
        the key, as :class:`TypeNames`."""
        reg = self.types.get(key)
        lang = norm_lang(lang) if lang else _viewer_lang()
        if reg is not None and role in reg.decl.roles:
            return reg.decl.role_label(role, lang)
        return in_lang(msg(_unknown("role", reg)), lang)

    def kind_name(self, key: str, kind: str, lang: str | None = None) -> str:
        """The label of evidence ``kind`` of type ``key`` (the core's kinds whatever the type);
        a kind no installed declaration names is 「已停用类型的材料」 / 「已停用的材料类型」."""
        reg = self.types.get(key)
        kinds = reg.decl.evidence_kinds if reg is not None else COMMON_EVIDENCE_KINDS
        lang = norm_lang(lang) if lang else _viewer_lang()
        k = kinds.get(kind)
        if k is None:
            return in_lang(msg(_unknown("kind", reg)), lang)
        return k.label_en if lang == "en" else k.label_zh

    def state_name(self, key: str | None, state: str, lang: str | None = None) -> str:
        """The label of ``state`` in type ``key``'s workflow; a state it lacks (the type not
        installed, or no type given) is any installed workflow's of that name (the core's
        states among them); one none has is 「已停用类型的状态」 (the type not installed) or
        「已停用的状态」, never its key."""
        reg = self.types.get(key) if key else None
        found = next((x for x in reg.engine.definition.states if x.name == state), None) if reg is not None else None
        if found is None:
            found = next((x for x in self.all_states() if x.name == state), None)
        lang = norm_lang(lang) if lang else _viewer_lang()
        if found is None:
            return in_lang(msg(_unknown("state", reg if key else True)), lang)
        return found.label_en if lang == "en" else found.label_zh

    def step_name(self, key: str | None, trigger: str, lang: str | None = None) -> str:
        """The label of ``trigger`` in type ``key``'s workflow (the core's when the type is not
        installed or none is given); a trigger it lacks is any installed workflow's of that name,
        as a state is (:meth:`state_name`: the audit log's filter asks of no one type); one none
        has is 「已停用类型的步骤」 (the type not installed) or 「已停用的步骤」, never its key."""
        lang = norm_lang(lang) if lang else _viewer_lang()
        if trigger == HANDED_OVER:  # no trigger: the activity given to another organizer (its history says so)
            return in_lang(msg("handover.step"), lang)
        own = self.definition(key)
        for definition in (own, *(reg.engine.definition for reg in self.types.values())):
            try:
                t = definition.transition(trigger)
            except KeyError:
                continue
            return t.label_en if lang == "en" else t.label_zh
        if trigger in HISTORY_ONLY:  # an entry of the history that is no step (moved to another time)
            return in_lang(msg(f"history.{trigger}"), lang)
        return in_lang(msg(_unknown("step", self.types.get(key) if key else True)), lang)

    def in_order(self, keys: Iterable[str]) -> list[str]:
        """``keys`` in the one order every page, export and chart lists types in: installed
        types in registry order (a summary's columns), then any other (uninstalled) by key."""
        position = {key: i for i, key in enumerate(self.types)}
        return sorted(keys, key=lambda k: (position.get(k, len(position)), k))

    def definition(self, key: str | None) -> WorkflowDefinition:
        """The workflow of type ``key``; the core's for a type that is not installed."""
        reg = self.types.get(key) if key else None
        return reg.engine.definition if reg else CORE

    def declares(self, key: str | None, state: str) -> bool:
        """Whether type ``key``'s installed workflow (the core's, for a type not installed)
        knows ``state``; one it lacks is taken as closed (:mod:`portal.services.stranded_states`)."""
        return any(s.name == state for s in (*self.definition(key).states, *CORE.states))

    def phase(self, key: str | None, state: str) -> Phase:
        """What ``state`` of an activity of type ``key`` means to the core."""
        definition = self.definition(key)
        if any(s.name == state for s in definition.states):
            return definition.phase(state)
        return CORE.phase(state)

    def states_in(self, *phases: Phase) -> list[str]:
        """Every state name, of any installed type, in one of ``phases`` (for SQL filters that
        span types, e.g. the absences that count). Worked out once per set of types: pages
        ask on every visit."""
        key = (phases, tuple(self.types))
        known = self._states_in.get(key)
        if known is None:
            names: dict[str, None] = {s: None for s in CORE.states_in(*phases)}
            for reg in self.types.values():
                names.update({s: None for s in reg.engine.definition.states_in(*phases)})
            known = self._states_in[key] = list(names)
        return list(known)

    def all_states(self) -> list[State]:
        """Every state of every installed type once, in phase order (the activity filter)."""
        seen: dict[str, State] = {s.name: s for s in CORE.ordered_states()}
        for reg in self.types.values():
            for st in reg.engine.definition.ordered_states():
                seen.setdefault(st.name, st)
        order = list(Phase)
        return sorted(seen.values(), key=lambda st: order.index(st.phase))

    def state_labels(self, lang: str | None = None) -> list[tuple[str, str]]:
        """:meth:`all_states` with their labels in ``lang`` (the viewer's when None), as
        :meth:`state_name` gives them without a type: the activity filter's options, the
        states gathered once (``state_name`` gathers them again for each)."""
        lang = norm_lang(lang) if lang else _viewer_lang()
        return [(st.name, st.label_en if lang == "en" else st.label_zh) for st in self.all_states()]

    def collect(self) -> None:
        """Ask every plugin for its types, in registration order (built-ins first; see
        :mod:`portal.plugin_loader`; third parties named after one of their types first,
        :meth:`_claim_order`), so a key stays with the first plugin that provides it whatever the
        plugins' distributions are called. A plugin is taken whole or not at all: if its hook
        raises or any of its types is refused (a duplicate key, a bad key or workflow), it is
        reported with both names where two plugins are involved, and unregistered."""
        rank = self.plugins.rank()
        impls = sorted(self.plugins.manager.hook.portal_activity_types.get_hookimpls(),
                       key=lambda i: rank.get(i.plugin_name, len(rank)))  # tryfirst cannot jump the queue
        answers: list[tuple[str, list]] = []
        for impl in impls:
            plugin_name = impl.plugin_name
            try:
                result = call_one(self.plugins, impl, "portal_activity_types", {})
            except Exception as exc:
                self.plugins.refuse(plugin_name, M_TYPES_RAISED, exc, error=describe(exc))
                continue
            answers.append((plugin_name, list(result) if isinstance(result, (list, tuple)) else [] if result is None
                            else [result]))
        for plugin_name, items in sorted(answers, key=lambda a: self._claim_order(a[0], a[1], rank)):
            accepted: dict[str, RegisteredType] = {}
            for t in items:
                refusal = self._check(plugin_name, t, accepted)
                if isinstance(refusal, tuple):
                    self.plugins.refuse(plugin_name, refusal[0], **refusal[1])
                    break
                accepted[refusal.decl.key] = refusal
            else:
                self.types.update(accepted)
                self._states_in.clear()

    def _claim_order(self, plugin_name: str, items: list, rank: dict[str, int]) -> tuple[int, int]:
        """Where ``plugin_name``'s types are taken: the built-ins first, then the third-party
        plugins named after one of their types (entry-point name = type key, as ``yanxiu plugins
        new`` makes them), then the rest, each group in registration order. A plugin installed
        later that copied another's key (a 课例研究 plugin declaring ``lesson_study``) would
        otherwise take the key from the lesson-study plugin whenever its distribution name sorts
        first, and every stored activity of that type would be read with its roles and workflow."""
        info = self.plugins.info.get(plugin_name)
        if info is not None and info.builtin:
            return 0, rank.get(plugin_name, len(rank))
        named = False
        for t in items:
            if isinstance(t, ActivityType):
                with suppress(Exception), self.plugins.running(plugin_name, "key"):
                    named = named or plain(getattr(t, "key", None)) == plugin_name
        return (1 if named else 2), rank.get(plugin_name, len(rank))

    def _check(self, plugin_name: str, t: object, accepted: dict[str, RegisteredType]):
        """The type ``t`` ready to register, or why it is refused (a msgid and its values)."""
        if not isinstance(t, ActivityType):
            return M_NOT_A_TYPE, {"value": repr(t)[:200]}
        with self.plugins.running(plugin_name, "key"):
            key = getattr(t, "key", None)
            key = plain(key) if isinstance(key, str) else key
        if not isinstance(key, str) or not key.isidentifier() or not key.isascii():
            return M_BAD_KEY, {"key": repr(key)[:100]}
        if key in self.types or key in accepted:
            first = self.types[key].plugin if key in self.types else plugin_name
            return M_DUPLICATE, {"key": key, "plugin": plugin_name, "first": first}
        info = self.plugins.info.get(plugin_name)
        installed = (plugin_name, info.distribution, info.version) if info is not None else None
        decl = read_declarations_once(t, lambda what: self.plugins.running(plugin_name, what), key, installed)
        if isinstance(decl, tuple):
            return M_DECLARATION, {"what": decl[0], "key": key, "error": decl[1]}
        for named in [*self.types.values(), *accepted.values()]:  # a name means one type across the portal
            for lang in ("zh", "en"):
                if same_text(decl.name(lang), named.decl.name(lang)):
                    return M_SAME_TYPE_NAME, {"key": key, "plugin": plugin_name, "name": decl.name(lang),
                                              "other": named.decl.key, "first": named.plugin}
        try:
            with self.plugins.running(plugin_name, "workflow"):
                extension = t.workflow()
            definition = build_definition(extension, common_guards=core_guards(t, decl))
            if (problem := workflow_labels_fault(definition)) is not None:
                raise TypeError(problem)
            definition = replace(definition, guards={trigger: tuple(self._guarded(plugin_name, key, trigger, g) for g in gs)
                                                     for trigger, gs in definition.guards.items()})
            engine = WorkflowEngine(definition)
        except WaitsGoingBack as exc:
            return M_WAITS_GOING_BACK, {"plugin": plugin_name, "key": key, "trigger": exc.trigger}
        except Exception as exc:
            return M_BAD_WORKFLOW, {"key": key, "error": describe(exc)}
        for st in definition.states:  # a state name means one phase across the portal
            other = next((r for r in [*self.types.values(), *accepted.values()]
                          if any(x.name == st.name for x in r.engine.definition.states)
                          and r.engine.definition.phase(st.name) != st.phase), None)
            if other is not None:
                return M_PHASE, {"state": st.name, "key": key, "phase": st.phase.value, "other": other.decl.key,
                                 "other_phase": other.engine.definition.phase(st.name).value}
            for reg in [*self.types.values(), *accepted.values()]:  # a state's label means that state
                same = next((x for x in reg.engine.definition.states if x.name != st.name and (
                    same_text(x.label_zh, st.label_zh) or same_text(x.label_en, st.label_en))), None)
                if same is not None:
                    label = st.label_zh if same_text(same.label_zh, st.label_zh) else st.label_en
                    return M_STATE_LABEL, {"state": st.name, "key": key, "label": label,
                                           "other_state": same.name, "other": reg.decl.key}
        return RegisteredType(t, plugin_name, engine, decl)

    def _guarded(self, plugin: str, key: str, trigger: str, guard: Guard) -> Guard:
        """``guard`` run inside :meth:`LoadedPlugins.running` (the core's guards too: they ask the
        type's ``required_evidence_for``); named as the guard is in its failure. What it answers
        is shown there too, each item made a plain text (:func:`plain`, in the request's
        language): the refusal that lists them later runs none of the plugin's code.

        The one convention of what a guard says (docs/plugins.md §3 *Guards*): each item a
        ``Text("中文", "English")`` or a string of the plugin's own catalogue, rendered in the
        viewer's language; any other plain ``str`` is shown as it is, in every language. One
        with no Chinese in it on a Chinese page is reported with the plugin's name
        (``M_GUARD_PLAIN``: the log, ``/admin/plugins``): the step is still refused with it,
        as the guard asked."""
        name = getattr(guard, "__qualname__", repr(guard))

        def shown(item: object) -> str:
            text = plain(item)
            if isinstance(item, str) and text.strip() and not any(map(is_cjk, text)) and _on_a_chinese_page():
                self.plugins.fail(plugin, M_GUARD_PLAIN, guard=name, trigger=trigger, key=key, text=repr(text[:80]))
            return text

        @wraps(guard)
        def run(ctx: TransitionContext) -> Sequence[object]:
            with self.plugins.running(plugin, f"{name} ({trigger})"):
                return what_is_missing(guard(ctx), shown)

        run.__qualname__ = name
        return run


def _unknown(what: str, reg: object) -> str:
    """The catalogue code naming a ``what`` (role, kind, state, step) no installed declaration
    names: of a type not installed (``reg`` None) or one its installed type lacks."""
    gone, unknown = _UNKNOWN[what]
    return gone if reg is None else unknown


_UNKNOWN = {
    "role": ("role.gone_name", "role.unknown_name"),
    "kind": ("kind.gone_name", "kind.unknown_name"),
    "state": ("state.gone_name", "state.unknown_name"),
    "step": ("step.gone_name", "step.unknown_name"),
}


def _on_a_chinese_page() -> bool:
    """A request whose reader reads Chinese (a page, or the API asked in Chinese)."""
    from flask import has_request_context

    return has_request_context() and _viewer_lang() == "zh"


def _viewer_lang() -> str:
    from portal.i18n import lang_code

    return lang_code()


class TypeNames(Mapping[str, str]):
    """Activity types' names in one language, answering for any key a stored row holds: an
    installed type's is its plugin's; a type not installed (its plugin removed or switched off)
    is 「已停用的活动类型」 / "discontinued activity type" from the catalogue, numbered
    (「已停用的活动类型（2）」) when the deployment holds more than one
    (:meth:`TypeRegistry.gone_number`) — never its key, a code, on a page, export, PDF, feed
    or API message (operators find the key in the log and ``flask plugins list``). Iterates
    the installed types; ``get(key, key)`` answers the name, as ``[key]`` does."""

    def __init__(self, types: TypeRegistry, lang: str | None) -> None:
        from portal.i18n import lang_code

        self._types = types
        self._lang = norm_lang(lang) if lang else lang_code()

    def __getitem__(self, key: str) -> str:
        reg = self._types.get(key) if isinstance(key, str) else None
        if reg is not None:
            return reg.decl.name(self._lang)
        if not isinstance(key, str):
            raise KeyError(key)
        number = self._types.gone_number(key)
        if number is None:
            return in_lang(msg("type.uninstalled_name"), self._lang)
        return in_lang(msg("type.uninstalled_name_n", n=number), self._lang)

    def __iter__(self) -> Iterator[str]:
        return iter(self._types.types)

    def __len__(self) -> int:
        return len(self._types.types)


def build_registry(app: Flask, extra_plugins=None) -> TypeRegistry:
    loaded = load_plugins(
        allowlist=app.config.get("PLUGINS_ALLOWLIST"),
        extra=list(extra_plugins or []) + list(app.config.get("EXTRA_PLUGINS", [])),
        use_entry_points=app.config.get("PLUGINS_LOAD_ENTRYPOINTS", True),
        budget_ms=float(app.config["PLUGIN_CALL_BUDGET_MS"]),
    )
    registry = TypeRegistry(loaded)
    registry.collect()
    return registry


def registry() -> TypeRegistry:
    """The current app's registry (the app taken from its proxy once: pages ask per row)."""
    return current_app._get_current_object().extensions["yanxiu.registry"]  # type: ignore[attr-defined]
