"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

import sys

import click

from portal import create_app, settle_for_serving
from portal.config import ConfigurationError
from portal.database import pending_migrations


def _refuse(reason: str) -> None:
    # A server (gunicorn) would log it under a traceback, once per worker, and start the workers
    # again: say it in one line and leave with gunicorn's "App failed to load" status, which stops it.
    print(f"Error: {reason}", file=sys.stderr, flush=True)
    raise SystemExit(4) from None


try:
    app = create_app()
except ConfigurationError as refused:
    if click.get_current_context(silent=True) is not None:
        raise  # a ``flask`` command says it in one line itself
    _refuse(refused.format_message())
if app.config.get("PRODUCTION") and click.get_current_context(silent=True) is None:
    # a database behind the code would serve pages without the triggers, indexes or rows its
    # migrations add (the append-only ledger's among them) and fail on the tables they create
    if pending := pending_migrations(app):
        _refuse(f"the database has not run {len(pending)} migration(s) of this release ({', '.join(pending[:3])}"
                f"{', …' if len(pending) > 3 else ''}): run 'flask --app wsgi db upgrade' first")
settle_for_serving()  # the objects of the built app out of the garbage collector's full collections
