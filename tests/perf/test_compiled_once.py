"""Statements built once keep their compiled form beside them (``database.keep_compiled``,
``database.CompiledOnce``): the form is the one of the engine's dialect that runs it — a form
compiled for SQLite is never read for PostgreSQL, nor one compiled without a schema translate
map for a run with one — and the main pages' statements built once are no longer looked up in
the engine's compiled cache (round 38, continued)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Integer, bindparam, column, create_engine, select, table
from sqlalchemy.dialects import postgresql, sqlite

from portal.database import CompiledOnce
from portal.extensions import cache, db
from tests.perf.conftest import WatchedCache, login

_T = table("t", column("a", Integer), column("b", Integer))
_STATEMENT = select(_T.c.a).where(_T.c.b == bindparam("b"))


def _compiled(kept: CompiledOnce, dialect: Any, translate: dict[str | None, str] | None = None) -> tuple[Any, Any]:
    compiled, _extracted, _params, hit = _STATEMENT._compile_w_cache(
        dialect, compiled_cache=kept, column_keys=[], schema_translate_map=translate)
    return compiled, hit


def test_a_form_compiled_for_one_dialect_is_never_read_for_another():
    """One statement run on SQLite, PostgreSQL and a second SQLite engine, in turns, as the
    test run's apps do in one process: each dialect compiles its own form once and finds it
    again; none is given another's (SQLite's ``?`` against psycopg's ``%(b)s``)."""
    kept = CompiledOnce()
    lite, pg, lite_too = sqlite.dialect(), postgresql.dialect(), sqlite.dialect()
    first = {d: _compiled(kept, d) for d in (lite, pg, lite_too)}
    assert all(hit == d.CACHE_MISS for d, (_c, hit) in first.items())
    assert "?" in str(first[lite][0]) and "%(b)s" in str(first[pg][0]), (str(first[lite][0]), str(first[pg][0]))
    for d in (pg, lite, lite_too, pg, lite):
        compiled, hit = _compiled(kept, d)
        assert compiled is first[d][0] and compiled.dialect is d and hit == d.CACHE_HIT
    # a run with a schema translate map is keyed apart from one without: never the other's form
    with_map, hit = _compiled(kept, pg, {None: "other"})
    assert hit == pg.CACHE_MISS and with_map is not first[pg][0]


def test_a_kept_statement_runs_on_two_engines():
    """Through real connections: the same kept options on two SQLite engines read each
    engine's own rows (the form is compiled per engine's dialect, the rows are never kept)."""
    kept = CompiledOnce()
    seen = []
    for rows in ([(1, 2)], [(3, 2), (4, 2)]):
        engine = create_engine("sqlite://")
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (a INTEGER, b INTEGER)")
            conn.exec_driver_sql("INSERT INTO t (a, b) VALUES " + ", ".join(f"({a}, {b})" for a, b in rows))
            for _ in range(2):
                seen.append(sorted(conn.execute(_STATEMENT, {"b": 2}, execution_options=kept.options).scalars()))
        engine.dispose()
    assert seen == [[1], [1], [3, 4], [3, 4]]


# the engine's compiled cache asked, on a cold render of each page after a first one: the
# statements built per request (or with an expanding list) only
ASKED: dict[str, tuple[str, Any, int]] = {
    # participants, evidence, earlier hands, latest steps (expanding lists of the page's activities)
    "review queue": ("reviewer", lambda s: "/review", 4),
    "activity page": ("admin", lambda s: f"/activities/{s.busiest.id}", 0),  # its history now rows, kept (round 40)
    "activities list": ("admin", lambda s: "/activities", 1),  # its page: built per request (filters, keyset)
    "school summary": ("admin", lambda s: "/reports/summary", 1),  # the year's figures (expanding ids)
}


@pytest.mark.parametrize("page", list(ASKED))
def test_the_pages_statements_built_once_are_not_looked_up_in_the_engines_cache(app, sizes, page, monkeypatch):
    who, url, pinned = ASKED[page]
    asked: list[list[str]] = []  # each measure's look-ups, for the message
    def measure(s: Any) -> int:
        client = login(app.test_client(), getattr(s, who), s.school.id)
        with app.app_context():
            assert client.get(url(s)).status_code == 200  # compiled here
            cache.clear()
        with app.app_context():
            watched = WatchedCache(db.engine._compiled_cache)
            monkeypatch.setattr(db.engine, "_compiled_cache", watched)
            try:
                assert client.get(url(s)).status_code == 200
            finally:
                monkeypatch.undo()
        asked.append([str(k[1])[:300] for k in watched.asked])
        return len(watched.asked)

    result = sizes(measure)
    assert max(result) <= pinned, (page, result, asked)
