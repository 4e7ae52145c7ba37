"""Rebuild the Simplified Chinese catalog: extract every msgid, update the .po, fill in the
translations helpers dropped in ``pending/*.json`` ({"English msgid": "中文"}; a msgid with a
context is written "context\u0004msgid"; a plural one (``ngettext``) by its singular msgid, its
translation one string for every form — Chinese has one — or a list of the forms), compile.

Run from the repository root::

    python portal/translations/merge_pending.py          # extract + update + merge + compile
    python portal/translations/merge_pending.py --check  # also list msgids still untranslated

A translation already in the catalog is kept unless it is empty or fuzzy; a pending file
never overwrites a reviewed translation (pass ``--force`` to let it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Message
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LOCALE = "zh_Hans_CN"
PO = HERE / LOCALE / "LC_MESSAGES" / "messages.po"
POT = HERE / "messages.pot"


def pybabel(*args: str) -> None:
    exe = Path(sys.executable).with_name("pybabel")
    cmd = [str(exe) if exe.exists() else "pybabel", *args]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")


def extract() -> None:
    pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "_pl:1c,2", "--no-location", "--sort-output",
            "-o", str(POT), "portal", "plugins")


def update() -> None:
    if PO.exists():
        pybabel("update", "-l", LOCALE, "-d", str(HERE), "-i", str(POT), "--no-fuzzy-matching")
    else:
        pybabel("init", "-l", LOCALE, "-d", str(HERE), "-i", str(POT))


def pending() -> dict[str, str | list[str]]:
    merged: dict[str, str | list[str]] = {}
    # web.json first: another area's own translation of a shared msgid wins
    paths = sorted((HERE / "pending").glob("*.json"), key=lambda p: (p.name != "web.json", p.name))
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise SystemExit(f"{path}: expected a JSON object of msgid → translation")
        merged.update({str(k): [str(f) for f in v] if isinstance(v, list) else str(v) for k, v in data.items() if v})
    return merged


def _untranslated(message: Message) -> bool:
    """No translation yet: an empty string, or (a plural msgid) any empty form."""
    if isinstance(message.string, tuple | list):
        return not all(message.string)
    return not message.string


def merge(force: bool = False) -> list[str]:
    """Fill the catalog from the pending files; return the msgids still untranslated."""
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale=LOCALE)
    table = pending()
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]  # plural: its singular
        key = f"{message.context}\x04{msgid}" if message.context else msgid  # gettext's own joiner
        if key in table and (force or _untranslated(message) or message.fuzzy):
            found = table[key]
            if isinstance(message.id, str):
                message.string = found if isinstance(found, str) else found[0]
            else:  # one string per plural form of the language
                forms = len(message.string) if isinstance(message.string, tuple | list) else 1
                message.string = tuple([found] * forms if isinstance(found, str) else found[:forms])
            message.flags.discard("fuzzy")
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False, sort_output=True, include_previous=False)
    return [m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and _untranslated(m)]  # plural: singular id


def compile_() -> None:
    pybabel("compile", "-d", str(HERE), "-l", LOCALE)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 and list msgids without a translation")
    ap.add_argument("--force", action="store_true", help="pending translations overwrite existing ones")
    args = ap.parse_args()
    extract()
    update()
    missing = merge(force=args.force)
    compile_()
    if missing:
        print(f"{len(missing)} msgids without a translation:", file=sys.stderr)
        for m in missing:
            print("  " + m, file=sys.stderr)
        return 1 if args.check else 0
    print("catalog complete")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
