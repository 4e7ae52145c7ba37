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

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select

from portal import policy, same_certificate
from portal.extensions import db
from portal.models import Activity, Evidence, User
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


def shared_with_others(act: Activity, tz: str) -> list[SharedCertificate]:
    """The school's other teachers' standing declarations of the type carrying a file of
    ``act`` (the same bytes, or the same likeness) or naming its certificate number
    (:func:`_same_number`), oldest first, each with what it shares; [] for an activity that is
    no declaration, or has neither file nor number."""
    if not registry().self_declared(act.type_key):
        return []
    found = {c.activity_id: c for c in _same_file(act, tz)}
    for c in _same_number(act, tz):
        had = found.get(c.activity_id)
        found[c.activity_id] = c if had is None else SharedCertificate(
            had.activity_id, had.title, had.teacher, had.day, (FILE, NUMBER))
    return [found[aid] for aid in sorted(found)]


def _others(act: Activity, types: TypeRegistry) -> list[ColumnElement[bool]]:
    """The school's other teachers' standing declarations of ``act``'s type."""
    closed = types.definition(act.type_key).states_in(Phase.CLOSED)
    return [Activity.school_id == act.school_id, Activity.type_key == act.type_key,
            Activity.organizer_id != act.organizer_id, Activity.id != act.id, Activity.state.not_in(closed)]


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


def _same_number(act: Activity, tz: str) -> list[SharedCertificate]:
    """The school's other teachers' standing declarations of the type whose certificate number
    (as the type compares them) is ``act``'s, oldest first; [] (asking nothing of the database)
    when ``act`` names none."""
    types = registry()
    reg = types.get(act.type_key)
    number = _number_of(reg, act.details) if reg is not None else ""
    if reg is None or not number:
        return []
    rows = db.session.execute(
        select(Activity.id, Activity.title, Activity.starts_at, User.display_name, Activity.details)
        .join(User, User.id == Activity.organizer_id)
        .where(*_others(act, types)).order_by(Activity.id)
    ).all()
    return [SharedCertificate(int(aid), title, name, to_local(starts_at, tz).date().isoformat(), (NUMBER,))
            for aid, title, starts_at, name, details in rows if _number_of(reg, details) == number]


def _same_file(act: Activity, tz: str) -> list[SharedCertificate]:
    """The school's other teachers' standing declarations of the type carrying a file of
    ``act`` (the same bytes, or the same likeness), oldest first; [] when it has no file. Files
    of the same size only are read."""
    types = registry()
    mine = db.session.execute(select(Evidence.stored_name, Evidence.size, Evidence.likeness)
                              .where(Evidence.activity_id == act.id, Evidence.stored_name.is_not(None))).all()
    if not mine:
        return []
    likenesses = {like for _n, _s, stored_like in mine if (like := _compared(stored_like))}
    sizes = {int(size) for _n, size, _l in mine}
    alike: ColumnElement[bool] = Evidence.size.in_(sorted(sizes))
    if likenesses:
        alike = or_(alike, Evidence.likeness.in_(sorted(likenesses)))
    rows = db.session.execute(
        select(Activity.id, Activity.title, Activity.starts_at, User.display_name,
               Evidence.stored_name, Evidence.size, Evidence.likeness)
        .join(Evidence, Evidence.activity_id == Activity.id)
        .join(User, User.id == Activity.organizer_id)
        .where(*_others(act, types), Evidence.stored_name.is_not(None), alike)
        .order_by(Activity.id, Evidence.id)
    ).all()
    if not rows:
        return []
    from portal.services.activities import stored_bytes  # activities imports much: on use

    my_bytes: dict[int, list[bytes]] = {}

    def same_bytes(size: int, stored: str) -> bool:
        if size not in sizes:
            return False
        if size not in my_bytes:
            my_bytes[size] = [data for name, s, _l in mine if int(s) == size
                              and (data := stored_bytes(str(name))) is not None]
        theirs = stored_bytes(stored)  # a file gone from the folder is no certificate to compare
        return theirs is not None and theirs in my_bytes[size]

    found: dict[int, SharedCertificate] = {}
    for aid, title, starts_at, name, stored, size, likeness in rows:
        if aid in found:
            continue
        if _compared(likeness) in likenesses or same_bytes(int(size), str(stored)):
            found[aid] = SharedCertificate(int(aid), title, name, to_local(starts_at, tz).date().isoformat())
    return list(found.values())


def told_to(who: policy.Actor, act: Activity, tz: str) -> list[SharedCertificate] | None:
    """:func:`shared_with_others`, told to ``who`` if they may be told
    (``policy.may_see_shared_certificates``); None, asking nothing, to anyone else."""
    if not (registry().self_declared(act.type_key) and policy.may_see_shared_certificates(who)):
        return None
    return shared_with_others(act, tz)


__all__ = ["FILE", "NUMBER", "SharedCertificate", "shared_with_others", "told_to"]
