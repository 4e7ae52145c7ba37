"""School S1 and its staff, built once per test process and copied for each test (the ``app``
fixture's ``prepared`` data, ``tests/conftest.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from portal.extensions import db
from portal.models import School, User
from tests.support import factories as f

BUILTIN = ("lecture", "observation", "mentorship", "research", "school_visit")


def build_school() -> dict[str, Any]:
    """S1 running the five built-in types (other installed plugins stay off)."""
    return {"s1": f.school("S1", types=BUILTIN).id}


def build_school_and_staff() -> dict[str, Any]:
    """S1 and its staff (``tests.support.factories.staff``)."""
    s1 = f.school("S1", types=BUILTIN)
    return {"s1": s1.id, "staff": f.ids(f.staff(s1))}


@pytest.fixture
def prepared(request):
    """What the ``app`` fixture's database holds: S1, and its staff when the test uses them."""
    return build_school_and_staff if "staff" in request.fixturenames else build_school


@pytest.fixture
def s1(app, make_app, prepared) -> School:
    return db.session.get(School, make_app.facts(prepared)["s1"])


@pytest.fixture
def staff(s1, make_app, prepared) -> dict[str, User]:
    return f.people_of(make_app.facts(prepared)["staff"])
