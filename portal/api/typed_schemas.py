"""The exact request schemas of the OpenAPI document, built from the installed activity types
and their workflow whenever the document is asked for.

The models of ``portal.api.models`` hold the shapes spectree checks first (and that do not
depend on what is installed); the services check the rest with their own messages. The
document publishes what the server as a whole accepts, so that a request valid by the document
is accepted (unless a rule on stored data refuses it, listed in the operation's
``x-data-rules``) and a request the document calls invalid is refused:

* ``POST /activities``: one variant per installed type (``type`` is the discriminator), with the
  type's roles and its details form as a JSON Schema (:func:`details_schema`);
* ``PUT /activity-types/<key>``: one path per installed type, its settings with their declared
  types and ranges (``ActivityType.settings_json_schema``), unknown settings refused;
* ``POST …/transitions``: one variant per trigger of the installed workflows, a comment where
  the trigger needs one, adjusted hours only where the trigger takes them (with a reason);
* evidence kinds: every kind an installed type uses;
* ``POST /me/writing``: the text of a teacher's own writing, storable and not blank;
* text: no NUL characters (the input guard refuses them anywhere), and non-blank where the
  services strip and require text; times: the exact ISO 8601 form the API takes, with real
  calendar dates in 2000–2099.
"""

from __future__ import annotations

import copy
from typing import Any

from wtforms import Form
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.details_json import field_kind
from portal.models.school import RAISE_ONLY
from portal.security import BIDI_REORDERING
from portal.timeutil import MAX_YEAR, MIN_YEAR


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# -- text -------------------------------------------------------------------------------------

#: What no stored text may hold (``portal.input_guard``): NUL and the bidirectional controls
#: that reorder text (``portal.security.BIDI_REORDERING``). Unpaired surrogates are refused
#: too, but they are not Unicode text to begin with (I-JSON, RFC 7493, forbids them), and a
#: surrogate range in the class below makes schemathesis's generator ignore the whole pattern.
UNSTORABLE = "\\x00" + "".join(f"\\u{ord(c):04x}" for c in BIDI_REORDERING)
#: Python's whitespace (``str.isspace``, what ``str.strip`` removes), spelled out so that any
#: regular-expression engine reads the class alike.
SPACE = "\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
TEXT_PATTERN = f"^[^{UNSTORABLE}]*$"
NONBLANK_PATTERN = f"[^{SPACE}]"  # (unanchored) at least one character that is not whitespace
BLANK_PATTERN = f"^[{SPACE}]*$"


def text(max_length: int | None = None, *, min_length: int | None = None, nonblank: bool = False) -> dict[str, Any]:
    """A storable string; ``nonblank``: not empty once stripped (what the services require)."""
    out: dict[str, Any] = {"type": "string", "pattern": TEXT_PATTERN}
    if min_length:
        out["minLength"] = min_length
    if max_length is not None:
        out["maxLength"] = max_length
    if nonblank:
        out["minLength"] = max(1, min_length or 0)
        out["allOf"] = [{"pattern": NONBLANK_PATTERN}]
    return out


def storable(schema: Any) -> Any:
    """Give every string schema in ``schema`` (in place) the no-NUL pattern unless it has a
    pattern, an enum, a constant or a format of its own."""
    if isinstance(schema, list):
        for item in schema:
            storable(item)
        return schema
    if not isinstance(schema, dict):
        return schema
    types = schema.get("type")
    is_string = types == "string" or (isinstance(types, list) and "string" in types)
    if is_string and not ({"pattern", "enum", "const", "format"} & set(schema)):
        schema["pattern"] = TEXT_PATTERN
    for key in ("properties", "patternProperties", "$defs"):
        for sub in (schema.get(key) or {}).values():
            storable(sub)
    for key in ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else"):
        if isinstance(schema.get(key), dict):
            storable(schema[key])
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        if isinstance(schema.get(key), list):
            storable(schema[key])
    return schema


# -- times ------------------------------------------------------------------------------------

def _datetime_pattern() -> str:
    assert MIN_YEAR == 2000 and MAX_YEAR == 2099, "the pattern below spells out 2000–2099"
    day31, day30, day28 = "(0[1-9]|[12][0-9]|3[01])", "(0[1-9]|[12][0-9]|30)", "(0[1-9]|1[0-9]|2[0-8])"
    date = (
        f"(20[0-9]{{2}}-((0[13578]|1[02])-{day31}|(0[469]|11)-{day30}|02-{day28})"
        "|20([02468][048]|[13579][26])-02-29)"  # leap years: every fourth, 2000 included
    )
    clock = "([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?"
    offset = "(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?"
    return f"^{date}T{clock}{offset}$"


DATETIME_EXACT = {
    "type": "string",
    "pattern": _datetime_pattern(),
    "description": "ISO 8601 date and time, YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|±HH:MM], in the years "
    f"{MIN_YEAR}–{MAX_YEAR}; without an offset it is in the school's time zone",
    "examples": ["2026-10-15T14:00", "2026-10-15T14:00+08:00"],
}


# -- a type's details form as JSON Schema --------------------------------------------------------

def _validator(field: Any, cls: type) -> Any:
    return next((v for v in field.validators if isinstance(v, cls)), None)


def _field_schema(field: Any) -> tuple[dict[str, Any], bool]:
    """(JSON Schema of one field's value, whether the field is required)."""
    data_required = _validator(field, DataRequired) is not None
    required = data_required or _validator(field, InputRequired) is not None
    optional = _validator(field, Optional) is not None
    length = _validator(field, Length)
    kind = field_kind(field)
    label = field.label.text
    schema: dict[str, Any]
    if kind == "text":
        schema = text(nonblank=data_required)
        if _validator(field, InputRequired) is not None:
            schema["minLength"] = max(1, schema.get("minLength", 0))
        if length is not None:
            if length.min is not None and length.min > 0:
                schema["minLength"] = max(length.min, schema.get("minLength", 0))
            if length.max is not None and length.max >= 0:
                schema["maxLength"] = length.max
    elif kind == "choice":
        values = [str(c[0]) for c in field.iter_choices()]
        schema = {"type": "string", "enum": values} if getattr(field, "validate_choice", True) else text()
    elif kind == "boolean":
        schema = {"type": "boolean"}
    elif kind in ("integer", "number"):
        schema = {"type": kind}
        bounds = _validator(field, NumberRange)
        if bounds is not None and bounds.min is not None:
            schema["minimum"] = bounds.min
        if bounds is not None and bounds.max is not None:
            schema["maximum"] = bounds.max
    else:
        schema = {"description": f"checked by the type's form ({field.type})"}
    if optional and kind in ("text", "choice"):
        # Optional() lets an empty or whitespace-only value through before any other check
        schema = {"anyOf": [schema, {"type": "string", "pattern": BLANK_PATTERN}]}
    if not required and kind != "other":
        schema = {"anyOf": [schema, {"type": "null"}]}  # null: not given
    if label is not None:
        schema = {**schema, "title": str(getattr(label, "en", label))}
    return schema, required


def details_schema(form_cls: type[Form]) -> dict[str, Any]:
    """The JSON Schema of ``details`` for a type's form: its fields only, each of its JSON type,
    required fields required (and not blank where the form strips), lengths, choices, ranges."""
    form = form_cls()
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in form:
        schema, is_required = _field_schema(field)
        properties[field.name] = schema
        if is_required:
            required.append(field.name)
    out: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        out["required"] = required
    return out


# -- the document's components ------------------------------------------------------------------

def _participants(comps: dict[str, Any], roles: list[str]) -> dict[str, Any]:
    base = copy.deepcopy(comps["ActivityCreate"]["properties"]["participants"])
    item = copy.deepcopy(comps["ParticipantInput"])
    item["properties"]["role"] = {"type": "string", "enum": roles, "description": "default: the type's first role"}
    base["items"] = item
    return base


def _activity_create(comps: dict[str, Any], key: str, reg: Any) -> dict[str, Any]:
    out = copy.deepcopy(comps["ActivityCreate"])
    props = out["properties"]
    props["type"] = {"const": key}
    props["title"] = text(200, nonblank=True)
    props["starts_at"] = copy.deepcopy(DATETIME_EXACT)
    props["ends_at"] = {**copy.deepcopy(DATETIME_EXACT), "description": "not before `starts_at`"}
    props["location"] = text(200)
    props["participants"] = _participants(comps, list(reg.decl.roles))
    props["details"] = reg.decl.details_json_schema()
    if props["details"].get("required"):
        out["required"] = [*out["required"], "details"]
    out["title"] = f"Plan a {reg.decl.name_en} ({key})"
    return out


def _triggers(definitions: list[Any]) -> dict[str, dict[str, bool]]:
    """Every trigger of the installed workflows: whether it needs a comment (always, or once
    others are concerned: ``Transition.needs_comment_with``), takes hours."""
    out: dict[str, dict[str, bool]] = {}
    for definition in definitions:
        for t in definition.transitions:
            seen = out.setdefault(t.trigger, {"comment": False, "hours": False, "others": False})
            seen["comment"] |= t.comment_required
            seen["others"] |= t.comment_when_others
            seen["hours"] |= t.adjusts_hours
    return out


def _transition_variants(base: dict[str, Any], trigger: str, needs: dict[str, bool]) -> list[dict[str, Any]]:
    comment_max = base["properties"]["comment"]["maxLength"]
    raw = base["properties"]["hours"]  # pydantic: {"patternProperties": {user id pattern: hours}}
    ((user_id, hours_value),) = raw["patternProperties"].items()
    hours = {"type": "object", "description": raw.get("description", ""), "propertyNames": {"pattern": user_id},
             "additionalProperties": copy.deepcopy(hours_value)}

    def variant(comment: dict[str, Any], hours_schema: dict[str, Any], required: list[str]) -> dict[str, Any]:
        return {
            "type": "object",
            "additionalProperties": False,
            "required": ["trigger", *required],
            "properties": {"trigger": {"const": trigger}, "comment": comment, "hours": hours_schema},
        }

    comment = text(comment_max, nonblank=needs["comment"])
    if needs.get("others") and not needs["comment"]:  # asked of the activity's people: said, enforced by the service
        comment["description"] = (f"required (not blank) for `{trigger}` when anyone other than you takes part in "
                                  "the activity, signed up for it or organises it: they are told it as the reason")
    reason = text(comment_max, nonblank=True)
    no_hours = {"type": "object", "maxProperties": 0, "description": f"`{trigger}` takes no hours"}
    with_comment = ["comment"] if needs["comment"] else []
    if not needs["hours"]:
        return [variant(comment, no_hours, with_comment)]
    adjusted = {**hours, "minProperties": 1, "description": hours.get("description", "") + "; needs a reason in `comment`"}
    return [variant(comment, no_hours, with_comment), variant(reason, adjusted, ["comment", "hours"])]


def _kinds(types: list[Any]) -> list[str]:
    kinds: list[str] = []
    for t in types:
        for kind in t.decl.evidence_kinds:
            if kind not in kinds:
                kinds.append(kind)
    return kinds


def update_component(key: str) -> str:
    return f"ActivityTypeUpdate_{key}"


def document_components(generated: dict[str, Any], types: dict[str, Any], definitions: list[Any]) -> dict[str, Any]:
    """The models' schemas (as spectree generated them) made exact for the installed types
    (``key → RegisteredType``: what they declared at load, and their forms) and their workflow definitions."""
    comps = copy.deepcopy(generated)
    # planning: one variant per type
    if types:
        names = {key: f"ActivityCreate_{key}" for key in types}
        for key, t in types.items():
            comps[names[key]] = _activity_create(comps, key, t)
        comps["ActivityCreate"] = {
            "oneOf": [ref(name) for name in names.values()],
            "discriminator": {"propertyName": "type", "mapping": {k: ref(n)["$ref"] for k, n in names.items()}},
            "description": "One variant per installed activity type; `type` picks it.",
        }
    else:
        comps["ActivityCreate"]["properties"]["type"] = {"not": {}, "description": "no activity type is installed"}
    if "ParticipantsChange" in comps and "ParticipantInput" in comps:  # the list changed after planning: any type's
        roles = sorted({role for t in types.values() for role in t.decl.roles})
        item = copy.deepcopy(comps["ParticipantInput"])
        item["properties"]["role"] = {"type": "string", "enum": roles or [""],
                                      "description": "one of the activity type's roles; default: its first"}
        comps["ParticipantsChange"]["properties"]["participants"]["items"] = item
    comps.pop("ParticipantInput", None)  # each type's variant has its roles
    # settings: one update body per type
    for key, t in types.items():
        comps[update_component(key)] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "enabled": {"type": "boolean"},
                "settings": {**t.decl.settings_json_schema(), "description": f"settings of {key} to change"},
            },
        }
    comps.pop("ActivityTypeUpdate", None)  # only the per-type bodies are documented
    # triggers
    base = comps["TransitionRequest"]
    variants = [v for trig, needs in _triggers(definitions).items() for v in _transition_variants(base, trig, needs)]
    comps["TransitionRequest"] = {
        "anyOf": variants or [{"not": {}}],
        "description": "One variant per trigger of the installed workflows (a trigger taking hours has two: "
        "without adjusted hours, and with them and a reason).",
    }
    # evidence
    kinds = _kinds(list(types.values()))
    comps["EvidenceText"]["properties"]["kind"] = {"type": "string", "enum": kinds}
    comps["EvidenceText"]["properties"]["text"] = text(comps["EvidenceText"]["properties"]["text"]["maxLength"],
                                                       nonblank=True)
    comps["EvidenceUpload"]["properties"]["kind"] = {"type": "string", "enum": kinds}
    # other form fields are ignored, but their names and values are text like any other
    comps["EvidenceUpload"]["propertyNames"] = {"pattern": TEXT_PATTERN}
    comps["EvidenceUpload"]["additionalProperties"] = {"type": "string", "description": "ignored"}
    # a teacher's own writing: its text is stripped and required like evidence text
    writing = comps["WritingCreate"]["properties"]
    writing["text"] = text(writing["text"]["maxLength"], nonblank=True)
    for name in ("TokenRequest", "AttendanceRow", "EvidenceText", "EvidenceUpload", "TransitionRequest", "WritingCreate",
                 *(n for n in comps if n.startswith(("ActivityCreate", "ActivityTypeUpdate_")))):
        storable(comps[name])
    return comps


# -- refusals that depend on stored data ----------------------------------------------------------

#: The rules of an activity's times that no schema states, planned or moved (``activities._times``).
_TIMES_RULES: list[dict[str, str]] = [
    {"field": "ends_at", "message": "^must not be before the start$", "rule": "`ends_at` is not before `starts_at`"},
    {"field": "ends_at", "message": r"^must be in the same semester as the start: ",
     "rule": "`ends_at` is in the semester of `starts_at` (in the school's time): an activity's hours are its semester's"},
    {"field": "starts_at", "message": r"^the \S+ school year is over: an activity starts in this school year or the last one",
     "rule": "`starts_at` is in the school's year now or the last one (policy.first_year_to_date)"},
]

#: Rules the server applies that no JSON Schema can state (they compare two fields or depend on
#: what is stored), by operation: a request valid by the document may be refused with 422 for
#: exactly these, and the message is the one given (a regular expression). Published as the
#: operation's ``x-data-rules``.
DATA_RULES: dict[str, list[dict[str, str]]] = {
    "add_participants": [
        {"field": "participants", "message": r"^(#\d+: not|.+ is no longer) a member of this school$",
         "rule": "every participant is an active member of the school"},
        {"field": "participants", "message": r"^(#\d+:|.+ is) listed twice$", "rule": "no user is listed twice"},
        {"field": "participants", "message": r"^#\d+: not a role of this type of activity; its roles are ",
         "rule": "each role is one of the activity type's roles"},
        {"field": "participants", "message": r" is not on the school's teaching staff when the activity is held",
         "rule": "someone added is on the school's teaching staff when the activity is held"},
        {"field": "participants", "message": r"'s attendance is recorded with their role: the role no longer changes$",
         "rule": "the role of someone whose attendance is recorded stays the role it was recorded with"},
        {"field": "participants", "message": r"^you are put on this activity's list, or given another role on it, by its ",
         "rule": "one's own place and role on the list are given by the activity's organizer or another school admin"
                 " (policy.may_place_oneself)"},
    ],
    "create_activity": [
        *_TIMES_RULES,
        {"field": "hours", "message": r"^at most [\d.]+ hours: the activity lasts ",
         "rule": "`hours` fit the activity's length: at most its minutes over 45 (a lesson), rounded up to a half hour"},
        {"field": "hours", "message": r"^at most [\d.]+ hours: the role .+ would be credited more than ",
         "rule": "under the core's credit rule no role of the type is credited more than 999.5 hours at full attendance"},
        {"field": "participants", "message": r"^(#\d+: not|.+ is no longer) a member of this school$",
         "rule": "every participant is an active member of the school"},
        {"field": "participants", "message": r"^(#\d+:|.+ is) listed twice$", "rule": "no user is listed twice"},
        {"field": "participants", "message": r" is not on the school's teaching staff when the activity is held",
         "rule": "everyone listed is on the school's teaching staff when the activity is held"},
        {"field": "type", "message": "^not enabled$", "rule": "the type is enabled for the school"},
        {"field": "hours", "message": r"^at most [\d.]+ hours: this training overlaps your declaration ",
         "rule": "a self-declared training's hours and those of the teacher's standing declarations overlapping it in"
         " time fit the time they cover together (its minutes over 45, rounded up to a half hour)"},
        {"field": "title", "message": "^you declared this training already",
         "rule": "a self-declared training is declared once: not again with the title of one of the teacher's standing"
         " declarations (any school, not cancelled or refused) on days it shares"},
    ],
    "reschedule": [  # the times checked as planning checks them (the type's own checks too: openapi.document)
        *_TIMES_RULES,
        {"field": "ends_at", "message": r"^too short for the activity's [\d.]+ hours: ",
         "rule": "the activity's hours fit its new length: at most its minutes over 45 (a lesson), rounded up to a half hour"},
        {"field": "starts_at", "message": "^these are the times it already has$", "rule": "the times are new"},
        {"field": "starts_at", "message": r"^the \S+ school year was accepted by the district and is locked",
         "rule": "`starts_at` is not in a period the district accepted"},
        {"field": "starts_at", "message": r"^this line of the plan is for the \S+ school year: ",
         "rule": "an activity carrying out a line of the annual plan stays in the plan's school year"},
        {"field": "starts_at", "message": r"^sign-up must close before the activity starts ",
         "rule": "an open sign-up closes before the new start"},
        {"field": "starts_at", "message": r"^not on the school's teaching staff at the new time, so it would not be theirs: ",
         "rule": "everyone on the list is on the school's teaching staff at the new time"},
        {"field": "starts_at", "message": r": recorded attending .+ at that time, which leaves no room for this activity's ",
         "rule": "nobody taking part is recorded attending something else that leaves no room for the activity's hours"
         " at the new time"},
    ],
    "put_attendance": [
        {"field": "attendance", "message": "^not a participant of this activity$",
         "rule": "every row is a participant of the activity"},
        {"field": "attendance", "message": "^listed twice$", "rule": "no participant is listed twice"},
        {"field": "attendance", "message": r"^\w+: at most [\d.]+ hours$", "rule": "hours are at most the activity's"},
        {"field": "attendance", "message": r"^attended, absent and excused hours together exceed the activity's [\d.]+$",
         "rule": "attended, absent and excused hours together are at most the activity's"},
        {"field": "attendance", "message": r"^your own attendance is recorded or changed by someone else who runs the ",
         "rule": "one's own row is entered by the activity's organizer alone, once, and otherwise recorded or changed by"
                 " someone else (policy.may_record_own_attendance); sent as it stands it passes"},
    ],
    "add_evidence": [
        {"field": "user_id", "message": "^not a participant of this activity$",
         "rule": "the evidence is for a participant or the organizer"},
        {"field": "kind", "message": "^kinds: .*$", "rule": "the kind is one the activity's type uses"},
        {"field": "text", "message": "^this text is already in your record",
         "rule": "a written piece already in the teacher's record of the year (own writing or written evidence at any"
         " activity) counts once"},
        {"field": "text", "message": r": this piece is handed in here already \(“",
         "rule": "the same piece (the same counted characters, or the same file) is handed in once by a person at an"
         " activity as a kind: a type's guards count pieces (evidence.handed_in_again)"},
        {"field": "file", "message": ".*", "rule": "the file's content matches its extension (pdf, png, jpg, docx, "
         "xlsx, pptx, doc, txt in UTF-8 or GB18030 without NUL bytes), is not empty, is within the size limit, and its"
         " name has no control characters;"
         " a kind the type takes as a file (certificate, handbook, attachment …) is a file, not a text"},
    ],
    "add_my_writing": [  # portal/api/views_writing.py
        {"field": "title", "message": r"^a title of 1–\d+ characters is required",
         "rule": "reading notes name their book, a paper its title (a reflection may have none)"},
        {"field": "text", "message": "^this text is already in your record",
         "rule": "a text already in the teacher's record of the year (own writing or written evidence) counts once"},
    ],
    "update_activity_type": [
        {"field": "settings", "message": r"still to be credited has [\d.]+ hours: with these settings the role ",
         "rule": "under the core's credit rule no role of the school's activities of the type still to be credited"
         " (planned, held or reviewed) would be credited more than 999.5 hours at full attendance"},
    ],
    "update_school_rules": [  # schools.update_rules: the district's settings bound the school's
        *({"field": key, "message": r"^the district requires at least [\d.]+; a school may raise it, not lower it$",
           "rule": f"`{key}` is not below what the district set"} for key in RAISE_ONLY),
        {"field": "absence_limit_hours",
         "message": r"^the district's limit is [\d.]+; a school may lower it, not raise it$",
         "rule": "`absence_limit_hours` is not above what the district set"},
        {"field": "absence_warning_hours",
         "message": r"^must be below the absence at which the year is not recognised \([\d.]+ hours\), or 0 for no "
                    r"warning$",
         "rule": "`absence_warning_hours` is below the absence limit (the one sent, else the school's), or 0: asked"
                 " when either changes"},
        {"field": "required_hours",
         "message": r"^must be at least [\d.]+ hours, unless the writing quotas decide the year and ask for some "
                    r"writing",
         "rule": "`required_hours` is at least 0.5, or the writing quotas decide the year (`quotas_decide`) and one"
                 " of them asks for something (the rules sent, else the school's): asked when either changes"},
    ],
    "put_organizer": [
        {"field": "organizer_id", "message": "^choose a member of this school$",
         "rule": "the new organizer is an active member of the school"},
        {"field": "organizer_id", "message": "^this person holds no role that lets them organize activities here$",
         "rule": "the new organizer holds a role that lets them organize there (organizer or school admin)"},
        {"field": "organizer_id", "message": "^this person organizes the activity already$",
         "rule": "the new organizer is not the activity's organizer already"},
    ],
    "fire_transition": [
        {"error": "guard_failed", "rule": "the activity type's guards (evidence, attendance …) pass"},
        {"field": "hours", "message": r"^(not a participant of this activity|at most [\d.]+ hours)$",
         "rule": "adjusted hours are for participants, up to what the credit rule gives for the hours not recorded missing"},
        {"field": "trigger", "message": "^known triggers: .*$", "rule": "the trigger is one of the activity type's"},
    ],
    **{op: [{"field": "year", "message": "^a plan is written for ",
             "rule": "a plan (the teacher's, the school's) is for the school year under way or the next"
             " (policy.may_plan_for_year; a past one is 409)"}]
       for op in ("put_my_plan", "school_plan_put", "school_plan_submit")},
}
