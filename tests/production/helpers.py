"""Helpers for the production tests: logging a test client in, counting rows."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import User


def login_as(client: FlaskClient, user: User, school_id: int | None = None) -> FlaskClient:
    """Put ``user`` in the client's session the way Flask-Login does after a real login."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        if school_id is not None:
            sess["school_id"] = school_id
    return client


def row_counts() -> dict[str, int]:
    """Rows in every table (to prove a refused request changed nothing)."""
    db.session.remove()
    out = {}
    for table in db.metadata.sorted_tables:
        out[table.name] = db.session.execute(select(func.count()).select_from(table)).scalar_one()
    db.session.remove()
    return out
