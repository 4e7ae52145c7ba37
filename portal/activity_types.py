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

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from wtforms import Form

from workflows import ActivitySnapshot, ParticipantSnapshot, TransitionContext, WorkflowExtension
from portal.hours import floor_half


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


@dataclass(frozen=True)
class SampleEvidence:
    """Evidence the demo data (``flask demo``) adds so that the type's own guards pass."""

    kind: str
    stage: str  # "hold" or "approve": added before that trigger
    role: str | None = None  # every participant in this role; None: the organizer
    count: int = 1
    first_only: bool = False  # only the first participant in the role
    days_before_start: int | None = None  # backdate the upload (a handbook due ahead of time)


# Evidence kinds every type may use; a type adds its own in ``evidence_kinds``.
COMMON_EVIDENCE_KINDS: dict[str, EvidenceKind] = {
    "reflection": EvidenceKind("教学反思", "Reflection"),
    "evaluation": EvidenceKind("评课稿", "Lesson evaluation"),
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
    #: Settings a school may change for this type, with their defaults (JSON values).
    default_settings: ClassVar[dict[str, Any]] = {}
    #: zh/en labels of those settings for the school admin's page (the key is shown otherwise).
    settings_labels: ClassVar[dict[str, Text]] = {}
    #: Role multipliers on attended hours used by the default credit rule.
    role_multipliers: ClassVar[dict[str, str]] = {}

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
    def settings_with_defaults(self, school_settings: dict[str, Any] | None) -> dict[str, Any]:
        merged = dict(self.default_settings)
        merged.update({k: v for k, v in (school_settings or {}).items() if k in self.default_settings})
        return merged

    def setting_label(self, name: str) -> str:
        label = self.settings_labels.get(name)
        return str(label) if label is not None else name

    def validate_settings(self, settings: dict[str, Any]) -> dict[str, str]:
        """Errors by setting name for a school's settings (unknown keys, wrong JSON types)."""
        errors: dict[str, str] = {}
        for key, value in settings.items():
            if key not in self.default_settings:
                errors[key] = "unknown setting"
                continue
            default = self.default_settings[key]
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    errors[key] = "must be true or false"
            elif isinstance(default, (int, float)):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    errors[key] = "must be a number ≥ 0"
            elif isinstance(default, str) and not isinstance(value, str):
                errors[key] = "must be text"
        return errors

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

    def workflow(self) -> WorkflowExtension:
        """Guards, extra states and transitions this type adds to the core workflow."""
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

    def sample_evidence(self) -> list[SampleEvidence]:
        """Evidence beyond ``required_evidence_for`` that the type's guards need in the demo."""
        return []

    def page_fragment(self, ctx: TransitionContext, locale: str | None) -> str | None:
        """Optional HTML (already escaped/safe) shown on the activity page under the details."""
        return None


def missing_evidence(
    ctx: TransitionContext, required: dict[str, dict[str, int]], kinds: dict[str, EvidenceKind] | None = None
) -> list[Text]:
    """Guard helper: which attending participants lack their required evidence."""
    kinds = kinds or COMMON_EVIDENCE_KINDS
    out: list[Text] = []
    for p in ctx.participants:
        if not p.attended_hours:
            continue
        for kind, count in required.get(p.role, {}).items():
            have = len(ctx.evidence_of(p.user_id, kind))
            if have < count:
                who = p.name or f"user {p.user_id}"
                label = kinds.get(kind)
                zh, en = (label.label_zh, label.label_en) if label else (kind, kind)
                out.append(Text(f"{who}：{zh} {have}/{count}（{kind}）", f"{who}: {en} {have}/{count} ({kind})"))
    return out


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
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(self.zh)

    def __len__(self) -> int:
        return len(str(self))

    def __add__(self, other: str) -> str:
        return str(self) + other

    def __radd__(self, other: str) -> str:
        return other + str(self)
