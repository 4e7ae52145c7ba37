"""Fixtures of the performance tests: a statement counter on the app's engine, generated
schools, and a logged-in test client."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, raiseload

from portal.extensions import db
from portal.models import Activity, Participation, School, User
from tests.support.sessions import log_in

TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.IGNORECASE)


class WatchedCache:
    """The engine's compiled cache with its look-ups written down in ``asked`` (install with
    ``monkeypatch.setattr(db.engine, "_compiled_cache", WatchedCache(db.engine._compiled_cache))``):
    a statement that keeps its compiled form beside it (``database.keep_compiled``) asks none."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.asked: list[Any] = []

    def get(self, key: object, default: object = None) -> object:
        self.asked.append(key)
        return self.real.get(key, default)

    def __setitem__(self, key: object, value: object) -> None:
        self.real[key] = value


@dataclass
class QueryCounter:
    """SQL statements sent to the database while :meth:`counting` is active.

    ``count`` leaves out transaction control (``BEGIN``, ``COMMIT`` …): the figure is the
    number of queries a page or service runs.
    """

    statements: list[str] = field(default_factory=list)
    active: bool = False

    def __call__(self, _conn, _cursor, statement, _params, _context, executemany) -> None:
        if self.active:
            self.statements.append(statement)

    @property
    def queries(self) -> list[str]:
        return [s for s in self.statements if not TRANSACTION_CONTROL.match(s)]

    @property
    def count(self) -> int:
        return len(self.queries)

    @contextmanager
    def counting(self) -> Iterator[QueryCounter]:
        self.statements.clear()
        self.active = True
        try:
            yield self
        finally:
            self.active = False

    def count_except(self, pattern: str) -> int:
        """Queries not matching ``pattern`` (a regular expression searched in the SQL)."""
        return sum(1 for q in self.queries if not re.search(pattern, q))

    def report(self) -> str:
        return "\n".join(f"{i + 1}. {q.strip()[:300]}" for i, q in enumerate(self.queries))


@pytest.fixture
def queries(app: Flask) -> Iterator[QueryCounter]:
    """Counts statements on ``db.engine``; every ORM query meanwhile raises on a lazy load."""
    counter = QueryCounter()
    engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)

    def no_lazy_loads(state) -> None:
        if counter.active and state.is_select:
            state.statement = state.statement.options(raiseload("*"))

    event.listen(Session, "do_orm_execute", no_lazy_loads)
    yield counter
    event.remove(Session, "do_orm_execute", no_lazy_loads)
    event.remove(engine, "before_cursor_execute", counter)


login = log_in  # the name these tests use


def user_by_name(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


@pytest.fixture
def generated(app: Flask) -> Callable:
    """``generated(teachers=10, years=1)`` → the school codes of freshly generated schools."""
    from bench.datagen import generate

    def make(schools: int = 1, teachers: int = 10, years: int = 1, seed: int = 0) -> list[str]:
        report = generate(schools, teachers, years, seed=seed)
        db.session.remove()
        return report.school_codes

    return make


@dataclass
class Site:
    """A generated school and the people the pages are viewed as."""

    school: School
    admin: User  # school admin and teacher
    reviewer: User
    teacher: User
    busiest: Activity  # the credited activity with the most participants
    open: Activity  # the planned one with the most participants (its page asks for clashes)


def _busiest(school: School, state: str) -> int:
    return db.session.execute(
        select(Activity.id)
        .join(Participation, Participation.activity_id == Activity.id)
        .where(Activity.school_id == school.id, Activity.state == state)
        .group_by(Activity.id)
        .order_by(func.count(Participation.id).desc(), Activity.id)
        .limit(1)
    ).scalar_one()


def site(code: str) -> Site:
    school = db.session.execute(select(School).where(School.code == code)).scalar_one()
    prefix = code.lower()
    return Site(
        school,
        user_by_name(f"{prefix}-t001"),
        user_by_name(f"{prefix}-t002"),
        user_by_name(f"{prefix}-t008"),
        db.session.get(Activity, _busiest(school, "credited")),
        db.session.get(Activity, _busiest(school, "planned")),
    )


@pytest.fixture
def sizes(generated) -> Callable[[Callable[[Site], object]], tuple[int, int, int]]:
    """``sizes(measure)`` → statements for the 10-teacher school, for the same school once
    a 100-teacher school has been added, and for the 100-teacher school."""

    def run(measure: Callable[[Site], int]) -> tuple[int, int, int]:
        [small_code] = generated(teachers=10, years=1, seed=1)
        small = measure(site(small_code))
        [big_code] = generated(teachers=100, years=1, seed=2)
        small_again = measure(site(small_code))
        big = measure(site(big_code))
        return small, small_again, big

    return run


def cold_bound(app: Flask, client: Any, url: str) -> tuple[Any, list[tuple[str, tuple[Any, ...]]]]:
    """A cold GET of ``url`` (asked once before, its cached part cleared) and each statement it
    ran with the values it bound (rounds 57 and 58: the code's constants are written in)."""
    from portal.extensions import cache

    with app.app_context():
        assert client.get(url).status_code == 200  # first-request work is not the page's
        cache.clear()  # ... and the page's cached part is rendered again: the cold cost
    bound: list[tuple[str, tuple[Any, ...]]] = []

    def record(_conn, _cursor, statement, params, _context, _many) -> None:
        bound.append((statement, tuple(params or ())))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with app.app_context():
            response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return response, bound
