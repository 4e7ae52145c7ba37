"""Meta-tests of the plugin contract (in the style of datasette's): every hook in
``portal/hookspecs.py`` is documented in ``docs/plugins.md`` with its exact signature, has a test,
and has a docstring and type hints."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from portal import hookspecs

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
SPECS = {
    node.name: node
    for node in ast.parse((ROOT / "portal" / "hookspecs.py").read_text(encoding="utf-8")).body
    if isinstance(node, ast.FunctionDef) and node.name.startswith("portal_")
}
HOOKS = hookspecs.all_hook_names()


def signature(node: ast.FunctionDef) -> str:
    return f"{node.name}({ast.unparse(node.args)}) -> {ast.unparse(node.returns)}"


def test_all_hook_names_matches_the_specs():
    assert sorted(SPECS) == HOOKS and len(HOOKS) >= 6


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_its_exact_signature(hook):
    assert f"### `{hook}`" in GUIDE, f"docs/plugins.md has no section for {hook}"
    section = GUIDE.split(f"### `{hook}`", 1)[1].split("\n### ", 1)[0]
    assert f"\n{signature(SPECS[hook])}\n" in section, f"signature of {hook} differs from hookspecs.py"


def test_the_guide_documents_no_hook_that_does_not_exist():
    documented = set(re.findall(r"^### `(portal_\w+)`", GUIDE, flags=re.M))
    assert documented == set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    tests = "\n".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    assert re.search(rf"^def test_hook_{hook}\(", tests, flags=re.M), f"no test_hook_{hook} in tests/plugins"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_has_a_docstring_and_type_hints(hook):
    node = SPECS[hook]
    doc = ast.get_docstring(node)
    assert doc and "Example::" in doc, f"{hook} needs a docstring with an example"
    assert node.returns is not None, f"{hook} needs a return annotation"
    for arg in node.args.args:
        assert arg.annotation is not None, f"{hook}({arg.arg}) needs a type hint"
        assert f":param {arg.arg}:" in doc, f"{hook} documents no :param {arg.arg}:"
    if ast.unparse(node.returns) != "None":
        assert ":returns:" in doc, f"{hook} documents no :returns:"


def test_the_guide_names_the_contract_version():
    assert f"now `{hookspecs.CONTRACT_VERSION}`" in GUIDE


def test_the_stricter_load_of_1_7_is_versioned_and_listed():
    """A plugin's version check can tell a portal that refuses at load a workflow stepping round
    the review, a redeclared core evidence kind and a trigger out of the closed phase, and reports
    a plugin's ``sys.exit()`` (contract 1.7); the guide's changelog lists each rule."""
    assert tuple(int(x) for x in hookspecs.CONTRACT_VERSION.split(".")) >= (1, 7)
    changelog = GUIDE.split("## 11. Versioning of the contract", 1)[1]
    for rule in ("1.7 refuses at load a workflow that steps round the review", "redeclares a core evidence kind",
                 "a trigger out of the closed phase", "a `BaseException` that is not an `Exception`",
                 "`PLUGIN_CALL_BUDGET_MS`"):
        assert rule in " ".join(changelog.split()), rule
