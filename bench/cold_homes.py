"""Every user's cold teacher home of a database, recorded to compare two trees' answers byte for
byte (BENCHMARKS rounds 50, 52, 57): page cache off, CSRF on as served, its token masked.

    PYTHONPATH=<before tree> python bench/cold_homes.py record DB INSTANCE before.json
    PYTHONPATH=<after tree>  python bench/cold_homes.py record DB INSTANCE after.json
    python bench/cold_homes.py compare before.json after.json

The tree is the one ``PYTHONPATH`` names (this file adds none of its own). ``record`` reads a
copy of ``DB`` (SQLite; a page view may write the session's school), as each user, in zh and en,
of this school year, of the one before and of the one after (``?year=``): the bench data's 1,000
teachers give 6,012 pages, the demo's people three times two pages each. ``compare`` names the pages that differ and shows the
first lines of the first three differences.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: the CSRF token's places in a page (forms' hidden fields, the layout's meta tag)
CSRF = re.compile(r'(name="csrf_token"[^>]*value="|csrf-token" content=")[^"]+')
Pages = dict[str, list[Any]]  # "<user> <lang>[&year=…]" → [status, Location, body with the token masked]


def homes(app: Any, years: tuple[str, ...] = ("",)) -> Pages:
    """The home of every user of ``app``'s database, in zh and en, with each ``?year=`` of
    ``years`` ("" for none), as a client signed in as them sees it."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import User

    with app.app_context():
        users = [(u.get_id(), u.username) for u in db.session.execute(select(User).order_by(User.id)).scalars()]
    pages: Pages = {}
    for user_id, name in users:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user_id, True
        for lang in ("zh", "en"):
            for year in years:
                query = f"?lang={lang}" + (f"&year={year}" if year else "")
                with app.app_context():
                    response = client.get(f"/{query}")
                pages[f"{name} {query}"] = [response.status_code, response.headers.get("Location"),
                                            CSRF.sub(r"\1-", response.get_data(as_text=True))]
    return pages


@contextlib.contextmanager
def copied_app(db_file: Path, instance: Path) -> Iterator[Any]:
    """An app (page cache off) on a copy of the SQLite file ``db_file`` (a page view may write
    the session's school), removed afterwards."""
    from portal import create_app

    os.environ["YANXIU_INSTANCE_PATH"] = str(instance)
    with tempfile.TemporaryDirectory(prefix="cold-homes-") as folder:
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{db_file}{suffix}").exists():
                shutil.copy(f"{db_file}{suffix}", Path(folder) / f"copy.db{suffix}")
        yield create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/copy.db", "CACHE_TYPE": "NullCache"})


def record(db_file: Path, instance: Path, out: Path) -> Pages:
    from portal.timeutil import current_school_year

    with copied_app(db_file, instance) as app:
        this = current_school_year()
        first = int(this[:4])
        pages = homes(app, ("", f"{first - 1}-{first}", f"{first + 1}-{first + 2}"))  # this year, the one before and after
    out.write_text(json.dumps(pages, ensure_ascii=False))
    return pages


def differences(before: Pages, after: Pages) -> list[str]:
    """The pages of either recording that the other lacks or has otherwise."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("db", type=Path)
    rec.add_argument("instance", type=Path)
    rec.add_argument("out", type=Path)
    cmp = sub.add_parser("compare")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    args = ap.parse_args(argv)
    if args.command == "record":
        pages = record(args.db, args.instance, args.out)
        statuses: dict[int, int] = {}
        for status, _location, _body in pages.values():
            statuses[status] = statuses.get(status, 0) + 1
        print(f"{len(pages)} pages, by status {dict(sorted(statuses.items()))}")
        return 0
    before, after = json.loads(args.before.read_text()), json.loads(args.after.read_text())
    differ = differences(before, after)
    print(f"{len(before)} pages before, {len(after)} after, {len(differ)} differ")
    for key in differ[:3]:
        old, new = (before.get(key) or [0, None, ""])[2], (after.get(key) or [0, None, ""])[2]
        print(f"== {key}\n" + "\n".join(list(difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm=""))[:30]))
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
