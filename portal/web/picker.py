"""The participant picker: one searchable list of "the whole school", the teaching groups and
the people, names in pinyin order. Plain checkboxes; ``static/js/picker.js`` adds a filter box
that matches names, usernames, pinyin and pinyin initials (王雅琴: wangyaqin, wyq)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from pypinyin import Style, lazy_pinyin

from portal.models import User
from portal.services import groups
from portal.services.groups import EVERYONE
from portal.sorting import by_pinyin


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    note: str  # the username, or a group's size
    search: str  # what the filter box matches
    kind: str  # "all", "group" or "person"


def _search(*texts: str) -> str:
    words = []
    for text in texts:
        words.append(text.lower())
        syllables = lazy_pinyin(text, style=Style.NORMAL)
        words.append("".join(syllables).lower())
        words.append("".join(s[:1] for s in syllables).lower())
    return " ".join(words)


def options(school_id: int, members: list[User]) -> list[Option]:
    everyone = _("The whole school")
    out = [Option(EVERYONE, everyone, _("%(n)s people", n=len(members)), _search(everyone, "all"), "all")]
    for v in groups.school_groups(school_id):
        out.append(
            Option(f"g:{v.group.id}", v.group.name, _("%(n)s people", n=len(v.members)), _search(v.group.name), "group")
        )
    for u in by_pinyin(members, lambda u: u.display_name):
        out.append(Option(f"u:{u.id}", u.display_name, u.username, _search(u.display_name, u.username), "person"))
    return out
