from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship, validates

from portal.extensions import Model
from portal.textcount import folded
from portal.timeutil import utcnow

#: The roles a membership holds: the one list of their names (who may do what with them is
#: :mod:`portal.policy`'s question; their words are the catalogue's ``ROLE_TEXTS``).
TEACHER, ORGANIZER, REVIEWER, SCHOOL_ADMIN = "teacher", "organizer", "reviewer", "school_admin"
DISTRICT_ADMIN, DISTRICT_REVIEWER = "district_admin", "district_reviewer"
SCHOOL_ROLES = (TEACHER, ORGANIZER, REVIEWER, SCHOOL_ADMIN)
#: Roles held in a district (区教育局, 进修学校 / 教师发展中心), not in a school.
DISTRICT_ROLES = (DISTRICT_ADMIN, DISTRICT_REVIEWER)
ROLES = (*SCHOOL_ROLES, *DISTRICT_ROLES)
#: The longest ``username_key``: a username's folded form (64 characters for every username
#: given since keys exist), or an older one's with ``#id`` added (the migration's way of
#: keeping two accounts that existed before and fold alike).
USERNAME_KEY_MAX = 80


def username_key(username: str) -> str:
    """The one form usernames are compared and looked up in: ``Teacher1``, ``ｔｅａｃｈｅｒ１``
    and ``teacher1`` are one username."""
    return folded(username.strip())


class User(UserMixin, Model):
    __tablename__ = "user_account"
    # unique: no second account whose username differs only by case or width (an index, not a
    # constraint: added to an existing table without copying it on SQLite)
    __table_args__ = (Index("ix_user_account_username_key", "username_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # set with ``username`` (below); nullable only so the migration adds it without a table copy
    username_key: Mapped[str] = mapped_column(String(USERNAME_KEY_MAX), nullable=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    # The school admin who set the password (added the account, reset it), kept when it is
    # changed on the password page (who knew the old one could have changed it) until the
    # operator sets one; None: only the holder knows it. While set, no role deciding about others'
    # hours is given to the account (policy.may_give_role).
    password_known_to: Mapped[int | None] = mapped_column(Integer, nullable=True)
    gender: Mapped[str | None] = mapped_column(String(1))  # "F" or "M"; None when unknown
    birth_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on logout-everywhere / password change: sessions carrying an older value die.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", lazy="raise")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    def get_id(self) -> str:  # Flask-Login: the session carries id and version
        return f"{self.id}:{self.session_version}"

    @validates("username")
    def _keyed(self, _attr: str, username: str) -> str:
        self.username_key = username_key(username)
        return username


class Membership(Model):
    """A role a user holds in a school, or (``school_id`` NULL, ``district_id`` set) in a district."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "school_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # when the role was given (a teacher's: when they joined the school, or came back after a
    # gap: the stretches before it are ``EarlierStint`` rows); a school year over before then is
    # not theirs unless a stretch held it (``credits.year_over_at``). NULL: not known (always theirs).
    since: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow, nullable=True)
    # when the role was last ended (a teacher's: when they left the school); a school year over
    # by then was theirs still (``credits.year_over_at``). NULL: never ended, or not known.
    until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates="memberships", lazy="raise")


class EarlierStint(Model):
    """A stretch a role was held before a gap: written when a role that ended is given back on
    a later day (``services.users.give_back``, which then dates the role from its return; until
    revision ``f1c7a3e9b250``, only when a school year ended in the gap).
    The years over while it was held (joined before, left after) stay the person's
    (``credits._teachers_statement``); those over while it was away are not, and what was held
    in the gap asks nothing of them (``services.stints``)."""

    __tablename__ = "membership_stint"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("membership.id"), index=True)
    since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # NULL: not known (always held before)
    until: Mapped[datetime] = mapped_column(DateTime)


@event.listens_for(Membership, "before_insert")
def _district_role_in_default_district(_mapper: Mapper, connection: Connection, target: Membership) -> None:
    """A district role given without a district is held in the deployment's default district."""
    if target.role in DISTRICT_ROLES and target.district_id is None:
        from portal.models.school import default_district_id

        target.district_id = default_district_id(connection)


class Exemption(Model):
    """A school admin's exemption of a teacher from assessment for one school year."""

    __tablename__ = "exemption"
    __table_args__ = (
        UniqueConstraint("user_id", "school_id", "school_year"),
        Index("ix_exemption_school_year", "school_id", "school_year"),  # the school summary
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    school_year: Mapped[str] = mapped_column(String(9))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class StaffChange(Model):
    """The audit log of what a school admin changed about a person of the school: their
    roles or their teaching groups, before and after (lists of role keys or group ids), who
    changed them (None: the operator at the command line) and when. Rows are only ever added."""

    __tablename__ = "staff_change"
    __table_args__ = (Index("ix_staff_change_school_time", "school_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the operator (CLI)
    what: Mapped[str] = mapped_column(String(16))  # staff_log.WHAT: "roles", "groups", "group_lead", "password", "exemption", …
    before: Mapped[list] = mapped_column(JSON, default=list)
    after: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
