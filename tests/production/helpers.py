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


def core_head(app) -> str:
    """The core's last migration (the head of the branch no plugin labels)."""
    from alembic.script import ScriptDirectory

    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        return next(r.revision for r in script.get_revisions("heads") if not r.branch_labels)


def replace_version(app, old: str, new: str) -> None:
    """The database's migration version ``old`` becomes ``new``, as if another release ran (a
    revision this code does not know: a newer release upgraded it) — or back again."""
    from sqlalchemy import text

    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = :n WHERE version_num = :o"),
                           {"n": new, "o": old})
        db.session.commit()
        db.session.remove()
