"""``_()`` in templates (``portal.i18n.template_gettext``): the request's language, a locale
forced inside the request (an email in the recipient's language) and back, ``%``-formatting
with its values escaped, as jinja2's own i18n callables do."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale

TEMPLATE = "{{ _('Hours') }}|{{ _('%(n)s people', n='<b>') }}"


def test_templates_translate_in_the_request_language_and_in_a_forced_one(app):
    with app.test_request_context("/?lang=zh_Hans_CN"):
        chinese = render_template_string(TEMPLATE)
        with force_locale("en"):
            english = render_template_string(TEMPLATE)
        again = render_template_string(TEMPLATE)
    assert english == "Hours|&lt;b&gt; people"
    assert chinese == again and chinese.startswith("学时|") and "&lt;b&gt;" in chinese and "<b>" not in chinese
