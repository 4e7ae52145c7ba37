"""Counts of the requests the schemathesis run sent, reported at the end of the session."""

from __future__ import annotations

requests = 0
server_errors = 0


def record(status: int) -> None:
    global requests, server_errors
    requests += 1
    if status >= 500:
        server_errors += 1


def reset() -> None:
    global requests, server_errors
    requests = server_errors = 0
