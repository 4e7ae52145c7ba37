"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi run``."""

import click

from portal import create_app, settle_for_serving
from portal.config import ConfigurationError
from portal.database import migration_state
from portal.messages import msg, operator_line
from portal.refused_start import refuse


def _serving() -> bool:
    """Whether this start serves pages: gunicorn (no command) or ``flask run``, not a maintenance
    command such as ``flask db upgrade``, which must run on a database behind the code."""
    command = click.get_current_context(silent=True)
    return command is None or command.info_name == "run"


try:
    app = create_app()
except ConfigurationError as refused:
    if click.get_current_context(silent=True) is not None:
        raise  # a ``flask`` command says it in one line itself
    refuse(refused.format_message())
if app.config.get("PRODUCTION") and _serving():
    # a database behind the code would serve pages without the triggers, indexes or rows its
    # migrations add (the append-only ledger's among them) and fail on the tables they create;
    # one a newer release upgraded has rows and rules this older code does not keep up
    pending, newer = migration_state(app)
    if pending:
        refuse(operator_line(msg("start.pending_migrations", n=len(pending),
                                 revisions=", ".join(pending[:3]) + (", …" if len(pending) > 3 else ""))))
    if newer:
        refuse(operator_line(msg("start.newer_database", revisions=", ".join(newer))))
# the templates compiled (not for a ``flask --app wsgi`` command), the built app out of the collector's
# full collections, GC_THRESHOLD applied
settle_for_serving(app, templates=click.get_current_context(silent=True) is None)
