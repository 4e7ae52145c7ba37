"""Escaping text for HTML cheaply, where a page writes the same kind of cell many times.

``markupsafe.escape`` costs four Python calls for each string (a type check, the escape itself,
a ``Markup`` made and its ``__new__``); a page that writes sixty names and sixty options pays
that for each. :func:`html_text` writes a plain ``str`` with markupsafe's own five
``str.replace`` calls (C, no Python frame of their own) and makes no ``Markup``: on the short
texts of a row (a name, a login, a link) about a third of ``escape``'s time. A ``str.translate``
table was tried in round 22 and dropped in round 23: it looks each character up in a dict for any
text that is not ASCII (a 300-character Chinese text took 16 µs, against 1 µs here).
``tests/perf/test_escaping.py`` checks it writes what markupsafe writes.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape


def html_text(value: Any) -> str:
    """``str(markupsafe.escape(value))``: a plain ``str`` by markupsafe's replacements (``&``
    first, so no entity is escaped twice), anything else (a ``Markup``, a number, ``None``) by
    ``escape`` itself."""
    if type(value) is str:
        return (
            value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
            .replace("'", "&#39;").replace('"', "&#34;")
        )
    return str(escape(value))
