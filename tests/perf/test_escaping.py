"""The cheap escapes write what markupsafe and wtforms write: the rows' texts of the activity page,
the review queue, the home and the school summary (``portal.web.escaping.html_text``), and the
evidence form's "for" list (``portal.web.forms.PlainSelect``), byte for byte, for every character
markupsafe escapes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape
from wtforms import Form, SelectChoice, SelectField
from wtforms.widgets import Select

from portal.web.escaping import html_text
from portal.web.forms import PlainSelect

TEXTS = ["", "plain", "赵 & <b>子涵</b>", "钱\"一\" 'so' > a & b < c", "&amp; already", "\u00a0\t\n",
         "白清 <script>alert('x')</script>", "/reports/teacher/7?school=G&x=1"]


def test_html_text_of_the_rows_texts():
    for text in [*TEXTS, "".join(chr(c) for c in range(0x80)), "钱一 <&> " * 100]:
        assert html_text(text) == str(escape(text))


@given(st.one_of(st.text(), st.none(), st.integers()))
def test_html_text_is_markupsafes_escape(value):
    """The rows' escaping is markupsafe's, character for character (plain strings, no Markup)."""
    assert html_text(value) == str(escape(value))


def test_html_text_keeps_markup_as_escape_does():
    assert html_text(Markup("<b>已安全</b>")) == str(escape(Markup("<b>已安全</b>"))) == "<b>已安全</b>"
    assert html_text("a & <b> 'c' \"d\"") == "a &amp; &lt;b&gt; &#39;c&#39; &#34;d&#34;"


class _Form(Form):
    who = SelectField("For", coerce=int, widget=PlainSelect())
    kind = SelectField("Kind", widget=PlainSelect())


def _choices(values):
    return [SelectChoice(v, label) for v, label in values]


def test_plain_select_writes_what_select_writes(monkeypatch):
    people = [(3, "孙三"), (12, "赵 & <b>子涵</b>"), (7, "钱\"一\" 'so'"), (8, ""), (0, "零")]
    kinds = [("reflection", "Reflection <1>"), ("a&b", "A & B"), ('q"', "quote")]
    for data in (None, 12, 8, 0, 99):
        form = _Form()
        form.who.choices, form.who.data = _choices(people), data
        form.kind.choices, form.kind.data = _choices(kinds), "a&b" if data else None
        for field in (form.who, form.kind):
            for kwargs in ({}, {"class_": "form-select is-invalid", "data-testid": "evidence-user"}):
                made = field(**kwargs)
                assert isinstance(made, Markup)
                assert str(made) == str(Select()(field, **kwargs)), (field.name, data, kwargs)
    form.who.data = 12
    expected = str(Select()(form.who))
    monkeypatch.setattr(Select, "render_option", None)  # plain options: written without it
    assert str(form.who()) == expected
    assert 'selected value="12">赵 &amp; &lt;b&gt;子涵&lt;/b&gt;</option>' in expected


def test_plain_select_leaves_other_options_to_select():
    """Options with groups, attributes of their own or a label that is HTML already: ``Select``
    writes them (the same markup as without the widget)."""
    form = _Form()
    form.kind.choices = [SelectChoice("a", "A", optgroup="g"), SelectChoice("b", "B")]
    assert str(form.kind()) == str(Select()(form.kind))
    form.kind.choices = [SelectChoice("a", "A", render_kw={"disabled": True})]
    assert str(form.kind()) == str(Select()(form.kind)) and "disabled" in str(form.kind())
    form.kind.choices = [SelectChoice("a", Markup("<i>A</i>"))]
    assert str(form.kind()) == str(Select()(form.kind)) and "<i>A</i>" in str(form.kind())
