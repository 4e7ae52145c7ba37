"""One rule, one place: the core's code names no activity state, checks no role and writes no
refusal of its own outside the homes of those rules.

* activity states live in the workflow definition (``workflows/``, ``plugins/``); the core
  asks a state's phase;
* activity types are plugins: the core, its demo data included, asks the registry and the
  types' declarations, never names a type's key;
* who may do what is :mod:`portal.policy`; the role names themselves are
  ``portal/models/user.py``'s constants, their words the catalogue's;
* the statuses of plans and submissions are their services' constants, their words and colours
  the catalogue's (``RECORD_STATUSES``); templates compare with ``PLAN.RETURNED`` …;
* what a user reads when refused is a code of the catalogue (``msg("…")``), never a string
  written at the place of the refusal.

Python is read with :mod:`ast` (docstrings and comments may name anything), templates as text.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from portal.models.user import ROLES
from portal.registry import registry
from portal.services import plans, school_plans, submissions
from workflows.definition import CORE_STATES, Phase

PORTAL = Path(__file__).resolve().parents[2] / "portal"
TEMPLATES = PORTAL / "templates"

#: State names that are not also a phase's name (``credited`` is both).
STATE_NAMES = {s.name for s in CORE_STATES} - {p.value for p in Phase}
RECORD_STATUS_NAMES = set(plans.STATUSES) | set(school_plans.STATUSES) | set(submissions.STATUSES)
REFUSALS = {"DomainError", "Invalid", "Forbidden", "NotFound", "Conflict", "Unauthenticated",
            "TooManyAttempts", "IllegalTransitionError", "GuardFailedError"}

#: Where a name is the subject, not a rule: (file under portal/, the literal) and why.
ROLE_NAME_USES = {
    ("models/user.py", "*"): "the role names' one home",
    ("messages.py", "*"): "their words",
    ("services/staff.py", "*"): "a roster's Chinese role headings mapped to the role names",
    ("testing.py", "*"): "the plugin testing fixtures' users by role (documented for plugin authors)",
    ("web/activities.py", "organizer"): "the activities list's ?organizer= filter parameter",
    ("web/review.py", "organizer"): "the review queue's ?organizer= filter parameter",
    ("reports/exports.py", "reviewer"): "the export heading key of the reviewer's name",
    ("services/moves.py", "teacher"): "the move form's field naming the teacher moved (its refusals' key)",
    ("web/district.py", "teacher"): "the move form's field naming the teacher moved",
}
#: The demo data (demo.py, demo_year.py …) gives its invented people roles and records statuses.
DEMO = re.compile(r"demo(_\w+)?\.py")
RECORD_STATUS_HOMES = {"services/plans.py", "services/school_plans.py", "services/submissions.py",
                       "messages.py", "models/year.py"}  # models/year.py: the column default, a plan's first
#: The wire format declares its statuses as Literal types (checked against the services there).
WIRE = re.compile(r"api/models(_\w+)?\.py")


def _python_files() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PORTAL.rglob("*.py")):
        rel = path.relative_to(PORTAL).as_posix()
        if rel.startswith("translations/"):
            continue
        yield rel, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.lineno, node.value


def _templates() -> Iterator[tuple[str, int, str]]:
    for path in sorted(TEMPLATES.rglob("*.html")):
        rel = path.relative_to(PORTAL).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            yield rel, n, line


def _quoted(names: set[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted(map(re.escape, names)))
    return re.compile(rf"""['"]({alternatives})['"]""")


def test_the_core_names_no_activity_state():
    found = [f"{rel}:{line} {value!r}" for rel, tree in _python_files() for line, value in _strings(tree)
             if value in STATE_NAMES]
    pattern = _quoted(STATE_NAMES)
    found += [f"{rel}:{n} {line.strip()}" for rel, n, line in _templates() if pattern.search(line)]
    assert STATE_NAMES >= {"planned", "held", "reviewed", "cancelled"}
    assert found == [], "ask the workflow definition (phase_of, states_in) instead:\n" + "\n".join(found)


def test_the_core_names_no_activity_type(make_app):
    with make_app().app_context():
        keys = set(registry().keys())
    assert {"lecture", "observation", "declared", "reading_club"} <= keys  # built-in and outside types loaded
    found = [f"{rel}:{line} {value!r}" for rel, tree in _python_files() for line, value in _strings(tree)
             if value in keys]
    pattern = _quoted(keys)
    found += [f"{rel}:{n} {line.strip()}" for rel, n, line in _templates() if pattern.search(line)]
    assert found == [], "ask the registry and the types' declarations (demo: gathering_types):\n" + "\n".join(found)


def test_roles_are_named_only_where_they_are_defined_or_worded():
    def allowed(rel: str, value: str) -> bool:
        return (rel, "*") in ROLE_NAME_USES or (rel, value) in ROLE_NAME_USES or DEMO.fullmatch(rel) is not None

    found = [f"{rel}:{line} {value!r}" for rel, tree in _python_files() for line, value in _strings(tree)
             if value in ROLES and not allowed(rel, value)]
    names = "|".join(ROLES)
    check = re.compile(rf"""(==|!=|\bin)\s*\(?\s*['"]({names})['"]|['"]({names})['"]\s+(not\s+)?in\b""")
    found += [f"{rel}:{n} {line.strip()}" for rel, n, line in _templates() if check.search(line)]
    assert found == [], "ask portal.policy (or use the constants of portal.models.user):\n" + "\n".join(found)


def test_record_statuses_are_their_services_constants():
    found = [f"{rel}:{line} {value!r}" for rel, tree in _python_files() for line, value in _strings(tree)
             if value in RECORD_STATUS_NAMES and rel not in RECORD_STATUS_HOMES and not WIRE.fullmatch(rel)
             and not DEMO.fullmatch(rel)
             and rel not in ("services/notifications.py", "services/reminders.py")]  # their own kinds
    pattern = _quoted(RECORD_STATUS_NAMES)
    found += [f"{rel}:{n} {line.strip()}" for rel, n, line in _templates() if pattern.search(line)]
    assert found == [], "compare with PLAN / SCHOOL_PLAN / SUBMISSION; words: record_status():\n" + "\n".join(found)


def test_refusals_are_coded_messages_of_the_catalogue():
    def literal(node: ast.AST | None) -> bool:
        return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))

    found = []
    for rel, tree in _python_files():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name in REFUSALS and node.args and literal(node.args[0]) and rel != "testing.py":  # a fixture's
                # own failure report to the plugin author's test (not a user's refusal)
                found.append(f"{rel}:{node.lineno} {name}(…) with written text")
            elif name == "flash" and node.args and literal(node.args[0]):
                found.append(f"{rel}:{node.lineno} flash(…) with written text")
            elif name == "flash_at" and len(node.args) > 1 and literal(node.args[1]):
                found.append(f"{rel}:{node.lineno} flash_at(…) with written text")
    assert found == [], "refuse with msg(code, …) of portal/messages.py:\n" + "\n".join(found)


def test_the_checks_find_what_they_look_for():
    """The patterns above are not vacuous: each finds its kind of mistake in a sample."""
    tree = ast.parse('if act.state == "held" and "reviewer" in roles:\n    raise Invalid("no")\n')
    values = {v for _, v in _strings(tree)}
    assert "held" in values & STATE_NAMES and "reviewer" in values & set(ROLES)
    assert _quoted(RECORD_STATUS_NAMES).search("{% if plan.status == 'returned' %}")
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert calls and calls[0].func.id in REFUSALS  # type: ignore[attr-defined]
