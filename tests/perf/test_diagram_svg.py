"""The activity page's workflow drawing is drawn once per workflow, state and language (a pure
function of the type's code): the same markup as the template draws from ``build``, the state
marked, each language in its own words, never one language's drawing on another's page."""

from __future__ import annotations

from flask import render_template_string

from portal.registry import registry
from portal.web import diagram


def _drawn(app, lang: str, state: str):
    # an app context of its own, as each request has: the locale is kept in it
    with app.app_context(), app.test_request_context(f"/?lang={lang}"):
        definition = registry().get("lecture").engine.definition
        return definition, diagram.svg(definition, state), render_template_string(
            '{% include "activities/_diagram.html" %}', diagram=diagram.build(definition, state, lang), state=state)


def test_drawn_once_and_as_the_template_draws_it(app):
    definition, held, fresh = _drawn(app, "zh", "held")
    assert str(held) == fresh  # what the template gives for the same layout
    with app.app_context(), app.test_request_context("/?lang=zh"):
        assert diagram.svg(definition, "held") is held  # kept: not laid out or rendered again
    _d, planned, _f = _drawn(app, "zh", "planned")
    assert planned != held and 'data-current="planned"' in planned and 'data-current="held"' in held


def test_each_language_its_own_drawing(app):
    definition, zh, _f = _drawn(app, "zh", "held")
    _d, en, fresh_en = _drawn(app, "en", "held")
    state = definition.state("held")
    assert state.label_zh in zh and state.label_zh not in en
    assert state.label_en in en and str(en) == fresh_en
    _d, zh_again, _f = _drawn(app, "zh", "held")
    assert zh_again is zh
