"""Staff of a school: listing, deactivation, and importing a roster from CSV or XLSX.

A roster import is two steps: :func:`parse_roster` checks every row and reports the bad
ones without writing anything; :func:`import_roster` writes the good rows in one
transaction (all or nothing) once the admin confirms.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from portal import paging, policy
from portal.database import write_transaction
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.messages import Msg, msg
from portal.models import SCHOOL_ROLES, Membership, School, User
from portal.services import teacher_years, tokens, users

ROSTER_COLUMNS = ("username", "name", "roles", "gender", "birth_date", "password")
ROSTER_MAX_ROWS = 2000
ROSTER_MAX_BYTES = 2 * 1024 * 1024


@dataclass
class StaffMember:
    user: User
    roles: list[str]
    active: bool


def list_staff(school_id: int) -> list[StaffMember]:
    """Everyone with a membership in the school, with their roles (one query)."""
    rows = db.session.execute(
        select(User, Membership.role, Membership.active)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school_id)
        .order_by(User.username, Membership.role)
    ).all()
    return _members(rows)


def _members(rows) -> list[StaffMember]:
    out: dict[int, StaffMember] = {}
    for user, role, active in rows:
        m = out.setdefault(user.id, StaffMember(user, [], False))
        if active:
            m.roles.append(role)
            m.active = True
    return list(out.values())


STAFF_PAGE_SIZE = 50
STAFF_KEYS = (paging.Key(User.username, str),)


def staff_page(
    school_id: int, after: str | None = None, before: str | None = None, size: int | None = None
) -> paging.Page[StaffMember]:
    """A page of the school's staff by username (keyset: a district roster can hold thousands),
    with their roles: two queries."""
    people = select(User).where(User.id.in_(select(Membership.user_id).where(Membership.school_id == school_id)))
    found = paging.keyset(
        lambda q: list(db.session.execute(q).scalars()), people, STAFF_KEYS, lambda u: (u.username,),
        after=after, before=before, size=size or STAFF_PAGE_SIZE,
    )
    ids = [u.id for u in found.items]
    rows = db.session.execute(
        select(User, Membership.role, Membership.active)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school_id, User.id.in_(ids))
        .order_by(User.username, Membership.role)
    ).all() if ids else []
    return paging.Page(_members(rows), found.next, found.prev, found.moved)


def deactivate(school: School, user_id: int, *, by: policy.Actor) -> int:
    """End every role of the person in this school (their history stays). Returns rows changed.

    Every API token of the person is revoked in the same transaction (a token is the
    person's, not the school's, so it goes even if they still belong to another school).
    Giving them a role again later does not bring a revoked token back."""
    policy.require(policy.may_administer(by), "policy.admin_only")
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise Invalid(msg("staff.user_id"), {"user_id": msg("must_be_integer")})
    if user_id == by.user_id:
        raise Invalid(msg("staff.self"), {"user_id": msg("staff.self")})
    exists = db.session.execute(
        select(Membership.id).where(Membership.school_id == school.id, Membership.user_id == user_id)
    ).first()
    if exists is None:
        raise NotFound(msg("user.not_found"))
    with write_transaction() as s:
        result = s.execute(
            update(Membership)
            .where(Membership.school_id == school.id, Membership.user_id == user_id, Membership.active.is_(True))
            .values(active=False)
        )
        tokens.revoke_all_in(s, user_id)
        teacher_years.refresh_people(school.id, [user_id])  # gone from years where nothing was credited
    return cast(CursorResult, result).rowcount or 0  # an UPDATE's result


@dataclass
class RosterRow:
    line: int
    username: str
    name: str
    roles: list[str]
    gender: str | None
    birth_date: date | None
    password: str
    errors: list[Msg] = field(default_factory=list)


@dataclass
class RosterPreview:
    rows: list[RosterRow]
    problems: list[str] = field(default_factory=list)  # problems with the file itself

    @property
    def good(self) -> list[RosterRow]:
        return [r for r in self.rows if not r.errors]

    @property
    def bad(self) -> list[RosterRow]:
        return [r for r in self.rows if r.errors]


def _read_table(filename: str, data: bytes) -> list[list[str]]:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds for a broken file
            raise Invalid(msg("roster.xlsx"), {"file": msg("roster.xlsx")}) from None
        sheet = wb.worksheets[0]
        out = []
        for row in sheet.iter_rows(values_only=True):
            out.append(
                ["" if v is None else (v.date().isoformat() if hasattr(v, "date") and hasattr(v, "hour") else str(v))
                 for v in row]
            )
        wb.close()
        return out
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = data.decode("gb18030")
            except UnicodeDecodeError:
                raise Invalid(msg("roster.encoding"), {"file": msg("roster.encoding_field")}) from None
        return [list(r) for r in csv.reader(io.StringIO(text))]
    raise Invalid(msg("roster.kind"), {"file": msg("roster.kind_field")})


def _parse_date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    return date.fromisoformat(text[:10])


def parse_roster(school: School, filename: str, data: bytes) -> RosterPreview:
    """Check a roster file; nothing is written. Raises Invalid only if the file is unusable."""
    if not data:
        raise Invalid(msg("roster.empty"), {"file": msg("roster.empty")})
    if len(data) > ROSTER_MAX_BYTES:
        raise Invalid(msg("roster.too_large"), {"file": msg("file.at_most_mb", n=ROSTER_MAX_BYTES // (1024 * 1024))})
    table = [r for r in _read_table(filename, data) if any(str(c).strip() for c in r)]
    if not table:
        raise Invalid(msg("roster.no_rows"), {"file": msg("roster.no_rows")})
    header = [str(c).strip().lower() for c in table[0]]
    missing = [c for c in ("username", "password") if c not in header]
    if missing:
        raise Invalid(msg("roster.missing_columns"), {"file": msg("roster.missing_columns_field", columns=", ".join(missing))})
    if len(table) - 1 > ROSTER_MAX_ROWS:
        raise Invalid(msg("roster.too_many_rows"), {"file": msg("roster.at_most_rows", n=ROSTER_MAX_ROWS)})
    col = {name: header.index(name) for name in ROSTER_COLUMNS if name in header}
    existing = set(db.session.execute(select(User.username)).scalars())
    # usernames of this school's people (past or present): the only ones named as taken
    ours = set(
        db.session.execute(
            select(User.username).join(Membership, Membership.user_id == User.id).where(Membership.school_id == school.id)
        ).scalars()
    )
    seen: set[str] = set()
    rows: list[RosterRow] = []
    for i, raw in enumerate(table[1:], start=2):
        def cell(name: str, raw: list[str] = raw) -> str:  # bound to this row
            j = col.get(name)
            return str(raw[j]).strip() if j is not None and j < len(raw) else ""

        errors: list[Msg] = []
        username = cell("username")
        roles = [r.strip() for r in cell("roles").replace(";", ",").replace("，", ",").split(",") if r.strip()] or ["teacher"]
        bad_roles = [r for r in roles if r not in SCHOOL_ROLES]
        if bad_roles:
            errors.append(msg("roster.unknown_roles", roles=", ".join(bad_roles)))
        gender = cell("gender").upper() or None
        if gender not in (None, "F", "M"):
            errors.append(msg("roster.gender"))
        try:
            born = _parse_date(cell("birth_date"))
        except ValueError:
            born = None
            errors.append(msg("roster.birth_date"))
        if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
            errors.append(msg("roster.username"))
        elif username in existing:
            errors.append(msg("user.username_taken", name=repr(username)) if username in ours else users.USERNAME_UNAVAILABLE)
        elif username in seen:
            errors.append(msg("roster.twice", name=repr(username)))
        seen.add(username)
        password = cell("password")
        if (err := users.validate_password(password)) is not None:
            errors.append(msg("roster.password", problem=err))
        name = cell("name")
        if len(name) > 100:
            errors.append(msg("roster.name"))
        rows.append(RosterRow(i, username, name, roles, gender, born, password, errors))
    return RosterPreview(rows)


def import_roster(
    school: School, filename: str, data: bytes, skip_bad: bool = False, *, by: policy.Actor
) -> tuple[list[User], RosterPreview]:
    """Create the accounts of the roster's rows, checked again now, in one transaction.

    With bad rows, nothing is written unless ``skip_bad`` (the admin confirmed importing
    only the good rows). Returns the new users and the preview they came from.
    """
    policy.require(policy.may_administer(by), "policy.admin_only")
    preview = parse_roster(school, filename, data)
    if preview.bad and not skip_bad:
        raise Invalid(
            msg("roster.bad_rows"),
            {"rows": {str(r.line): r.errors for r in preview.bad}},
        )
    if not preview.good:
        raise Invalid(msg("roster.no_good_rows"), {"file": msg("roster.no_row")})
    created: list[User] = []
    try:
        with write_transaction() as s:
            for r in preview.good:
                user = User(
                    username=r.username,
                    display_name=r.name or r.username,
                    password_hash=users.hash_password(r.password),
                    gender=r.gender,
                    birth_date=r.birth_date,
                )
                s.add(user)
                s.flush()
                for role in dict.fromkeys(r.roles):
                    s.add(Membership(user_id=user.id, school_id=school.id, role=role))
                created.append(user)
            s.flush()
            teacher_years.refresh_people(school.id, [u.id for u, r in zip(created, preview.good, strict=True)
                                                     if "teacher" in r.roles])
    except IntegrityError:  # a username of the file was created meanwhile: nothing was written
        raise Invalid(msg("roster.bad_rows"), {"file": users.USERNAME_UNAVAILABLE}) from None
    return created, preview
