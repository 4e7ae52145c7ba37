"""Hypothesis state machines over the real services: each example runs on a copy of data a
builder prepared once (``make_app(prepared=…)``, ``tests/conftest.py``), dropped after it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from portal.extensions import db
from portal.models import Activity, School, User


class OnPreparedData(RuleBasedStateMachine):
    """A state machine whose examples each start from a copy of ``build``'s data (its ids in
    ``self.facts``), in an app context of their own."""

    make_app: Any = None  # set by :func:`run`: the fixture that copies the prepared data
    build: Callable[[], Any]  # the builder (a ``staticmethod`` on the subclass)

    def __init__(self) -> None:
        super().__init__()
        first_db = len(self.make_app.created)
        self.app = self.make_app(prepared=self.build)
        self.dbs = self.make_app.created[first_db:]
        self.ctx = self.app.app_context()
        self.ctx.push()
        self.facts = self.make_app.facts(self.build)

    def teardown(self) -> None:
        db.session.remove()
        db.engine.dispose()
        self.ctx.pop()
        self.make_app.templates.release(self.dbs)  # PostgreSQL: a database per example, reset after it


class OneSchool(OnPreparedData):
    """A machine acting in one school: its id, the people by key and the activities it made (set
    by the subclass from its facts), looked up afresh at each step."""

    school_id: int
    ids: dict[str, int]
    acts: list[int]

    @property
    def school(self) -> School:
        return db.session.get_one(School, self.school_id)

    def user(self, key: str) -> User:
        return db.session.get_one(User, self.ids[key])

    def act(self, i: int) -> Activity:
        db.session.expire_all()
        return db.session.get_one(Activity, self.acts[i])


def run(machine: type[OnPreparedData], make_app: Any, examples: int, steps: int) -> float:
    """Run ``machine`` for ``examples`` examples of up to ``steps`` steps; the seconds it took."""
    machine.make_app = make_app
    started = time.perf_counter()
    try:
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=examples,
                stateful_step_count=steps,
                deadline=None,
                # each example copies a database and builds an app (make_app): slower than
                # Hypothesis expects of a data generator, not a sign of a bad strategy
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        machine.make_app = None
    return time.perf_counter() - started
