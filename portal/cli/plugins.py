from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from portal.registry import registry
from portal.scaffold import PluginNames, ScaffoldError, create_plugin

group = AppGroup("plugins", help="Installed activity-type plugins.")


@group.command("list")
def list_() -> None:
    """One line per activity type: key, zh name, plugin, version. Failures follow."""
    reg = registry()
    for key, r in reg.types.items():
        info = reg.plugins.info.get(r.plugin)
        version = info.version if info else ""
        click.echo(f"{key}\t{r.type.name_zh}\t{r.plugin}\t{version}")
    for failure in reg.plugins.failures:
        click.echo(f"FAILED\t{failure.plugin}\t{failure.error}", err=True)


@group.command("new")
@click.argument("name")
@click.option(
    "--output", "-o", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder to write into (default: ./yanxiu-NAME).",
)
def new(name: str, output: Path | None) -> None:
    """Write a working plugin package skeleton for a new activity type NAME (e.g. lesson_study)."""
    try:
        names = PluginNames.from_name(name)
        target = output or Path.cwd() / names.distribution
        written = create_plugin(name, target)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from None
    for path in written:
        click.echo(f"created {path}")
    click.echo(f"next: pip install -e {target} && (cd {target} && pytest) && flask plugins list")


def register(app: Flask) -> None:
    app.cli.add_command(group)
