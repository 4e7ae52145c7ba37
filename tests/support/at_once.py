"""Requests sent at the same moment: the same action in several threads released together,
each in an app context (and database session) of its own, as concurrent requests are."""

from __future__ import annotations

import threading
from collections.abc import Callable

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
