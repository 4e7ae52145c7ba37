"""The request's school and the viewer's roles in it (shared by every web blueprint).

A person in two schools picks one with the school switcher; the choice lives in the
session under ``school_id``. Every web query is scoped to :func:`current_school`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g, session
from flask_login import current_user, login_required

from portal import policy
from portal.extensions import db
from portal.models import Activity, School
from portal.services import access


def _load() -> Any:
    """This request's ``g``, with the school, roles and memberships on it (read once). The
    object behind the ``g`` proxy is taken once: pages ask for the school many times."""
    here = g._get_current_object()
    if "yanxiu_school" not in here.__dict__:
        _read(here)
    return here


def _read(state: Any) -> None:
    state.yanxiu_school, state.yanxiu_roles, state.yanxiu_schools, state.yanxiu_district = None, frozenset(), [], None
    state.yanxiu_actor = None  # anonymous
    user = current_user._get_current_object()  # the proxy resolved once
    if not user.is_authenticated:
        return
    known = state.pop("yanxiu_memberships", None)
    if known is not None and known[0] == user.id:  # read with the user at login load
        schools, district = known[1], known[2]
    else:  # e.g. an API token user: one query
        schools, district = access.schools_and_district_role(user.id)
    state.yanxiu_schools, state.yanxiu_district = schools, district
    wanted = session.get("school_id")
    chosen = access.school_in_context(schools, district, school_id=wanted)
    if chosen is None and schools:  # none chosen yet (or no longer theirs): their first school
        chosen = access.school_in_context(schools, district, school_id=schools[0][0].id)
    if chosen is not None:
        state.yanxiu_school, state.yanxiu_roles = chosen
        if wanted != chosen[0].id:  # an unchanged session is not signed and sent again
            session["school_id"] = chosen[0].id
    elif district:
        state.yanxiu_roles = district.roles
    state.yanxiu_actor = policy.Actor.of(user.id, state.yanxiu_roles)


def remember_memberships(
    user_id: int, schools: access.SchoolRoles, district: access.DistrictSeat | None, unread: int = 0
) -> None:
    """Keep what the login loader read with the user, so :func:`_load` needs no query."""
    g.yanxiu_memberships = (user_id, schools, district)
    g.yanxiu_unread = (user_id, unread)


def unread_notifications() -> int:
    """How many notifications the viewer has not read (read with the login query)."""
    user = current_user._get_current_object()  # the proxy resolved once (each use is Flask-Login's look-up)
    if not user.is_authenticated:
        return 0
    known = g.get("yanxiu_unread")
    if known is not None and known[0] == user.id:
        return int(known[1])
    from portal.services.notifications import unread_count

    g.yanxiu_unread = (user.id, unread_count(user.id))
    return int(g.yanxiu_unread[1])


def current_school() -> School | None:
    return _load().yanxiu_school


def current_roles() -> frozenset[str]:
    return _load().yanxiu_roles


def current_district() -> access.DistrictSeat | None:
    """The viewer's district and district roles (None: they hold none)."""
    return _load().yanxiu_district


def user_schools() -> list[tuple[School, list[str]]]:
    return _load().yanxiu_schools


def activity_school(activity_id: int) -> School | None:
    """The viewer's school that the activity ``activity_id`` belongs to, whichever school is
    chosen now (None: no such activity, or not in one of their schools). A link to an activity
    (an email, the notification centre, a calendar feed) names no school: a person in two
    schools follows it with either chosen."""
    act = db.session.get(Activity, activity_id) if access.id_in_range(activity_id) else None
    return next((s for s, _roles in user_schools() if act is not None and s.id == act.school_id), None)


def switch_school(school_id: int) -> bool:
    """Choose another of the user's schools; False if the user is not a member there."""
    _load()
    if any(s.id == school_id for s, _ in g.yanxiu_schools):
        session["school_id"] = school_id
        g.pop("yanxiu_school", None)
        return True
    return False


def require_school() -> School:
    school = current_school()
    if school is None:
        abort(403)
    return school


def current_actor() -> policy.Actor:
    """The viewer as the policy sees them: their id and roles in the current school (made
    once a request: a page asks the policy many times)."""
    actor = _load().yanxiu_actor
    return actor if actor is not None else policy.Actor.of(current_user.id, current_roles())


def may(question: str, *args: Any) -> bool:
    """Ask the policy in a template: ``may('organise', act)`` → ``policy.may_organise``."""
    actor = _load().yanxiu_actor
    if actor is None:  # not logged in
        return False
    return bool(getattr(policy, f"may_{question}")(actor, *args))


def allowed(check: Callable[[policy.Actor], bool]) -> Callable:
    """View decorator: logged in, and ``check(actor)`` of :mod:`portal.policy` says yes."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any):
            if not check(current_actor()):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate
