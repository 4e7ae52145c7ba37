"""The pages' Jinja environment (``portal.jinja_env``): a template's globals are Jinja's
``ChainMap`` (its own over the environment's, the environment's live) whose names are a set."""

from __future__ import annotations

from portal.jinja_env import PageEnvironment, TemplateGlobals


def test_template_globals_keep_jinjas_meaning(app):
    env = app.jinja_env
    assert isinstance(env, PageEnvironment)
    own = env.from_string("{{ marker }}|{{ shared }}", globals={"marker": "own"})
    other = env.from_string("{{ marker }}|{{ shared }}")
    assert isinstance(own.globals, TemplateGlobals)
    env.globals["shared"] = "live"  # added after the templates were made: both see it
    try:
        assert own.render() == "own|live"
        assert other.render() == "|live"  # the first template's own global is its own
        assert "marker" not in env.globals
        assert own.globals.keys() == set(env.globals) | {"marker"}
    finally:
        del env.globals["shared"]


def test_imports_work_with_and_without_globals_of_the_importer(app):
    # Jinja subtracts the imported template's global names from the importer's on each import
    # (a set minus our set), and makes a module of its own when the importer has more
    with app.test_request_context("/"):
        plain = app.jinja_env.from_string("{% from 'home/_quotas.html' import quota_list %}{{ quota_list([]) }}")
        extra = app.jinja_env.from_string(
            "{% from 'home/_quotas.html' import quota_list %}{{ extra }}", globals={"extra": "more"}
        )
        assert 'data-testid="quota-list"' in plain.render()
        assert extra.render() == "more"


def test_a_new_context_holds_what_jinjas_would(app):
    """``PageTemplate.new_context`` merges the maps itself; the context must be Jinja's own:
    the template's globals over the environment's, the variables passed over both, the
    environment's added later seen, the variables passed left as they were."""
    from jinja2 import Template

    from portal.jinja_env import PageTemplate

    env = app.jinja_env
    own = env.from_string("{{ marker }}|{{ shared }}|{{ lang_code is defined }}", globals={"marker": "own"})
    assert isinstance(own, PageTemplate)
    env.globals["shared"] = "live"
    try:
        for passed in (None, {}, {"marker": "passed"}, {"shared": "passed", "more": 1}):
            kept = None if passed is None else dict(passed)
            ours, jinjas = own.new_context(passed), Template.new_context(own, passed)
            assert ours.parent == jinjas.parent and ours.globals_keys == jinjas.globals_keys
            assert ours.parent is not passed and passed == kept
        assert own.render() == "own|live|True"
        assert own.render(marker="given") == "given|live|True"
    finally:
        del env.globals["shared"]
