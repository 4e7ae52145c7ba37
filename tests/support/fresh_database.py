"""An empty database for a test that runs the migrations itself (to write rows as an older
revision left them, then upgrade): a new PostgreSQL database when the tests run on
PostgreSQL (``created`` collects its name for ``templates.drop_databases``), else a SQLite file."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def fresh_database(templates: Any, tmp_path: Path, created: list[str], name: str) -> str:
    """The URI of a new, empty database called ``name`` (``name.db`` on SQLite)."""
    if templates.pg is not None:
        pg_name = templates.pg_name(name)
        created.append(pg_name)
        templates.create_database(pg_name)
        return templates.pg_uri(pg_name)
    return f"sqlite:///{tmp_path / (name + '.db')}"
