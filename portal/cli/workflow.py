from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from portal.cli.common import refuse
from portal.messages import shown
from portal.registry import registry

group = AppGroup("workflow", help="Activity workflows.")


@group.command("show")
@click.argument("type_key")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--state", default=None, help="mark this state as current")
def show(type_key: str, lang: str, state: str | None) -> None:
    """Print the type's state machine as Mermaid text."""
    r = registry().get(type_key)
    if r is None:
        refuse("cli.unknown_type", key=shown(type_key), installed=", ".join(registry().keys()))
    if state is not None and state not in {s.name for s in r.engine.definition.states}:
        refuse("cli.unknown_state", state=shown(state))
    click.echo(r.engine.mermaid(lang=lang, current=state, title=r.decl.name(lang)))


def register(app: Flask) -> None:
    app.cli.add_command(group)
