from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.exc import DBAPIError

from portal.database import schema_missing
from portal.extensions import db
from portal.registry import registry
from portal.scaffold.cli import new
from portal.services import stranded_states

group = AppGroup("plugins", help="Installed activity-type plugins.")


@group.command("list")
def list_() -> None:
    """One line per activity type: key, zh name, plugin, version. Failures follow, then the
    plugin code that took longer than PLUGIN_CALL_BUDGET_MS (in this process: loading the
    plugins and what this command ran; a web worker's own are on /admin/plugins), then the
    activities of every school left in a state no installed workflow of their type declares."""
    reg = registry()
    for key, r in reg.types.items():
        info = reg.plugins.info.get(r.plugin)
        version = info.version if info else ""
        click.echo(f"{key}\t{r.decl.name_zh}\t{r.plugin}\t{version}")
    for failure in reg.plugins.failures:
        click.echo(f"FAILED\t{failure.plugin}\t{failure.error}", err=True)
    for slow in reg.plugins.slow.values():
        click.echo(f"SLOW\t{slow.plugin}\t{slow.hook}\t{slow.count} over {reg.plugins.budget_ms:g} ms, "
                   f"the slowest {slow.worst_ms} ms", err=True)
    try:
        stranded = stranded_states.stranded()
    except DBAPIError as exc:  # listing what is installed needs no database; this part does
        if not schema_missing(exc):
            raise
        db.session.rollback()
        click.echo("STRANDED\tnot checked: the database is not set up (flask db upgrade)", err=True)
        return
    for lost in stranded:
        click.echo(f"STRANDED\t{lost.type_key}\t{lost.state}\t{lost.count} activities in a state the type's installed "
                   "workflow does not declare: read-only, out of the review queue, their absences not counted, "
                   "until the plugin that declared it is installed again", err=True)


group.add_command(new)  # the same command as the console script `yanxiu plugins new`


def register(app: Flask) -> None:
    app.cli.add_command(group)
