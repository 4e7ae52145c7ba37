"""The participant picker: one searchable list of "the whole school", the teaching groups and
the people, names in pinyin order. Plain checkboxes; ``static/js/picker.js`` adds a filter box
that matches names, usernames, pinyin and pinyin initials (王雅琴: wangyaqin, wyq)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _
from markupsafe import Markup, escape
from pypinyin import Style, lazy_pinyin

from portal.models import User
from portal.services import groups
from portal.services.groups import EVERYONE
from portal.sorting import by_pinyin, name_syllables


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    note: str  # the username, or a group's size
    search: str  # what the filter box matches
    kind: str  # "all", "group" or "person"
    off: str = ""  # why the person cannot be chosen (shown beside them, the box disabled)


@lru_cache(maxsize=65536)
def _words(text: str, person: bool = False) -> str:
    """The text, its pinyin and its initials (a name's pinyin never changes: worked out once);
    a person's surname read as a surname (曾 zeng), as the lists are sorted."""
    syllables = name_syllables(text, tones=False) if person else lazy_pinyin(text, style=Style.NORMAL)
    return " ".join((text.lower(), "".join(syllables).lower(), "".join(s[:1] for s in syllables).lower()))


def _search(*texts: str, person: bool = False) -> str:
    return " ".join(_words(text, person) for text in texts)


def options(school_id: int, members: list[User], away: Collection[int] = ()) -> list[Option]:
    """The picker's options; ``away``: the people off the school's teaching staff when the
    activity is held (``stints.away_at``, the rule that refuses them on its list), shown
    disabled with the reason — "the whole school" and a group then leave them out."""
    everyone = _("The whole school")
    chosen = [u for u in members if u.id not in away]  # what choosing "the whole school" lists
    out = [Option(EVERYONE, everyone, _("%(n)s people", n=len(chosen)), _search(everyone, "all"), "all")]
    for v in groups.school_groups(school_id):
        n = sum(1 for m in v.members if m.id not in away)  # a group leaves them out too
        out.append(Option(f"g:{v.group.id}", v.group.name, _("%(n)s people", n=n), _search(v.group.name), "group"))
    for u in by_pinyin(members, lambda u: u.display_name):
        search = f"{_search(u.display_name, person=True)} {_search(u.username)}"
        off = _("not on the school's teaching staff when it is held") if u.id in away else ""
        out.append(Option(f"u:{u.id}", u.display_name, u.username, search, "person", off))
    return out


def rows(key: str, picker: list[Option], picked: Collection[str]) -> Markup:
    """The checkbox of every option for the role ``key`` (``_picker.html`` puts them in its list).

    Made here rather than by a loop in the template: a school's picker has a row per person for
    every role of the type, and each row escaped and assembled by Jinja cost most of the page.
    """
    k = escape(key)
    out = []
    for o in picker:
        value, ident = escape(o.value), escape(o.value.replace(":", "-"))
        person = o.kind == "person"
        testid = escape(o.note) if person else ident
        label = escape(o.label) if person else Markup("<strong>%s</strong>") % o.label
        checked = " checked" if o.value in picked and not o.off else " disabled" if o.off else ""
        off = Markup(' <span class="small text-danger" data-testid="pick-off-%s">%s</span>') % (o.note, o.off) \
            if o.off else ""
        out.append(
            f'<div class="form-check" data-search="{escape(o.search)}" data-kind="{escape(o.kind)}">'
            f'<input class="form-check-input" type="checkbox" name="people-{k}" value="{value}" id="pick-{k}-{ident}"'
            f'{checked} data-testid="pick-{k}-{testid}">'
            f'<label class="form-check-label" for="pick-{k}-{ident}">{label} '
            f'<span class="small text-muted">{escape(o.note)}</span>{off}</label></div>'
        )
    return Markup("\n".join(out))  # noqa: S704 - every value above is escaped
