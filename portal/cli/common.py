from __future__ import annotations

from typing import Any, NoReturn

import click

from portal.errors import DomainError
from portal.messages import msg


def refuse(code: str, /, **params: Any) -> NoReturn:
    """Stop the command with the catalogue message ``code``, in English (shells and logs)."""
    raise click.ClickException(msg(code, **params).english)


def fail(exc: DomainError) -> None:
    """Print a domain error clearly and exit 1, as ``click.ClickException`` does (nothing was changed).

    The headline and the field messages are both English, as :func:`refuse`'s are."""
    detail = ""
    fields = exc.to_dict("en").get("fields")
    if fields:
        detail = "\n" + "\n".join(f"  {k}: {v}" for k, v in fields.items())
    raise click.ClickException(f"{exc.message}{detail}")
