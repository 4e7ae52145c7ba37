"""A git merge driver for the catalogue: merges ``messages.po`` message by message.

Two branches that each add translations touch the same sorted file, so git's line merge
conflicts on nearly every merge. This driver merges by msgid instead: a message only one side
added is kept; a translation only one side changed since the common ancestor wins; when both
changed it differently, ours wins and the msgid is reported. Run ``merge_pending.py`` after a
merge to re-extract the template and compile.

Enable it once per clone::

    git config merge.yanxiu-po.driver ".venv/bin/python portal/translations/po_merge.py %O %A %B %P"

(``.gitattributes`` names the files it applies to.) For ``messages.pot`` the driver keeps ours:
the template is regenerated from the code by ``merge_pending.py``.
"""

from __future__ import annotations

import sys

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po


def _read(path: str) -> Catalog:
    with open(path, "rb") as fh:
        return read_po(fh)


def _key(message) -> tuple[str | None, object]:
    return (message.context, message.id)


def merge(base_path: str, ours_path: str, theirs_path: str) -> list[str]:
    """Write the merge of the three catalogues into ``ours_path``; return the clashing msgids."""
    base, ours, theirs = _read(base_path), _read(ours_path), _read(theirs_path)
    base_by = {_key(m): m for m in base if m.id}
    ours_by = {_key(m): m for m in ours if m.id}
    clashes: list[str] = []
    for message in theirs:
        if not message.id:
            continue
        key = _key(message)
        mine = ours_by.get(key)
        if mine is None:
            ours.add(message.id, message.string, context=message.context, flags=message.flags)  # only they added it
            continue
        was = base_by.get(key)
        old = was.string if was is not None else None
        if message.string == mine.string or message.string == old or not message.string:
            continue
        if mine.string == old or not mine.string:
            mine.string = message.string  # only they changed it
            mine.flags = set(message.flags)
        else:
            clashes.append(str(message.id))
    with open(ours_path, "wb") as fh:
        write_po(fh, ours, width=0, omit_header=False, sort_output=True, include_previous=False)
    return clashes


def main(argv: list[str]) -> int:
    base, ours, theirs = argv[1:4]
    if argv[4:] and argv[4].endswith(".pot"):
        return 0  # keep ours; merge_pending.py regenerates the template from the code
    for msgid in merge(base, ours, theirs):
        print(f"po_merge: both sides changed {msgid!r}; kept ours", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
