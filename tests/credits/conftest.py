from __future__ import annotations

import pytest

from tests.support import factories as f

BUILTIN = ("lecture", "observation", "mentorship", "research", "school_visit")


@pytest.fixture
def s1(app):
    """School S1 running the five built-in types (other installed plugins stay off)."""
    return f.school("S1", types=BUILTIN)


@pytest.fixture
def staff(s1):
    return f.staff(s1)
