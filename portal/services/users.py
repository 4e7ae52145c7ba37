"""People: accounts, roles in schools, passwords."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.database import write_transaction
from portal.errors import Invalid
from portal.extensions import db
from portal.models import ROLES, Membership, School, User

MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    from flask import current_app

    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def verify_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def validate_password(password: str) -> str | None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if len(password) > 200:
        return "at most 200 characters"
    return None


def create_user(
    username: str,
    password: str,
    display_name: str = "",
    school: School | None = None,
    roles: list[str] | tuple[str, ...] = ("teacher",),
    gender: str | None = None,
    birth_date: date | None = None,
) -> User:
    fields: dict[str, str] = {}
    username = (username or "").strip()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        fields["username"] = "1–64 letters, digits, '.', '_' or '-'"
    elif db.session.execute(select(User.id).where(User.username == username)).first():
        fields["username"] = f"username {username!r} is taken"
    if (err := validate_password(password)) is not None:
        fields["password"] = err
    if len(display_name or "") > 100:
        fields["name"] = "at most 100 characters"
    if gender not in (None, "F", "M"):
        fields["gender"] = "F or M"
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        fields["role"] = f"roles are {', '.join(ROLES)}"
    if school is None and any(r != "district_admin" for r in roles):
        fields["school"] = "a school is required for school roles"
    if fields:
        raise Invalid("invalid user", fields)
    with write_transaction() as s:
        user = User(
            username=username,
            display_name=(display_name or username).strip(),
            password_hash=hash_password(password),
            gender=gender,
            birth_date=birth_date,
        )
        s.add(user)
        s.flush()
        for role in dict.fromkeys(roles):
            s.add(Membership(user_id=user.id, school_id=None if role == "district_admin" else school.id, role=role))
    return user


def add_role(user: User, school: School | None, role: str) -> Membership:
    if role not in ROLES:
        raise Invalid("unknown role", {"role": f"roles are {', '.join(ROLES)}"})
    with write_transaction() as s:
        school_id = None if role == "district_admin" else school.id if school else None
        m = s.execute(
            select(Membership).where(
                Membership.user_id == user.id, Membership.school_id == school_id, Membership.role == role
            )
        ).scalar_one_or_none()
        if m is None:
            m = Membership(user_id=user.id, school_id=school_id, role=role)
            s.add(m)
        m.active = True
    return m


def set_password(user: User, password: str) -> None:
    if (err := validate_password(password)) is not None:
        raise Invalid("invalid password", {"password": err})
    with write_transaction():
        user.password_hash = hash_password(password)
        user.session_version = (user.session_version or 1) + 1  # other sessions stop working


def bump_session_version(user: User) -> None:
    with write_transaction():
        user.session_version = (user.session_version or 1) + 1


def by_username(username: str) -> User | None:
    return db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
