"""Watching a function while it still runs: what a test counts when it pins how often something
is done (a password checked, a string escaped), never how long it takes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def calls_of(monkeypatch: Any, owner: Any, name: str) -> list[tuple[Any, ...]]:
    """Every call of ``owner.name`` from now on, by its positional arguments (a method's
    ``self`` first); the real function still runs and answers. Undone with the monkeypatch."""
    seen: list[tuple[Any, ...]] = []
    real = getattr(owner, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, spy)
    return seen


@contextmanager
def selects() -> Iterator[list[str]]:
    """The SELECT statements sent to the database while it is open (a test pins their count)."""
    from sqlalchemy import event

    from portal.extensions import db

    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
