"""The database's statistics for its query planner, kept fresh.

A planner chooses how to run a query from what it knows of the tables. Without statistics
SQLite guesses, and for a teacher's own rows it guessed wrong: it read every activity of
the school and looked for the teacher in each (the teacher home's participations, 150 µs),
instead of the teacher's few participations through their index (60 µs); the year's hours
went from 110 to 20 µs. ``ANALYZE`` gives it the figures. SQLite never gathers them by
itself; PostgreSQL's autovacuum does, but only some time after a bulk load.

They are refreshed after the demo and generated data are loaded, and every night by the
worker (:func:`nightly`), so a school's growing tables keep their plans. On SQLite the
analysis reads a bounded sample of each index (``analysis_limit``), so it stays fast at a
thousand schools.
"""

from __future__ import annotations

from sqlalchemy import text

from portal import jobs
from portal.database import is_sqlite, write_transaction

SQLITE_ANALYSIS_LIMIT = 2000  # rows sampled per index: approximate figures, bounded time


def refresh() -> None:
    """Gather the planner's statistics of every table (``ANALYZE``), in a write transaction of
    its own: on SQLite it writes ``sqlite_stat1``, so it takes its turn with the other writers."""
    with write_transaction() as session:
        if is_sqlite():
            session.execute(text(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}"))
        session.execute(text("ANALYZE"))


@jobs.periodic("planner.statistics", minute="41", hour="19")  # 03:41 in China
def nightly() -> None:
    refresh()
