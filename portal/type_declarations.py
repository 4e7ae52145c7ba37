"""What a type declares — its name, roles, evidence kinds, settings and details form — checked
once, when its plugin loads.

Pages, exports and the API document read these declarations on every request without a guard
around each call: a declaration that raises or answers the wrong kind of thing is refused here,
with the plugin's name, instead of breaking every page that names the type. Declarations are
read at load and must not depend on the request (the guide, §10).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from wtforms import Form

from portal.activity_types import (
    COMMON_EVIDENCE_KINDS,
    UNREAD,
    ActivityType,
    EvidenceKind,
    Role,
    Setting,
    Text,
)
from portal.plugin_loader import describe, plain
from workflows.definition import State, Transition, WorkflowDefinition

LOCALES = ("zh_Hans_CN", "en")


def _locale(locale: str | None) -> str:
    """The one of :data:`LOCALES` a page's locale reads a declaration in."""
    return "en" if (locale or "").startswith("en") else LOCALES[0]


@dataclass(frozen=True, eq=False)
class TypeDeclarations:
    """What a type declared, as read once when its plugin loaded (:func:`read_declarations`):
    core copies (plain ``str`` labels, the portal's own :class:`Role`, :class:`EvidenceKind`,
    :class:`Setting` and :class:`Text`), so a page, a list, a form, an export or the API
    document that shows them runs none of the plugin's code. A type whose methods would answer
    differently later is not asked again (docs/plugins.md §3)."""

    key: str
    names: Mapping[str, str]  # locale of LOCALES → name
    descriptions: Mapping[str, str]  # locale of LOCALES → description ("" for none)
    roles: Mapping[str, Role]
    default_role: str
    role_labels: Mapping[tuple[str, str], str]  # (role, locale of LOCALES) → label
    evidence_kinds: Mapping[str, EvidenceKind]
    settings: Mapping[str, Setting]
    self_declared: bool
    settings_schema: Mapping[str, Any] = field(repr=False)
    #: the details form class, checked at load; the portal builds it inside the plugin's boundary
    form: type[Form] = field(repr=False, default=Form)
    #: locale of LOCALES → the form's fields as the API's list of types describes them
    form_fields: Mapping[str, tuple[Mapping[str, Any], ...]] = field(repr=False, default_factory=dict)
    #: the JSON Schema of an activity's ``details`` for that form (the OpenAPI document)
    details_schema: Mapping[str, Any] = field(repr=False, default_factory=dict)
    #: what check_plan may refuse, for the OpenAPI document (``{"field", "message", "rule"}``)
    plan_rules: tuple[Mapping[str, str], ...] = ()
    #: the type's own credit rule reads only a participant's role and hours (1.14)
    credit_by_role_and_hours: bool = False
    #: the details fields a teacher's peers do not read on a declaration (1.23)
    private_details: frozenset[str] = frozenset()

    def name(self, locale: str | None) -> str:
        return self.names[_locale(locale)]

    def description(self, locale: str | None) -> str:
        return self.descriptions[_locale(locale)]

    @property
    def name_zh(self) -> str:
        return self.names[LOCALES[0]]

    @property
    def name_en(self) -> str:
        return self.names["en"]

    def role_label(self, role: str, locale: str | None) -> str:
        """The role's label; an unknown role (a type's role since removed) is shown as its key."""
        return self.role_labels.get((role, _locale(locale)), role)

    def all_evidence_kinds(self) -> dict[str, EvidenceKind]:
        return dict(self.evidence_kinds)

    def setting_declarations(self) -> dict[str, Setting]:
        return dict(self.settings)

    def default_settings(self) -> dict[str, Any]:
        return {k: copy.deepcopy(s.default) for k, s in self.settings.items()}

    def settings_with_defaults(self, school_settings: Any) -> dict[str, Any]:
        """The core's rule (:meth:`ActivityType.settings_with_defaults`) on the settings read at
        load: the school's stored values as they read them (:meth:`Setting.read`) over the defaults."""
        merged = self.default_settings()
        merged.update(self.stored_as_read(school_settings, keep=False))
        return merged

    def stored_as_read(self, school_settings: Any, *, keep: bool = True) -> dict[str, Any]:
        """The school's stored settings as the rules read them (:meth:`Setting.read`: an hours
        setting saved off the half-hour grid down to the half hour); one they cannot read is
        left as stored (``keep``) or out."""
        stored = school_settings if isinstance(school_settings, dict) else {}
        out: dict[str, Any] = {}
        for key, value in stored.items():
            spec = self.settings.get(key)
            read = spec.read(value) if spec is not None else UNREAD
            if read is not UNREAD:
                out[key] = read
            elif keep:
                out[key] = value
        return out

    def settings_read_otherwise(self, school_settings: Any) -> dict[str, tuple[Any, Any]]:
        """Settings the rules read otherwise than stored, by name: (stored, read) — an hours
        setting saved off the half-hour grid, what the school admin's page tells until saved."""
        stored = school_settings if isinstance(school_settings, dict) else {}
        read = self.stored_as_read(stored, keep=False)
        return {k: (v, read[k]) for k, v in stored.items() if k in read and read[k] != v}

    def setting_label(self, name: str) -> str:
        spec = self.settings.get(name)
        return str(spec.label) if spec is not None and spec.label is not None else name

    def settings_json_schema(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.settings_schema))

    def details_json_schema(self) -> dict[str, Any]:
        return copy.deepcopy(dict(self.details_schema))

    def describe_form(self, locale: str | None) -> list[dict[str, Any]]:
        """The details form's fields (:func:`portal.services.details.describe_form`) as read at load."""
        return [copy.deepcopy(dict(f)) for f in self.form_fields[_locale(locale)]]


def read_declarations(t: ActivityType, running: Callable[[str], AbstractContextManager[Any]], key: str
                      ) -> TypeDeclarations | tuple[str, str]:
    """The declarations of ``t``, read once, checked and copied, or ``(what, why)`` for the first
    one that raises or answers the wrong kind of thing. Each is asked, checked and copied within
    ``running(what)`` (its plugin's :meth:`~portal.plugin_loader.LoadedPlugins.running`): the
    checks and copies call methods of what the plugin answered (``__eq__``, ``__str__``)."""
    _core_modules()  # the portal's own imports, outside the plugin's clock
    read: dict[str, Any] = {}

    def roles() -> str | None:
        value = t.roles
        problem = _mapping_of(value, Role, nonempty=True)
        if problem is None:
            read["roles"] = dict(value)  # copied with its labels, once they are checked (role_label)
        return problem

    def default_role() -> str | None:
        value = t.default_role
        if type(value) is not str or value not in read["roles"]:  # checked before the labels: keys only
            return f"{_shown(value)} is not one of its roles"
        read["default_role"] = plain(value)
        return None

    def names() -> str | None:
        value = {locale: t.name(locale) for locale in LOCALES}
        problem = _named_texts((f"its {_LANGUAGE[locale]} name", name) for locale, name in value.items())
        if problem is None:
            read["names"] = {locale: plain(v) for locale, v in value.items()}
        return problem

    def flag(name: str) -> Callable[[], str | None]:
        """The check of a declaration that is True or False (``self_declared``, ...)."""
        def check() -> str | None:
            value = getattr(t, name)
            if type(value) is not bool:
                return f"{_shown(value)} is not True or False"
            read[name] = value
            return None
        return check

    def descriptions() -> str | None:
        value = {LOCALES[0]: t.description_zh, "en": t.description_en}
        if bad := next((v for v in value.values() if type(v) is not str), None):
            return f"{_shown(bad)} is not a plain str"
        read["descriptions"] = {locale: plain(v) for locale, v in value.items()}
        return None

    def role_labels() -> str | None:
        roles: dict[str, Role] = read["roles"]
        value = {(role, locale): t.role_label(role, locale) for role in roles for locale in LOCALES}
        problem = _named_texts((f"the {_LANGUAGE[locale]} label of role {role!r}", label)
                               for (role, locale), label in value.items()) or _named_texts(
            (f"the {language} label of role {role!r}", label) for role, r in roles.items()
            for language, label in (("Chinese", r.label_zh), ("English", r.label_en)))
        if problem is None:
            read["role_labels"] = {key: plain(v) for key, v in value.items()}
            read["roles"] = {plain(k): Role(plain(r.label_zh), plain(r.label_en)) for k, r in roles.items()}
        return problem

    def kinds() -> str | None:
        value = t.all_evidence_kinds()
        problem = _mapping_of(value, EvidenceKind) or _named_texts(
            (f"the {language} label of evidence kind {key!r}", label) for key, k in value.items()
            for language, label in (("Chinese", k.label_zh), ("English", k.label_en)))
        if problem is None:
            read["evidence_kinds"] = {plain(key): EvidenceKind(plain(k.label_zh), plain(k.label_en), bool(k.written),
                                                                   bool(k.after_start), bool(k.of_the_activity))
                                      for key, k in value.items()}
        return problem

    def required() -> str | None:
        return _required_fault(t.required_evidence, read["roles"], read["evidence_kinds"])

    def multipliers() -> str | None:
        return _multipliers_fault(t.role_multipliers, read["roles"])

    def settings() -> str | None:
        value = t.setting_declarations()
        problem = _mapping_of(value, Setting) or _labels((key, s.label) for key, s in value.items())
        if problem is None:
            read["settings"] = {plain(key): _setting_copy(s) for key, s in value.items()}
        return problem

    def schema() -> str | None:
        value = t.settings_json_schema()
        problem = _json_object(value)
        if problem is None:
            read["settings_schema"] = json.loads(json.dumps(value))
        return problem

    def form() -> str | None:
        value = t.form
        problem = _form(value)
        if problem is None:
            read["form"] = value
            read["form_fields"] = {locale: _form_fields(value, locale) for locale in LOCALES}
            if problem := _named_texts((f"the {_LANGUAGE[locale]} label of field {f['name']!r}", f["label"])
                                       for locale in LOCALES for f in read["form_fields"][locale]):
                return problem
            from portal.api.typed_schemas import details_schema  # on use: the API imports the registry

            read["details_schema"] = json.loads(json.dumps(details_schema(value)))
        return problem

    def private_details() -> str | None:
        value = t.private_details
        if not isinstance(value, (tuple, list, frozenset, set)):
            return f"{_shown(value)} is not a tuple of the form's field names"
        fields = {f["name"] for f in read["form_fields"][LOCALES[0]]}
        if unknown := next((name for name in value if name not in fields), None):
            return f"{_shown(unknown)} is not a field of its form ({', '.join(sorted(fields))})"
        read["private_details"] = frozenset(plain(name) for name in value)
        return None

    def plan_rules() -> str | None:
        value = t.plan_rules
        if not isinstance(value, (tuple, list)):
            return f"{_shown(value)} is not a tuple"
        for rule in value:
            if not isinstance(rule, dict) or not {"field", "message", "rule"} <= set(rule):
                return f"{_shown(rule)} is not a dict of field, message and rule"
            if problem := _texts([*rule, *rule.values()]):
                return problem
        read["plan_rules"] = tuple(MappingProxyType({plain(k): plain(v) for k, v in rule.items()}) for rule in value)
        return None

    checks: list[tuple[str, Callable[[], str | None]]] = [
        ("roles", roles),
        ("default_role", default_role),
        ("name", names),
        ("description", descriptions),
        ("self_declared", flag("self_declared")),
        ("credit_by_role_and_hours", flag("credit_by_role_and_hours")),
        ("role_label", role_labels),
        ("all_evidence_kinds", kinds),
        # on the copy: the core's kinds compared with the portal's own EvidenceKind
        ("evidence_kinds", lambda: _core_kinds_kept(read["evidence_kinds"])),
        ("required_evidence", required),
        ("role_multipliers", multipliers),
        ("setting_declarations", settings),
        ("settings_json_schema", schema),
        ("form", form),
        ("private_details", private_details),
        ("plan_rules", plan_rules),
    ]
    for what, check in checks:
        try:
            with running(what):
                problem = check()
        except Exception as exc:
            return what, describe(exc)
        if problem is not None:
            return what, problem
    return TypeDeclarations(
        key=key, names=MappingProxyType(read["names"]),
        descriptions=MappingProxyType(read["descriptions"]), roles=MappingProxyType(read["roles"]),
        default_role=read["default_role"], role_labels=MappingProxyType(read["role_labels"]),
        evidence_kinds=MappingProxyType(read["evidence_kinds"]), settings=MappingProxyType(read["settings"]),
        self_declared=read["self_declared"], settings_schema=MappingProxyType(read["settings_schema"]),
        form=read["form"], form_fields=MappingProxyType(read["form_fields"]), plan_rules=read["plan_rules"],
        details_schema=MappingProxyType(read["details_schema"]),
        credit_by_role_and_hours=read["credit_by_role_and_hours"], private_details=read["private_details"],
    )


def _required_fault(value: Any, roles: Mapping[str, Role], kinds: Mapping[str, EvidenceKind]) -> str | None:
    """``required_evidence`` names only the type's roles and evidence kinds, each with a count:
    a misspelt role would require nothing of anyone, and a misspelt kind could never be handed in."""
    if not isinstance(value, dict):
        return f"{_shown(value)} is not a dict of role: {{kind: count}}"
    for role, need in value.items():
        if role not in roles:
            return f"role {_shown(role)} is not one of its roles ({', '.join(roles)})"
        if not isinstance(need, dict):
            return f"role {role!r} requires {_shown(need)}, not a dict of kind: count"
        for kind, count in need.items():
            if kind not in kinds:
                return f"evidence kind {_shown(kind)} required of role {role!r} is not one of its kinds ({', '.join(kinds)})"
            if type(count) is not int or count < 0:
                return f"role {role!r} requires {_shown(count)} of {kind!r}, not a whole number from 0"
    return None


def _multipliers_fault(value: Any, roles: Mapping[str, Role]) -> str | None:
    """``role_multipliers`` names only the type's roles, each with a number from 0: a misspelt
    role would leave the real one at 1."""
    if not isinstance(value, dict):
        return f"{_shown(value)} is not a dict of role: multiplier"
    for role, multiplier in value.items():
        if role not in roles:
            return f"role {_shown(role)} is not one of its roles ({', '.join(roles)})"
        try:
            number = Decimal(str(multiplier))
        except ArithmeticError:
            number = Decimal("NaN")
        if isinstance(multiplier, bool) or not number.is_finite() or number < 0:
            return f"the multiplier of role {role!r} is {_shown(multiplier)}, not a number from 0"
    return None


def _setting_copy(s: Setting) -> Setting:
    """The portal's own :class:`Setting` of the same declaration (a subclass's methods are not
    kept), its default copied and its label a :class:`Text` of two plain texts."""
    label = None if s.label is None else Text(plain(s.label.zh), plain(s.label.en))
    return Setting(copy.deepcopy(s.default), s.minimum, s.maximum, label, bool(s.integer), s.max_length, bool(s.hours))


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


_READ: dict[tuple[str, str, str, str, type], tuple[tuple[object, ...], TypeDeclarations]] = {}


def read_declarations_once(t: ActivityType, running: Callable[[str], AbstractContextManager[Any]], key: str,
                           installed: tuple[str, str, str] | None) -> TypeDeclarations | tuple[str, str]:
    """:func:`read_declarations`, read once per process for a type of an installed plugin
    (``installed``: its entry-point name, distribution and version; None for a plugin object
    registered on the plugin manager, read every time). Every app a process builds (each test
    builds its own) read and checked the same declarations again: 4–5 ms of CPU a build, a
    sixth of ``create_app`` (BENCHMARKS.md, round 63).

    Kept under what decides them: the plugin and its distribution's version, the key, the
    type's class, and every attribute of that class and its bases and of the instance, each by
    identity (:func:`_behaviour`) — a method or declaration replaced on the class or on
    :class:`ActivityType` (a test's ``monkeypatch``), a plugin reinstalled (a new module, a new
    class) or another version is read again. Declarations must not depend on anything else
    (module docstring); one changed in place (a class's dict mutated) is not seen. A refusal is
    never kept: a bad plugin is refused by every app, with its reason."""
    if installed is None or not installed[1]:
        return read_declarations(t, running, key)
    where = (*installed, key, type(t))
    behaviour = _behaviour(t)
    known = _READ.get(where)
    if known is not None and len(known[0]) == len(behaviour) and all(
            a is b for a, b in zip(known[0], behaviour, strict=True)):
        return known[1]
    decl = read_declarations(t, running, key)
    if isinstance(decl, TypeDeclarations):
        _READ[where] = (behaviour, decl)
    else:
        _READ.pop(where, None)
    return decl


def _behaviour(t: object) -> tuple[object, ...]:
    """The attributes of ``t``'s class and its bases (not ``object``) and of ``t`` itself: names
    and values, held (so no id is reused while the cache keeps them) and compared by identity."""
    parts: list[object] = []
    for klass in type(t).__mro__[:-1]:
        parts.append(klass)
        for item in klass.__dict__.items():
            parts.extend(item)
    for item in getattr(t, "__dict__", {}).items():
        parts.extend(item)
    return tuple(parts)


def _core_modules() -> None:
    """Import the core modules the checks below use on use (they import the registry, so not at
    this module's top), before any ``running(what)`` starts. Imported inside it, the first type
    read in a process (the lecture) was charged the portal's API and services: about 1.8 s of
    its ``form`` and ``evidence_kinds`` at every start (3.5–4 s with two gunicorn workers
    starting at once), logged as a slow plugin though the plugin's own code took milliseconds."""
    import portal.api.typed_schemas  # noqa: F401
    import portal.services.details  # noqa: F401
    import portal.services.quotas  # noqa: F401


def _core_kinds_kept(kinds: dict[str, EvidenceKind]) -> str | None:
    """The core's evidence kinds keep their meaning: the writing quotas count every piece of a
    written kind (``reflection``, ``reading_notes``, ``paper``) handed in under any type, so a
    type renaming one (a sign-in sheet filed as ``reflection``) or taking it as a file only would
    make something else count as a teacher's writing."""
    from portal.services.quotas import WRITTEN_KINDS

    for key, core in COMMON_EVIDENCE_KINDS.items():
        if kinds.get(key) != core:
            return f"core evidence kind {key!r} is redeclared as {_shown(kinds.get(key), 160)}; use a key of your own"
    for key in WRITTEN_KINDS:
        if key in kinds and not kinds[key].written:
            return f"evidence kind {key!r} counts as the teacher's writing, so it cannot be a file only (written=False)"
    return None


def _texts(values: Any) -> str | None:
    """A label is a plain ``str``: pages show it on every request, outside the plugin's
    boundary, so a subclass whose ``__str__`` or ``__html__`` raises would take them down."""
    for value in values:
        if isinstance(value, Text):
            return (f"{_shown(value)} is a pair of texts, where one language's plain str is asked: "
                    f"give each language its own str (Role('听众', 'Listener'), name_zh = '教研沙龙')")
        if not isinstance(value, str) or not value.strip():
            return f"{_shown(value)} is not a text"
        if type(value) is not str:
            return f"{_shown(value)} is a {type(value).__name__}, not a plain str"
    return None


_LANGUAGE = {LOCALES[0]: "Chinese", "en": "English"}


def _named_texts(labels: Any) -> str | None:
    """:func:`_texts` of ``(what, label)`` pairs, the fault naming the label: an author who left
    one language out reads which label of which role, kind, setting, field, state or step."""
    for what, value in labels:
        if problem := _texts((value,)):
            return f"{what}: {problem}"
    return None


def _labels(values: Any) -> str | None:
    """Settings' labels (``(setting, label)`` pairs): none, or a :class:`Text` (not a subclass)
    of two plain texts."""
    for key, value in values:
        if value is None:
            continue
        if type(value) is not Text:
            return f"a label is a {type(value).__name__}, not the portal's Text"
        if problem := _named_texts(((f"the Chinese label of setting {key!r}", value.zh),
                                    (f"the English label of setting {key!r}", value.en))):
            return problem
    return None


def workflow_labels_fault(definition: WorkflowDefinition) -> str | None:
    """Why a state's or a step's label could not be shown on a page, or None (:func:`_texts`)."""
    labelled: list[State | Transition] = [*definition.states, *definition.transitions]
    return _named_texts(
        (f"the {language} label of " + (f"state {part.name!r}" if isinstance(part, State) else f"trigger {part.trigger!r}"),
         label)
        for part in labelled for language, label in (("Chinese", part.label_zh), ("English", part.label_en)))


def _json_object(value: Any) -> str | None:
    if not isinstance(value, dict):
        return f"{_shown(value)} is not a dict"
    json.dumps(value)  # raises for what the API document could not hold
    return None


def _form(form: Any) -> str | None:
    if not (isinstance(form, type) and issubclass(form, Form)):
        return f"{_shown(form)} is not a WTForms Form class"
    return None


def _form_fields(form: type[Form], locale: str) -> tuple[Mapping[str, Any], ...]:
    """The API's description of the form's fields in ``locale``, made plain (a label in the
    portal's :class:`Text` read in that language; any other label as it reads at load)."""
    from portal.services.details import describe_form  # on use: the services import the loader

    fields = describe_form(form, "en" if locale == "en" else "zh")
    return tuple(MappingProxyType({
        "name": plain(f["name"]), "type": plain(f["type"]), "required": bool(f["required"]), "label": plain(f["label"]),
        **({"choices": [plain(c) for c in f["choices"]]} if "choices" in f else {}),
    }) for f in fields)


def _shown(value: Any, most: int = 100) -> str:
    text = repr(value)
    return text if len(text) <= most else text[:most - 1] + "…"
