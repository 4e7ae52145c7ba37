"""Every filter the main pages use has an index: the query plan of each page's statements,
on a SQLite database of its own (plans are per engine; this one is always available),
searches the big tables by index instead of scanning them."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event

from bench.datagen import generate
from portal.extensions import db
from tests.perf.conftest import Site, login, site

BIG_TABLES = ("activity", "participation", "evidence", "credit_entry", "transition_log", "exemption", "membership")
PAGES = {
    "teacher home": ("teacher", lambda s: "/"),
    "school summary": ("admin", lambda s: "/reports/summary"),
    "review queue": ("reviewer", lambda s: "/review"),
    "activity page": ("admin", lambda s: f"/activities/{s.busiest.id}"),
    "activities list": ("admin", lambda s: "/activities"),
}


@pytest.fixture
def sqlite_app(make_app, tmp_path) -> Iterator[Flask]:
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'plans.db'}")
    with app.app_context():
        upgrade(revision="heads")
        yield app


def full_scans(statements: list[tuple[str, tuple]]) -> list[str]:
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        out = []
        for sql, params in statements:
            for row in cur.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall():
                detail = row[-1]
                m = re.match(r"SCAN (\w+)(.*)", detail)
                if m and m.group(1) in BIG_TABLES and "INDEX" not in m.group(2):
                    out.append(f"{detail}: {' '.join(sql.split())[:200]}")
        return out
    finally:
        raw.close()


@pytest.mark.parametrize("page", list(PAGES))
def test_page_queries_search_by_index(sqlite_app, page):
    app = sqlite_app
    # without the planner's statistics: on a dozen teachers a scan is rightly cheaper, but the
    # question here is whether each filter has an index to use
    generate(3, 12, 1, seed=5, statistics=False)
    db.session.remove()
    s: Site = site("G0002")
    who, url = PAGES[page]
    client = login(app.test_client(), getattr(s, who), s.school.id)
    seen: list[tuple[str, tuple]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with app.app_context():
            assert client.get(url(s)).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(seen) >= 3
    assert full_scans(seen) == []


def test_the_plan_check_sees_a_missing_index(sqlite_app):
    generate(1, 5, 1)
    sql = "SELECT id FROM credit_entry WHERE reason = ?"  # no index on reason
    assert full_scans([(sql, ("x",))]) != []
    assert full_scans([("SELECT id FROM credit_entry WHERE user_id = ? AND school_year = ?", (1, "2026-2027"))]) == []


def _plan_of_the_one(app, client, path: str, marks: tuple[str, ...]) -> list[str]:
    """SQLite's query plan of the one statement that ``path`` runs whose text holds every one of
    ``marks``."""
    seen: list[tuple[str, tuple]] = []

    def record(_conn, _cursor, statement, parameters, _context, _executemany) -> None:
        if all(mark in statement for mark in marks):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with app.app_context():
            assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(seen) == 1
    raw = db.engine.raw_connection()
    try:
        return [row[-1] for row in raw.cursor().execute("EXPLAIN QUERY PLAN " + seen[0][0], seen[0][1]).fetchall()]
    finally:
        raw.close()


def test_the_homes_writing_is_read_from_the_teachers_own_pieces(sqlite_app):
    """``credits.teacher_year`` counts the teacher's writing through ``ix_evidence_user_kind``:
    without it SQLite walked every activity of the school's year and probed its evidence."""
    generate(2, 12, 1, seed=5, statistics=False)
    db.session.remove()
    s: Site = site("G0002")
    client = login(sqlite_app.test_client(), s.teacher, s.school.id)
    plan = _plan_of_the_one(sqlite_app, client, "/", ("evidence", "UNION ALL"))
    assert any("evidence USING INDEX ix_evidence_user_kind" in step for step in plan), plan


def test_the_activity_list_reads_its_page_in_order(sqlite_app):
    """The activity list's page is read in the list's order from an index (``school_id,
    starts_at, id``): twenty rows read, not every activity of the school read and sorted."""
    generate(3, 12, 1, seed=5, statistics=False)
    db.session.remove()
    s: Site = site("G0002")
    client = login(sqlite_app.test_client(), s.admin, s.school.id)
    plan = _plan_of_the_one(sqlite_app, client, "/activities", ("ORDER BY activity.starts_at DESC",))
    assert any("ix_activity_school_starts" in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
