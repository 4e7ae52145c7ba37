"""The school's other activities at an activity's time that share people with it
(:func:`portal.services.activities.clashes_told_to`), as whoever may organise it reads them: a
warning after planning it, moving it or confirming its sign-up list, and a panel of its page. A
warning, not a refusal: parallel sessions are allowed, and attendance refuses a person in both later."""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import flash
from flask_babel import ngettext

from portal.current import current_actor
from portal.models import Activity
from portal.services import activities
from portal.timeutil import local_text, zone_of


class ClashLine(NamedTuple):
    """Another activity at the same time (its id, for a link) and the sentence naming it."""

    activity_id: int
    text: str


def lines(act: Activity, school: Any) -> list[ClashLine]:
    """The clashes of ``act`` told to the viewer, in their language, by the other activity's start
    (one statement; none when they may not organise it or it takes attendance no more)."""
    zone = zone_of(school)
    return [
        ClashLine(c.activity_id, ngettext(
            "Overlaps “%(title)s” (%(start)s – %(end)s): %(num)s person is in both (organizing or taking part)",
            "Overlaps “%(title)s” (%(start)s – %(end)s): %(num)s people are in both (organizing or taking part)",
            c.people, title=c.title, start=local_text(c.start, zone), end=local_text(c.end, zone)))
        for c in activities.clashes_told_to(current_actor(), act) or []
    ]


def warn(act: Activity, school: Any) -> None:
    """Flash each clash of ``act`` (after a change that may have made one)."""
    for line in lines(act, school):
        flash(line.text, "warning")
