"""What a type declares — its name, roles, evidence kinds, settings and details form — checked
once, when its plugin loads.

Pages, exports and the API document read these declarations on every request without a guard
around each call: a declaration that raises or answers the wrong kind of thing is refused here,
with the plugin's name, instead of breaking every page that names the type. Declarations are
read at load and must not depend on the request (the guide, §10).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from wtforms import Form

from portal.activity_types import COMMON_EVIDENCE_KINDS, ActivityType, EvidenceKind, Role, Setting, Text
from portal.plugin_loader import describe
from workflows.definition import State, Transition, WorkflowDefinition

LOCALES = ("zh_Hans_CN", "en")


def declaration_fault(t: ActivityType, running: Callable[[str], AbstractContextManager[Any]]) -> tuple[str, str] | None:
    """``(what, why)`` for the first declaration of ``t`` that raises or answers the wrong kind
    of thing, or None when all of them are sound. Each is asked within ``running(what)`` (its
    plugin's :meth:`~portal.plugin_loader.LoadedPlugins.running`)."""
    checks: list[tuple[str, Callable[[], str | None]]] = [
        ("roles", lambda: _mapping_of(t.roles, Role, nonempty=True)),
        ("name", lambda: _texts(t.name(locale) for locale in LOCALES)),
        ("role_label", lambda: _texts(t.role_label(role, locale) for role in t.roles for locale in LOCALES)),
        ("all_evidence_kinds", lambda: _mapping_of(t.all_evidence_kinds(), EvidenceKind)
                                       or _texts(label for k in t.all_evidence_kinds().values()
                                                 for label in (k.label_zh, k.label_en))),
        ("evidence_kinds", lambda: _core_kinds_kept(t.all_evidence_kinds())),
        ("setting_declarations", lambda: _mapping_of(t.setting_declarations(), Setting)
                                         or _labels(s.label for s in t.setting_declarations().values())),
        ("settings_json_schema", lambda: _json_object(t.settings_json_schema())),
        ("form", lambda: _form(t.form)),
    ]
    for what, check in checks:
        try:
            with running(what):
                problem = check()
        except Exception as exc:
            return what, describe(exc)
        if problem is not None:
            return what, problem
    return None


def _mapping_of(value: Any, kind: type, nonempty: bool = False) -> str | None:
    if not isinstance(value, dict):
        return f"{_shown(value)} is not a dict"
    if nonempty and not value:
        return "it is empty"
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            return f"key {_shown(key)} is not a text"
        if not isinstance(item, kind):
            return f"{key!r} is {_shown(item)}, not a {kind.__name__}"
    return None


def _core_kinds_kept(kinds: dict[str, EvidenceKind]) -> str | None:
    """The core's evidence kinds keep their meaning: the writing quotas count every piece of a
    written kind (``reflection``, ``reading_notes``, ``paper``) handed in under any type, so a
    type renaming one (a sign-in sheet filed as ``reflection``) or taking it as a file only would
    make something else count as a teacher's writing."""
    from portal.services.quotas import WRITTEN_KINDS

    for key, core in COMMON_EVIDENCE_KINDS.items():
        if kinds.get(key) != core:
            return f"core evidence kind {key!r} is redeclared as {_shown(kinds.get(key))}; use a key of your own"
    for key in WRITTEN_KINDS:
        if key in kinds and not kinds[key].written:
            return f"evidence kind {key!r} counts as the teacher's writing, so it cannot be a file only (written=False)"
    return None


def _texts(values: Any) -> str | None:
    """A label is a plain ``str``: pages show it on every request, outside the plugin's
    boundary, so a subclass whose ``__str__`` or ``__html__`` raises would take them down."""
    for value in values:
        if not isinstance(value, str) or not value.strip():
            return f"{_shown(value)} is not a text"
        if type(value) is not str:
            return f"{_shown(value)} is a {type(value).__name__}, not a plain str"
    return None


def _labels(values: Any) -> str | None:
    """Settings' labels: none, or a :class:`Text` (not a subclass) of two plain texts."""
    for value in values:
        if value is None:
            continue
        if type(value) is not Text:
            return f"a label is a {type(value).__name__}, not the portal's Text"
        if problem := _texts((value.zh, value.en)):
            return problem
    return None


def workflow_labels_fault(definition: WorkflowDefinition) -> str | None:
    """Why a state's or a step's label could not be shown on a page, or None (:func:`_texts`)."""
    labelled: list[State | Transition] = [*definition.states, *definition.transitions]
    for part in labelled:
        if problem := _texts((part.label_zh, part.label_en)):
            return problem
    return None


def _json_object(value: Any) -> str | None:
    if not isinstance(value, dict):
        return f"{_shown(value)} is not a dict"
    json.dumps(value)  # raises for what the API document could not hold
    return None


def _form(form: Any) -> str | None:
    if not (isinstance(form, type) and issubclass(form, Form)):
        return f"{_shown(form)} is not a WTForms Form class"
    # the portal builds one for every page and request that plans the type, and describes its
    # fields (labels, choices) in the API's list of types
    from portal.services.details import describe_form  # on use: the services import the loader

    describe_form(form)
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 100 else text[:99] + "…"
