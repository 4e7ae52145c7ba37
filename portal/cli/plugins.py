from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from portal.registry import registry
from portal.scaffold.cli import new

group = AppGroup("plugins", help="Installed activity-type plugins.")


@group.command("list")
def list_() -> None:
    """One line per activity type: key, zh name, plugin, version. Failures follow, then the
    plugin code that took longer than PLUGIN_CALL_BUDGET_MS (in this process: loading the
    plugins and what this command ran; a web worker's own are on /admin/plugins)."""
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


group.add_command(new)  # the same command as the console script `yanxiu plugins new`


def register(app: Flask) -> None:
    app.cli.add_command(group)
