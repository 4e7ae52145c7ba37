"""Escaping text for HTML in one call, where a page escapes the same kind of cell many times.

``markupsafe.escape`` costs four calls for each string (a type check, the escape itself, a
``Markup`` made and its ``__new__``); a page that writes sixty names and sixty options pays that
for each. :data:`HTML_TEXT` is the same replacement as a ``str.translate`` table: the five
characters markupsafe escapes, written as it writes them (``tests/perf/test_escaping.py``
checks the two agree). Only for plain text (``str``): a ``Markup`` is already HTML, and
``escape`` is the function for anything that may be one.
"""

from __future__ import annotations

#: ``text.translate(HTML_TEXT)`` is ``str(markupsafe.escape(text))`` for a plain ``str``
HTML_TEXT = str.maketrans({"&": "&amp;", ">": "&gt;", "<": "&lt;", "'": "&#39;", '"': "&#34;"})
