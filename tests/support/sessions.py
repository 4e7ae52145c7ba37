"""Logging a test client in without the login form (that page has tests of its own): the
helper plugin authors get too, :func:`portal.testing.log_in`."""

from __future__ import annotations

from portal.testing import log_in

__all__ = ["log_in"]
