from __future__ import annotations

import click

from portal.errors import DomainError


def fail(exc: DomainError) -> None:
    """Print a domain error clearly and exit 2 (nothing was changed)."""
    detail = ""
    fields = getattr(exc, "fields", None) or exc.extra.get("fields")
    if fields:
        detail = "\n" + "\n".join(f"  {k}: {v}" for k, v in fields.items())
    raise click.ClickException(f"{exc.message}{detail}")
