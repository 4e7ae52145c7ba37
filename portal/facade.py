"""What a plugin's own pages and commands may use of the portal: one small object, :class:`Portal`.

The hooks of contract 1.2 (``portal_register_routes``, ``portal_register_commands``) receive it
as the argument ``portal``. A plugin reaches the database session, the current school and
person, the policy, the registry's phases, translations and its type's settings through it, and
never imports ``portal.extensions``, ``portal.models`` or ``portal.services`` (they change
without notice; this object does not, within a major version of the contract).

Everything that depends on a request (the school, the actor) is read when asked, so one
``Portal`` object serves every request of the app it was made for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, abort
from sqlalchemy.orm import Session

from portal import policy
from portal.activity_types import SampleProfile
from workflows import ActivitySnapshot, ParticipantSnapshot
from workflows.definition import Phase

_Phase = Phase

#: Every route a plugin registers lives under ``/x/<plugin name>``.
ROUTE_ROOT = "/x"


class Portal:
    """The portal as one plugin sees it.

    :param app: the Flask app the plugin is loaded in.
    :param plugin: the plugin's registered name (its entry-point name).
    """

    Phase = Phase
    policy = policy  # ``portal.policy.may_plan(portal.actor())`` … one function per question

    def __init__(self, app: Flask, plugin: str) -> None:
        self.app = app
        self.plugin = plugin

    def __repr__(self) -> str:
        return f"<Portal for plugin {self.plugin!r}>"

    # -- where -------------------------------------------------------------------------
    @property
    def url_prefix(self) -> str:
        """Where the plugin's blueprints are mounted: ``/x/<plugin name>``."""
        return f"{ROUTE_ROOT}/{self.plugin}"

    # -- the database ------------------------------------------------------------------
    @property
    def session(self) -> Session:
        """The SQLAlchemy session of the current app context, in its current transaction
        (``db.session``): read and write your own tables with it."""
        from portal.extensions import db

        return db.session()

    @contextmanager
    def write_transaction(self) -> Iterator[Session]:
        """One write transaction: committed at the end of the ``with`` block, rolled back on
        any error (on SQLite it starts with ``BEGIN IMMEDIATE``)."""
        from portal.database import write_transaction

        with write_transaction() as session:
            yield session

    # -- who and where, in a request ---------------------------------------------------
    def school(self) -> Any:
        """The current school (``.id``, ``.code``, ``.name``), or None outside a signed-in request."""
        from flask import has_request_context

        if not has_request_context():
            return None
        from portal.current import current_school

        return current_school()

    def require_school(self) -> Any:
        """The current school; 403 if the viewer has none."""
        from portal.current import require_school

        return require_school()

    def actor(self) -> policy.Actor:
        """The viewer as :mod:`portal.policy` sees them: their id and roles in the current school."""
        from portal.current import current_actor

        return current_actor()

    def login_required(self, view: Callable) -> Callable:
        """``flask_login.login_required`` (every route under ``/x/…`` already requires a login)."""
        from flask_login import login_required

        return login_required(view)

    # -- activities (always of the current school) --------------------------------------
    def activity(self, activity_id: int, school_id: int | None = None) -> ActivitySnapshot:
        """An activity of the current school (or of ``school_id``, e.g. in a command).
        Another school's activity, or one that does not exist, is "not found" (404 on a page).
        On a page its ``details`` are the viewer's to read: a peer's view of a teacher's
        declaration lacks the fields its type keeps private (``policy.may_read_private``,
        contract 1.23); a command or a job (no one logged in) reads them all."""
        from flask import has_request_context
        from flask_login import current_user

        from portal.services import access, activities, snapshots

        if school_id is None:
            school_id = self.require_school().id
        act = access.get_activity(activity_id, school_id)
        viewer = has_request_context() and current_user.is_authenticated
        return snapshots.activity_snapshot(act, details=activities.details_told_to(self.actor(), act) if viewer else None)

    def activity_school_id(self, activity_id: int) -> int | None:
        """The school an activity belongs to (for commands, which act as the operator); None if none."""
        from portal.models import Activity
        from portal.services.access import id_in_range

        act = self.session.get(Activity, activity_id) if id_in_range(activity_id) else None
        return act.school_id if act else None

    def participants(self, activity_id: int) -> list[ParticipantSnapshot]:
        """The activity's participants (role, attendance, display name), in the order they were added.
        Call :meth:`activity` first: this does not check the school."""
        from portal.services import activities, snapshots

        return [snapshots.participant_snapshot(p, u) for p, u in activities.participants_with_users(activity_id)]

    def not_found(self) -> None:
        """Answer 404, as the core does for another school's objects."""
        abort(404)

    # -- the district's acceptance -----------------------------------------------------
    def year_locked(self, school_year: str, semester: int | None = None, school_id: int | None = None) -> bool:
        """Whether the district has accepted, and so locked, the current school's (or
        ``school_id``'s) ``school_year`` (``2026-2027``): with ``semester`` (1 or 2, e.g. an
        activity's ``ActivitySnapshot.semester``), that semester, locked by its own acceptance or
        the whole year's; without, the whole year (accepted whole, or both its semesters). Nothing
        more is written in a locked period: refuse your own writes there, as the core refuses its
        own. Asked inside ``write_transaction()``, the answer holds until the write commits (it
        takes the lock the core's writes take, so an acceptance cannot pass between). Contract 1.16."""
        from portal.models.district import WHOLE_YEAR
        from portal.services import locks

        if semester not in (None, 1, 2):
            raise ValueError(f"semester must be 1, 2 or None, not {semester!r}")
        if school_id is None:
            school_id = self.require_school().id
        locks.hold(school_id)
        return locks.covers(locks.accepted_periods(school_id, school_year), WHOLE_YEAR if semester is None else semester)

    # -- the registry, settings, words --------------------------------------------------
    def phase(self, type_key: str | None, state: str) -> _Phase:
        """What ``state`` of an activity of type ``type_key`` means to the core (open, awaiting
        review, confirmed, credited, closed)."""
        from portal.registry import registry

        return registry().phase(type_key, state)

    def settings(self, type_key: str, school_id: int | None = None) -> dict[str, Any]:
        """The settings of type ``type_key`` for the current school (or ``school_id``), defaults filled in."""
        from portal.services import schools

        if school_id is None:
            school_id = self.require_school().id
        return schools.type_settings(school_id, type_key)

    @staticmethod
    def tr(message: Any) -> str:
        """Render a core message code, a ``Text``, a catalog string, or lists and dicts of them,
        in the viewer's language (:func:`portal.messages.tr`)."""
        from portal.messages import tr

        return tr(message)

    @staticmethod
    def msg(code: str, /, **params: Any) -> Any:
        """A message of the core's catalogue (:func:`portal.messages.msg`), to raise or show."""
        from portal.messages import msg

        return msg(code, **params)

    @staticmethod
    def said(message: Any) -> str:
        """``message`` as a ``flask`` command of the portal's refuses with (:func:`portal.cli.common.said`):
        one line, in Chinese then in English, whatever the environment's locale — a ``Text("中文",
        "English")``, a core message (:meth:`msg`) or a msgid of your catalogue. A command of yours
        refuses with ``raise click.ClickException(portal.said(Text(…)))``. Contract 1.21."""
        from portal.cli.common import said

        return said(message)

    def sample_profile(self, type_key: str) -> SampleProfile | None:
        """The volumes of type ``type_key`` in generated data (its ``sample_profile``), asked inside
        its plugin's boundary and checked as the demo asks it: None when it gives none, or when it
        raises or answers anything but a :class:`SampleProfile` (reported with its plugin's name).
        ``KeyError`` for a type not installed. Contract 1.21."""
        from portal.demo import sample_profile
        from portal.plugin_data import M_TYPE_PROFILE
        from portal.registry import registry

        return sample_profile(registry().types[type_key], M_TYPE_PROFILE)

    def forbidden(self, code: str = "forbidden", **params: Any) -> None:
        """Refuse with the core's message ``code`` (403 on a page)."""
        policy.require(False, code, **params)
