"""The data a plugin declares its guards need (hook ``portal_transition_data``, contract 1.3).

When the portal builds a :class:`workflows.TransitionContext` for an activity, it asks the
plugin that provides the activity's type — that plugin only — for the data of its own tables
its guards and page fragment read, and puts the answer in ``ctx.data`` as a read-only mapping.
In a transition this happens inside the write transaction, before the guards run, so a guard
judges exactly what is committed and never reads the database behind the snapshot.

A hook that raises, or answers something other than a mapping, is reported with the plugin's
name; :class:`PluginDataUnavailable` then refuses the trigger (nothing changes) or replaces the
page fragment by its notice, either naming the activity type to its reader (the plugin's
entry-point name is a code: the log and ``/admin/plugins`` have it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from flask import current_app

from portal.activity_types import Text
from portal.errors import Conflict
from portal.hours import BadHours, above_its_hours, rule_hours
from portal.messages import Msg, msg
from portal.plugin_loader import N_, call_one, describe, in_registration_order, plain, recover_session
from portal.registry import RegisteredType, TypeRegistry, registry
from workflows import ActivitySnapshot, ParticipantSnapshot
from workflows.context import NO_DATA

HOOK = "portal_transition_data"
M_DATA_RAISED = N_("hook portal_transition_data raised %(error)s; the step was refused and nothing changed")
M_TYPE_RAISED = N_("%(method)s of activity type '%(key)s' raised %(error)s; the step was refused and nothing changed")
M_TYPE_SKIPPED = N_("%(method)s of activity type '%(key)s' raised %(error)s; the page went on without it")
M_TYPE_DEMO = N_("%(method)s of activity type '%(key)s' raised %(error)s; the demo data went on without the type")
M_TYPE_PROFILE = N_("%(method)s of activity type '%(key)s' raised %(error)s; the type was given the default volumes")
M_DEMO_TYPE = N_("the demo activities of activity type '%(key)s' could not be made: %(error)s; "
                 "the demo data went on without them")
M_TYPE_PREVIEW = N_("%(method)s of activity type '%(key)s' raised %(error)s; "
                    "the page went on without the hours it gives")
M_TYPE_HOURS = N_("%(method)s of activity type '%(key)s' answered %(value)s, not a number of hours (%(error)s); "
                  "the step was refused and nothing changed")
M_TYPE_HOURS_PREVIEW = N_("%(method)s of activity type '%(key)s' answered %(value)s, not a number of hours "
                          "(%(error)s); the page went on without the hours it gives")
M_TYPE_ERRORS = N_("%(method)s of activity type '%(key)s' answered %(value)s, not a mapping of errors by field; "
                   "the step was refused and nothing changed")
M_DATA_BAD = N_("portal_transition_data of plugin '%(plugin)s' returned %(value)s, not a mapping; "
                "the step was refused and nothing changed")


class PluginStepFailed(Conflict):
    """A plugin's own code raised while a step was taken or previewed (already reported with
    :attr:`plugin`, its entry-point name): the step is refused with 409 naming the activity type
    (``label``, its :attr:`RegisteredType.label`; None for an object no type registered); a page
    that only previews it catches this and shows :attr:`notice` instead of its figures."""

    def __init__(self, plugin: str, label: Text | None) -> None:
        super().__init__(msg("plugin.step_failed", type=label) if label is not None
                         else msg("plugin.step_failed_untyped"))
        self.plugin = plugin
        self.label = label

    @property
    def notice(self) -> Any:
        """What a previewing page says in place of the plugin's figures (a message code)."""
        if self.label is None:
            return msg("plugin.preview_failed_untyped")
        return msg("plugin.preview_failed", type=self.label)


_PREVIEWING: ContextVar[bool] = ContextVar("yanxiu_plugin_previewing", default=False)


@contextmanager
def previewing() -> Iterator[None]:
    """Within it, :func:`type_call` serves a page that shows what a step would do (the hours a
    credit rule gives): a method that raises is reported as such, and its
    :class:`PluginStepFailed` is for the page to catch and turn into a notice."""
    token = _PREVIEWING.set(True)
    try:
        yield
    finally:
        _PREVIEWING.reset(token)


class PluginDataUnavailable(Exception):
    """The plugin of the activity's type could not supply its data (already reported with
    :attr:`plugin`); :attr:`reg` is that type, which its reader is told of."""

    def __init__(self, reg: RegisteredType) -> None:
        super().__init__(reg.plugin)
        self.plugin = reg.plugin
        self.reg = reg


def transition_data(activity: ActivitySnapshot) -> Mapping[str, Any]:
    """``ctx.data`` for ``activity``: what its type's plugin supplies (read-only), or nothing."""
    from portal.plugin_doors import facade

    reg = registry().get(activity.type_key)
    if reg is None:
        return NO_DATA
    loaded = registry().plugins
    impls = [i for i in in_registration_order(loaded, HOOK) if i.plugin_name == reg.plugin]
    if not impls:
        return NO_DATA
    data: dict[str, Any] = {}
    kwargs = {"activity_type": activity.type_key, "activity": activity, "portal": facade(current_app, reg.plugin)}
    for impl in impls:
        try:
            result = call_one(loaded, impl, HOOK, kwargs)
        except Exception as exc:
            loaded.fail(reg.plugin, M_DATA_RAISED, exc, error=describe(exc))
            recover_session()
            raise PluginDataUnavailable(reg) from exc
        if result is None:
            continue
        if not isinstance(result, Mapping):
            loaded.fail(reg.plugin, M_DATA_BAD, plugin=reg.plugin, value=repr(result)[:200])
            raise PluginDataUnavailable(reg)
        data.update(result)
    return MappingProxyType(data)


def type_call(activity_type: Any, method: str, *args: Any, via: Callable[..., Any] | None = None) -> Any:
    """``activity_type.<method>(*args)`` — a plugin's own code run while a step is taken
    (``check_plan``, ``credit_hours``, ``validate_settings``, ``settings_with_defaults``; its
    ``form``, run ``via`` the portal's validation). If it raises, the failure is reported with
    the plugin's name and the step is refused with 409 (:class:`PluginStepFailed`, a
    :class:`Conflict`, so the caller's transaction rolls back and nothing changes), never a 500.
    Within :func:`previewing` the same, reported as a preview's failure."""
    return _call(activity_type, method, _running(activity_type, method), via or getattr(activity_type, method), args)


def _call(activity_type: Any, method: str, running: AbstractContextManager[None], code: Callable[..., Any],
          args: tuple[Any, ...]) -> Any:
    """:func:`type_call` across the boundary ``running`` (set up by the caller, once for many calls)."""
    try:
        with running:
            return code(*args)
    except Exception as exc:
        message = M_TYPE_PREVIEW if _PREVIEWING.get() else M_TYPE_RAISED
        raise _report(activity_type, message, exc, method=method, error=describe(exc)) from None


def hours_rule(activity_type: Any, method: str) -> Callable[..., Decimal]:
    """The type's method answering hours (``credit_hours``) as a function of its arguments, each
    call a :func:`type_call` whose answer is bounded by the core's rule of hours
    (:func:`portal.hours.rule_hours`: ≥ 0, ≤ 999.5, half-hour steps; and at most
    :data:`portal.hours.MOST_TIMES_ITS_HOURS` times the activity's hours) before the ledger, a page
    or the API sees it. Any other answer (a text, None, NaN, 0.3, a million) is reported with the
    plugin's name and refuses the step like a method that raises.

    For a caller that asks it many times (a page: the hours of each participant) which plugin runs
    and the boundary's label are worked out once; each call still crosses the boundary on its own
    (timed against the budget, a failure reported and refused). A type declaring that its
    ``credit_hours`` reads only role and hours (:func:`reads_role_and_hours`) is passed the
    participant's role and hours only: no user id, no name."""
    running, code = _running(activity_type, method), getattr(activity_type, method)
    blind = method == "credit_hours" and reads_role_and_hours(activity_type)

    def answer(*args: Any) -> Decimal:
        if blind:
            p = args[0]
            args = (ParticipantSnapshot(0, p.role, p.attended_hours, p.absent_hours, p.excused_hours), *args[1:])
        value = _call(activity_type, method, running, code, args)
        try:
            hours = rule_hours(value)
        except BadHours as exc:
            problem: str | None = exc.msg.english
        else:  # credit_hours(participant, activity, settings): bounded by the activity's own hours,
            # those the participant was not recorded missing
            problem = above_its_hours(hours, getattr(args[1], "hours", None), args[0]) if len(args) > 1 else None
            if problem is None:
                return hours
        message = M_TYPE_HOURS_PREVIEW if _PREVIEWING.get() else M_TYPE_HOURS
        raise _report(activity_type, message, None, method=method, value=repr(value)[:100], error=problem) from None

    return answer


def reads_role_and_hours(activity_type: Any) -> bool:
    """Whether the type declared at load that its own ``credit_hours`` reads only a participant's
    role and hours (``ActivityType.credit_by_role_and_hours``, 1.14)."""
    reg = registry().of(activity_type)
    return reg is not None and reg.decl.credit_by_role_and_hours


def type_errors(activity_type: Any, method: str, *args: Any) -> dict[str, Any]:
    """:func:`type_call` of a method answering errors by field (``check_plan``,
    ``validate_settings``): a mapping with text keys (None: no errors). Any other answer (a text, a
    list) is reported with the plugin's name and refuses the step like a method that raises. The
    errors are made plain texts inside the plugin's boundary (:func:`plain`; a list of them stays
    a list): the refusal that shows them runs none of the plugin's code."""
    value = type_call(activity_type, method, *args)
    if value is None:
        return {}
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return type_call(activity_type, method, value, via=_plain_errors)
    raise _report(activity_type, M_TYPE_ERRORS, None, method=method, value=repr(value)[:100])


def _plain_errors(errors: Any) -> Any:
    """A plugin's errors by field as the core keeps them: the same mappings and lists, each
    message a core one — a :class:`Msg` or a :class:`Text` of two plain texts (shown in each
    reader's language) — or a plain text."""
    if isinstance(errors, Mapping):
        return {plain(k): _plain_errors(v) for k, v in errors.items()}
    if isinstance(errors, (list, tuple)):
        return [_plain_errors(e) for e in errors]
    if errors is None or type(errors) is Msg:
        return errors
    if type(errors) is Text:
        return Text(plain(errors.zh), plain(errors.en))
    return plain(errors)


def type_answer(activity_type: Any, method: str, fallback: Any, *args: Any,
                check: Callable[[Any], Any] | None = None, message: str = M_TYPE_SKIPPED) -> Any:
    """``activity_type.<method>(*args)`` for a page or a job that only reads (the teacher's
    to-do list, the reminders, the settings a page shows): if it raises — or its answer fails
    ``check`` (which raises on an answer of the wrong kind) — the failure is reported with the
    plugin's name (``message``: what went on without it) and ``fallback`` is answered (called
    with ``args`` if it is callable), so one plugin's bug does not break the page for every type."""
    try:
        with _running(activity_type, method):
            answer = getattr(activity_type, method)(*args)
        return check(answer) if check is not None else answer
    except Exception as exc:
        _report(activity_type, message, exc, method=method, error=describe(exc))
        return fallback(*args) if callable(fallback) else fallback


def _plugin_and_key(types: TypeRegistry, activity_type: Any) -> tuple[str, str]:
    """The type's plugin and its key as read at load (a type not registered: its class's name
    for both, none of its code run), from one look-up: a page crosses the boundary per row."""
    reg = types.of(activity_type)
    if reg is None:
        name = type(activity_type).__name__
        return name, name
    return reg.plugin, reg.decl.key


def _running(activity_type: Any, method: str) -> AbstractContextManager[None]:
    types = registry()
    plugin, key = _plugin_and_key(types, activity_type)
    return types.plugins.running(plugin, f"{method} ({key})")


def _report(activity_type: Any, message: str, exc: Exception | None, **params: Any) -> PluginStepFailed:
    """Report the failure with the plugin's name; the refusal to raise names the type."""
    types = registry()
    plugin, key = _plugin_and_key(types, activity_type)
    types.plugins.fail(plugin, message, exc, key=key, **params)
    reg = types.of(activity_type)
    return PluginStepFailed(plugin, reg.label if reg is not None else None)
