"""pytest fixtures for plugin authors, installed with the portal (entry point ``pytest11``: ``yanxiu``).

A plugin's own tests get a real portal, with no checkout and no ``-p tests.conftest``::

    # pyproject.toml of the plugin
    [tool.pytest.ini_options]
    yanxiu_plugin = "online_forum"        # the entry-point name of the plugin under test

    # tests/test_online_forum.py
    def test_hold(yanxiu_plan, yanxiu_attend, yanxiu_fire, yanxiu_client):
        act = yanxiu_plan()                                  # of the plugin's first type
        yanxiu_attend(act)
        assert yanxiu_fire(act, "hold", as_="organizer").state == "held"
        assert yanxiu_client("teacher").get(f"/activities/{act.id}").status_code == 200

**No clash with a project's own fixtures**: every fixture here is named ``yanxiu_…`` and none is
``autouse``, so a test that asks for none of them gets nothing from this module (the portal's own
``tests/conftest.py`` has ``app``, ``client``, ``make_app`` … and is untouched by it).
``-p no:yanxiu`` switches the module off.

The fixtures:

* ``yanxiu_plugin``: the plugin under test (ini ``yanxiu_plugin``, option ``--yanxiu-plugin``, or
  override the fixture).
* ``yanxiu_app``: an app on a temporary SQLite database, migrated to every head (the core and each
  installed plugin's branch), holding the invented DEMO school with every installed type enabled
  and its staff (``portal.demo``), and an app context for the test's own calls. The database is
  built once per test session and copied for each test. The test fails at once, with the
  portal's message, if the plugin did not load.
* ``yanxiu_people``: the demo staff by role (``teacher``, ``organizer``, ``reviewer``,
  ``school_admin``) and by username (``teacher1`` … ``teacher6``).
* ``yanxiu_client(role)``: a test client signed in as that person, in the demo school; each
  request runs in its own app context, as in production.
* ``yanxiu_plan(...)``, ``yanxiu_attend(activity)``, ``yanxiu_evidence(...)`` (written or a file) and
  ``yanxiu_fire(activity, trigger, as_=role)``: the portal's own services, as the person named,
  with its permission checks, guards and ledger; they return ``workflows.ActivitySnapshot``\\ s.
* ``yanxiu_settings(values)``: the demo school's settings of the type, saved as the school admin
  saves them (``validate_settings`` first); ``yanxiu_credits(activity)``: the ledger's hours of
  each participant, by username.
* ``yanxiu_accept_year(year=None)``: the district accepts, and so locks, the demo school's school
  year (this one by default; submitted by its admin if nothing is waiting, accepted by the
  district's reviewer through the portal's services): what ``portal.year_locked`` answers
  (contract 1.16).
  A refusal raises :class:`DomainError` (``GuardFailedError`` with ``.extra["missing"]`` for a
  guard).
"""

from __future__ import annotations

import contextvars
import importlib.metadata
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app, has_app_context
from flask.testing import FlaskClient

from portal.config import DEV_PUBLIC_URL
from portal.errors import DomainError, GuardFailedError
from workflows import ActivitySnapshot

__all__ = ["DomainError", "GuardFailedError", "OwnContextClient", "base_config", "log_in", "share_compiled_statements"]

FAST_HASH = "pbkdf2:sha256:1000"
#: Who ``as_="teacher"`` … is: usernames of the demo staff (``portal.demo.STAFF``).
ROLE_USERS = {"teacher": "teacher1", "organizer": "organizer", "reviewer": "reviewer", "school_admin": "admin"}


def base_config(tmp: Path, uri: str) -> dict[str, Any]:
    """Configuration of an app under test: its database, folders in ``tmp``, fast password hashes,
    no CSRF tokens needed in form posts."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "test-secret-key-0123456789",
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "UPLOAD_FOLDER": str(tmp / "uploads"),
        "EXPORT_FOLDER": str(tmp / "exports"),  # the demo's written export: copied with the database
        "CACHE_DIR": str(tmp / "cache"),
        "WTF_CSRF_ENABLED": False,
        # jobs wait in memory for a worker that tests about something else never start;
        # tests/reach run the real worker on a real queue
        "JOBS_STORAGE": "memory",
        # set, as production sets it: links do not follow the test client's host (``url_rules.public_base``)
        "PUBLIC_URL": DEV_PUBLIC_URL,
    }


class OwnContextClient(FlaskClient):
    """A test client whose every request runs in an app context of its own, as in production.

    The request runs in an empty :class:`contextvars.Context`, so Flask pushes a fresh app
    context (its own ``g``, its own database session) even when the test holds one around the
    call. Before it, the test's own session (if the test holds this app's context) ends its
    transaction, committing what the test did, as another process would have: the request
    sees the test's data, and the test's next read sees the request's.
    """

    def open(self, *args: Any, **kwargs: Any):
        _finish_test_transaction(self.application)
        context = contextvars.Context()
        response = context.run(super().open, *args, **kwargs)
        # The body (streamed or not) is made now, in the request's context, which then ends and
        # gives its database connection back even if the test never reads the body; the test
        # still reads it chunk by chunk.
        response.response = iter(context.run(_drain, response.response))
        return response


def _drain(body: Any) -> list[bytes]:
    try:
        return list(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def _finish_test_transaction(app: Flask) -> None:
    from portal.extensions import db

    if not has_app_context() or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
        return
    session = db.session()
    if session.in_transaction():
        if session.is_active:
            session.commit()
        else:  # a failed flush the test has not rolled back
            session.rollback()


def log_in(client: FlaskClient, user: Any, school_id: int | None = None) -> FlaskClient:
    """Put ``user`` in the client's session the way Flask-Login does after a real login,
    optionally with the school chosen (the login page has tests of its own)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        if school_id is not None:
            sess["school_id"] = school_id
    return client


# -- the app ---------------------------------------------------------------------------------

#: engine kind → (dialect, compiled cache) of the first engine of that kind that connected
_SHARED_DIALECTS: dict[tuple[Any, ...], tuple[Any, Any]] = {}


def _engine_kind(app: Flask, engine: Any) -> tuple[Any, ...]:
    options = sorted((k, repr(v)) for k, v in (app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}).items())
    return type(engine.dialect), engine.url.drivername, tuple(sorted(engine.url.query.items())), tuple(options)


def share_compiled_statements(app: Flask) -> None:
    """Let ``app``'s engines compile each statement once per test process, not once per app.

    SQLAlchemy keeps a statement's compiled form in the engine's compiled cache under a key
    holding the engine's *dialect object*, and each dialect object keeps its own memo of type
    processors: a test process that builds an app (so an engine) for every test compiled every
    statement of every page again in every test — the teacher home's UNION ALL alone is about
    25 ms of a worker's CPU, three times the page's own work. Here an engine of a kind (dialect
    class, driver, URL options, ``SQLALCHEMY_ENGINE_OPTIONS``) already seen in this process is
    given that first engine's dialect and compiled cache; its pool, its connections, its events
    (the SQLite pragmas) and its database stay its own — compiled SQL holds no data and names no
    database. The first engine of a kind is taken once it has connected (its dialect has read
    the server's version: :meth:`~sqlalchemy.engine.Dialect.initialize`), so call this again
    when an app is done (the test fixtures do). Tests only; an app in production has one engine."""
    from portal.extensions import db

    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        kind = _engine_kind(app, engine)
        shared = _SHARED_DIALECTS.get(kind)
        if shared is not None:
            engine.dialect, engine._compiled_cache = shared
        elif engine.dialect.server_version_info is not None:  # connected: initialize() has run
            _SHARED_DIALECTS[kind] = (engine.dialect, engine._compiled_cache)


_ENTRY_POINTS: dict[tuple[Any, ...], Any] = {}


def _installed() -> tuple[tuple[str, int, int], ...] | None:
    """Every distribution ``importlib.metadata`` finds now, with its ``entry_points.txt``'s
    modification time and size (-1 when it has none); None when one is not a folder."""
    found = []
    for dist in importlib.metadata.distributions():
        folder = getattr(dist, "_path", None)
        if folder is None:
            return None
        try:
            st = os.stat(os.path.join(folder, "entry_points.txt"))
            found.append((str(folder), st.st_mtime_ns, st.st_size))
        except OSError:
            found.append((str(folder), -1, -1))
    return tuple(found)


def shared_entry_points(**params: Any) -> Any:
    """``importlib.metadata.entry_points(**params)``, read again only when what it reads changed:
    ``sys.path``, the distributions found on it (a new ``.dist-info`` folder is found as
    ``importlib.metadata`` finds it: the folder's modification time) or one's ``entry_points.txt``
    (time and size). Reading them is parsing every installed distribution's file (~120 here,
    2.4 ms of CPU), which every app the process builds paid again to find its plugins (each
    test builds its own); the key costs a tenth of that. Tests only (:func:`share_entry_points`)."""
    installed = _installed()
    if installed is None:
        return importlib.metadata.entry_points(**params)
    key = (tuple(sys.path), tuple(sorted(params.items())), installed)
    found = _ENTRY_POINTS.get(key)
    if found is None:
        _ENTRY_POINTS.clear()  # only the current one is ever asked for again
        found = _ENTRY_POINTS[key] = importlib.metadata.entry_points(**params)
    return found


def share_entry_points() -> None:
    """Let the plugin loader of every app this process builds read the installed plugins' entry
    points once, not once per app (:func:`shared_entry_points`). Tests only: production builds
    one app."""
    from portal import plugin_loader

    plugin_loader.entry_points = shared_entry_points


@contextmanager
def _instance(path: Path) -> Iterator[None]:
    """Apps made inside read no ``instance/config.py`` of the shell they run in."""
    before = os.environ.get("YANXIU_INSTANCE_PATH")
    os.environ["YANXIU_INSTANCE_PATH"] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("YANXIU_INSTANCE_PATH", None)
        else:
            os.environ["YANXIU_INSTANCE_PATH"] = before


def make_test_app(tmp: Path, uri: str) -> Flask:
    """An app on ``uri`` with its folders in ``tmp``, whose test clients are :class:`OwnContextClient`."""
    from portal import create_app

    with _instance(tmp / "instance"):
        app = create_app(base_config(tmp, uri))
    app.test_client_class = OwnContextClient
    return app


def _build_demo_database(folder: Path) -> Path:
    from flask_migrate import upgrade

    from portal.demo import demo_school
    from portal.extensions import db

    path = folder / "yanxiu-demo.db"
    app = make_test_app(folder, f"sqlite:///{path}")
    with app.app_context():
        upgrade()  # the core and every installed plugin's branch
        demo_school()
        db.session.remove()
        db.engine.dispose()  # SQLite checkpoints its WAL into the file
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("yanxiu_plugin", "entry-point name of the Yanxiu plugin under test (yanxiu_* fixtures)", default="")
    parser.addoption("--yanxiu-plugin", default=None, help="entry-point name of the Yanxiu plugin under test")


@pytest.fixture
def yanxiu_plugin(request: pytest.FixtureRequest) -> str:
    """The plugin under test: ``--yanxiu-plugin``, else the ini option ``yanxiu_plugin``."""
    name = request.config.getoption("--yanxiu-plugin") or request.config.getini("yanxiu_plugin")
    if not name:
        pytest.fail('set yanxiu_plugin = "<entry-point name>" in [tool.pytest.ini_options] '
                    "(or override the yanxiu_plugin fixture)", pytrace=False)
    return str(name)


@pytest.fixture(scope="session")
def yanxiu_demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo school, built once per test session."""
    return _build_demo_database(tmp_path_factory.mktemp("yanxiu-demo"))


@pytest.fixture
def yanxiu_app(yanxiu_plugin: str, yanxiu_demo_database: Path, tmp_path: Path) -> Iterator[Flask]:
    """A fresh app on a copy of the demo database, with an app context held for the test."""
    from portal.extensions import db
    from portal.registry import registry

    path = tmp_path / "yanxiu.db"
    shutil.copy(yanxiu_demo_database, path)
    app = make_test_app(tmp_path, f"sqlite:///{path}")
    share_compiled_statements(app)
    with app.app_context():
        loaded = registry().plugins
        failed = [f.error for f in loaded.failures if f.plugin == yanxiu_plugin]
        if failed:
            pytest.fail(f"plugin {yanxiu_plugin!r} did not load: {'; '.join(failed)}", pytrace=False)
        if yanxiu_plugin not in loaded.info:
            pytest.fail(f"plugin {yanxiu_plugin!r} is not installed (pip install -e . in its folder)", pytrace=False)
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()
            share_compiled_statements(app)


@pytest.fixture
def yanxiu_school(yanxiu_app: Flask) -> Any:
    """The demo school (``.id``, ``.code``, ``.name``)."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import School

    return db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()


@pytest.fixture
def yanxiu_people(yanxiu_app: Flask) -> dict[str, Any]:
    """The demo staff: by role (``teacher``, ``organizer``, ``reviewer``, ``school_admin``) and by
    username (``teacher1`` … ``teacher6``, ``organizer``, ``reviewer``, ``admin``)."""
    from sqlalchemy import select

    from portal.demo import STAFF
    from portal.extensions import db
    from portal.models import User

    names = [s[0] for s in STAFF]
    people = {u.username: u for u in db.session.execute(select(User).where(User.username.in_(names))).scalars()}
    return {**people, **{role: people[username] for role, username in ROLE_USERS.items()}}


@pytest.fixture
def yanxiu_client(yanxiu_app: Flask, yanxiu_people: dict[str, Any], yanxiu_school: Any) -> Callable[[str], FlaskClient]:
    """``yanxiu_client("reviewer")``: a test client signed in as that person (a role or a username)."""

    def client(who: str) -> FlaskClient:
        return log_in(yanxiu_app.test_client(), _person(yanxiu_people, who), yanxiu_school.id)

    return client


def _length(hours: Any) -> timedelta:
    """Two hours, or as long as ``hours`` need (an hour of training is at least a 45-minute lesson)."""
    from portal.hours import shortest_length

    try:
        return max(timedelta(hours=2), shortest_length(hours))
    except ArithmeticError:  # not a number: the plan refuses it by its hours field
        return timedelta(hours=2)


def _first_type(plugin: str) -> str:
    """The key of the first activity type ``plugin`` provides."""
    from portal.registry import registry

    ours = [k for k, r in registry().types.items() if r.plugin == plugin]
    if not ours:
        raise LookupError(f"plugin {plugin!r} provides no activity type")
    return ours[0]


def _demo_roles(type_key: str) -> list[tuple[str, str]]:
    """Who takes part in the type's demo activity (``portal.demo.demo_roles``); a failure if the
    type's ``sample_roles`` raised or named no roles of it — ``flask demo`` leaves the type out
    then, so the plugin's tests must not go on with the default roles in its place."""
    from portal.demo import FAILED, demo_roles, sample_roles
    from portal.registry import registry

    reg = registry().types[type_key]
    if sample_roles(reg) is FAILED:
        said = [f.error for f in registry().plugins.failures if f.plugin == reg.plugin]
        pytest.fail(said[-1] if said else f"sample_roles of {type_key!r} failed", pytrace=False)
    return demo_roles(type_key)


def _person(people: dict[str, Any], who: str) -> Any:
    if who not in people:
        raise KeyError(f"no demo person {who!r}; one of {', '.join(sorted(people))}")
    return people[who]


def _activity_id(activity: Any) -> int:
    return activity if isinstance(activity, int) else activity.id


def _row(activity: Any) -> Any:
    """The activity's row, read afresh (what the services wrote since)."""
    from portal.extensions import db
    from portal.models import Activity

    db.session.expire_all()
    act = db.session.get(Activity, _activity_id(activity))
    if act is None:
        raise LookupError(f"no activity {_activity_id(activity)}")
    return act


def _snapshot(activity_id: int) -> ActivitySnapshot:
    from portal.services.snapshots import activity_snapshot

    return activity_snapshot(_row(activity_id))


@pytest.fixture
def yanxiu_plan(yanxiu_plugin: str, yanxiu_people: dict[str, Any], yanxiu_school: Any) -> Callable[..., ActivitySnapshot]:
    """``yanxiu_plan(type_key=None, participants=None, details=None, hours="2", starts_at=None)``:
    plan an activity as the organizer; the plugin's first type by default, with demo participants in
    its roles (the type's ``sample_roles``: the test fails if they name none of its roles, as
    ``flask demo`` leaves the type out; ``participants``: ``[(person, role), …]``), the type's ``sample_details()``, starting
    two days ago by the school's clock (so it can be held at once; ``starts_at`` is read in the
    school's time zone). Each further activity planned without ``starts_at`` ends an hour before
    the last one began: no one attends two activities at once (the core refuses the attendance)."""
    from portal.registry import registry
    from portal.services import activities
    from portal.timeutil import to_local, utcnow, zone_of

    earliest: list[datetime] = []  # the start of the last activity planned at the default time

    def plan(type_key: str | None = None, participants: list[tuple[str, str]] | None = None,
             details: dict[str, Any] | None = None, hours: str = "2", starts_at: datetime | None = None,
             title: str = "插件测试活动") -> ActivitySnapshot:
        if type_key is None:
            type_key = _first_type(yanxiu_plugin)
        # the form's times are the school's wall clock: two days before the school's now (the machine's
        # own zone, which datetime.now() reads, may be another)
        start = starts_at or to_local(utcnow(), zone_of(yanxiu_school)).replace(
            tzinfo=None, microsecond=0, second=0) - timedelta(days=2)
        if starts_at is None:
            if earliest:
                start = earliest[-1] - _length(hours) - timedelta(hours=1)
            earliest.append(start)
        people = participants if participants is not None else _demo_roles(type_key)
        try:
            act = activities.plan_activity(
                yanxiu_school, yanxiu_people["organizer"], type_key, title,
                start.isoformat(timespec="minutes"), (start + _length(hours)).isoformat(timespec="minutes"), hours,
                [{"user_id": _person(yanxiu_people, who).id, "role": role} for who, role in people],
                details if details is not None else registry().types[type_key].type.sample_details() or {},
            )
        except DomainError as exc:  # say which field, not only "could not be planned"
            if not exc.extra.get("fields"):
                raise
            raise DomainError(f"{exc.message}: {exc.to_dict()['fields']}", **exc.extra) from None
        return _snapshot(act.id)

    return plan


@pytest.fixture
def yanxiu_attend(yanxiu_people: dict[str, Any]) -> Callable[..., ActivitySnapshot]:
    """``yanxiu_attend(activity, hours=None, as_="organizer")``: every participant attended the
    activity's hours (or ``hours``: ``{person: "1.5"}``)."""
    from portal.services import activities

    def attend(activity: Any, hours: dict[str, str] | None = None, as_: str = "organizer") -> ActivitySnapshot:
        act = _row(activity)
        by_id = {_person(yanxiu_people, who).id: h for who, h in (hours or {}).items()}
        rows = [{"user_id": p.user_id, "attended_hours": by_id.get(p.user_id, str(act.hours))}
                for p, _u in activities.participants_with_users(act.id)]
        activities.record_attendance(act, _person(yanxiu_people, as_), rows)
        return _snapshot(act.id)

    return attend


@pytest.fixture
def yanxiu_evidence(yanxiu_people: dict[str, Any]) -> Callable[..., None]:
    """``yanxiu_evidence(activity, kind, text="", as_="teacher", owner=None, filename=None, data=None,
    title=None)``: add a piece of evidence of ``kind`` (for ``owner``, by default the person adding
    it): a written piece (``text``), or a file (``filename`` and its bytes ``data``) — the only way a
    kind declared ``written=False`` is taken."""
    from portal.services import activities

    def add(activity: Any, kind: str, text: str = "", as_: str = "teacher", owner: str | None = None,
            filename: str | None = None, data: bytes | None = None, title: str | None = None) -> None:
        act = _row(activity)
        by = _person(yanxiu_people, as_)
        owner_id = _person(yanxiu_people, owner).id if owner else by.id
        if filename is not None or data is not None:
            activities.add_evidence(act, by, owner_id, kind, title or kind, filename=filename or kind, data=data or b"")
        else:
            activities.add_evidence(act, by, owner_id, kind, title or kind, text=text)

    return add


@pytest.fixture
def yanxiu_settings(yanxiu_plugin: str, yanxiu_people: dict[str, Any], yanxiu_school: Any) -> Callable[..., dict[str, Any]]:
    """``yanxiu_settings(values=None, type_key=None, as_="school_admin")``: save the demo school's
    settings of a type (the plugin's first by default) as the school admin does on ``/admin/types``
    — your ``validate_settings`` first: a refusal raises ``DomainError`` and stores nothing — and
    return the settings as your rules see them (defaults filled in). Without ``values``: only read."""
    from portal.services import access, schools

    def settings(values: dict[str, Any] | None = None, type_key: str | None = None,
                 as_: str = "school_admin") -> dict[str, Any]:
        key = type_key or _first_type(yanxiu_plugin)
        if values is not None:
            by = _person(yanxiu_people, as_)
            schools.set_type(yanxiu_school, key, settings=values, by=access.actor(by.id, yanxiu_school.id))
        return schools.type_settings(yanxiu_school.id, key)

    return settings


@pytest.fixture
def yanxiu_credits(yanxiu_app: Flask) -> Callable[[Any], dict[str, Decimal]]:
    """``yanxiu_credits(activity)``: the hours the ledger holds for each participant of the
    activity, by username, reversals subtracted (what your ``credit_hours`` gave at ``credit``)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import CreditEntry, User

    def credits(activity: Any) -> dict[str, Decimal]:
        rows = db.session.execute(
            select(User.username, func.sum(CreditEntry.hours)).join(User, User.id == CreditEntry.user_id)
            .where(CreditEntry.activity_id == _activity_id(activity)).group_by(User.username)
        )
        return {name: Decimal(str(hours)) for name, hours in rows}

    return credits


@pytest.fixture
def yanxiu_fire(yanxiu_people: dict[str, Any], yanxiu_school: Any) -> Callable[..., ActivitySnapshot]:
    """``yanxiu_fire(activity, trigger, as_="organizer", comment="")``: fire the trigger through the
    portal's service (permissions, guards, log, ledger, hooks) and return the activity after it."""
    from portal.services import transitions

    def fire(activity: Any, trigger: str, as_: str = "organizer", comment: str = "") -> ActivitySnapshot:
        act_id = _activity_id(activity)
        transitions.fire(act_id, yanxiu_school.id, _person(yanxiu_people, as_), trigger, comment)
        return _snapshot(act_id)

    return fire


@pytest.fixture
def yanxiu_accept_year(yanxiu_people: dict[str, Any], yanxiu_school: Any) -> Callable[..., None]:
    """``yanxiu_accept_year(year=None)``: the district accepts the demo school's ``year`` (this school
    year by default) whole, as its reviewer does: the school's figures submitted by its admin
    (unless a submission waits already), then accepted. The year is locked from then on
    (``portal.year_locked``; contract 1.16)."""
    from sqlalchemy import select

    from portal.demo import DISTRICT_REVIEWER
    from portal.extensions import db
    from portal.models import User, YearSubmission
    from portal.policy import Actor
    from portal.services import access, submissions
    from portal.timeutil import current_school_year

    def accept(year: str | None = None) -> None:
        school_year = year or current_school_year(yanxiu_school.timezone)
        waiting = db.session.execute(select(YearSubmission).where(
            YearSubmission.school_id == yanxiu_school.id, YearSubmission.school_year == school_year,
            YearSubmission.status == submissions.SUBMITTED)).scalars().first()
        if waiting is None:
            admin = access.actor(_person(yanxiu_people, "school_admin").id, yanxiu_school.id)
            waiting = submissions.submit(yanxiu_school, school_year, by=admin)
        reviewer = db.session.execute(select(User).where(User.username == DISTRICT_REVIEWER[0])).scalar_one()
        submissions.decide(waiting.id, True, by=Actor.of(reviewer.id, ["district_reviewer"]),
                           district_id=yanxiu_school.district_id)
        db.session.commit()

    return accept
