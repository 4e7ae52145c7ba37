"""``flask cache clear``: empty the page cache (portal/page_cache.py)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

group = AppGroup("cache", help="Cached page parts (see portal/page_cache.py).")


@group.command("clear")
def clear() -> None:
    """Empty the page cache. Never needed for correctness (entries are keyed on each school's
    data stamp and the code's build); it frees the space at once instead of at expiry."""
    from portal.extensions import cache

    cache.clear()
    click.echo("page cache cleared")


def register(app: Flask) -> None:
    app.cli.add_command(group)
