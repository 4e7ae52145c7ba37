"""Yanxiu (研修): the Flask core. ``create_app`` is the app factory."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.cli import NoAppException

from portal.config import (
    DEV_PUBLIC_URL,
    DEV_SECRET_KEY,
    BadConfiguration,
    ConfigurationError,
    DefaultConfig,
    InsecureConfiguration,
    check_database_url,
    check_instance_folder,
    check_time_zones,
    check_upload_folder,
    from_environment,
    listing_commands,
)
from portal.flask_app import PortalFlask
from portal.jinja_env import PageEnvironment
from portal.messages import msg
from portal.url_rules import SharedBuilderRule

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def settle_for_serving(app: Flask, templates: bool = True) -> None:
    """Called by a server's entry module (``wsgi.py``, the bench's) once its app is built.

    First, with ``templates``, every template is compiled into the app's Jinja environment
    (:func:`portal.jinja_env.compile_templates`, through a bytecode cache in the instance
    folder): without it each worker's first visit to a page compiled that page's templates, two
    thirds of that request's CPU (BENCHMARKS.md, round 45). ``wsgi.py`` leaves it out when a
    ``flask`` command imports it.

    Then the objects made so far — the app, its plugins and workflows, SQLAlchemy's mappers and tables,
    the modules, some 400,000 that live as long as the process — leave the garbage collector's
    generations (``gc.freeze``, after a collection of what is garbage already), so its full
    collections no longer walk them. On the bench's review queue (in process, page cache off) a
    full collection came every thousand requests or so and took 130 ms: 2.5 % of the page's CPU;
    with them frozen, 4 ms.

    Then the young generation's threshold becomes the setting ``GC_THRESHOLD`` (10,000; None
    keeps Python's 700; the older generations' stay Python's): a review queue or a school summary
    holds more than 700 new objects at once, so at 700 nearly every such request was interrupted
    by a collection that walked its live rows and moved them to the older generations, and every
    tenth by one of those (~145 µs a request, 2.5 % of its CPU). At 10,000 a collection comes when
    the requests' leftover cycles reach it, every few hundred requests, ~3 ms each, and collects
    them: memory stays flat (BENCHMARKS.md, round 44).

    Never in ``create_app``: tests and commands build many apps."""
    if templates:
        from portal.jinja_env import compile_templates

        compile_templates(app)
    gc.collect()
    gc.freeze()
    if threshold := app.config.get("GC_THRESHOLD"):
        gc.set_threshold(threshold, *gc.get_threshold()[1:])


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``instance/config.py``, then the environment, then ``config``.

    A setting it cannot start with stops it in one line (:class:`ConfigurationError`, ``Error: …``
    from ``flask <command>``), under ``flask --help`` too: Flask's command group prints the
    traceback of any error but its own "no app" while it lists the app's commands, so there
    the error is given as that one (:func:`portal.config.listing_commands`)."""
    try:
        return _build_app(config)
    except ConfigurationError as exc:
        if listing_commands():
            raise NoAppException(exc.format_message()) from None
        raise


def _build_app(config: dict[str, Any] | None) -> Flask:
    instance_path = os.environ.get("YANXIU_INSTANCE_PATH")
    app = PortalFlask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.url_rule_class = SharedBuilderRule
    app.jinja_environment = PageEnvironment
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(from_environment())
    if config:
        app.config.update(config)
    check_instance_folder(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "yanxiu.db")
    check_database_url(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path)
    check_time_zones(app.config)
    check_upload_folder(app.config.get("UPLOAD_FOLDER"))
    if app.config.get("PRODUCTION"):
        if app.config["SECRET_KEY"] in (None, "", DEV_SECRET_KEY) or len(str(app.config["SECRET_KEY"])) < 16:
            raise InsecureConfiguration(msg("start.secret_key"))
        if app.config.get("DEBUG"):
            raise InsecureConfiguration(msg("start.debug"))
        if app.config.get("PUBLIC_URL") in (None, "", DEV_PUBLIC_URL):
            raise InsecureConfiguration(msg("start.public_url_needed"))
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    if app.config.get("PUBLIC_URL") is not None:  # unset: development (a request's own address)
        _check_public_url(app.config["PUBLIC_URL"])

    from portal import database, i18n
    from portal.extensions import csrf, db, login_manager, migrate
    from portal.registry import build_registry

    db.init_app(app)
    database.configure_engine(app)
    migrate.init_app(app, db, directory=app.config.get("MIGRATIONS_DIR", MIGRATIONS_DIR))
    csrf.init_app(app)
    login_manager.init_app(app)
    registry = build_registry(app)
    app.extensions["yanxiu.registry"] = registry
    i18n.init_app(app, registry)
    from portal import page_cache, plugin_assets

    plugin_assets.init_app(app, registry)
    page_cache.init_app(app, registry.plugins.manager.get_plugins())

    from portal import auth, cli, security

    auth.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    _register_interfaces(app)
    from portal import plugin_doors

    plugin_doors.init_app(app, registry)  # plugins' own pages (/x/<name>) and flask commands
    from portal import jobs

    jobs.init_app(app)  # the background queue (huey) and its jobs; `flask worker`
    from portal.cli.common import guard_flask_commands, guard_text_arguments

    guard_text_arguments(app.cli)  # every command now registered, a plugin's too
    guard_flask_commands(app)  # ``flask run``/``flask shell`` loading this app: not on a newer database
    return app


def _check_public_url(value: Any) -> None:
    """``PUBLIC_URL`` is an absolute http(s) address (a path is allowed: a portal under a prefix),
    or the start stops with the variable named — not a certificate printed with a broken link."""
    parts = urlsplit(str(value or ""))
    if parts.username is not None or parts.password is not None:  # said without the value: it holds a password
        raise BadConfiguration(msg("start.public_url_password"))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise BadConfiguration(msg("start.public_url", value=repr(value)))


def _register_interfaces(app: Flask) -> None:
    """Blueprints: web pages, reports, audit and the JSON API; each package has ``init_app``."""
    import importlib

    for name in ("portal.web", "portal.reports", "portal.audit", "portal.api"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        init = getattr(module, "init_app", None)
        if init is not None:
            init(app)
