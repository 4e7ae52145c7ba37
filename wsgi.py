"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

import click

from portal import create_app, settle_for_serving
from portal.config import ConfigurationError
from portal.database import migration_state
from portal.refused_start import refuse

try:
    app = create_app()
except ConfigurationError as refused:
    if click.get_current_context(silent=True) is not None:
        raise  # a ``flask`` command says it in one line itself
    refuse(refused.format_message())
if app.config.get("PRODUCTION") and click.get_current_context(silent=True) is None:
    # a database behind the code would serve pages without the triggers, indexes or rows its
    # migrations add (the append-only ledger's among them) and fail on the tables they create;
    # one a newer release upgraded has rows and rules this older code does not keep up
    pending, newer = migration_state(app)
    if pending:
        refuse(f"the database has not run {len(pending)} migration(s) of this release ({', '.join(pending[:3])}"
               f"{', …' if len(pending) > 3 else ''}): run 'flask --app wsgi db upgrade' first")
    if newer:
        refuse(f"the database was upgraded by a newer release (revision {', '.join(newer)}, unknown to this code):"
               " install that release again, or restore the backup made before upgrading (README, Upgrading)")
# the templates compiled (not for a ``flask --app wsgi`` command), the built app out of the collector's
# full collections, GC_THRESHOLD applied
settle_for_serving(app, templates=click.get_current_context(silent=True) is None)
