"""Compile this plugin's ``.po`` catalogs to the ``.mo`` files Flask-Babel reads.

Only the ``.po`` sources are kept in version control; they are compiled when the portal asks
for the translation folders (and again whenever a ``.po`` is newer than its ``.mo``). If the
package folder is read-only the catalogs are compiled into a cache folder instead.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def _stale(po: Path, mo: Path) -> bool:
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def _compile_into(source: Path, target: Path) -> None:
    for po in source.glob("*/LC_MESSAGES/*.po"):
        mo = target / po.relative_to(source).with_suffix(".mo")
        if _stale(po, mo):
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as f:
                catalog = read_po(f)
            # A file of this process's own: two test workers (or two portals) compiling at once
            # each replace the .mo whole, never one half-written by the other.
            fd, name = tempfile.mkstemp(dir=mo.parent, suffix=".mo.tmp")
            with open(fd, "wb") as f:
                write_mo(f, catalog)
            Path(name).replace(mo)


def compiled_catalogs(source: Path, cache_name: str) -> Path:
    """The folder holding compiled catalogs for the ``.po`` files under ``source``."""
    try:
        _compile_into(source, source)
        return source
    except OSError:
        target = Path(tempfile.gettempdir()) / cache_name
        if target.exists() and not target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        _compile_into(source, target)
        return target
