"""Requests sent at the same moment: the same action in several threads released together,
each in an app context (and database session) of its own, as concurrent requests are."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from flask import Flask

from portal.extensions import db


def at_once(app: Flask, n: int, action: Callable[[], object], refused: type[Exception]) -> list[int]:
    """Run ``action`` in ``n`` threads at once; the sorted outcomes, 201 for each that returned
    and 422 for each refused with ``refused`` (anything else fails the thread's test loudly).
    The caller commits and removes its own session first, so the threads see its data."""
    barrier, out = threading.Barrier(n), []

    def send() -> None:
        with app.app_context():
            try:
                barrier.wait()
                action()
                out.append(201)
            except refused:
                out.append(422)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return sorted(out)


def side_by_side(app: Flask, *actions: Callable[[], object]) -> list[str]:
    """Run different ``actions`` at the same moment (say a credit and the district's
    acceptance), each in a thread of its own released together as :func:`at_once`'s are; what
    became of each, in the order given: ``"done"``, or the message code of the
    :class:`~portal.errors.DomainError` it was refused with (anything else fails loudly)."""
    from portal.errors import DomainError

    barrier = threading.Barrier(len(actions))
    out: list[str | None] = [None] * len(actions)

    def send(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                actions[i]()
                out[i] = "done"
            except DomainError as exc:
                out[i] = getattr(exc.msg, "code", exc.message)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(actions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert None not in out, out  # a thread that failed otherwise (its traceback is printed)
    return [str(x) for x in out]


def slowed(monkeypatch, module: object, name: str, before: float = 0.0, after: float = 0.0) -> None:
    """Make ``module.name`` wait ``before`` and ``after`` it runs, for this test: how a race
    test puts one request's step between two of another's."""
    real = getattr(module, name)

    def slow(*args, **kwargs):
        time.sleep(before)
        out = real(*args, **kwargs)
        time.sleep(after)
        return out

    monkeypatch.setattr(module, name, slow)


def meanwhile(monkeypatch, first: tuple[object, str], then: tuple[object, str], hold: float = 0.8) -> None:
    """Put one request's step inside another's open transaction, whatever the machine's load:
    ``first`` (``(module, name)``, a step of the first request that writes and holds its locks)
    runs, then holds ``hold`` seconds before its request goes on to commit; ``then`` (a step of
    the second request) waits until ``first`` has run. With a fixed wait instead, a loaded
    machine let the second request go before the first had written (a test that then sees
    nothing of the race, or fails)."""
    written = threading.Event()
    real_first, real_then = getattr(*first), getattr(*then)

    def first_then_hold(*args, **kwargs):
        out = real_first(*args, **kwargs)
        written.set()
        time.sleep(hold)
        return out

    def then_after_first(*args, **kwargs):
        if not written.wait(60):
            raise AssertionError(f"{first[1]} never ran")
        return real_then(*args, **kwargs)

    monkeypatch.setattr(first[0], first[1], first_then_hold)
    monkeypatch.setattr(then[0], then[1], then_after_first)


def just_before_the_write(monkeypatch, module: ModuleType, step: Callable[[], object]) -> None:
    """Run ``step`` (another request's write: say an admin taking a role) once, just as
    ``module``'s next write transaction begins: after the request read what it checks before
    writing, before it writes — the moment a right read outside the write is stale."""
    real = module.write_transaction

    @contextmanager
    def late() -> Iterator[Any]:
        monkeypatch.setattr(module, "write_transaction", real)
        step()
        with real() as s:
            yield s

    monkeypatch.setattr(module, "write_transaction", late)


def hold_after_first(monkeypatch: Any, owner: Any, name: str, seconds: float = 0.8) -> threading.Event:
    """Make ``owner.name`` wait ``seconds`` after its first call returns, its transaction still
    open, and set the event it answers: a request that waits on the event then meets the
    first one half done (it has written, not committed)."""
    reached, real = threading.Event(), getattr(owner, name)

    def then_hold(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        if not reached.is_set():
            reached.set()
            time.sleep(seconds)
        return out

    monkeypatch.setattr(owner, name, then_hold)
    return reached
