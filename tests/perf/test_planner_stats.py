"""The query planner's statistics: gathered on demand, after the demo is loaded and every
night by the real worker, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from portal import jobs
from portal.database import is_sqlite
from portal.extensions import db
from portal.services import planner_stats
from tests.reach.conftest import periodic_due, queued_config, wait_for


def _analysed(table: str) -> bool:
    """Whether the planner has figures of ``table``."""
    if is_sqlite():
        has_stats = db.session.execute(text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")).first()
        return bool(has_stats) and bool(
            db.session.execute(text("SELECT 1 FROM sqlite_stat1 WHERE tbl = :t"), {"t": table}).first()
        )
    row = db.session.execute(
        text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = :t"), {"t": table}
    ).first()
    db.session.rollback()  # the statistics views keep a snapshot per transaction
    return row is not None and row[0] is not None


def test_refresh_gathers_figures_of_the_filled_tables(make_app):
    app = make_app(demo=True)
    with app.app_context():
        assert not _analysed("participation")  # a new database has none
        planner_stats.refresh()
        for table in ("participation", "activity", "credit_entry", "evidence"):
            assert _analysed(table), table


def test_the_demo_command_leaves_the_figures_behind(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert _analysed("participation")


def test_the_worker_refreshes_them_every_night(make_app, tmp_path):
    app = make_app(demo=True, **queued_config(tmp_path))
    assert periodic_due(app, datetime(2026, 12, 1, 19, 41)) == ["planner.statistics"]
    assert periodic_due(app, datetime(2026, 12, 1, 19, 42)) == []
    with app.app_context():
        jobs.enqueue("planner.statistics")
        assert not _analysed("participation")
    with jobs.running_worker(app):
        def done() -> bool:
            with app.app_context():
                return _analysed("participation")

        wait_for(done)
