"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

import sys

import click

from portal import create_app, settle_for_serving
from portal.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as refused:
    if click.get_current_context(silent=True) is not None:
        raise  # a ``flask`` command says it in one line itself
    # A server (gunicorn) would log it under a traceback, once per worker, and start the workers
    # again: say it in one line and leave with gunicorn's "App failed to load" status, which stops it.
    print(f"Error: {refused.format_message()}", file=sys.stderr, flush=True)
    raise SystemExit(4) from None
settle_for_serving()  # the objects of the built app out of the garbage collector's full collections
