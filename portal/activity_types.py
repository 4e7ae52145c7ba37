"""The activity-type base class: what a plugin subclasses to add a training format.

A type is declared by class attributes and a few overridable methods; the portal never
looks at a type's key to decide behaviour, it asks the type. See ``docs/plugins.md``.

Example::

    class ReadingClub(ActivityType):
        key = "reading_club"
        name_zh, name_en = "读书会", "Reading club"
        roles = {"member": Role("成员", "Member")}
        default_role = "member"
        form = ReadingClubForm
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from wtforms import Form

from portal.hours import (
    MAX_HOURS,  # the most hours an hours setting may go to
    floor_half,  # public (contract 1.21): hours down to the half hour, as the core rounds
)
from portal.messages import Msg, msg
from portal.timeutil import year_bounds
from workflows import ActivitySnapshot, ParticipantSnapshot, TransitionContext, WorkflowExtension


@dataclass(frozen=True)
class Role:
    """A participant role within an activity type, with its zh/en labels."""

    label_zh: str
    label_en: str


@dataclass(frozen=True)
class EvidenceKind:
    label_zh: str
    label_en: str
    written: bool = True  # a written piece may be typed in; otherwise a file is expected
    # on what took place (a reflection on it, an evaluation of it): taken once the activity has
    # begun, never for one still to come (contract 1.12)
    after_start: bool = False
    # one record of the activity, not of the person handing it in (a mentorship's meeting log): the
    # same piece is taken once at the activity, whoever of its people hands it in (contract 1.18)
    of_the_activity: bool = False


@dataclass(frozen=True)
class SampleEvidence:
    """Evidence the demo data (``flask demo``) adds so that the type's own guards pass."""

    kind: str
    stage: str  # a trigger of the type ("hold", "approve", or its own): added before it
    role: str | None = None  # every participant in this role; None: the organizer
    count: int = 1
    first_only: bool = False  # only the first participant in the role
    days_before_start: int | None = None  # backdate the upload (a handbook due ahead of time)


#: The range a number setting gets when its type declares none (and the default fits in it).
DEFAULT_SETTING_MINIMUM = 0
DEFAULT_SETTING_MAXIMUM = 1000
DEFAULT_SETTING_MAX_LENGTH = 200
#: The step of an hours setting (``Setting(hours=True)``): hours go by the half hour everywhere.
HOURS_STEP = 0.5


def _on_half_hours(number: float) -> bool:
    """Whether ``number`` is a whole number of half hours (0.7 is not; floats hold halves exactly)."""
    return (number / HOURS_STEP).is_integer()


def _hours_declaration_problem(default: float, lo: float, hi: float, integer: bool) -> tuple[type[Exception], str] | None:
    """Why a setting declared as hours cannot be one: its range leaves 0..999.5 or the half-hour grid."""
    if integer:
        return ValueError, "an hours setting goes by the half hour, not by whole numbers: drop integer=True"
    if lo < 0 or hi > float(MAX_HOURS):
        return ValueError, f"an hours setting's range {lo!r}..{hi!r} must lie within 0..{MAX_HOURS}"
    for name, value in (("minimum", lo), ("maximum", hi), ("default", default)):
        if not _on_half_hours(float(value)):
            return ValueError, f"its {name} {value!r} is not a multiple of {HOURS_STEP} hours"
    return None


#: What :meth:`Setting.read` answers for a stored value the setting cannot read (its default is read).
UNREAD: Any = object()


def _plain(number: float) -> str:
    """10.0 → '10', 1.5 → '1.5' (ranges in messages)."""
    return str(int(number)) if float(number).is_integer() else str(number)


@dataclass(frozen=True)
class Setting:
    """One setting a school may change for an activity type: its default, range and label.

    ``Setting(2, 0, 10, Text("主讲人学时倍数", "Speaker hours multiplier"))``. The JSON type is the
    default's: ``bool`` → true or false; ``int``/``float`` → a finite number from ``minimum`` to
    ``maximum`` (whole numbers only with ``integer=True``; half hours only with ``hours=True``,
    a number of hours whose range lies within 0 to 999.5, contract 1.23); ``str`` → text of at
    most ``max_length`` characters. A number without a range gets 0 to 1000 (widened to take in
    the default). The school admin's page, ``PUT /api/v1/activity-types/<key>`` and the OpenAPI
    document all use :meth:`check` and :meth:`json_schema`.
    """

    default: bool | int | float | str
    minimum: int | float | None = None
    maximum: int | float | None = None
    label: Text | None = None
    integer: bool = False
    max_length: int = DEFAULT_SETTING_MAX_LENGTH
    hours: bool = False

    def __post_init__(self) -> None:
        problem = self._declaration_problem()
        if problem is not None:  # named by its label: a type often declares several settings
            kind, text = problem
            label = self.label
            name = f"setting {label.en!r} ({label.zh}): " if isinstance(label, Text) else ""
            raise kind(name + text)

    def _declaration_problem(self) -> tuple[type[Exception], str] | None:
        d = self.default
        if not isinstance(d, (bool, int, float, str, list, dict)):
            return TypeError, f"a setting's default must be a JSON value, not {d!r}"
        if isinstance(d, (int, float)) and not isinstance(d, bool):  # is_number
            if not math.isfinite(d):
                return ValueError, f"a setting's default must be finite, not {d!r}"
            lo, hi = self.bounds
            if self.minimum is not None and self.maximum is not None and lo > hi:
                return ValueError, f"its minimum {lo!r} is above its maximum {hi!r}"
            if not (math.isfinite(lo) and math.isfinite(hi) and lo <= d <= hi):
                return ValueError, f"default {d!r} is outside the range {lo!r}..{hi!r}"
            if self.integer and not float(d).is_integer():
                return ValueError, f"default {d!r} of a whole-number setting is not whole"
            if self.hours:
                return _hours_declaration_problem(d, lo, hi, self.integer)
        elif self.minimum is not None or self.maximum is not None or self.integer or self.hours:
            return ValueError, "only a number setting has a range"
        return None

    @classmethod
    def inferred(cls, default: Any, label: Text | None = None) -> Setting:
        """The declaration of a setting a type gives only in ``default_settings`` (contract 1.0)."""
        if isinstance(default, (int, float)) and not isinstance(default, bool) and math.isfinite(default):
            lo = min(DEFAULT_SETTING_MINIMUM, default)
            hi = max(DEFAULT_SETTING_MAXIMUM, default)
            return cls(default, lo, hi, label)
        if isinstance(default, str):
            return cls(default, label=label, max_length=max(DEFAULT_SETTING_MAX_LENGTH, len(default)))
        return cls(default, label=label)

    @property
    def is_number(self) -> bool:
        return isinstance(self.default, (int, float)) and not isinstance(self.default, bool)

    @property
    def bounds(self) -> tuple[float, float]:
        """(minimum, maximum) of a number setting, the safe defaults filled in."""
        lo = DEFAULT_SETTING_MINIMUM if self.minimum is None else self.minimum
        hi = self.maximum
        if hi is None:
            d = self.default
            if isinstance(d, (int, float)) and not isinstance(d, bool):  # is_number
                hi = max(DEFAULT_SETTING_MAXIMUM, d)
            else:
                hi = DEFAULT_SETTING_MAXIMUM
        return lo, hi

    def read(self, value: Any) -> Any:
        """A stored ``value`` as the rules read it: itself when :meth:`check` takes it; for an
        hours setting, a number within its range but off the half-hour grid (saved before the
        setting was declared ``hours=True``: a ceiling of 0.7) down to the half hour, as the core
        rounds every number of hours (never above what the school saved); :data:`UNREAD` for
        anything else (the default is read instead)."""
        if self.check(value) is None:
            return value
        if not self.hours or isinstance(value, bool) or not isinstance(value, (int, float)):
            return UNREAD
        lo, hi = self.bounds
        try:
            if not lo <= float(value) <= hi:  # out of its range was never the school's: the default
                return UNREAD
            halves = math.floor(float(value) / HOURS_STEP) * HOURS_STEP
        except (OverflowError, ValueError):  # an int beyond any float, NaN, an infinity
            return UNREAD
        rounded: float | int = int(halves) if halves.is_integer() else halves
        return rounded if self.check(rounded) is None else UNREAD

    def check(self, value: Any) -> Msg | None:
        """Why ``value`` (a JSON value) cannot be this setting (a message code); None if it can."""
        if isinstance(self.default, bool):
            return None if isinstance(value, bool) else msg("must_be_bool")
        if self.is_number:
            lo, hi = self.bounds
            code = "settings.hours_range" if self.hours else "settings.whole_range" if self.integer else "settings.number_range"
            message = msg(code, low=_plain(lo), high=_plain(hi))
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return message
            try:
                number = float(value)
            except OverflowError:  # an int beyond any float
                return message
            if not math.isfinite(number) or not lo <= value <= hi:
                return message
            if self.integer and not number.is_integer():
                return message
            if self.hours and not _on_half_hours(number):
                return message
            return None
        if isinstance(self.default, (list, dict)):  # contract 1.0 allowed any JSON value
            return None if isinstance(value, type(self.default)) else msg(
                "settings.list" if isinstance(self.default, list) else "must_be_object")
        if not isinstance(value, str):
            return msg("evidence.must_be_text")
        if "\x00" in value:
            return msg("text.nul")
        if len(value) > self.max_length:
            return msg("at_most_chars", n=self.max_length)
        return None

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the values :meth:`check` accepts (for the OpenAPI document)."""
        out: dict[str, Any]
        if isinstance(self.default, bool):
            out = {"type": "boolean"}
        elif self.is_number:
            lo, hi = self.bounds
            out = {"type": "integer" if self.integer else "number", "minimum": lo, "maximum": hi}
            if self.hours:
                out["multipleOf"] = HOURS_STEP
        elif isinstance(self.default, (list, dict)):
            out = {"type": "array" if isinstance(self.default, list) else "object"}
        else:
            out = {"type": "string", "maxLength": self.max_length, "pattern": "^[^\\x00]*$"}
        out["default"] = self.default
        if self.label is not None:
            out["title"] = self.label.en
            out["description"] = f"{self.label.zh} / {self.label.en}"
        return out


@dataclass(frozen=True)
class SampleProfile:
    """How often a format runs in a school year and how big it is, for generated district
    data (``bench/datagen.py``): realistic volumes only, behaviour always comes from the type."""

    per_100_teachers: float  # activities per school year in a school of 100 teachers
    group: tuple[float, float]  # share of the staff in the main role (min, max)
    hours: tuple[float, float]  # the activity's hours (min, max), rounded to half hours
    min_group: int = 2
    max_group: int = 60

    def __post_init__(self) -> None:
        """Volumes a school could have, checked when the profile is made (contract 1.20): the demo
        sorts the types by their share of the staff and the generated data makes as many
        activities as asked, both outside the plugin's boundary — a share that is no number
        stopped ``flask demo`` for every type, a million activities a year never finished."""
        if problem := _sample_profile_problem(self):
            raise ValueError(f"SampleProfile: {problem}")


def _number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and math.isfinite(value)


def _range(value: object, low: float, high: float) -> bool:
    return (isinstance(value, (tuple, list)) and len(value) == 2 and all(_number(v) for v in value)
            and low <= value[0] <= value[1] <= high)


def _sample_profile_problem(p: SampleProfile) -> str | None:
    """What is wrong with a profile's volumes, or None."""
    if not _number(p.per_100_teachers) or not 0 < p.per_100_teachers <= 200:
        return f"per_100_teachers {p.per_100_teachers!r:.40} is not a number above 0 and at most 200"
    if not _range(p.group, 0, 1):
        return f"group {p.group!r:.60} is not (min, max) shares of the staff from 0 to 1"
    if not _range(p.hours, 0.5, 999.5):
        return f"hours {p.hours!r:.60} is not (min, max) hours from 0.5 to 999.5"
    if not all(type(n) is int for n in (p.min_group, p.max_group)) or not 1 <= p.min_group <= p.max_group <= 1000:
        return f"min_group {p.min_group!r:.20} and max_group {p.max_group!r:.20} are not whole numbers 1 ≤ min ≤ max ≤ 1000"
    return None


@dataclass(frozen=True)
class StandingPlan:
    """Another activity of the same type the planner already has (a self-declared type's other
    declarations), not cancelled or refused: its dates in the school's time, school year, hours
    and details."""

    starts_on: date
    ends_on: date
    hours: Decimal
    school_year: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PlanFacts:
    """What a type may check about an activity being planned (:meth:`ActivityType.check_plan`):
    its dates in the school's time, its hours, and today's date and school year there (its end
    and now also to the minute, in the school's time: naive local times); its
    details as the type's form cleaned them; and, for a self-declared type, the declarer's other
    declarations of the type still standing (``standing``: so a type can bound what one teacher
    claims across declarations — a day declared twice, a certificate declared again)."""

    starts_on: date
    ends_on: date
    hours: Decimal
    school_year: str  # the school year of ``starts_on``
    today: date
    current_school_year: str
    ends_at: datetime
    now: datetime
    details: dict[str, Any] = field(default_factory=dict)
    standing: tuple[StandingPlan, ...] = ()

    @property
    def year_ends_on(self) -> date:
        """The last day of ``school_year`` (31 August)."""
        return year_bounds(self.school_year)[1]


def school_year_words(year: str) -> Text:
    """``2026-2027`` as every page says it in a sentence — 2026—2027学年, "the 2026–2027 school
    year" — in both languages, for a plugin's message: the one year formatter's
    (:func:`portal.messages.school_year_text`), never the code."""
    from portal.messages import school_year_text

    return Text(school_year_text(year, lang="zh", within=True), school_year_text(year, lang="en", within=True))


# Evidence kinds every type may use; a type adds its own in ``evidence_kinds``.
COMMON_EVIDENCE_KINDS: dict[str, EvidenceKind] = {
    "reflection": EvidenceKind("教学反思", "Reflection", after_start=True),
    "evaluation": EvidenceKind("评课稿", "Lesson evaluation", after_start=True),
    "reading_notes": EvidenceKind("读书笔记", "Reading notes"),
    "report": EvidenceKind("报告", "Report"),
    "attachment": EvidenceKind("附件", "Attachment", written=False),
}


class EmptyDetailsForm(Form):
    """The details form of a type that has no fields of its own."""


class ActivityType:
    """Base class of every activity type. Subclass it and return an instance from the
    ``portal_activity_types`` hook."""

    #: Unique ASCII key, stored on every activity row (``lecture``, ``reading_club`` …).
    key: ClassVar[str]
    name_zh: ClassVar[str]
    name_en: ClassVar[str]
    description_zh: ClassVar[str] = ""
    description_en: ClassVar[str] = ""
    #: Participant roles: key → labels. The first is the default.
    roles: ClassVar[dict[str, Role]]
    #: WTForms form for the type's own fields (``Activity.details``). Used by the web page
    #: and the API alike, so there is one validation path.
    form: ClassVar[type[Form]] = EmptyDetailsForm
    #: Evidence each participant of a role must have before ``approve``: role → {kind: count}.
    required_evidence: ClassVar[dict[str, dict[str, int]]] = {}
    #: Extra evidence kinds this type uses (beyond COMMON_EVIDENCE_KINDS).
    evidence_kinds: ClassVar[dict[str, EvidenceKind]] = {}
    #: Settings a school may change for this type, with their defaults (JSON values). Filled in
    #: from ``declared_settings`` when a type declares its settings there.
    default_settings: ClassVar[dict[str, Any]] = {}
    #: zh/en labels of those settings for the school admin's page (the key is shown otherwise).
    settings_labels: ClassVar[dict[str, Text]] = {}
    #: The settings with their type, range and label: name → :class:`Setting`. A setting only in
    #: ``default_settings`` gets :meth:`Setting.inferred` (numbers 0 to 1000).
    declared_settings: ClassVar[dict[str, Setting]] = {}
    #: Role multipliers on attended hours used by the default credit rule.
    role_multipliers: ClassVar[dict[str, str]] = {}
    #: A self-declared type (学时申报): any teacher of the school plans one for themselves and is
    #: its organiser and only participant, in the first role, attending its hours; nobody adds
    #: participants or records attendance. Review, crediting and separation of duties are the
    #: workflow's, as for every type (the declarer is owner and participant, so never decides).
    self_declared: ClassVar[bool] = False
    #: Fields of the details form that are the declarer's own on a self-declared type (contract
    #: 1.23): a certificate number. The declarer, the reviewers and the school admin read them;
    #: the school's other teachers read the declaration without them (``policy.may_read_private``),
    #: on its page and in the API. Names of the form's fields, checked at load.
    private_details: ClassVar[tuple[str, ...]] = ()
    #: Whether this type's own :meth:`credit_hours` reads of a participant only their role and
    #: hours (attended, absent, excused), never who they are (contract 1.14). The core then asks it
    #: once per distinct role and hours of an activity, not once per person (a page listing sixty
    #: people asks a handful of times), and always passes it a participant without user id or name
    #: (``user_id`` 0, ``name`` ""): a rule that declares it cannot read more. The core's own rule
    #: reads only these anyway; a type keeping it need not declare anything.
    credit_by_role_and_hours: ClassVar[bool] = False
    #: What :meth:`check_plan` (and, for a self-declared type, the core) may refuse in a request
    #: the JSON Schema accepts, for the OpenAPI document's ``x-data-rules`` of ``POST
    #: /api/v1/activities``: ``{"field", "message" (a regular expression of the English text), "rule"}``.
    plan_rules: ClassVar[tuple[dict[str, str], ...]] = ()

    # -- naming -----------------------------------------------------------------------
    def name(self, locale: str | None) -> str:
        return self.name_en if (locale or "").startswith("en") else self.name_zh

    def role_label(self, role: str, locale: str | None) -> str:
        r = self.roles.get(role)
        if r is None:
            return role
        return r.label_en if (locale or "").startswith("en") else r.label_zh

    def all_evidence_kinds(self) -> dict[str, EvidenceKind]:
        return {**COMMON_EVIDENCE_KINDS, **self.evidence_kinds}

    @property
    def default_role(self) -> str:
        return next(iter(self.roles))

    # -- settings ---------------------------------------------------------------------
    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A type that declares ``declared_settings`` gets ``default_settings`` and
        ``settings_labels`` from them, so older code reading those keeps working."""
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("declared_settings")
        if declared:
            cls.default_settings = {**cls.default_settings, **{k: s.default for k, s in declared.items()}}
            labels = {k: s.label for k, s in declared.items() if s.label is not None}
            cls.settings_labels = {**cls.settings_labels, **labels}

    def setting_declarations(self) -> dict[str, Setting]:
        """Every setting of the type (the keys of ``default_settings``) with its declaration."""
        declared: dict[str, Setting] = {}
        for klass in reversed(type(self).__mro__):
            declared.update(klass.__dict__.get("declared_settings") or {})
        declared.update(self.__dict__.get("declared_settings") or {})
        return {
            key: declared.get(key) or Setting.inferred(default, self.settings_labels.get(key))
            for key, default in self.default_settings.items()
        }

    def settings_with_defaults(self, school_settings: dict[str, Any] | None) -> dict[str, Any]:
        """The school's settings over the defaults, each as :meth:`Setting.read` reads it: a
        stored value the declaration refuses (a range narrowed since, a value written past the
        validator) falls back to the default; an hours setting saved off the half-hour grid
        reads down to the half hour."""
        merged = dict(self.default_settings)
        if not school_settings or not isinstance(school_settings, dict):
            return merged  # none stored (most schools): no declaration to build and ask
        declarations = self.setting_declarations()
        for key, value in school_settings.items():
            spec = declarations.get(key)
            if spec is not None and (read := spec.read(value)) is not UNREAD:
                merged[key] = read
        return merged

    def setting_label(self, name: str) -> str:
        label = self.settings_labels.get(name)
        return str(label) if label is not None else name

    def validate_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """Errors by setting name for a school's settings: unknown keys, wrong JSON types, numbers
        that are not finite or out of the declared range (message codes of ``portal.messages``;
        an override may return plain text or ``Text`` too)."""
        if not isinstance(settings, dict):
            return {"settings": msg("must_be_object")}
        declarations = self.setting_declarations()
        errors: dict[str, Any] = {}
        for key, value in settings.items():
            spec = declarations.get(key)
            error = msg("settings.unknown") if spec is None else spec.check(value)
            if error:
                errors[str(key)] = error
        return errors

    def settings_json_schema(self) -> dict[str, Any]:
        """JSON Schema of a (partial) settings object: the declared keys only, each in range."""
        return {
            "type": "object",
            "additionalProperties": False,
            "properties": {k: spec.json_schema() for k, spec in self.setting_declarations().items()},
        }

    # -- rules ------------------------------------------------------------------------
    def credit_hours(
        self, participant: ParticipantSnapshot, activity: ActivitySnapshot, settings: dict[str, Any]
    ) -> Decimal:
        """Hours this participant is credited. Default: attended hours × the role's multiplier
        (setting ``<role>_multiplier`` if the type declares it, else ``role_multipliers``, else 1),
        rounded down to a half hour."""
        attended = participant.attended_hours or Decimal("0")
        raw = settings.get(f"{participant.role}_multiplier", self.role_multipliers.get(participant.role, "1"))
        return floor_half(attended * Decimal(str(raw)))

    def check_plan(self, plan: PlanFacts, settings: dict[str, Any]) -> dict[str, Any]:
        """Errors by core field (``starts_at``, ``ends_at``, ``hours``) of an activity being
        planned, beyond the core's own checks: each a ``Text`` or a message code. Default: none."""
        return {}

    def certificate_number(self, details: dict[str, Any]) -> str:
        """The certificate number a declaration's ``details`` name, as compared: written two ways
        (width, case, spaces, dashes), one answer; "" for none (the default: the type names
        none). Asked of a self-declared type only (contract 1.22): the core tells a declaration's
        reviewers and the school admin which of the school's other teachers' standing
        declarations of the type answer the same non-empty number
        (``shared_certificates.shared_with_others``), as it tells them of a file they share."""
        return ""

    def workflow(self) -> WorkflowExtension:
        """Guards, extra states and transitions this type adds to the core workflow. A guard
        answers a list of what is missing, each a ``Text(zh, en)`` or a string of the plugin's
        own catalogue; any other ``str`` is shown as written, in every language (and reported
        when a Chinese page shows one with no Chinese: docs/plugins.md §3 *Guards*)."""
        return WorkflowExtension()

    def required_evidence_for(self, role: str, settings: dict[str, Any]) -> dict[str, int]:
        """Evidence a participant in ``role`` must provide before approval."""
        return dict(self.required_evidence.get(role, {}))

    def render_details(self, details: dict[str, Any], locale: str | None) -> list[tuple[str, str]]:
        """(label, value) pairs shown on the activity page for the type's own fields."""
        form = self.form(data=details)
        out = []
        for f in form:
            value = details.get(f.name)
            if value in (None, ""):
                continue
            if hasattr(f, "iter_choices"):
                labels = {str(c[0]): c[1] for c in f.iter_choices()}
                value = labels.get(str(value), value)
            out.append((str(f.label.text), str(value)))
        return out

    # -- demo data --------------------------------------------------------------------
    def sample_details(self) -> dict[str, Any] | None:
        """Example values of the type's own fields for the demo school; None leaves the type
        out of the demo activities."""
        return None

    def sample_roles(self) -> list[str] | None:
        """The roles of a demo activity's participants, in order: the demo teachers (teacher1,
        teacher2 … at most five) take them, in ``flask demo`` and in the ``yanxiu_plan`` fixture.
        E.g. ``["lesson_teacher", "lesson_teacher", "observer", "observer"]`` for a type whose
        ``hold`` needs two lesson teachers. None (the default): teacher1 in the role that leads
        (the first besides ``default_role``), teacher2–teacher4 in ``default_role``. Contract 1.11."""
        return None

    def sample_profile(self) -> SampleProfile | None:
        """Volumes of this format in generated district data; None: a modest default."""
        return None

    def sample_evidence(self) -> list[SampleEvidence]:
        """Evidence beyond ``required_evidence_for`` that the type's guards need in the demo."""
        return []

    def page_fragment(self, ctx: TransitionContext, locale: str | None) -> str | None:
        """Optional HTML (already escaped/safe) shown on the activity page under the details."""
        return None


def evidence_counts(answer: object) -> dict[str, int]:
    """What ``required_evidence_for`` answered, as the core takes it: {kind: count ≥ 0}. Anything
    else raises TypeError (a plugin's bug, reported with its name), never a page's 500."""
    if not isinstance(answer, dict) or not all(
        isinstance(k, str) and type(n) is int and n >= 0 for k, n in answer.items()
    ):
        raise TypeError(f"required_evidence_for answers {{kind: count >= 0}}, not {answer!r:.80}")
    return dict(answer)


def missing_evidence(
    ctx: TransitionContext, required: dict[str, dict[str, int]], kinds: dict[str, EvidenceKind] | None = None
) -> list[Text]:
    """Guard helper: which attending participants lack their required evidence, each kind by
    its label — of ``kinds``, else as the activity's type declared them (the core's kinds
    included), else 「已停用的材料类型」 (「已停用类型的材料」 for a type not installed): never the key."""
    known_kinds = {**COMMON_EVIDENCE_KINDS, **kinds}.keys() if kinds is not None else ctx.type_kinds
    for role, counts in required.items():  # a typo would require nothing of anyone: raise instead
        ctx.check_role(role)
        for kind in counts:
            if known_kinds is not None and kind not in known_kinds:
                raise ValueError(f"evidence kind {kind!r} required of role {role!r} is not one of the kinds "
                                 f"({', '.join(sorted(known_kinds))})")
    out: list[Text] = []
    for p in ctx.participants:
        if not p.attended_hours:
            continue
        for kind, count in required.get(p.role, {}).items():
            have = len(ctx.evidence_of(p.user_id, kind))
            if have < count:
                who_zh, who_en = (p.name, p.name) if p.name else (f"人员 {p.user_id}", f"user {p.user_id}")
                label = (kinds or {}).get(kind) or COMMON_EVIDENCE_KINDS.get(kind)
                zh, en = (label.label_zh, label.label_en) if label else _kind_names(ctx.activity.type_key, kind)
                # in words, without the kind's key: "赵子涵：文章 0/2"
                out.append(Text(f"{who_zh}：{zh} {have}/{count}", f"{who_en}: {en} {have}/{count}"))
    return out


def _kind_names(type_key: str, kind: str) -> tuple[str, str]:
    """The Chinese and English labels of ``kind`` as the installed types declare it."""
    from flask import has_app_context

    from portal.registry import registry  # imports this module: read when a guard runs

    if not has_app_context():  # a guard's unit test on plain snapshots: no installed types to ask
        raise LookupError(f"missing_evidence has no label of evidence kind {kind!r} outside the portal: "
                          f"pass the type's kinds (missing_evidence(ctx, required, YourType.evidence_kinds))")

    return registry().kind_name(type_key, kind, "zh"), registry().kind_name(type_key, kind, "en")


class Text:
    """A zh/en text for plugin labels, resolved when shown in the viewer's language.

    ``Text("主题", "Topic")`` may be used wherever WTForms expects a label string.
    """

    __slots__ = ("zh", "en")

    def __init__(self, zh: str, en: str):
        self.zh = zh
        self.en = en

    def __str__(self) -> str:
        from portal.i18n import current_lang

        return self.en if current_lang() == "en" else self.zh

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))

    def __eq__(self, other: object) -> bool:
        """Equal to a ``Text`` with the same two texts, in any language (never to a plain string:
        no hash could agree with both of its texts)."""
        if not isinstance(other, Text):
            return NotImplemented
        return (self.zh, self.en) == (other.zh, other.en)

    def __hash__(self) -> int:
        return hash((self.zh, self.en))

    def __repr__(self) -> str:
        """As it was written (``Text('听众', 'Listener')``): what a message about it names."""
        return f"Text({self.zh!r}, {self.en!r})"

    def __len__(self) -> int:
        return len(str(self))

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)

    def __mod__(self, params: Any) -> Text:
        """Both texts formatted with ``params``, as a validator formats its message
        (``NumberRange(2, 6, message=Text("须在%(min)s至%(max)s之间", "from %(min)s to %(max)s"))``:
        WTForms' ``Length`` and ``NumberRange`` do ``message % dict(min=…, max=…)``). Contract 1.20;
        before, such a message raised TypeError and the type could not be planned."""
        return Text(self.zh % params, self.en % params)
