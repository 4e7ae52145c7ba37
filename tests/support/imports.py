"""What a plugin project imports against what its ``pyproject.toml`` declares: a package that
imports a distribution it does not name installs only where that distribution happens to be."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement


def imported_top_modules(folder: Path) -> set[str]:
    """The top-level modules the Python files under ``folder`` import (not relative imports)."""
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


def undeclared_distributions(project: Path, own_modules: set[str]) -> set[str]:
    """The installed distributions that ``project``'s code imports and its ``pyproject.toml``
    names neither as a dependency nor in an optional group (its own modules and the standard
    library aside)."""
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [*meta.get("dependencies", []),
                    *(r for group in meta.get("optional-dependencies", {}).values() for r in group)]
    declared = {Requirement(r).name.lower() for r in requirements}
    imported = imported_top_modules(project) - set(sys.stdlib_module_names) - own_modules
    distributions = packages_distributions()
    return {distributions[m][0].lower() for m in imported} - declared
