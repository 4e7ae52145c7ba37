"""The example plugins are what authors copy: each ``pyproject.toml`` names every distribution its
code imports. They named wtforms and a few others, not the portal itself (``yanxiu``, whose
``portal`` and ``workflows`` every module imports) nor alembic, flask, markupsafe or werkzeug, so
``pip install`` of an example into an environment without the portal installed, then importing
it, failed at its first line instead of at install time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.imports import undeclared_distributions

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if (p / "pyproject.toml").exists()))
def test_an_example_declares_every_distribution_it_imports(example):
    project = EXAMPLES / example
    own = {p.name for p in project.iterdir() if p.is_dir() and p.name.startswith("yanxiu_")}
    assert own, f"{example} has no yanxiu_* package"
    assert undeclared_distributions(project, own) == set()
