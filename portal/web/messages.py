"""Service messages in the viewer's language.

Services speak English (the API returns their text as is). Pages show the same messages
translated: a fixed message is looked up as its own msgid; a message with a value in it
is matched against a pattern whose msgid has placeholders.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext, lazy_gettext as _l

# Fixed service messages, marked here so extraction puts them in the catalog.
FIXED = [
    _l("a title of 1–200 characters is required"),
    _l("at most 200 characters"),
    _l("must not be before the start"),
    _l("must be more than 0"),
    _l("expected an ISO 8601 date-time such as 2026-10-15T14:00"),
    _l("the date must be in the years 2000–2099"),
    _l("the activity could not be planned"),
    _l("attendance was not saved"),
    _l("evidence was not saved"),
    _l("write the text or attach a file"),
    _l("file type not allowed"),
    _l("file too large"),
    _l("the file is empty"),
    _l("empty file"),
    _l("file content does not match its type"),
    _l("text files must be UTF-8"),
    _l("file name too long"),
    _l("the file name is longer than 255 characters"),
    _l("file name not allowed"),
    _l("the file name contains control characters"),
    _l("not a participant of this activity"),
    _l("you may only add your own evidence"),
    _l("only the activity's organizer or a school admin may do this"),
    _l("a comment is required"),
    _l("give the reason for the adjustment"),
    _l("an adjustment of hours needs a reason"),
    _l("hours may only be adjusted when approving"),
    _l("the activity was changed by someone else; reload and try again"),
    _l("activity not found"),
    _l("user not found"),
    _l("must be true or false"),
    _l("must be a number ≥ 0"),
    _l("must be text"),
    _l("unknown setting"),
    _l("must not contain NUL characters"),
    _l("must be a list"),
    _l("must be an object"),
    _l("must be a number from 0 to 1000"),
    _l("hours go in steps of 0.5"),
    _l("1–64 letters, digits, '.', '_' or '-'"),
    _l("at most 100 characters"),
    _l("F or M"),
    _l("invalid user"),
    _l("invalid rules"),
    _l("invalid settings"),
    _l("invalid password"),
    _l("you cannot deactivate yourself"),
    _l("this username cannot be used; choose another"),
    _l("the roster has no good rows"),
    _l("no row can be imported"),
    _l("the file has no rows"),
    _l("use a .csv or .xlsx file"),
    _l("roster must be a .csv or .xlsx file"),
    _l("not UTF-8 or GB18030 text"),
    _l("gender must be F or M"),
    _l("birth_date must be YYYY-MM-DD"),
    _l("username: 1–64 letters, digits, '.', '_' or '-'"),
    _l("name: at most 100 characters"),
    _l("the roster has bad rows; nothing was imported"),
    _l("not enabled"),
    _l("unknown activity type"),
    _l("a number of hours is required"),
    _l("hours cannot be negative"),
    _l("invalid comment"),
    # WTForms' own messages, as the types' detail forms report them
    _l("This field is required."),
    _l("Not a valid choice."),
    _l("Invalid input."),
    _l("unknown field"),
    _l("nobody may decide about their own hours; another school admin must do this"),
    _l("only the teacher, a reviewer, a school admin or the district may read this record"),
]

# (pattern, msgid with placeholders); groups are passed by name.
PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"^password: at least (?P<n>\d+) characters$"), _l("password: at least %(n)s characters")),
    (re.compile(r"^(?:[\w\[\]]+: )?at least (?P<n>\d+) characters$"), _l("at least %(n)s characters")),
    (re.compile(r"^(?:[\w\[\]]+: )?at most (?P<n>[\d.]+) hours$"), _l("at most %(n)s hours")),
    (re.compile(r"^(?:[\w\[\]]+: )?hours go in steps of 0\.5$"), _l("hours go in steps of 0.5")),
    (re.compile(r"^(?:[\w\[\]]+: )?hours cannot be negative$"), _l("hours cannot be negative")),
    (re.compile(r"^(?:[\w\[\]]+: )?a number of hours is required$"), _l("a number of hours is required")),
    (re.compile(r"^(?:[\w\[\]]+: )?(?P<v>.+) is not a number$"), _l("%(v)s is not a number")),
    (re.compile(r"^must be a number from (?P<a>-?[\d.]+) to (?P<b>-?[\d.]+)$"),
     _l("must be a number from %(a)s to %(b)s")),
    (re.compile(r"^must be a whole number from (?P<a>-?[\d.]+) to (?P<b>-?[\d.]+)$"),
     _l("must be a whole number from %(a)s to %(b)s")),
    (re.compile(r"^not an ISO 8601 date-time: (?P<v>.*)$"), _l("not a date and time: %(v)s")),
    (re.compile(r"^Field cannot be longer than (?P<n>\d+) characters\.$"), _l("at most %(n)s characters")),
    (re.compile(r"^Field must be between (?P<a>\d+) and (?P<b>\d+) characters long\.$"),
     _l("%(a)s to %(b)s characters")),
    (re.compile(r"^at most (?P<n>\d+) MB$"), _l("at most %(n)s MB")),
    (re.compile(r"^allowed types: (?P<v>.*)$"), _l("allowed types: %(v)s")),
    (re.compile(r"^this is not a real (?P<v>\S+) file$"), _l("this is not a real %(v)s file")),
    (re.compile(r"^username (?P<v>.+) is taken$"), _l("username %(v)s is taken")),
    (re.compile(r"^username (?P<v>.+) appears twice in the file$"), _l("username %(v)s appears twice in the file")),
    (re.compile(r"^unknown roles: (?P<v>.*)$"), _l("unknown roles: %(v)s")),
    (re.compile(r"^missing columns: (?P<v>.*)$"), _l("missing columns: %(v)s")),
    (re.compile(r"^at most (?P<n>\d+) rows$"), _l("at most %(n)s rows")),
    (re.compile(r"^attended, absent and excused hours together exceed the activity's (?P<n>[\d.]+)$"),
     _l("attended, absent and excused hours together exceed the activity's %(n)s hours")),
    (re.compile(r"^(?P<w>.+) cannot change once the activity is (?P<s>\w+)$"),
     _l("this can no longer change: the activity is %(s)s")),
    (re.compile(r"^user (?P<v>\d+) is not a member of this school$"), _l("user %(v)s is not a member of this school")),
    (re.compile(r"^roles are (?P<v>.*)$"), _l("roles are %(v)s")),
    (re.compile(r"^kinds: (?P<v>.*)$"), _l("kinds: %(v)s")),
    (re.compile(r"^'(?P<t>\w+)' may only be fired by: (?P<v>.*)$"), _l("only these roles may do this: %(v)s")),
    (re.compile(r"^'(?P<t>\w+)' must be fired by someone who neither organized nor took part in the activity$"),
     _l("this must be done by someone who neither organized nor took part in the activity")),
    (re.compile(r"^'(?P<t>\w+)' is not allowed from state '(?P<s>\w+)'.*$"),
     _l("this step is not possible in the activity's current state")),
    (re.compile(r"^'(?P<t>\w+)' needs a comment$"), _l("a comment is required")),
    (re.compile(r"^the activity has not started yet: it starts at (?P<t>[\d: -]+) \((?P<z>[^)]*)\)$"),
     _l("the activity has not started yet: it starts at %(t)s")),
    (re.compile(r"^attendance can be recorded once the activity has started: it starts at (?P<t>[\d: -]+) \((?P<z>[^)]*)\)$"),
     _l("attendance can be recorded once the activity has started (it starts at %(t)s)")),
    (re.compile(r"^user (?P<u>\d+): (?P<h>[\d.]+) hours are more than the credit rule now allows \(at most (?P<n>[\d.]+)\); "
                r"return the activity and approve it again$"),
     _l("%(h)s hours are more than the credit rule now allows (at most %(n)s); return the activity and approve it again")),
    (re.compile(r"^hours above what the credit rule gives for full attendance: .*$"),
     _l("the hours are above what the credit rule gives for full attendance")),
    (re.compile(r"^activity type '(?P<v>\w+)' is not installed; the activity is read-only$"),
     _l("the activity type %(v)s is not installed; the activity is read-only")),
]


def _plain_number(value: str) -> str:
    """'3.0' → '3' (hours read better without a trailing .0)."""
    return value[:-2] if re.fullmatch(r"\d+\.0", value or "") else value


def tr(message: Any) -> str:
    """The message in the viewer's language (unchanged when no translation is known)."""
    if isinstance(message, (list, tuple)):
        return "; ".join(tr(m) for m in message)
    if isinstance(message, dict):
        return "; ".join(f"{k}: {tr(v)}" for k, v in message.items())
    text = str(message)
    for pattern, msgid in PATTERNS:
        m = pattern.match(text)
        if m:
            values = {k: _plain_number(v) for k, v in m.groupdict().items()}
            return gettext(msgid._args[0] if hasattr(msgid, "_args") else str(msgid), **values)
    return gettext(text)
