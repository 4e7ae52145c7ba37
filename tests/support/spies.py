"""Watching a function while it still runs: what a test counts when it pins how often something
is done (a password checked, a string escaped), never how long it takes."""

from __future__ import annotations

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
