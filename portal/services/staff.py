"""Staff of a school: listing, deactivation, a new password for who forgot theirs, and
importing a roster from CSV or XLSX.

A roster import is two steps: :func:`parse_roster` checks every row and reports the bad
ones without writing anything; :func:`import_roster` writes the good rows in one
transaction (all or nothing) once the admin confirms.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Exists, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from portal import file_text, paging, policy
from portal.database import write_transaction
from portal.errors import Invalid, NotFound
from portal.extensions import db
from portal.messages import Msg, msg, role_labels, shown
from portal.models import SCHOOL_ROLES, TEACHER, Membership, School, User
from portal.models.user import username_key
from portal.services import access, calendar_feeds, signup, staff_log, teacher_years, tokens, users
from portal.sorting import pinyin_key
from portal.timeutil import BIRTH_YEARS, parse_day, utcnow

ROSTER_COLUMNS = ("username", "name", "roles", "gender", "birth_date", "password")
ROSTER_MAX_ROWS = 2000
ROSTER_MAX_BYTES = 2 * 1024 * 1024
ROSTER_MAX_UNPACKED = 16 * 1024 * 1024  # an XLSX's parts unpacked (a 2,000-row roster: well under 1 MB)
ROSTER_MAX_COLUMNS = 64  # columns read from a row (a roster has six; a 2 MB CSV line can hold a million)


@dataclass
class StaffMember:
    user: User
    roles: list[str]
    active: bool
    elsewhere: bool  # also holds a role in another school or the district


def list_staff(school_id: int) -> list[StaffMember]:
    """Everyone with a membership in the school, with their roles (one query)."""
    rows = db.session.execute(
        select(User, Membership.role, Membership.active, _holds_role_elsewhere(school_id))
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school_id)
        .order_by(User.username, Membership.role)
    ).all()
    return _members(rows)


def _members(rows) -> list[StaffMember]:
    out: dict[int, StaffMember] = {}
    for user, role, active, elsewhere in rows:
        m = out.setdefault(user.id, StaffMember(user, [], False, bool(elsewhere)))
        if active:
            m.roles.append(role)
            m.active = True
    return sorted(out.values(), key=lambda m: (pinyin_key(m.user.display_name), m.user.id))


STAFF_PAGE_SIZE = 50
STAFF_KEYS = (paging.Key(User.id, int),)


def staff_page(
    school_id: int, after: str | None = None, before: str | None = None, size: int | None = None
) -> paging.Page[StaffMember]:
    """A page of the school's staff in pinyin order (the order of every list of people), with
    their roles: two queries. Pinyin is no database collation, so the school's people are
    ordered here from one light query of ids and names (a school has hundreds of staff); the
    cursor is the id of the person at the page's edge."""
    size = size or STAFF_PAGE_SIZE
    start, end = paging.decode(after, STAFF_KEYS, "after"), paging.decode(before, STAFF_KEYS, "before")
    people = db.session.execute(
        select(User.id, User.display_name)
        .where(User.id.in_(select(Membership.user_id).where(Membership.school_id == school_id)))
    ).all()
    order = [r.id for r in sorted(people, key=lambda r: (pinyin_key(r.display_name), r.id))]
    position = {uid: i for i, uid in enumerate(order)}
    if start is not None:
        low = position.get(start[0], -1) + 1
        high = low + size
    elif end is not None:
        high = position.get(end[0], 0)
        low = max(0, high - size)
    else:
        low, high = 0, size
    ids = order[low:high]
    rows = db.session.execute(
        select(User, Membership.role, Membership.active, _holds_role_elsewhere(school_id))
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school_id, User.id.in_(ids))
        .order_by(Membership.role)
    ).all() if ids else []
    after_last = paging.encode((ids[-1],)) if ids and high < len(order) else None
    before_first = paging.encode((ids[0],)) if ids and low > 0 else None
    return paging.Page(_members(rows), after_last, before_first, start is not None or end is not None)


def add_person(
    school: School,
    username: str,
    password: str,
    name: str = "",
    roles: list[str] | tuple[str, ...] = (TEACHER,),
    gender: str | None = None,
    birth_date: date | None = None,
    *,
    by: policy.Actor,
) -> User:
    """A school admin adds a new person to the school (the staff page): roles of the school
    only — a district role is the district's to give, never a school admin's — written to the
    staff audit log. The rest is checked by :func:`portal.services.users.create_user`."""
    policy.require(policy.may_administer(by), "policy.admin_only")
    if not roles or any(r not in SCHOOL_ROLES for r in roles):
        raise Invalid(msg("user.invalid"), {"role": msg("roles_are", roles=role_labels(list(SCHOOL_ROLES)))})
    if not all(policy.may_give_role(r, password_known_to_another=True) for r in roles):  # the admin types it
        raise Invalid(msg("user.invalid"), {"role": msg("staff.role_needs_own_password")})
    return users.create_user(username, password, name, school, roles, gender, birth_date, logged_by=by,
                             recheck=lambda s: access.require_still_admin(s, school.id, by))


def _holds_role_elsewhere(school_id: int) -> Exists:
    """Whether the person (``User.id`` of the enclosing query) holds an active role outside the
    school: in another school or in the district."""
    other = aliased(Membership)
    return (
        select(other.id)
        .where(other.user_id == User.id, other.active.is_(True),
               or_(other.school_id.is_(None), other.school_id != school_id))
        .exists()
    )


def reset_password(school: School, user_id: int, *, by: policy.Actor) -> tuple[User, str]:
    """A new password for a person of the school who forgot theirs, drawn here
    (:func:`initial_password`) and returned once for the admin to hand over; who may be given
    one is :func:`portal.policy.may_reset_password`, asked again inside the write with the
    person's roles locked. Every session and API token of the person stops working
    (:func:`portal.services.users.store_password`), and the staff log gets a line saying a new
    password was given, and by whom — never the password."""
    policy.require(policy.may_administer(by), "policy.admin_only")
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise Invalid(msg("staff.user_id"), {"user_id": msg("must_be_integer")})
    if user_id == by.user_id:
        raise Invalid(msg("staff.reset_self"), {"user_id": msg("staff.reset_self")})
    person = access.get_member(user_id, school.id)  # someone with a role here today
    password = initial_password()
    new_hash = users.hash_password(password)  # slow: before the write lock, not under it
    with write_transaction() as s:
        access.require_still_admin(s, school.id, by)
        held = s.execute(
            select(Membership.school_id, Membership.role)
            .where(Membership.user_id == user_id, Membership.active.is_(True))
            .order_by(Membership.id)
            .with_for_update()
        ).all()
        here = [role for sid, role in held if sid == school.id]
        if not here:  # left at the same moment
            raise NotFound(msg("user.not_found"))
        elsewhere = any(sid != school.id for sid, _role in held)
        policy.require(policy.may_reset_password(by, user_id, here, elsewhere), "staff.reset_beyond")
        users.store_password(s, person, new_hash, known_to=by.user_id)
        staff_log.record(s, school.id, user_id, by, "password", [], [])
    return person, password


def set_password_by_operator(person: User, password: str) -> None:
    """The operator's ``flask user set-password``: any account, and a line in the staff log of
    each school the person has a role in today, by the command line."""
    if (err := users.validate_password(password, person.username)) is not None:
        raise Invalid(msg("password.invalid"), {"password": err})
    new_hash = users.hash_password(password)
    with write_transaction() as s:
        schools_of: list[int] = [sid for sid in s.execute(
            select(Membership.school_id)
            .where(Membership.user_id == person.id, Membership.active.is_(True), Membership.school_id.is_not(None))
            .distinct()
        ).scalars() if sid is not None]
        users.store_password(s, person, new_hash)
        for school_id in sorted(schools_of):
            staff_log.record(s, school_id, person.id, policy.SYSTEM, "password", [], [])


def deactivate(school: School, user_id: int, *, by: policy.Actor, at: datetime | None = None) -> int:
    """End every role of the person in this school (their history stays). Returns rows changed:
    0 when they hold none here any more (left, or moved to another school, since the admin's
    page was read), and then nothing is written.
    ``at``: when they left (by default now; the demo dates a stretch away back).

    Every API token and calendar feed address of the person is revoked in the same transaction
    (a token is the person's, not the school's, so it goes even if they still belong to another
    school). Giving them a role again later does not bring a revoked token or address back."""
    policy.require(policy.may_administer(by), "policy.admin_only")
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise Invalid(msg("staff.user_id"), {"user_id": msg("must_be_integer")})
    if user_id == by.user_id:
        raise Invalid(msg("staff.self"), {"user_id": msg("staff.self")})
    if not db.session.execute(
        select(Membership.id).where(Membership.school_id == school.id, Membership.user_id == user_id).limit(1)
    ).first():
        raise NotFound(msg("user.not_found"))
    with write_transaction() as s:
        access.require_still_admin(s, school.id, by)
        return end_roles(s, school.id, user_id, by=by, at=at)


def end_roles(s: Session, school_id: int, user_id: int, *, by: policy.Actor, at: datetime | None = None) -> int:
    """In the write ``s``: end the roles the person holds in the school at ``at`` (by default
    now), a line of its staff log, their tokens and calendar feeds revoked, their seats given to
    the waiting list, their stored years renewed (:func:`deactivate`, and a teacher's move to
    another school, ``moves.move_teacher``). Returns rows changed.

    The roles are read here, their memberships locked as every change of roles locks them
    (:func:`access.roles_now`): of a move and a deactivation at the same moment, the second
    finds what the first ended, and the log says each ending once. Nothing held (ended
    meanwhile, or before): nothing written, not even a token revoked — the person may teach
    at another school now."""
    held = sorted(access.roles_now(s, user_id, school_id))
    if not held:
        return 0
    at = at or utcnow()  # the log line and the memberships say the same moment
    staff_log.record(s, school_id, user_id, by, "roles", held, [], at)
    result = s.execute(
        update(Membership)
        .where(Membership.school_id == school_id, Membership.user_id == user_id, Membership.active.is_(True))
        .values(active=False, until=at)  # the years over by now stay theirs
    )
    tokens.revoke_all_in(s, user_id)
    calendar_feeds.end_all_in(s, user_id)  # their feed addresses too: back later, they make new ones
    signup.seats_left_by(s, school_id, user_id)  # the waiting list moves up into their seats
    teacher_years.refresh_people(school_id, [user_id])  # gone from years where nothing of theirs counts
    return cast(CursorResult, result).rowcount or 0  # an UPDATE's result


def set_roles(school: School, user_id: int, roles: list[str], *, by: policy.Actor,
              at: datetime | None = None) -> list[str]:
    """Give a person of the school exactly ``roles`` there (at least one school role): missing
    memberships are added or switched back on, the others switched off; history stays, and the
    change is written to the staff audit log (:mod:`portal.services.staff_log`).
    Nobody changes their own roles (an admin cannot lock themselves out by a slip). ``at``: when
    the change takes effect (by default now; the demo dates a return back)."""
    policy.require(policy.may_administer(by), "policy.admin_only")
    wanted = sorted(set(roles or []), key=lambda r: SCHOOL_ROLES.index(r) if r in SCHOOL_ROLES else 99)
    if not wanted or any(r not in SCHOOL_ROLES for r in wanted):
        field_msg = msg("staff.roles_choose") if not wanted else msg("roles_are", roles=role_labels(list(SCHOOL_ROLES)))
        raise Invalid(msg("staff.roles_refused"), {"roles": field_msg})
    if user_id == by.user_id:
        raise Invalid(msg("staff.self_roles"), {"roles": msg("staff.self_roles")})
    existing = {
        m.role: m
        for m in db.session.execute(
            select(Membership).where(Membership.school_id == school.id, Membership.user_id == user_id)
        ).scalars()
    }
    if not existing:
        raise NotFound(msg("user.not_found"))
    before = [m.role for m in existing.values() if m.active]
    with write_transaction() as s:
        access.require_still_admin(s, school.id, by)
        known_to = s.execute(select(User.password_known_to).where(User.id == user_id)).scalar_one()
        if not all(policy.may_give_role(r, password_known_to_another=known_to is not None)
                   for r in wanted if r not in before):
            raise Invalid(msg("staff.roles_refused"), {"roles": msg("staff.role_needs_own_password")})
        if TEACHER in wanted and TEACHER not in before:  # under the admins' locks: a move committed is seen
            _require_not_teaching_elsewhere(s, school, user_id)
        staff_log.record(s, school.id, user_id, by, "roles", before, wanted, at)
        for role in SCHOOL_ROLES:
            m = existing.get(role)
            if role in wanted and m is None:
                s.add(Membership(user_id=user_id, school_id=school.id, role=role, active=True))
            elif m is not None and role in wanted:
                users.give_back(m, at)
            elif m is not None and m.active:
                m.active, m.until = False, at or utcnow()  # the years over by now stay theirs (credits.year_over_at)
        if (TEACHER in before) != (TEACHER in wanted):  # who teaches here moves the stored years
            s.flush()
            teacher_years.refresh_people(school.id, [user_id])
    return wanted


def _require_not_teaching_elsewhere(s: Session, school: School, user_id: int) -> None:
    """Refuse the teacher role here to one who teaches at another school now
    (:func:`policy.may_make_teacher`), naming it."""
    row = s.execute(
        select(User.display_name, School.name).join(Membership, Membership.user_id == User.id)
        .join(School, School.id == Membership.school_id)
        .where(Membership.user_id == user_id, Membership.role == TEACHER, Membership.active.is_(True),
               Membership.school_id != school.id)
        .order_by(School.id).limit(1)
    ).first()
    if not policy.may_make_teacher(row is not None):
        assert row is not None
        raise Invalid(msg("staff.roles_refused"),
                      {"roles": msg("staff.teaches_elsewhere", person=row[0], school=row[1])})


def initial_password() -> str:
    """An initial password for a sheet without one: 12 characters, easy to read out."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


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
    generated: bool = False  # the password was drawn at import (the sheet had none)


@dataclass
class RosterPreview:
    rows: list[RosterRow]
    problems: list[str] = field(default_factory=list)  # problems with the file itself
    #: the file's headings of columns that are not read (手机号码, 邮箱, 序号…), as written
    unread: list[str] = field(default_factory=list)
    #: the file's headings of the columns read, as written, by column (``username``: 工号): the
    #: words the row's problems name their cells by, which the preview's headings repeat
    headings: dict[str, str] = field(default_factory=dict)

    @property
    def same_names(self) -> dict[str, list[int]]:
        """Names on more than one row, with their rows: one person typed twice under two
        usernames, or two people of one name — the office knows which."""
        lines: dict[str, list[int]] = {}
        for r in self.rows:
            if r.name:
                lines.setdefault(r.name, []).append(r.line)
        return {name: at for name, at in lines.items() if len(at) > 1}

    @property
    def not_teachers(self) -> list[RosterRow]:
        """Rows to import without the teacher role (a sheet writing only 教研组长): their hours
        are neither counted nor assessed, which a school rarely means for a group's leader."""
        return [r for r in self.good if TEACHER not in r.roles]

    @property
    def good(self) -> list[RosterRow]:
        return [r for r in self.rows if not r.errors]

    @property
    def bad(self) -> list[RosterRow]:
        return [r for r in self.rows if r.errors]


#: A row of the roster file: its number as the spreadsheet shows it (1-based, counting empty
#: rows and a title above the headings) and its cells as text.
Line = tuple[int, list[str]]
#: How far down the first non-empty rows a sheet's headings are looked for (a school's sheet
#: often has a title, merged across the columns, and a date or a note above them).
HEADER_SCAN = 10
ROSTER_MAX_SHEETS = 20  # sheets looked at for the roster's headings (a note sheet often comes first)


def _cell_text(value: object) -> str:
    """An XLSX cell as text: a date as ISO, a whole number without ``.0`` (a 工号 typed as a
    number), anything else as written."""
    if value is None:
        return ""
    if hasattr(value, "date") and hasattr(value, "hour"):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_lines(data: bytes) -> list[Line]:
    """The rows of the workbook's first sheet that has the roster's headings (else of its first
    sheet, which the headings check then refuses)."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:  # a zip bomb: refused by what it unpacks to
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise Invalid(msg("roster.xlsx"), {"file": msg("roster.xlsx")}) from None
    if unpacked > ROSTER_MAX_UNPACKED:
        raise Invalid(msg("roster.too_large"), {"file": msg("roster.too_large")})
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        first: list[Line] | None = None
        for sheet in wb.worksheets[:ROSTER_MAX_SHEETS]:
            if not hasattr(sheet, "reset_dimensions"):  # a chart sheet: no cells
                continue
            sheet.reset_dimensions()  # never the size the file claims (A1:XFD1048576): the cells it has
            out: list[Line] = []
            # the rows between those a file has come as empty ones, so a row's place is its number;
            # openpyxl gives every missing row as one and the same tuple, passed over without a look
            # (a file with a cell in row 1,048,576 comes with a million of them)
            missing: tuple[Any, ...] | None = None
            for number, row in enumerate(sheet.iter_rows(max_col=ROSTER_MAX_COLUMNS, values_only=True), start=1):
                if row is missing:
                    continue
                if _blank(row):
                    missing = row
                    continue
                cells = [_cell_text(v) for v in row]
                if any(c.strip() for c in cells):
                    out.append((number, cells))
                    if len(out) > ROSTER_MAX_ROWS + HEADER_SCAN:  # enough to say "too many rows"
                        break
                if len(out) == HEADER_SCAN and _header_at(out) is None:
                    break  # no headings at the top of this sheet: the next one
            if _header_at(out) is not None:
                wb.close()
                return out
            first = out if first is None else first
        wb.close()
    except Invalid:
        raise
    except Exception:  # openpyxl raises many kinds for a broken file
        raise Invalid(msg("roster.xlsx"), {"file": msg("roster.xlsx")}) from None
    return first or []


def _blank(row: tuple[Any, ...]) -> bool:
    return not any(v is not None and v != "" for v in row)


#: The first bytes of an old Excel workbook (.xls, and WPS's .et): an OLE compound file.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _read_table(filename: str, data: bytes) -> list[Line]:
    """The file's non-empty rows, each with its row number as a spreadsheet shows it."""
    name = (filename or "").lower()
    if data.startswith(OLE_MAGIC) or name.endswith((".xls", ".et")):  # many offices still save these
        raise Invalid(msg("roster.old_excel"), {"file": msg("roster.old_excel")})
    if name.endswith(".xlsx"):
        return _xlsx_lines(data)
    if name.endswith(".csv"):
        try:
            text = file_text.decode_text(data)
        except file_text.Unreadable:
            raise Invalid(msg("roster.encoding"), {"file": msg("file.not_utf8_field")}) from None
        try:
            # a record is a row (a quoted line break stays in its cell, as Excel shows it)
            rows = enumerate(csv.reader(io.StringIO(text)), start=1)
            return [(n, r[:ROSTER_MAX_COLUMNS]) for n, r in rows if any(c.strip() for c in r[:ROSTER_MAX_COLUMNS])]
        except csv.Error:  # a cell over the reader's limit (128 KiB): a pasted document, a quote never closed
            raise Invalid(msg("roster.csv"), {"file": msg("roster.csv")}) from None
    raise Invalid(msg("roster.kind"), {"file": msg("roster.kind_field")})


def _header_at(lines: list[Line]) -> int | None:
    """The index in ``lines`` of the headings: the first of the top rows naming a username
    column (a title or a note above them is passed over)."""
    return next((i for i, (_n, cells) in enumerate(lines[:HEADER_SCAN])
                 if "username" in (_column(str(c)) for c in cells)), None)


#: Column headings a school's own sheet may use, English or Chinese (lower-cased), by column.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "username": ("username", "login", "用户名", "账号", "帐号", "登录名", "工号"),
    "name": ("name", "姓名", "名字"),
    "roles": ("roles", "role", "角色", "身份"),
    "gender": ("gender", "sex", "性别"),
    "birth_date": ("birth_date", "birthday", "birth date", "出生日期", "出生年月日", "生日"),
    "password": ("password", "密码", "初始密码"),
}
#: Role and gender values as a Chinese sheet writes them.
ROLE_ALIASES = {
    "教师": "teacher", "老师": "teacher", "教研组长": "organizer", "组织者": "organizer", "活动组织者": "organizer",
    "审核人": "reviewer", "审核": "reviewer", "培训领导小组": "reviewer", "学校管理员": "school_admin",
    "管理员": "school_admin", "校本培训办公室": "school_admin",
}
GENDER_ALIASES = {"男": "M", "女": "F", "男性": "M", "女性": "F", "M": "M", "F": "F", "MALE": "M", "FEMALE": "F"}
#: Between roles of a cell: commas, semicolons, 、, slashes, spaces (full-width ones too).
ROLE_SEPARATORS = re.compile(r"[,;，；、/／\s]+")


def _birth_day(text: str) -> date | None:
    """A birth date as a roster writes it: as :func:`~portal.timeutil.parse_day` reads a day,
    eight digits as personnel systems write it (19800102), or the day number a spreadsheet
    keeps for a date whose format was lost on the way (29222: 1980-01-02)."""
    if (day := parse_day(text, BIRTH_YEARS)) is not None:
        return day
    digits = unicodedata.normalize("NFKC", text)
    if len(digits) == 8 and digits.isascii() and digits.isdigit():
        return parse_day(f"{digits[:4]}-{digits[4:6]}-{digits[6:]}", BIRTH_YEARS)
    if len(digits) == 5 and digits.isascii() and digits.isdigit():  # 1927 to 2173: 10000 to 99999
        from openpyxl.utils.datetime import from_excel

        found = from_excel(int(digits))
        return found.date() if isinstance(found, datetime) else None
    return None


def _column(heading: str) -> str | None:
    """The roster column a heading names: as written (full-width forms folded), its note in
    brackets, a "required" star and the spaces that centre 姓 名 in a cell left out."""
    text = unicodedata.normalize("NFKC", heading).lower().split("(")[0]
    text = "".join(text.split()).strip("*")
    return next((col for col, names in HEADER_ALIASES.items() if text in names), None)


def _letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: the spreadsheet's column letter."""
    out = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def parse_roster(school: School, filename: str, data: bytes) -> RosterPreview:
    """Check a roster file; nothing is written. Raises Invalid only if the file is unusable."""
    if not data:
        raise Invalid(msg("roster.empty"), {"file": msg("roster.empty")})
    if len(data) > ROSTER_MAX_BYTES:
        raise Invalid(msg("roster.too_large"), {"file": msg("file.at_most_mb", n=ROSTER_MAX_BYTES // (1024 * 1024))})
    lines = _read_table(filename, data)
    if not lines:
        raise Invalid(msg("roster.no_rows"), {"file": msg("roster.no_rows")})
    at = _header_at(lines)
    if at is None:
        raise Invalid(msg("roster.missing_columns"), {"file": msg("roster.no_username_column")})
    headings, table = lines[at][1], lines[at + 1:]
    if len(table) > ROSTER_MAX_ROWS:
        raise Invalid(msg("roster.too_many_rows"), {"file": msg("roster.at_most_rows", n=ROSTER_MAX_ROWS)})
    header = [_column(str(c)) for c in headings]
    col = {name: header.index(name) for name in ROSTER_COLUMNS if name in header}
    titles = {name: str(headings[j]).strip() for name, j in col.items()}
    # usernames compared folded (``Teacher1`` is ``teacher1``), as users.create_user compares them
    existing = set(db.session.execute(select(User.username_key)).scalars())
    # usernames of this school's people (past or present): the only ones named as taken, with
    # their names and whether they are on the staff today (``users.taken_by_ours``)
    ours: dict[str, tuple[str, bool]] = {}
    for ours_key, ours_name, active in db.session.execute(
        select(User.username_key, User.display_name, Membership.active).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school.id)
    ):
        ours[ours_key] = (ours_name, bool(active) or ours.get(ours_key, ("", False))[1])
    seen: dict[str, int] = {}  # a username's folded form → the first row with it
    rows: list[RosterRow] = []
    for i, raw in table:
        def cell(name: str, raw: list[str] = raw) -> str:  # bound to this row
            j = col.get(name)
            return str(raw[j]).strip() if j is not None and j < len(raw) else ""

        errors: list[Msg] = []

        def fault(name: str, problem: Msg, line: int = i, errors: list[Msg] = errors) -> None:
            """A problem named by its cell (E5) and the column's heading in the file."""
            j = col.get(name)
            where = f"{_letter(j)}{line}" if j is not None else str(line)
            errors.append(msg("roster.at_cell", cell=where, column=titles.get(name, name), problem=problem))

        typed = cell("username")
        username = users.clean_username(typed)
        key = username_key(username) if username is not None else ""
        written = [r for r in ROLE_SEPARATORS.split(cell("roles")) if r]
        roles = [ROLE_ALIASES.get(r, r.lower()) for r in written] or [TEACHER]
        bad_roles = [w for w, r in zip(written, roles, strict=False) if r not in SCHOOL_ROLES]
        if bad_roles:
            fault("roles", msg("roster.unknown_roles", roles=", ".join(bad_roles)))
        elif not all(policy.may_give_role(r, password_known_to_another=True) for r in roles):  # sheet or import sets it
            fault("roles", msg("staff.role_needs_own_password"))
        gender_text = cell("gender")
        gender = GENDER_ALIASES.get(unicodedata.normalize("NFKC", gender_text).upper()) if gender_text else None
        if gender_text and gender is None:
            fault("gender", msg("roster.gender"))
        born = None
        if cell("birth_date"):
            born = _birth_day(cell("birth_date"))
            if born is None:
                fault("birth_date", msg("roster.birth_date"))
            elif (problem := users.birth_date_problem(born)) is not None:
                fault("birth_date", problem)
        if username is None:
            fault("username", msg("roster.username"))
        elif key in existing:
            # a teacher of another school of the district is moved by the district, not made twice
            fault("username", users.taken_by_ours(username, ours[key][0], on_staff=ours[key][1]) if key in ours
                  else users.USERNAME_UNAVAILABLE)
        elif key in seen:
            fault("username", msg("roster.twice", column=titles["username"], name=shown(username), row=seen[key]))
        seen.setdefault(key, i)
        password = cell("password")  # none: an initial password is drawn at import and shown once
        if password and (err := users.validate_password(password, username)) is not None:
            fault("password", msg("roster.password", problem=err))
        name = users.clean_name(cell("name"))
        if len(name) > users.NAME_MAX:
            fault("name", msg("roster.name"))
        elif (problem := users.name_problem(name)) is not None:
            fault("name", problem)
        rows.append(RosterRow(i, typed if username is None else username, name, roles, gender, born, password, errors))
    unread = [str(h).strip() for h, c in zip(headings, header, strict=False) if c is None and str(h).strip()]
    return RosterPreview(rows, unread=unread, headings=titles)


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
            access.require_still_admin(s, school.id, by)
            for r in preview.good:
                if not r.password:
                    r.password = initial_password()
                    r.generated = True
                user = User(
                    username=r.username,
                    display_name=r.name or r.username,
                    password_hash=users.hash_password(r.password),
                    password_known_to=None if by.system else by.user_id,  # in the sheet, or drawn and shown
                    gender=r.gender,
                    birth_date=r.birth_date,
                )
                s.add(user)
                s.flush()
                for role in dict.fromkeys(r.roles):
                    s.add(Membership(user_id=user.id, school_id=school.id, role=role))
                staff_log.record(s, school.id, user.id, by, "roles", [], r.roles)
                created.append(user)
            s.flush()
            teacher_years.refresh_people(school.id, [u.id for u, r in zip(created, preview.good, strict=True)
                                                     if TEACHER in r.roles])
    except IntegrityError:  # a username of the file was created meanwhile: nothing was written
        raise Invalid(msg("roster.bad_rows"), {"file": users.USERNAME_UNAVAILABLE}) from None
    return created, preview
