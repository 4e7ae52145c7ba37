"""学时申报 Declared training: hours a teacher earned at training the school did not organise
(district or city training, an online course, 自学), declared by the teacher with the certificate.

The teacher is the activity's organiser and only participant (``self_declared``): they declare
title, organiser, dates, hours and category, upload the certificate, and submit (the core
``hold``, relabelled). A reviewer approves (may lower the hours, with a reason — the core
``approve``), returns it with a comment, or refuses it (``refuse``, with a reason); the approved
hours are posted to the ledger by the core ``credit`` like any activity's, its source the
declaration. Approve, return, refuse and credit are ``independent``: the declarer never decides
about their own declaration, even when they are a reviewer too.

Bounds (``check_plan``): more than 0 and at most the school's ceiling per declaration (setting
``max_hours``) and per day of the training (``max_hours_per_day``) — per day also across the
teacher's declarations still standing (not cancelled or refused), in every school they are on
the staff of, so a day declared twice (or in two schools) cannot hold more; a certificate
number declared once (and, the core's rule, a training: its title on days a standing
declaration shares); dates inside the current school year and
its end not in the future (to the minute: a training ending later today is declared once it
has ended). The certificate is a file, not a typed text, and one file is the certificate
of one standing declaration of the teacher (``portal.services.activities.add_evidence``).
The number is compared as :meth:`DeclaredTraining.certificate_number` folds it: declared once by
one teacher here, and — the core's, through that contract member — told to the reviewers when
another teacher of the school declared it too.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any

from wtforms import Form, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from portal.activity_types import (
    ActivityType,
    EvidenceKind,
    PlanFacts,
    Role,
    SampleEvidence,
    SampleProfile,
    Setting,
    Text,
    missing_evidence,
    school_year_words,
)
from portal.hookspecs import hookimpl
from workflows import Phase, State, Transition, TransitionContext, WorkflowExtension

KEY = "declared"
DECLARANT = "declarant"
CERTIFICATE = "certificate"
REFUSED = "refused"

#: Where the training came from (category), zh/en.
CATEGORIES: dict[str, Text] = {
    "district": Text("区县级培训", "District training"),
    "city": Text("市级培训", "City training"),
    "province": Text("省级及以上培训", "Provincial or national training"),
    "online": Text("网络课程", "Online course"),
    "self_study": Text("自学", "Self-study"),
    "other": Text("其他", "Other"),
}


class DeclaredForm(Form):
    provider = StringField(Text("主办单位", "Organised by"), validators=[DataRequired(), Length(max=100)])
    category = SelectField(
        Text("培训类别", "Category"),
        choices=[SelectChoice(k, v) for k, v in CATEGORIES.items()],
        validators=[DataRequired()],
    )
    certificate_no = StringField(Text("证书编号（如有）", "Certificate number (if any)"), validators=[Optional(), Length(max=64)])


def certificate_uploaded(ctx: TransitionContext) -> list[Text]:
    """The declaration is submitted with its certificate."""
    missing = missing_evidence(ctx, {DECLARANT: {CERTIFICATE: 1}}, DeclaredTraining.evidence_kinds)
    return [Text(f"缺少材料：{m.zh}", f"evidence missing: {m.en}") for m in missing]


class DeclaredTraining(ActivityType):
    key = KEY
    name_zh = "学时申报"
    name_en = "Declared training"
    description_zh = "校外培训、网络课程或自学：教师本人申报学时并上传证书，审核通过后计入学时。"
    description_en = (
        "Training outside the school, an online course or self-study: the teacher declares the hours"
        " with the certificate; approved hours are credited."
    )
    roles = {DECLARANT: Role("申报教师", "Declaring teacher")}
    form = DeclaredForm
    self_declared = True
    private_details = ("certificate_no",)  # the declarer's, the reviewers' and the admin's: not a peer's
    evidence_kinds = {CERTIFICATE: EvidenceKind("培训证书", "Certificate", written=False)}
    required_evidence = {DECLARANT: {CERTIFICATE: 1}}
    declared_settings = {
        "max_hours": Setting(40, 0.5, 200, Text("单次申报学时上限", "Most hours per declaration"), hours=True),
        "max_hours_per_day": Setting(8, 0.5, 24, Text("每天学时上限", "Most hours per day of training"), hours=True),
    }

    plan_rules = (
        {"field": "ends_at", "message": "^must not be after now",
         "rule": "declared training: ended (its end not later than now, to the minute)"},
        {"field": "starts_at", "message": r"^must be in this school year",
         "rule": "declared training: in the current school year"},
        {"field": "ends_at", "message": r"^must be in this school year", "rule": "declared training: in the current school year"},
        {"field": "hours", "message": r"^at most [\d.]+ hours (per declaration|for \d+ day)",
         "rule": "declared training: at most the school's ceiling per declaration and per day"},
        {"field": "hours", "message": r"^together with your other declarations, more than [\d.]+ hours a day",
         "rule": "declared training: with the teacher's other standing declarations, at most the ceiling per day"},
        {"field": "details.certificate_no", "message": "^this certificate number was declared already",
         "rule": "declared training: a certificate number is declared once"},
        {"field": "participants", "message": "^a declaration is the declaring teacher's own",
         "rule": "declared training: no participant but the declaring teacher"},
    )

    def check_plan(self, plan: PlanFacts, settings: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        if plan.ends_at > plan.now:  # to the minute: training ending later today is declared once it has ended
            errors["ends_at"] = Text(
                "不能晚于现在：只能申报已结束的培训", "must not be after now: declare training that has ended"
            )
        this_year = school_year_words(plan.current_school_year)
        in_this_year = Text(f"须在本学年（{this_year.zh}）内", f"must be in this school year ({this_year.en})")
        if plan.school_year != plan.current_school_year:
            errors["starts_at"] = in_this_year
        elif plan.ends_on > plan.year_ends_on:
            errors["ends_at"] = in_this_year
        most = Decimal(str(settings.get("max_hours", 40)))
        days = (plan.ends_on - plan.starts_on).days + 1
        per_day = Decimal(str(settings.get("max_hours_per_day", 8))) * days
        if plan.hours > most:
            errors["hours"] = Text(
                f"每次申报至多 {most.normalize():f} 学时", f"at most {most.normalize():f} hours per declaration"
            )
        elif plan.hours > per_day:
            errors["hours"] = Text(
                f"{days} 天的培训至多 {per_day.normalize():f} 学时",
                f"at most {per_day.normalize():f} hours for {days} day(s) of training",
            )
        elif (crowded := _crowded_days(plan, Decimal(str(settings.get("max_hours_per_day", 8))))) is not None:
            first, last, limit = crowded
            errors["hours"] = Text(
                f"与您已申报的培训合计，{first:%Y-%m-%d} 至 {last:%Y-%m-%d} 超过每天 {limit.normalize():f} 学时",
                f"together with your other declarations, more than {limit.normalize():f} hours a day"
                f" from {first:%Y-%m-%d} to {last:%Y-%m-%d}",
            )
        number = self.certificate_number(plan.details)
        if number and any(self.certificate_number(other.details) == number for other in plan.standing):
            errors["details"] = {"certificate_no": [Text(
                "该证书编号已申报过：同一证书只能申报一次",
                "this certificate number was declared already: a certificate counts once",
            )]}
        return errors

    def certificate_number(self, details: dict[str, Any]) -> str:
        """The number as compared (:func:`_certificate_no`): declared once by a teacher
        (``check_plan``), and told to the reviewers when another teacher of the school declared it
        too (the core's ``shared_certificates``)."""
        return _certificate_no(details)

    def workflow(self) -> WorkflowExtension:
        return WorkflowExtension(
            states=(State(REFUSED, "未通过", "Refused", final=True, phase=Phase.CLOSED),),
            transitions=(
                Transition("hold", ("planned",), "held", frozenset({"owner"}), "提交申报", "Submit the declaration"),
                Transition(
                    "refuse",
                    ("held",),
                    REFUSED,
                    frozenset({"reviewer"}),
                    "不予认定",
                    "Refuse",
                    comment_required=True,
                    independent=True,
                    stand_in_roles=frozenset({"school_admin"}),
                ),
            ),
            guards={"hold": (certificate_uploaded,)},
        )

    def sample_details(self) -> dict[str, Any]:
        return {"provider": "区教师进修学校", "category": "district", "certificate_no": ""}

    def sample_profile(self) -> SampleProfile:
        return SampleProfile(30, (0.2, 0.3), (4, 16), min_group=1, max_group=1)

    def sample_evidence(self) -> list[SampleEvidence]:
        return [SampleEvidence(CERTIFICATE, "hold", role=DECLARANT)]


def _certificate_no(details: dict[str, Any]) -> str:
    """The number as compared: its letters and digits only, width and case folded (NFKC), so
    ``SZ-2026-777``, ``ＳＺ－２０２６－７７７``, ``sz 2026 777`` and one with a zero-width space
    are one certificate, declared once."""
    folded = unicodedata.normalize("NFKC", str(details.get("certificate_no") or "")).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def _crowded_days(plan: PlanFacts, per_day: Decimal) -> tuple[date, date, Decimal] | None:
    """Days on which the declarer's standing declarations of the school year and this one could
    not all have taken place at most ``per_day`` hours a day: the first span [a, b] holding this
    declaration whose declarations (those lying wholly inside it) claim more than ``per_day`` ×
    its days, or None. Checking every span from a declaration's first day to one's last day is
    exact: the hours fit the days iff no span is overfull. Only spans holding this declaration
    are asked: days declared before the school lowered its ceiling keep what was accepted and
    do not block a declaration of other days."""
    spans = [(p.starts_on, p.ends_on, p.hours) for p in plan.standing if p.school_year == plan.school_year]
    spans.append((plan.starts_on, plan.ends_on, plan.hours))
    for first in sorted({s for s, _, _ in spans if s <= plan.starts_on}):
        for last in sorted({e for _, e, _ in spans if e >= plan.ends_on}):
            claimed = sum((h for s, e, h in spans if s >= first and e <= last), Decimal(0))
            if claimed > per_day * ((last - first).days + 1):
                return first, last, per_day
    return None


@hookimpl
def portal_activity_types():
    return [DeclaredTraining()]
