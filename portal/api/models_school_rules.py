"""The wire format of the school's rules (``GET`` / ``PUT /api/v1/school/rules``), built from
their declarations (``portal.school_rules.SCHOOL_RULES``): a rule declared there is in the
request model, the response and the document without an edit here.

The request takes each rule as its declaration says — true or false for a switch, a whole
number for a whole-number rule, hours in steps of 0.5 — in its declared range; the service
(``schools.update_rules``, the same as the rules page) checks the rest: the district's floors
and the absence warning below the absence limit (the operation's ``x-data-rules``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, create_model

from portal.activity_types import HOURS_STEP, Setting
from portal.api.models import Body, Out, _whole, absent
from portal.models import School
from portal.school_rules import SCHOOL_RULES
from portal.services import schools


def _described(key: str, spec: Setting) -> str:
    label = spec.label
    return f"{label.zh} / {label.en}" if label is not None else key


def _request_type(key: str, spec: Setting) -> Any:
    """The type a rule's value must have in the request: its declaration's type and range."""
    if not spec.is_number:
        return bool
    lo, hi = spec.bounds
    if spec.hours:  # half hours (``hours=True``): multipleOf 0.5, as a type's hours setting
        # stored as the rules page stores them: 3, not 3.0
        return Annotated[float, Field(ge=lo, le=hi, multiple_of=HOURS_STEP, allow_inf_nan=False), AfterValidator(_whole)]
    if spec.integer:
        return Annotated[int, Field(strict=True, ge=int(lo), le=int(hi)), BeforeValidator(_whole)]
    return Annotated[float, Field(ge=lo, le=hi, allow_inf_nan=False)]


#: ``PUT /school/rules``: only the rules sent change; a rule not declared is refused by its name.
SchoolRulesUpdate: type[Body] = create_model(  # type: ignore[call-overload]
    "SchoolRulesUpdate",
    __base__=Body,
    __doc__="The rules to change, each as its declaration says (the others keep their values).",
    **{key: (_request_type(key, spec), absent(_described(key, spec))) for key, spec in SCHOOL_RULES.items()},
)


class SchoolRule(Out):
    key: str
    label: str = Field(description="in the language `Accept-Language` asks for (Chinese by default)")
    label_zh: str
    label_en: str
    type: Literal["boolean", "integer", "number"] = Field(
        description="boolean: a switch; integer: a whole number; number: hours, in steps of `step`")
    value: bool | int | float = Field(description="the rule in effect at the school (its own, else the district's, "
                                                  "else the default)")
    minimum: int | float = absent("the least the school may set (its declared range, raised to the district's "
                                  "floor if the district set one)")
    maximum: int | float = absent("the most the school may set (its declared range, lowered to the district's "
                                  "limit if the district set one)")
    step: int | float = absent("values go in steps of this")
    district: int | float = absent("what the district set for its schools: a school may be stricter, never more "
                                   "lenient")

    @classmethod
    def of(cls, school: School, key: str, spec: Setting, locale: str) -> SchoolRule:
        label = spec.label
        zh, en = (label.zh, label.en) if label is not None else (key, key)
        out = cls(key=key, label=en if locale == "en" else zh, label_zh=zh, label_en=en,
                  type="boolean" if not spec.is_number else "integer" if spec.integer else "number",
                  value=school.rule(key))
        if spec.is_number:
            out.minimum, out.maximum = schools.rule_bounds(school, key)
            step = HOURS_STEP if spec.hours else 1 if spec.integer else None
            if step is not None:
                out.step = step
            district = schools.district_setting(school, key)
            if district is not None:
                out.district = district
        return out


class SchoolRules(Out):
    school: str = Field(description="school code")
    rules: list[SchoolRule] = Field(description="every rule of the school, in the order they are declared")

    @classmethod
    def of(cls, school: School, locale: str) -> SchoolRules:
        return cls(school=school.code, rules=[SchoolRule.of(school, key, spec, locale)
                                              for key, spec in SCHOOL_RULES.items()])
