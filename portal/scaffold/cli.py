"""The ``yanxiu`` console script, installed with the portal (``[project.scripts]``).

What a plugin author runs before there is any app: ``yanxiu plugins new NAME [--dir PATH]``
writes a plugin skeleton. It needs no ``--app``, no instance folder and no checkout, only the
installed portal. The same command is ``flask plugins new`` inside an app.
"""

from __future__ import annotations

from pathlib import Path

import click

from portal.hookspecs import CONTRACT_VERSION
from portal.scaffold import NAME_ZH_PLACEHOLDER, PluginNames, ScaffoldError, create_plugin


@click.command("new")
@click.argument("name")
@click.option(
    "--dir", "--output", "-o", "output", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder to write the plugin into; it must not exist or be empty (default: ./yanxiu-NAME).",
)
def new(name: str, output: Path | None) -> None:
    """Write a working plugin package for a new activity type NAME (e.g. lesson_study)."""
    try:
        names = PluginNames.from_name(name)
        target = output or Path.cwd() / names.distribution
        written = create_plugin(name, target)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from None
    for path in written:
        click.echo(f"created {path}")
    placeholder = NAME_ZH_PLACEHOLDER.substitute(key=names.key)
    click.echo(
        f"change the Chinese name: name_zh in {target / names.package / '__init__.py'} is the placeholder "
        f"{placeholder!r}, which every page would show"
    )
    # [test] brings pytest (the portal's own install has none); python -m pytest runs this
    # environment's, not another pytest first on PATH that cannot import the portal
    click.echo(f"next: pip install -e '{target}[test]' && (cd {target} && python -m pytest) "
               "&& flask --app portal plugins list")


@click.group("plugins")
def plugins() -> None:
    """Activity-type plugins: write a new one."""


plugins.add_command(new)


@click.group()
@click.version_option(CONTRACT_VERSION, message="plugin contract %(version)s")
def main() -> None:
    """Yanxiu tools that need no app (``flask --app wsgi …`` has the rest)."""


main.add_command(plugins)

if __name__ == "__main__":  # python -m portal.scaffold.cli
    main()
