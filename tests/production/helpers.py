"""Helpers for the production tests: logging a test client in, counting rows."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from tests.support.sessions import log_in

login_as = log_in  # the name these tests use


def row_counts() -> dict[str, int]:
    """Rows in every table (to prove a refused request changed nothing)."""
    db.session.remove()
    out = {}
    for table in db.metadata.sorted_tables:
        out[table.name] = db.session.execute(select(func.count()).select_from(table)).scalar_one()
    db.session.remove()
    return out
