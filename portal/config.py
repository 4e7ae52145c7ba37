"""Configuration: defaults here, then ``instance/config.py``, then the environment."""

from __future__ import annotations

import difflib
import inspect
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import click
from flask.cli import FlaskGroup

from portal.messages import msg
from portal.timeutil import DEFAULT_ZONE, known_zone

DEV_SECRET_KEY = "yanxiu-development-key-not-for-production"


#: The public address of a development portal's work outside a request (``PUBLIC_URL`` unset):
#: ``flask run``'s default. Production refuses it too, as it refuses none.
DEV_PUBLIC_URL = "http://127.0.0.1:5000"


class DefaultConfig:
    SECRET_KEY = DEV_SECRET_KEY
    SQLALCHEMY_DATABASE_URI: str | None = None  # filled with instance/yanxiu.db when unset
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {}
    SQLITE_BUSY_TIMEOUT_MS = 15000
    PRODUCTION = False
    # Locale
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = DEFAULT_ZONE
    LANGUAGES = ("zh_Hans_CN", "en")
    DEFAULT_TIMEZONE = DEFAULT_ZONE  # what belongs to no school (portal.timeutil.zone_of)
    # Plugins: None enables every installed plugin; a list/tuple keeps only those names.
    PLUGINS_ALLOWLIST: tuple[str, ...] | None = None
    PLUGINS_LOAD_ENTRYPOINTS = True
    # A call into a plugin's code (a hook, a guard, a type's method, its page) taking longer is
    # logged with the plugin's name and listed by `flask plugins list` and /admin/plugins; it is
    # never cut short (docs/plugins.md §9).
    PLUGIN_CALL_BUDGET_MS = 500
    PASSWORD_HASH_METHOD = "scrypt"  # tests use a cheaper method to stay fast
    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = None
    # Uploads
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    UPLOAD_MAX_BYTES = 10 * 1024 * 1024
    UPLOAD_FOLDER: str | None = None  # defaults to instance/uploads
    # Rate limiting of logins
    LOGIN_MAX_FAILURES = 5  # per account
    # Per address: higher, since a whole school may share one NAT address.
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_LOCK_MINUTES = 15
    # Reverse proxies in front of the app (nginx = 1): their X-Forwarded-For/-Proto are trusted,
    # so login throttling counts the real client address, not the proxy's.
    TRUSTED_PROXIES = 0
    # Cached page parts (portal.page_cache): CACHE_TYPE, CACHE_DIR (default instance/cache),
    # CACHE_DEFAULT_TIMEOUT and CACHE_THRESHOLD are Flask-Caching's; "NullCache" turns it off.
    # API tokens
    API_TOKEN_HOURS = 24 * 7
    # Background jobs (portal/jobs.py, huey): "sqlite" (file JOBS_SQLITE_PATH, default
    # instance/jobs.db: one machine), "redis" (JOBS_REDIS_URL: several machines) or "memory".
    JOBS_STORAGE = "sqlite"
    JOBS_SQLITE_PATH: str | None = None
    JOBS_REDIS_URL: str | None = None
    JOBS_IMMEDIATE = False  # run every job in the caller, at once (no worker)
    JOBS_WORKERS = 2
    #: seconds a queue write waits while another process holds the SQLite queue file (huey's
    #: busy timeout); a write still refused then leaves its job in the outbox for the next sweep
    JOBS_SQLITE_TIMEOUT: float = 5
    # Email (portal/services/delivery.py): no MAIL_SERVER, no email (notifications stay in-app).
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "yanxiu@localhost"
    MAIL_TIMEOUT = 10  # seconds; a server that does not answer makes the job retry later
    # Long exports run as jobs (portal/services/export_jobs.py): files kept this long, then deleted
    EXPORT_KEEP_HOURS = 24
    #: an export of more rows than this (one SQL COUNT) runs as a job with a progress page
    EXPORT_JOB_THRESHOLD = 20_000
    #: all 学分认定表 of a year as one ZIP: more forms than this (each a PDF rendered) run as a job
    CERTIFICATE_JOB_THRESHOLD = 20
    EXPORT_FOLDER: str | None = None  # default instance/exports
    # The address people reach the portal at: every link that leaves the portal (the QR codes of
    # printed forms and of check-in, calendar feeds, email) is built from it (portal.url_rules.public_url),
    # never from a request's Host header. Production refuses to start without it; unset elsewhere
    # (development), a request's links take the address it was asked at (a demo on another port, or
    # reached from a phone on the network, prints codes that lead back to it) and what is built
    # outside a request (a worker's job) :data:`DEV_PUBLIC_URL`.
    PUBLIC_URL: str | None = None
    # The garbage collector's young-generation threshold in a served process (applied by
    # ``portal.settle_for_serving``, never by ``create_app``): Python's 700 set off a collection
    # inside nearly every review queue and school summary, walking the page's live rows; at
    # 10,000 one comes every few hundred requests and takes ~3 ms (BENCHMARKS.md, round 44).
    # None leaves Python's own thresholds.
    GC_THRESHOLD: int | None = 10_000


ENV_KEYS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "YANXIU_UPLOAD_FOLDER": "UPLOAD_FOLDER",
    "YANXIU_TRUSTED_PROXIES": "TRUSTED_PROXIES",
    "YANXIU_CACHE_TYPE": "CACHE_TYPE",
    "YANXIU_CACHE_DIR": "CACHE_DIR",
    "YANXIU_CACHE_REDIS_URL": "CACHE_REDIS_URL",
    "YANXIU_JOBS_STORAGE": "JOBS_STORAGE",
    "YANXIU_JOBS_SQLITE_PATH": "JOBS_SQLITE_PATH",
    "YANXIU_JOBS_REDIS_URL": "JOBS_REDIS_URL",
    "YANXIU_JOBS_SQLITE_TIMEOUT": "JOBS_SQLITE_TIMEOUT",
    "YANXIU_MAIL_SERVER": "MAIL_SERVER",
    "YANXIU_MAIL_PORT": "MAIL_PORT",
    "YANXIU_MAIL_USERNAME": "MAIL_USERNAME",
    "YANXIU_MAIL_PASSWORD": "MAIL_PASSWORD",
    "YANXIU_MAIL_SENDER": "MAIL_DEFAULT_SENDER",
    "YANXIU_PUBLIC_URL": "PUBLIC_URL",
    "YANXIU_EXPORT_JOB_THRESHOLD": "EXPORT_JOB_THRESHOLD",
    "YANXIU_CERTIFICATE_JOB_THRESHOLD": "CERTIFICATE_JOB_THRESHOLD",
    "YANXIU_GC_THRESHOLD": "GC_THRESHOLD",
}


#: the variables that hold whole numbers, with their lowest and highest value
ENV_NUMBERS = {
    "YANXIU_TRUSTED_PROXIES": (0, None),
    "YANXIU_MAIL_PORT": (1, 65535),
    "YANXIU_JOBS_SQLITE_TIMEOUT": (1, 600),
    "YANXIU_EXPORT_JOB_THRESHOLD": (0, None),
    "YANXIU_CERTIFICATE_JOB_THRESHOLD": (0, None),
    "YANXIU_GC_THRESHOLD": (100, 1_000_000),  # 0 would turn the collector off: cycles never freed
}


#: ``YANXIU_*`` variables read elsewhere than :data:`ENV_KEYS` (the app's start, the test suite,
#: the benchmarks): known, so never refused as a typo (``tests/core/test_unknown_settings.py``
#: finds every ``YANXIU_`` name the repository reads and holds them to this list)
ENV_READ_ELSEWHERE = frozenset({
    "YANXIU_ENV",  # from_environment
    "YANXIU_INSTANCE_PATH",  # create_app, the Makefile, the benchmarks
    "YANXIU_TEST_DATABASE_URL", "YANXIU_TEST_NOW", "YANXIU_TEST_CLOCK_SHIFT",  # the test suite
    "YANXIU_TEST_PG_COPY_EACH", "YANXIU_TEST_SQLITE_DIR",
    "YANXIU_HOURS_EXAMPLES", "YANXIU_SUBMISSION_EXAMPLES", "YANXIU_CHROMIUM",
    "YANXIU_LOAD_PLAN", "YANXIU_LOAD_MARK",  # bench/load
})


#: words of other programs' names for our settings, as :data:`ENV_KEYS` spells them, and the
#: names they then make that mean one of ours (:func:`closest_setting`): by spelling alone
#: ``SMPT_HOST`` came closest to ``MAIL_PORT`` (a name written whole here would be a known one:
#: ``tests/core/test_unknown_settings.py``)
ENV_WORDS = {
    "SMTP": "MAIL", "SMPT": "MAIL", "EMAIL": "MAIL", "USER": "USERNAME", "LOGIN": "USERNAME",
    "PASS": "PASSWORD", "PASSWD": "PASSWORD", "PWD": "PASSWORD", "FROM": "SENDER", "DB": "DATABASE",
    "URI": "URL",
}
ENV_MEANT = {"MAIL": "MAIL_SERVER", "MAIL_HOST": "MAIL_SERVER", "MAIL_HOSTNAME": "MAIL_SERVER"}


def _stem(name: str) -> str:
    return name.removeprefix("YANXIU_")


def closest_setting(env: str, known: Collection[str]) -> str:
    """The ``known`` name an unknown ``YANXIU_*`` variable ``env`` most likely meant: its words
    read as ours (:data:`ENV_WORDS`, :data:`ENV_MEANT`: ``SMTP_HOST`` is ``MAIL_SERVER``,
    ``DB`` the database), then the closest spelling, the ``YANXIU_`` all share left out (so
    ``DATABASE_URL`` is found with the prefix too)."""
    words = "_".join(ENV_WORDS.get(word, word) for word in _stem(env).split("_"))
    stems = {_stem(name): name for name in sorted(known)}
    return stems[difflib.get_close_matches(ENV_MEANT.get(words, words), list(stems), n=1, cutoff=0.0)[0]]


def check_unknown_variables(environ: Mapping[str, str]) -> None:
    """Stop the start at a ``YANXIU_*`` variable the portal does not know, naming it and the
    known name it most likely meant (:func:`closest_setting`): a misspelt one was silently
    ignored and the default used."""
    known = set(ENV_KEYS) | ENV_READ_ELSEWHERE
    for env in sorted(environ):
        if env.startswith("YANXIU_") and env not in known:
            raise BadConfiguration(msg("start.unknown_setting", env=env, meant=closest_setting(env, known)))


def _number(env: str, value: str) -> int:
    """``value`` of the variable ``env`` as a whole number in its range; otherwise the start stops
    with the variable named (not a traceback, nor a job or a page failing later)."""
    low, high = ENV_NUMBERS[env]
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < low or (high is not None and number > high):
        if high is None:
            raise BadConfiguration(msg("start.number_at_least", setting=env, value=repr(value), low=low))
        raise BadConfiguration(msg("start.number_between", setting=env, value=repr(value), low=low, high=high))
    return number


def from_environment() -> dict[str, Any]:
    """Settings taken from the environment (``DATABASE_URL``, ``SECRET_KEY``, ``YANXIU_ENV``);
    an unknown ``YANXIU_*`` variable stops the start (:func:`check_unknown_variables`)."""
    check_unknown_variables(os.environ)
    out: dict[str, Any] = {}
    for env, key in ENV_KEYS.items():
        value = os.environ.get(env)
        if value:
            out[key] = _number(env, value) if env in ENV_NUMBERS else value
    env = os.environ.get("YANXIU_ENV", "").strip().lower()
    if env == "production":
        out["PRODUCTION"] = True
    elif env not in ("", "development"):  # a typo must not start a development portal unnoticed
        raise BadConfiguration(msg("start.yanxiu_env", value=repr(os.environ["YANXIU_ENV"])))
    uri = out.get("SQLALCHEMY_DATABASE_URI", "")
    if uri.startswith("postgres://"):  # the scheme Heroku-style URLs use
        out["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgres://") :]
    elif uri.startswith("postgresql://"):
        out["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgresql://") :]
    return out


def check_instance_folder(folder: str) -> None:
    """The instance folder (``YANXIU_INSTANCE_PATH``; ``instance`` in the checkout by default) is
    made now, or the start stops naming it: it holds the SQLite database, the job queue, the page
    cache, exports and gunicorn's control socket. One that could not be made was a traceback from
    every command and every gunicorn worker ("Worker failed to boot")."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadConfiguration(msg("start.instance_folder", folder=repr(folder), reason=exc.strerror)) from None


def check_upload_folder(folder: str | None) -> None:
    """An upload folder set (``YANXIU_UPLOAD_FOLDER``) is made now (``0700``, as evidence files
    are the portal's alone) and must be writable, or the start stops: it was the first teacher's
    upload that failed, with a 500."""
    if not folder:
        return  # instance/uploads, made with the instance folder's rights when first needed
    try:
        Path(folder).mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BadConfiguration(msg("start.upload_folder", folder=repr(folder), reason=exc.strerror)) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BadConfiguration(msg("start.upload_not_writable", folder=repr(folder)))


def check_time_zones(config: Any) -> None:
    """The deployment's time zones exist, or the start stops naming the setting: a zone that
    does not was a traceback from the first command or page that read a date of no school."""
    for setting in ("DEFAULT_TIMEZONE", "BABEL_DEFAULT_TIMEZONE"):
        value = config.get(setting)
        if value in (None, "") and setting == "DEFAULT_TIMEZONE":  # unset: timeutil.DEFAULT_ZONE
            continue
        if not known_zone(value):
            raise BadConfiguration(msg("start.time_zone", setting=setting, value=repr(value), zone=DEFAULT_ZONE))


def check_database_url(uri: str, instance_path: str) -> None:
    """The database address is one the portal can use, or the start stops saying which part is
    not (never echoing the address: it holds the password). Otherwise a typo was a traceback, a
    MySQL address the driver's ImportError and then "No such command", and a SQLite file in a
    folder that does not exist a traceback at the first query."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(uri)
    except (ArgumentError, ValueError):
        raise BadConfiguration(msg("start.database_url")) from None
    backend = url.get_backend_name()
    if backend not in ("postgresql", "sqlite"):
        raise BadConfiguration(msg("start.database_backend", backend=backend))
    if backend == "sqlite" and url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        folder = (Path(instance_path) / url.database).parent  # Flask-SQLAlchemy's base for a relative path
        if not folder.is_dir():
            raise BadConfiguration(msg("start.sqlite_folder", folder=str(folder)))


class ConfigurationError(click.ClickException):
    """A setting the portal cannot start with. A Click exception, so that ``flask …`` says it in
    one line (``Error: …``, exit status 1) rather than a traceback ending in it; gunicorn
    stops with it in one line too (``wsgi.py``: "App failed to load").

    Given a catalogue message (:func:`portal.messages.msg`), it says it as an operator reads it:
    Chinese, then English, in the one line (:func:`portal.messages.operator_line`)."""

    def __init__(self, message: Any) -> None:
        from portal.messages import Msg, operator_line

        super().__init__(operator_line(message) if isinstance(message, Msg) else message)


def listing_commands() -> bool:
    """Whether the app is being built for Flask's command group to list its commands
    (``flask --help``, ``flask`` alone), where any error but Flask's own "no app" is printed as
    a traceback above the usage (``FlaskGroup.list_commands``); a command's own build
    (``flask school list``) is not, and says a :class:`ConfigurationError` in one line."""
    listing = FlaskGroup.list_commands.__code__
    frame = inspect.currentframe()
    while frame is not None and frame.f_code is not listing:
        frame = frame.f_back
    return frame is not None


class InsecureConfiguration(ConfigurationError):
    """The app was asked to run in production with development settings."""


class BadConfiguration(ConfigurationError):
    """A setting names something that cannot be used (a cache backend, a folder...)."""
