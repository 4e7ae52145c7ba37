"""Teaching groups (教研组): a school's groups, their members and leader, and the audience
of an activity chosen as "the whole school", a group or single people."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, delete, func, select
from sqlalchemy.orm import Session, aliased

from portal import policy
from portal.assessment import EXEMPT, hours_recognised
from portal.database import keep_compiled, read_rows, write_transaction
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.messages import Msg, msg
from portal.models import GroupMember, Membership, School, TeachingGroup, User
from portal.security import MAX_ID, is_digits
from portal.services import access, staff_log
from portal.sorting import by_pinyin, pinyin_key

NAME_MAX = 50
EVERYONE = "all"


@dataclass
class GroupView:
    group: TeachingGroup
    leader: User | None
    members: list[User]


def _require(by: policy.Actor) -> None:
    policy.require(policy.may_manage_groups(by), "policy.groups")


def _require_still(s: Session, school_id: int, by: policy.Actor) -> None:
    """:func:`_require` asked again inside the write (:func:`access.require_still`)."""
    access.require_still(s, by, policy.may_manage_groups, "policy.groups", school_id=school_id)


def school_groups(school_id: int) -> list[GroupView]:
    """The school's groups by pinyin of their names, members by pinyin (two queries)."""
    groups = list(db.session.execute(select(TeachingGroup).where(TeachingGroup.school_id == school_id)).scalars())
    people: dict[int, list[User]] = {g.id: [] for g in groups}
    if groups:
        for gid, user in db.session.execute(
            select(GroupMember.group_id, User)
            .join(User, User.id == GroupMember.user_id)
            .where(GroupMember.group_id.in_(list(people)))
            .order_by(User.id)  # namesakes (pinyin ties) in one order on every page
        ):
            people[gid].append(user)
    names = {u.id: u for members in people.values() for u in members}
    leaders = [g.leader_id for g in groups if g.leader_id and g.leader_id not in names]
    if leaders:
        names.update({u.id: u for u in db.session.execute(select(User).where(User.id.in_(leaders))).scalars()})
    out = [
        GroupView(g, names.get(g.leader_id) if g.leader_id else None, by_pinyin(people[g.id], lambda u: u.display_name))
        for g in groups
    ]
    return sorted(out, key=lambda v: pinyin_key(v.group.name))


def get_group(group_id: object, school_id: int) -> TeachingGroup:
    if not access.id_in_range(group_id):
        raise NotFound(msg("group.not_found"))
    row = db.session.get(TeachingGroup, group_id)
    if row is None or row.school_id != school_id:
        raise NotFound(msg("group.not_found"))
    return row


def _school_members(school_id: int, ids: Iterable[int]) -> set[int]:
    wanted = list(set(ids))
    if not wanted:
        return set()
    return set(
        db.session.execute(
            select(Membership.user_id).where(
                Membership.school_id == school_id, Membership.user_id.in_(wanted), Membership.active.is_(True)
            )
        ).scalars()
    )


def _check(
    school: School, name: object, leader_id: object, member_ids: object, group_id: int | None
) -> tuple[str, int | None, list[int]]:
    fields: dict[str, Any] = {}
    clean = name.strip() if isinstance(name, str) else ""
    if not clean or len(clean) > NAME_MAX:
        fields["name"] = msg("group.name", n=NAME_MAX)
    else:
        taken = db.session.execute(
            select(TeachingGroup.id).where(TeachingGroup.school_id == school.id, TeachingGroup.name == clean)
        ).scalar_one_or_none()
        if taken is not None and taken != group_id:
            fields["name"] = msg("group.name_taken", name=clean)
    members: list[int] = []
    if member_ids is None:
        member_ids = []
    if not isinstance(member_ids, list) or any(
        isinstance(u, bool) or not isinstance(u, int) or not 1 <= u <= MAX_ID for u in member_ids
    ):
        fields["member_ids"] = msg("group.members_list")
    else:
        members = list(dict.fromkeys(member_ids))
        strangers = sorted(set(members) - _school_members(school.id, members))
        if strangers:
            places = {u: i + 1 for i, u in reversed(list(enumerate(member_ids)))}  # the first place of each
            fields["member_ids"] = access.not_members(school.id, strangers, places)
    leader: int | None = None
    if leader_id not in (None, ""):
        if isinstance(leader_id, bool) or not isinstance(leader_id, int) or not 1 <= leader_id <= MAX_ID:
            fields["leader_id"] = msg("must_be_integer")
        elif not policy.may_lead_group(policy.Actor.of(leader_id, access.school_roles(leader_id, school.id))):
            fields["leader_id"] = msg("group.leader_not_organizer")
        else:
            leader = leader_id
            if leader not in members:
                members.append(leader)  # the 教研组长 belongs to the group
    if fields:
        raise Invalid(msg("group.refused"), fields)
    return clean, leader, members


def save_group(
    school: School,
    name: object,
    leader_id: object = None,
    member_ids: object = None,
    *,
    by: policy.Actor,
    group: TeachingGroup | None = None,
) -> TeachingGroup:
    """Create a group, or rename it and set its leader and members (the whole list), all or nothing."""
    _require(by)
    clean, leader, members = _check(school, name, leader_id, member_ids, group.id if group else None)
    with write_transaction() as s:
        _require_still(s, school.id, by)
        was = set() if group is None else set(s.execute(
            select(GroupMember.user_id).where(GroupMember.group_id == group.id)).scalars())
        led_by = None if group is None else group.leader_id
        if group is None:
            group = TeachingGroup(school_id=school.id, name=clean, leader_id=leader)
            s.add(group)
            s.flush()
        else:
            group.name, group.leader_id = clean, leader
        _log_membership(s, school.id, group.id, was, set(members), by)
        _log_leader(s, school.id, group.id, led_by, leader, by)
        s.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
        for uid in members:
            s.add(GroupMember(group_id=group.id, user_id=uid))
    return group


def _log_membership(s: Session, school_id: int, group_id: int, was: set[int], now: set[int],
                    by: policy.Actor) -> None:
    """One staff-log line for each person who joins or leaves the group (their groups before
    and after), as :func:`set_person_groups` writes for a change made on the staff page. The
    loader and the command line (``policy.SYSTEM``) setting up a school's groups write none, as
    they write none for the people they create."""
    if by.system:
        return
    held = groups_of(school_id, was ^ now)
    for uid, before in held.items():
        after = [g for g in before if g != group_id] + ([group_id] if uid in now else [])
        staff_log.record(s, school_id, uid, by, "groups", before, after)


def _log_leader(s: Session, school_id: int, group_id: int, was: int | None, now: int | None,
                by: policy.Actor) -> None:
    """A staff-log line for the leader who stops leading the group and one for the leader who
    starts (``group_lead``: the group on the side it is on), written as membership changes are
    (not by the loader or the command line)."""
    if by.system or was == now:
        return
    for uid, before, after in ((was, [group_id], []), (now, [], [group_id])):
        if uid is not None:
            staff_log.record(s, school_id, uid, by, "group_lead", before, after)


def group_choices(school_id: int) -> list[TeachingGroup]:
    """The school's groups by pinyin of their names (one query): what a person may be put in."""
    rows = db.session.execute(select(TeachingGroup).where(TeachingGroup.school_id == school_id)).scalars()
    return sorted(rows, key=lambda g: pinyin_key(g.name))


def groups_of(school_id: int, user_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each person's groups in the school (ids), for a page of people: one query."""
    wanted = list(set(user_ids))
    out: dict[int, list[int]] = {uid: [] for uid in wanted}
    if wanted:
        for uid, gid in db.session.execute(
            select(GroupMember.user_id, GroupMember.group_id)
            .join(TeachingGroup, TeachingGroup.id == GroupMember.group_id)
            .where(TeachingGroup.school_id == school_id, GroupMember.user_id.in_(wanted))
        ):
            out[uid].append(gid)
    return out


def staff_groups(school_id: int, user_ids: Iterable[int]) -> tuple[list[TeachingGroup], dict[int, list[int]]]:
    """The staff page's groups: the school's groups by pinyin, and the groups (ids) of each
    person on the page, in one query."""
    wanted = list(set(user_ids))
    found: dict[int, TeachingGroup] = {}
    mine: dict[int, list[int]] = {uid: [] for uid in wanted}
    for group, uid in db.session.execute(
        select(TeachingGroup, GroupMember.user_id)
        .outerjoin(GroupMember, and_(GroupMember.group_id == TeachingGroup.id, GroupMember.user_id.in_(wanted)))
        .where(TeachingGroup.school_id == school_id)
    ):
        found[group.id] = group
        if uid is not None:
            mine[uid].append(group.id)
    return sorted(found.values(), key=lambda g: pinyin_key(g.name)), mine


def school_person(school_id: int, user_id: int) -> tuple[User, bool]:
    """A person who is or was in the school, and whether they are active there; anybody else
    (another school's person, no such id) is "not found"."""
    held = db.session.execute(
        select(Membership.active).where(Membership.school_id == school_id, Membership.user_id == user_id)
    ).scalars().all() if access.id_in_range(user_id) else []
    person = db.session.get(User, user_id) if held else None
    if person is None:
        raise NotFound(msg("user.not_found"))
    return person, any(held)


def set_person_groups(school: School, user_id: object, group_ids: object, *, by: policy.Actor) -> list[int]:
    """Put an active person of the school in exactly the groups ``group_ids`` (the staff
    page's choice and ``PUT /api/v1/users/<id>/groups``): added to the new ones, taken out of
    the others, all or nothing, written to the staff audit log. A group of another school, a
    deactivated person, or leaving a group the person leads is refused and changes nothing.
    Returns the person's groups (ids) now."""
    _require(by)
    if isinstance(user_id, bool) or not isinstance(user_id, int) or not 1 <= user_id <= MAX_ID:
        raise Invalid(msg("staff.user_id"), {"user_id": msg("must_be_integer")})
    person, active = school_person(school.id, user_id)  # another school's person: not found, whatever the rest
    if not isinstance(group_ids, list) or any(
        isinstance(g, bool) or not isinstance(g, int) or not 1 <= g <= MAX_ID for g in group_ids
    ):
        raise Invalid(msg("group.person_refused"), {"group_ids": msg("group.ids_list")})
    if not active:
        raise Invalid(msg("group.person_refused"), {"user_id": msg("group.person_inactive", name=person.display_name)})
    wanted = list(dict.fromkeys(group_ids))
    ours = {g.id: g for g in group_choices(school.id)}
    strangers = [g for g in wanted if g not in ours]
    if strangers:
        raise Invalid(msg("group.person_refused"),
                      {"group_ids": [msg("group.not_of_school", group=g) for g in strangers]})
    before = groups_of(school.id, [user_id])[user_id]
    led = [ours[g] for g in before if g not in wanted and ours[g].leader_id == user_id]
    if led:
        raise Invalid(msg("group.person_refused"),
                      {"group_ids": [msg("group.leader_stays", name=person.display_name, group=g.name) for g in led]})
    with write_transaction() as s:
        _require_still(s, school.id, by)
        gone = [g for g in before if g not in wanted]
        if gone:
            s.execute(delete(GroupMember).where(GroupMember.user_id == user_id, GroupMember.group_id.in_(gone)))
        for gid in wanted:
            if gid not in before:
                s.add(GroupMember(group_id=gid, user_id=user_id))
        staff_log.record(s, school.id, user_id, by, "groups", before, wanted)
    return sorted(wanted, key=lambda g: pinyin_key(ours[g].name))


def delete_group(group: TeachingGroup, *, by: policy.Actor) -> None:
    _require(by)
    with write_transaction() as s:
        _require_still(s, group.school_id, by)
        was = set(s.execute(select(GroupMember.user_id).where(GroupMember.group_id == group.id)).scalars())
        _log_membership(s, group.school_id, group.id, was, set(), by)
        _log_leader(s, group.school_id, group.id, group.leader_id, None, by)
        s.execute(delete(GroupMember).where(GroupMember.group_id == group.id))
        s.delete(group)


# -- the audience of an activity ----------------------------------------------------------


def audience_ids(school_id: int, choices: object) -> tuple[list[int], list[Msg]]:
    """User ids for picker choices: ``all`` (every active member), ``g:<group id>`` or
    ``u:<user id>``; in the order given, each person once. Unknown choices are errors, said in
    words and once each (a forged value is not echoed: it is no word of the page's language)."""
    if not isinstance(choices, list):
        return [], [msg("audience.bad")]
    errors: list[Msg] = []
    out: list[int] = []
    groups: list[int] = []
    people: list[int] = []
    everyone = bad = False
    for raw in choices:
        text = raw if isinstance(raw, str) else ""
        kind, _, rest = text.partition(":")
        if text == EVERYONE:
            everyone = True
        elif kind in ("g", "u") and is_digits(rest) and len(rest) <= 12 and 1 <= int(rest) <= MAX_ID:
            (groups if kind == "g" else people).append(int(rest))
        else:
            bad = True
    if bad:
        errors.append(msg("audience.bad"))
    if everyone:
        out.extend(
            db.session.execute(
                select(Membership.user_id)
                .where(Membership.school_id == school_id, Membership.active.is_(True))
                .distinct()
                .order_by(Membership.user_id)
            ).scalars()
        )
    if groups:
        known = set(
            db.session.execute(
                select(TeachingGroup.id).where(TeachingGroup.id.in_(groups), TeachingGroup.school_id == school_id)
            ).scalars()
        )
        if any(g not in known for g in groups):
            errors.append(msg("audience.group_unknown"))
        out.extend(
            db.session.execute(
                select(GroupMember.user_id).where(GroupMember.group_id.in_(known)).order_by(GroupMember.user_id)
            ).scalars()
        )
    members = _school_members(school_id, people)
    errors.extend(access.not_members(school_id, [u for u in people if u not in members]))
    out.extend(u for u in people if u in members)
    return list(dict.fromkeys(out)), errors


# -- group statistics for the school summary ----------------------------------------------


class GroupRef(NamedTuple):
    """A teaching group as the summary's group table shows it (its id and name)."""

    id: int
    name: str


class LeaderRef(NamedTuple):
    """A group's leader as the summary's group table shows them."""

    id: int
    display_name: str


@dataclass
class GroupStats:
    group: GroupRef
    leader: LeaderRef | None
    teachers: int = 0
    hours: Decimal = Decimal("0")
    statuses: dict[str, int] = field(default_factory=dict)
    assessed: int = 0  # the members whose year is assessed (not exempt)
    assessed_hours: Decimal = Decimal("0")  # their hours credited (a year not recognised adds none)

    @property
    def average(self) -> Decimal:
        """人均: the assessed members' hours credited over their number — as 达标 is a share of
        the assessed (an exempt member, often near retirement with no hours, does not lower it;
        one whose year is not recognised counts with none)."""
        return (self.assessed_hours / self.assessed).quantize(Decimal("0.1")) if self.assessed else Decimal("0")


_LEADER = aliased(User)
# plain columns (the groups, each member, the leader's name): the table shows nothing else of
# them, and ORM entities cost a summary more than the rest of this query
_GROUP_MEMBERS = keep_compiled(
    select(TeachingGroup.id, TeachingGroup.name, GroupMember.user_id, _LEADER.id, _LEADER.display_name)
    .outerjoin(GroupMember, GroupMember.group_id == TeachingGroup.id)
    .outerjoin(_LEADER, _LEADER.id == TeachingGroup.leader_id)
    .where(TeachingGroup.school_id == bindparam("school_id"))
)


def group_stats(school_id: int, rows: list) -> list[GroupStats]:
    """Per group: its teachers in ``rows`` (``credits.school_summary``: the one teacher-year
    builder), their hours credited (a year not recognised adds none, as in every total of
    认定学时) and how many are met / short / in progress / not recognised / exempt, as each
    row reads on the summary above the table (``shown``: a year under way is not counted short
    before its end, ``assessment.so_far``). A teacher in two groups counts in both. One query:
    groups, their members and their leaders."""
    found: dict[int, GroupStats] = {}
    by_user = {r.user.id: r for r in rows}
    for gid, name, member_id, leader_id, leader_name in read_rows(_GROUP_MEMBERS, {"school_id": school_id}):
        stats = found.get(gid)
        if stats is None:
            leader = None if leader_id is None else LeaderRef(leader_id, leader_name)
            stats = found[gid] = GroupStats(GroupRef(gid, name), leader)
        r = by_user.get(member_id) if member_id is not None else None
        if r is None:
            continue
        stats.teachers += 1
        status = r.assessment.status
        credited = r.facts.total_hours if hours_recognised(status) else Decimal("0")  # as every total of 认定学时
        stats.hours += credited
        if status != EXEMPT:
            stats.assessed += 1
            stats.assessed_hours += credited
        read = r.shown.status  # as the member's row on the same page reads it
        stats.statuses[read] = stats.statuses.get(read, 0) + 1
    return sorted(found.values(), key=lambda g: pinyin_key(g.group.name))


def member_count(group_id: int) -> int:
    return db.session.scalar(select(func.count()).where(GroupMember.group_id == group_id)) or 0
