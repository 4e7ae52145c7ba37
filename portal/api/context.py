"""Who is calling (bearer token) and in which school (the user's own, or ``X-School``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import g, request

from portal import policy
from portal.errors import Invalid, NotFound
from portal.messages import msg, role_labels, shown
from portal.models import ApiToken, School, User
from portal.services import access, tokens

SCHOOL_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Caller:
    user: User
    token: ApiToken


@dataclass(frozen=True)
class SchoolContext:
    school: School
    roles: frozenset[str]  # school roles, plus ``district_admin`` for a district admin

    def actor(self, user_id: int) -> policy.Actor:
        """The caller as :mod:`portal.policy` sees them in this school."""
        return policy.Actor.of(user_id, self.roles)

    def allow(self, check: Callable[[policy.Actor], bool], user_id: int) -> None:
        """Enforce a question of :mod:`portal.policy` for the caller (refused naming the roles
        the policy answers yes for, in the reader's words)."""
        allow(check, self.actor(user_id))


def authenticate() -> Caller:
    """Check ``Authorization: Bearer …`` and remember the caller for this request."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise tokens.Unauthenticated(msg("token.send"))
    row, user = tokens.authenticate(raw.strip())
    g.api_caller = Caller(user, row)
    return g.api_caller


def caller() -> Caller:
    return g.api_caller


def caller_seat() -> access.DistrictSeat | None:
    """The caller's district seat, read once a request: the operation's right
    (:func:`require_right`) and the district operation itself both ask it."""
    if "api_seat" not in g:
        g.api_seat = access.district_seat(caller().user.id)
    return g.api_seat


def school_context() -> SchoolContext:
    """The school this request acts in. A school the caller does not belong to is 'not found'."""
    if "api_school" in g:
        return g.api_school
    user = caller().user
    code = request.headers.get("X-School")
    if code is None:
        code = request.args.get("school")
    if code is not None and not SCHOOL_CODE.match(code):
        raise Invalid(msg("school.code_invalid"), {"X-School": msg("school.code_format")})
    memberships, district = access.schools_and_district_role(user.id)
    if code is None and len(memberships) == 1:
        code = memberships[0][0].code
    if code is not None:
        chosen = access.school_in_context(memberships, district, code=code)
        if chosen is None:
            raise NotFound(msg("school.no_code", code=shown(code)))
        ctx = SchoolContext(*chosen)
    else:
        choices = ", ".join(s.code for s, _ in memberships) or "any school code"
        raise Invalid(
            msg("school.name_it"),
            {"X-School": msg("school.one_of", choices=choices)},
        )
    g.api_school = ctx
    return ctx


T = TypeVar("T")


def parsed(model: type[T], part: str = "json") -> T:
    """The request's ``part`` (json, form, query) as spectree validated it against ``model``."""
    value = getattr(request.context, part)  # type: ignore[attr-defined]
    assert isinstance(value, model), (model, value)
    return value


def require_right(check: Callable[[policy.Actor], bool], in_school: bool) -> None:
    """The caller's right to an operation (``operation(may=…)``), asked of their roles in the
    request's school, or in their district (a district operation): 403 naming the roles that have it."""
    user_id = caller().user.id
    if in_school:
        school_context().allow(check, user_id)
        return
    seat = caller_seat()
    allow(check, policy.Actor.of(user_id, seat.roles if seat is not None else frozenset()))


def allow(check: Callable[[policy.Actor], bool], actor: policy.Actor) -> None:
    """Enforce a question of :mod:`portal.policy` (refused naming the roles the policy answers
    yes for, in the reader's words)."""
    policy.require(check(actor), "policy.requires_role", roles=role_labels(policy.roles_for(check)))
