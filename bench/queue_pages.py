"""Review queues as their reviewers see them, recorded to compare two trees' answers byte for byte
(BENCHMARKS rounds 54, 56, 58): page cache off, CSRF on as served, its token masked.

    PYTHONPATH=<before tree> python bench/queue_pages.py record DB INSTANCE before.json
    PYTHONPATH=<after tree>  python bench/queue_pages.py record DB INSTANCE after.json
    python bench/cold_homes.py compare before.json after.json

``record`` reads a copy of ``DB`` (``cold_homes.copied_app``) as every school admin and reviewer of
each school (the first ``--per-school`` of them by id; every one by default), in zh and en: ``/review``,
every link to the queue each page offers (pagers, filters, ``?people=``), up to ``--most`` pages a
person and language, and three refused values (``?people=abc``, ``?type=nope``, ``?organizer=999999``).
"""

from __future__ import annotations

import argparse
import html
import json
import re
from collections import deque
from pathlib import Path
from typing import Any

from bench.cold_homes import CSRF, Pages, copied_app

#: the queue's own links in a page (its forms post elsewhere)
QUEUE_LINK = re.compile(r'href="(/review\?[^"#]*)')
REFUSED = ("/review?people=abc", "/review?type=nope", "/review?organizer=999999")


def reviewers(app: Any, per_school: int | None = None) -> list[tuple[str, str]]:
    """(id for the session, username) of who works a school's queue (``policy.may_review``'s
    reviewers and the school admins), the first ``per_school`` of each school by id."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Membership, User
    from portal.policy import REVIEWER, SCHOOL_ADMIN

    with app.app_context():
        rows = db.session.execute(
            select(Membership.school_id, User.id, User.username, User.session_version)
            .join(User, User.id == Membership.user_id)
            .where(Membership.role.in_((REVIEWER, SCHOOL_ADMIN)), Membership.active.is_(True),
                   Membership.school_id.is_not(None))
            .order_by(Membership.school_id, User.id)
        ).all()
    chosen: dict[int, list[tuple[str, str]]] = {}
    for school_id, user_id, name, version in rows:
        theirs = chosen.setdefault(school_id, [])
        person = (f"{user_id}:{version}", name)
        if person not in theirs and (per_school is None or len(theirs) < per_school):
            theirs.append(person)
    return list(dict.fromkeys(p for people in chosen.values() for p in people))


def queues(app: Any, people: list[tuple[str, str]], most: int = 25) -> Pages:
    """Each person's queue in zh and en and the queue's links it offers (breadth first, up to
    ``most`` pages), and the refused values: status, Location and the page with its token masked."""
    pages: Pages = {}
    for token, name in people:
        for lang in ("zh", "en"):
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"], session["_fresh"] = token, True
            with app.app_context():
                client.get(f"/review?lang={lang}")  # the session's language
            todo, seen = deque(["/review", *REFUSED]), {"/review", *REFUSED}
            done = 0
            while todo and done < most:
                url = todo.popleft()
                with app.app_context():
                    response = client.get(url)
                body = response.get_data(as_text=True)
                pages[f"{name} {lang} {url}"] = [response.status_code, response.headers.get("Location"),
                                                 CSRF.sub(r"\1-", body)]
                done += 1
                for link in QUEUE_LINK.findall(body):
                    link = html.unescape(link)
                    if link not in seen:
                        seen.add(link)
                        todo.append(link)
    return pages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path)
    ap.add_argument("instance", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--per-school", type=int, help="reviewers and admins a school (default: all)")
    ap.add_argument("--most", type=int, default=25, help="pages a person and language")
    args = ap.parse_args(argv)
    with copied_app(args.db, args.instance) as app:
        app.config["WTF_CSRF_ENABLED"] = True
        pages = queues(app, reviewers(app, args.per_school), args.most)
    args.out.write_text(json.dumps(pages, ensure_ascii=False))
    statuses: dict[int, int] = {}
    for status, _location, _body in pages.values():
        statuses[status] = statuses.get(status, 0) + 1
    print(f"{len(pages)} pages, by status {dict(sorted(statuses.items()))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
