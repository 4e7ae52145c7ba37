"""A declaration's certificate file on another teacher's declaration: what its reviewer is told.

One file is the certificate of one standing declaration of one teacher
(``activities._require_file_not_declared``), but another teacher may upload the same file —
a district's list naming everyone who took part is one file for all of them — so it is not
refused. Nor was it ever said: teacher B uploading teacher A's certificate (A's name on it) had
B's hours approved by a reviewer who had no way to know the file was A's. The declaration's
page now tells its reviewers and the school admin (``policy.may_see_shared_certificates``) which
of the school's other teachers' standing declarations (not cancelled or refused) carry the same
certificate — the same bytes, or what shows the same (``Evidence.likeness``:
:mod:`portal.same_certificate`) — and they judge: a list naming everyone, or a borrowed one.
Only the school's declarations are named (another school's teachers are not this school's to
see), and the declarer is told nothing of anyone else's.

A certificate number is told the same way: the type says what number a declaration's details
name, as it compares them (``ActivityType.certificate_number``, contract 1.22: the declared
training's folds width, case, spaces and dashes), and a standing declaration of another teacher
of the school answering the same number is named with what it shares (:data:`NUMBER`). The core
never reads a type's field itself; a declaration naming no number asks nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, or_, select

from portal import policy, same_certificate
from portal.database import keep_compiled, read_rows
from portal.extensions import db
from portal.models import Activity, Evidence, User
from portal.once import Memo
from portal.plugin_data import type_answer
from portal.registry import RegisteredType, TypeRegistry, registry
from portal.timeutil import to_local
from workflows.definition import Phase

#: What a declaration shares with another teacher's: a certificate file (the same bytes, or what
#: shows the same), its certificate number (as its type compares them).
FILE, NUMBER = "file", "number"


@dataclass(frozen=True)
class SharedCertificate:
    """Another teacher's declaration carrying one of this declaration's files, or its number."""

    activity_id: int
    title: str
    teacher: str
    day: str  # its first day, in the school's time zone (ISO)
    by: tuple[str, ...] = (FILE,)  # what it shares: FILE, NUMBER or both, in that order


def _compared(likeness: str | None) -> str:
    """A stored likeness to compare by: none for "" and for one read by an earlier rule."""
    if not likeness or likeness.startswith(same_certificate.READ_AGAIN):
        return ""
    return likeness


class FileRow(NamedTuple):
    """A declaration's certificate file as compared: where it is stored, its size and likeness."""

    stored_name: str | None
    size: int
    likeness: str | None


def shared_with_others(act: Activity, tz: str) -> list[SharedCertificate]:
    """The school's other teachers' standing declarations of the type carrying a file of
    ``act`` (the same bytes, or the same likeness) or naming its certificate number
    (:func:`_number_of`), oldest first, each with what it shares; [] for an activity that is
    no declaration, or has neither file nor number. Its files read (one statement), then
    :func:`shared_each`."""
    if not registry().self_declared(act.type_key):
        return []
    mine = [FileRow(*row) for row in db.session.execute(
        select(Evidence.stored_name, Evidence.size, Evidence.likeness)
        .where(Evidence.activity_id == act.id, Evidence.stored_name.is_not(None)).order_by(Evidence.id)).all()]
    return shared_each(act.school_id, [act], {act.id: mine}, tz).get(act.id, [])


def shared_each(school_id: int, acts: Sequence[Any], files: Mapping[int, Sequence[FileRow]], tz: str,
                fixed: bool = False) -> dict[int, list[SharedCertificate]]:
    """:func:`shared_with_others` of each declaration among ``acts`` (rows with the attributes of
    Activity the queue reads: id, type_key, organizer_id, details), their files given (``files``
    by activity id), by id; one sharing nothing is left out. One statement for them all
    (:func:`_candidates`), none when none of them has a file or names a number — unless
    ``fixed``: then one whenever a declaration is among ``acts``, so that a page's statements do
    not depend on which files and numbers its declarations have (the review queue's); none without
    a declaration: its answer is {} (round 61: the statement was sent with five empty lists).
    Only files of a size of theirs are read, each once."""
    types = registry()
    declared = [a for a in acts if types.self_declared(a.type_key)]
    numbers = {int(a.id): named for a in declared
               if (reg := types.get(a.type_key)) is not None and (named := _number_of(reg, a.details))}
    mine = {int(a.id): [f for f in files.get(a.id, ()) if f.stored_name] for a in declared}
    if not declared or (not fixed and not numbers and not any(mine.values())):
        return {}
    rows = _candidates(school_id, declared, mine, numbers, types)
    by_id = {int(r.id): r for r in rows}
    their_number = Memo(lambda aid: _number_of(types.types[by_id[aid].type_key], by_id[aid].details))
    bytes_of: Memo[bytes | None] = Memo(_stored)  # each file read once, whatever it is compared with
    out: dict[int, list[SharedCertificate]] = {}
    for a in declared:
        aid, number = int(a.id), numbers.get(int(a.id))
        likes = {like for f in mine[aid] if (like := _compared(f.likeness))}
        found: dict[int, tuple[str, ...]] = {}
        for r in rows:
            cid = int(r.id)
            if r.type_key != a.type_key or r.organizer_id == a.organizer_id or cid == aid:
                continue
            same_file = FILE in found.get(cid, ()) or (r.stored_name is not None and (
                _compared(r.likeness) in likes or _same_bytes(mine[aid], int(r.size), str(r.stored_name), bytes_of)))
            same_number = number is not None and their_number[cid] == number
            if shared := (FILE,) * same_file + (NUMBER,) * same_number:
                found[cid] = shared
        if found:
            out[aid] = [SharedCertificate(cid, by_id[cid].title, by_id[cid].display_name,
                                          to_local(by_id[cid].starts_at, tz).date().isoformat(), by)
                        for cid, by in sorted(found.items())]
    return out


#: The school's standing declarations of some types (``keys``; states closed in every one of them
#: left out here, each type's own closed states by :func:`_candidates`), each with its files of a
#: size or likeness among ``sizes``/``likes`` (a row each), those of the ``numbered`` types also
#: without any (one row: their number is compared). Built once: one shape for every page.
_CANDIDATES = keep_compiled(
    select(Activity.id, Activity.organizer_id, Activity.type_key, Activity.state, Activity.title, Activity.starts_at,
           User.display_name, Activity.details, Evidence.stored_name, Evidence.size, Evidence.likeness)
    .join(User, User.id == Activity.organizer_id)
    .outerjoin(Evidence, and_(Evidence.activity_id == Activity.id, Evidence.stored_name.is_not(None),
                              or_(Evidence.size.in_(bindparam("sizes", expanding=True)),
                                  Evidence.likeness.in_(bindparam("likes", expanding=True)))))
    .where(Activity.school_id == bindparam("school_id"), Activity.type_key.in_(bindparam("keys", expanding=True)),
           Activity.state.not_in(bindparam("closed", expanding=True)),
           or_(Evidence.id.is_not(None), Activity.type_key.in_(bindparam("numbered", expanding=True))))
    .order_by(Activity.id, Evidence.id)
)


def _candidates(school_id: int, declared: Sequence[Any], mine: Mapping[int, Sequence[FileRow]],
                numbers: Mapping[int, str], types: TypeRegistry) -> list[Any]:
    """:data:`_CANDIDATES` of the types of ``declared``, with the sizes and likenesses of ``mine``
    and the types of those naming ``numbers``; not in a closed state of their own type."""
    keys = sorted({a.type_key for a in declared})
    closed = {key: types.definition(key).states_in(Phase.CLOSED) for key in keys}
    rows = read_rows(_CANDIDATES, {
        "school_id": school_id, "keys": keys,
        "closed": sorted(set.intersection(*(set(c) for c in closed.values()))) if keys else [],
        "sizes": sorted({int(f.size) for fs in mine.values() for f in fs}),
        "likes": sorted({like for fs in mine.values() for f in fs if (like := _compared(f.likeness))}),
        "numbered": sorted({a.type_key for a in declared if int(a.id) in numbers}),
    }).all()
    return [r for r in rows if r.state not in closed[r.type_key]]


def _stored(name: str) -> bytes | None:
    from portal.services.activities import stored_bytes  # activities imports much: on use

    return stored_bytes(name)


def _same_bytes(mine: Sequence[FileRow], size: int, stored: str, bytes_of: Memo[bytes | None]) -> bool:
    """Whether the file ``stored`` of ``size`` bytes is one of ``mine`` byte for byte: only one of
    theirs of a size of ``mine`` is read (a file gone from the folder is no certificate to compare)."""
    if not any(int(f.size) == size for f in mine):
        return False
    theirs = bytes_of[stored]
    return theirs is not None and any(int(f.size) == size and bytes_of[str(f.stored_name)] == theirs for f in mine)


def _number_of(reg: RegisteredType, details: object) -> str:
    """The type's ``certificate_number`` of ``details``, asked inside its plugin's boundary: ""
    when it names none, fails or answers anything but a text (reported with the plugin's name)."""
    if not isinstance(details, dict) or not details:
        return ""
    return str(type_answer(reg.type, "certificate_number", "", dict(details), check=_text))


def _text(answer: object) -> str:
    if not isinstance(answer, str):
        raise TypeError(f"certificate_number answered {answer!r:.40}, not a text")
    return answer


def told_to(who: policy.Actor, act: Activity, tz: str) -> list[SharedCertificate] | None:
    """:func:`shared_with_others`, told to ``who`` if they may be told
    (``policy.may_see_shared_certificates``); None, asking nothing, to anyone else."""
    if not (registry().self_declared(act.type_key) and policy.may_see_shared_certificates(who)):
        return None
    return shared_with_others(act, tz)


def told_to_each(who: policy.Actor, school_id: int, acts: Sequence[Any], files: Mapping[int, Sequence[FileRow]],
                 tz: str) -> dict[int, list[SharedCertificate]]:
    """:func:`shared_each` (``fixed``: one statement whenever a declaration is among ``acts``), told to ``who``
    if they may be told (the review queue's cards, as the declaration's page tells them:
    :func:`told_to`); {}, asking nothing, to anyone else."""
    if not policy.may_see_shared_certificates(who):
        return {}
    return shared_each(school_id, acts, files, tz, fixed=True)


__all__ = ["FILE", "NUMBER", "FileRow", "SharedCertificate", "shared_each", "shared_with_others", "told_to",
           "told_to_each"]
