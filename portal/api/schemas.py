"""JSON Schemas (OpenAPI 3.1 / JSON Schema 2020-12) of the API's bodies and responses.

They are the single description of the wire format: the document publishes them and the
request parser validates against them.
"""

from __future__ import annotations

from typing import Any

from portal.security import MAX_ID
from portal.timeutil import MAX_YEAR, MIN_YEAR

API_DESCRIPTION = """\
JSON API of the Yanxiu school-based teacher training portal.

* **Authentication**: `POST /api/v1/auth/token` with `{"username", "password"}` returns a bearer
  token; send it as `Authorization: Bearer <token>`. `DELETE /api/v1/auth/token` revokes it.
* **School**: requests act in the caller's school. A user in several schools (or a district
  admin) names one with the `X-School: CODE` header or the `?school=CODE` query parameter.
* **Times** are ISO 8601; a time without an offset is in the school's time zone. Responses give
  times with their offset.
* **Hours** are JSON numbers in steps of 0.5 (`1.5`, `3`); strings such as `"3"` are refused.
* **Text** may not contain NUL characters, nor unpaired surrogates (not Unicode text; I-JSON).
* **Exact schemas**: the request schemas are built from the installed activity types and their
  workflow (types, roles, details fields, settings and their ranges, triggers, evidence kinds). Rules
  no JSON Schema can state (an end before the start, a user who is not a participant, a type's
  guards) are listed per operation in `x-data-rules`, with the message a refusal gives.
* **Errors** are always `{"error": CODE, "message": TEXT, ...}`: `invalid` (400 malformed body,
  422 with per-field `fields`), `unauthenticated` (401), `forbidden` (403), `not_found` (404, also
  for another school's objects), `illegal_transition` (409 with `allowed`, checked before
  permissions), `conflict` (409), `guard_failed` (422 with `missing`), `too_many_attempts` (429).
"""


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
HOURS = {"type": "number", "minimum": 0, "maximum": 999.5, "multipleOf": 0.5}
HOURS_POSITIVE = {**HOURS, "exclusiveMinimum": 0}
TEXT_ID = {"type": "string", "minLength": 1, "maxLength": 64}
DATETIME_TEXT = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    # the shape the request parser holds a time to; the document publishes the exact form
    # (``DATETIME_EXACT``: years 2000–2099, real calendar dates), the services check the rest
    "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?$",
    "description": "ISO 8601 date-time; without an offset it is in the school's time zone",
    "examples": ["2026-10-15T14:00"],
}
#: Every school year an activity can fall in: activities are dated 2000–2099 (``portal.timeutil``),
#: and January–August 2000 belongs to 1999-2000. A pattern cannot say "consecutive years", so the
#: years are listed; the request parser holds every ``year`` parameter to this list.
SCHOOL_YEARS = [f"{y}-{y + 1}" for y in range(MIN_YEAR - 1, MAX_YEAR + 1)]
SCHOOL_YEAR = {
    "type": "string",
    "pattern": "^[0-9]{4}-[0-9]{4}$",
    "enum": SCHOOL_YEARS,
    "description": f"A school year: two consecutive years, {SCHOOL_YEARS[0]} to {SCHOOL_YEARS[-1]}",
    "examples": ["2026-2027"],
    "x-error": f"a school year such as 2026-2027 (two consecutive years, {SCHOOL_YEARS[0]} to {SCHOOL_YEARS[-1]})",
}
NULLABLE_HOURS = {"type": ["number", "null"]}

COMPONENTS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": "object", "description": "per-field messages (code `invalid`)"},
            "allowed": {"type": "array", "items": {"type": "string"}, "description": "triggers allowed now"},
            "missing": {"type": "array", "items": {"type": "string"}, "description": "what a guard misses"},
        },
    },
    "TokenRequest": {
        "type": "object",
        "required": ["username", "password"],
        "additionalProperties": False,
        "properties": {
            "username": {"type": "string", "minLength": 1, "maxLength": 64},
            "password": {"type": "string", "minLength": 1, "maxLength": 200},
        },
    },
    "Token": {
        "type": "object",
        "required": ["token", "token_type", "expires_at"],
        "properties": {
            "token": {"type": "string"},
            "token_type": {"const": "Bearer"},
            "expires_at": {"type": "string"},
        },
    },
    "Me": {
        "type": "object",
        "required": ["id", "username", "name", "schools", "district_admin"],
        "properties": {
            "id": ID,
            "username": {"type": "string"},
            "name": {"type": "string"},
            "district_admin": {"type": "boolean"},
            "schools": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "name", "roles"],
                    "properties": {
                        "code": {"type": "string"},
                        "name": {"type": "string"},
                        "roles": {"type": "array", "items": {"type": "string"}},
                    },
                },
            },
        },
    },
    "FormField": {
        "type": "object",
        "required": ["name", "type", "required"],
        "properties": {
            "name": {"type": "string"},
            "type": {"type": "string"},
            "required": {"type": "boolean"},
            "label": {"type": "string"},
            "choices": {"type": "array", "items": {"type": "string"}},
        },
    },
    "ActivityType": {
        "type": "object",
        "required": ["key", "name", "roles", "fields", "enabled", "settings"],
        "properties": {
            "key": {"type": "string"},
            "name": {"type": "string"},
            "name_zh": {"type": "string"},
            "name_en": {"type": "string"},
            "roles": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "name_zh", "name_en"],
                    "properties": {"key": {"type": "string"}, "name_zh": {"type": "string"}, "name_en": {"type": "string"}},
                },
            },
            "fields": {"type": "array", "items": ref("FormField")},
            "evidence_kinds": {"type": "array", "items": {"type": "string"}},
            "enabled": {"type": "boolean"},
            "settings": {"type": "object"},
        },
    },
    "ActivityTypeUpdate": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"enabled": {"type": "boolean"}, "settings": {"type": "object"}},
    },
    "ParticipantInput": {
        "type": "object",
        "required": ["user_id"],
        "additionalProperties": False,
        "properties": {"user_id": ID, "role": {"type": "string", "minLength": 1, "maxLength": 32}},
    },
    "ActivityCreate": {
        "type": "object",
        "required": ["type", "title", "starts_at", "ends_at", "hours"],
        "additionalProperties": False,
        "properties": {
            "type": TEXT_ID,
            "title": {"type": "string", "minLength": 1, "maxLength": 200},
            "starts_at": DATETIME_TEXT,
            "ends_at": DATETIME_TEXT,
            "hours": HOURS_POSITIVE,
            "location": {"type": "string", "maxLength": 200},
            "participants": {"type": "array", "maxItems": 2000, "items": ref("ParticipantInput")},
            "details": {"type": "object", "description": "the type's own fields, validated by its form"},
        },
    },
    "Participant": {
        "type": "object",
        "required": ["user_id", "name", "role", "attended_hours", "absent_hours", "excused_hours"],
        "properties": {
            "user_id": ID,
            "name": {"type": "string"},
            "role": {"type": "string"},
            "attended_hours": NULLABLE_HOURS,
            "absent_hours": {"type": "number"},
            "excused_hours": {"type": "number"},
            "adjusted_hours": NULLABLE_HOURS,
            "adjust_reason": {"type": ["string", "null"]},
        },
    },
    "Evidence": {
        "type": "object",
        "required": ["id", "user_id", "kind", "title", "char_count", "size", "uploaded_at"],
        "properties": {
            "id": ID,
            "user_id": ID,
            "kind": {"type": "string"},
            "title": {"type": "string"},
            "char_count": {"type": "integer"},
            "filename": {"type": ["string", "null"]},
            "content_type": {"type": ["string", "null"]},
            "size": {"type": "integer"},
            "uploaded_by": ID,
            "uploaded_at": {"type": "string"},
        },
    },
    "ActivitySummary": {
        "type": "object",
        "required": ["id", "type", "title", "state", "starts_at", "ends_at", "hours", "school_year", "semester"],
        "properties": {
            "id": ID,
            "type": {"type": "string"},
            "title": {"type": "string"},
            "state": {"type": "string"},
            "starts_at": {"type": "string"},
            "ends_at": {"type": "string"},
            "hours": {"type": "number"},
            "school_year": {"type": "string"},
            "semester": {"type": "integer"},
            "location": {"type": "string"},
            "organizer_id": ID,
            "details": {"type": "object"},
        },
    },
    "Activity": {
        "allOf": [
            ref("ActivitySummary"),
            {
                "type": "object",
                "required": ["participants", "allowed_triggers", "evidence"],
                "properties": {
                    "participants": {"type": "array", "items": ref("Participant")},
                    "allowed_triggers": {"type": "array", "items": {"type": "string"}},
                    "evidence": {"type": "array", "items": ref("Evidence")},
                },
            },
        ]
    },
    "ActivityPage": {
        "type": "object",
        "required": ["items", "page", "per_page", "total", "pages"],
        "properties": {
            "items": {"type": "array", "items": ref("ActivitySummary")},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "pages": {"type": "integer"},
        },
    },
    "AttendanceRow": {
        "type": "object",
        "required": ["user_id", "attended_hours"],
        "additionalProperties": False,
        "properties": {
            "user_id": ID,
            "attended_hours": HOURS,
            "absent_hours": HOURS,
            "excused_hours": HOURS,
        },
    },
    "Attendance": {"type": "array", "minItems": 1, "maxItems": 2000, "items": ref("AttendanceRow")},
    "EvidenceText": {
        "type": "object",
        "required": ["kind", "text"],
        "additionalProperties": False,
        "properties": {
            "user_id": ID,
            "kind": TEXT_ID,
            "title": {"type": "string", "maxLength": 200},
            "text": {"type": "string", "minLength": 1, "maxLength": 100_000},
        },
    },
    "EvidenceUpload": {
        "type": "object",
        "required": ["file", "kind"],
        "properties": {
            "file": {"type": "string", "format": "binary", "description": "pdf, png, jpg, docx, xlsx, pptx, doc or UTF-8 txt"},
            "kind": TEXT_ID,
            "user_id": ID,
            "title": {"type": "string", "maxLength": 200},
        },
    },
    "TransitionRequest": {
        "type": "object",
        "required": ["trigger"],
        "additionalProperties": False,
        "properties": {
            "trigger": TEXT_ID,
            "comment": {"type": "string", "maxLength": 2000},
            "hours": {
                "type": "object",
                "description": "approve only: user id → adjusted hours (needs a comment giving the reason)",
                "propertyNames": {"pattern": "^[1-9][0-9]{0,9}$"},
                "additionalProperties": HOURS,
            },
        },
    },
    "HistoryEntry": {
        "type": "object",
        "required": ["id", "trigger", "from_state", "to_state", "actor", "comment", "created_at"],
        "properties": {
            "id": ID,
            "trigger": {"type": "string"},
            "from_state": {"type": "string"},
            "to_state": {"type": "string"},
            "actor": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {"id": ID, "name": {"type": "string"}},
            },
            "comment": {"type": "string"},
            "payload": {"type": "object"},
            "created_at": {"type": "string"},
        },
    },
    "CreditLine": {
        "type": "object",
        "required": ["activity_id", "activity_title", "type", "role", "hours", "kind", "semester", "created_at"],
        "properties": {
            "activity_id": ID,
            "activity_title": {"type": "string"},
            "type": {"type": "string"},
            "role": {"type": "string"},
            "semester": {"type": "integer"},
            "hours": {"type": "number"},
            "kind": {"type": "string", "enum": ["credit", "reversal"]},
            "reason": {"type": "string"},
            "created_at": {"type": "string"},
        },
    },
    "UserCredits": {
        "type": "object",
        "required": [
            "user_id", "year", "required_hours", "total_hours", "by_type", "absent_hours", "status", "entries",
        ],
        "properties": {
            "user_id": ID,
            "year": {"type": "string"},
            "required_hours": {"type": "number"},
            "total_hours": {"type": "number"},
            "by_type": {"type": "object", "additionalProperties": {"type": "number"}},
            "absent_hours": {
                "type": "object",
                "required": ["1", "2"],
                "additionalProperties": {"type": "number"},
            },
            "excused_hours": {"type": "object", "additionalProperties": {"type": "number"}},
            "status": {"type": "string", "enum": ["met", "short", "not_recognised", "exempt"]},
            "reason": {"type": "string"},
            "entries": {"type": "array", "items": ref("CreditLine")},
        },
    },
    "SchoolSummary": {
        "type": "object",
        "required": ["school", "year", "required_hours", "teachers"],
        "properties": {
            "school": {"type": "string"},
            "year": {"type": "string"},
            "required_hours": {"type": "number"},
            "teachers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["user_id", "username", "name", "total_hours", "by_type", "absent_hours", "status"],
                    "properties": {
                        "user_id": ID,
                        "username": {"type": "string"},
                        "name": {"type": "string"},
                        "total_hours": {"type": "number"},
                        "by_type": {"type": "object", "additionalProperties": {"type": "number"}},
                        "absent_hours": {"type": "object", "additionalProperties": {"type": "number"}},
                        "status": {"type": "string"},
                        "reason": {"type": "string"},
                    },
                },
            },
        },
    },
}
