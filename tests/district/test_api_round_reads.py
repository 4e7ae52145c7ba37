"""The API reads a round once: the district's ``GET /district/submissions/{id}`` read it in its
``finds`` lookup (``submissions.get_seen``) and again in the handler (``read_round``); the school's
``POST /submissions`` answer asked ``submissions.judging_rounds`` of the round it had just written
(a first semester's: a statement of its own), though the write knew (``_judges_when_sent``, as its
summary says). Now the lookup reads the round as it is shown and the handler takes it; the write
says whether its round judges the year."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event

from portal.extensions import db
from portal.models import User
from portal.services import tokens
from tests.district.conftest import YEAR, World, submit_semester

#: a statement that reads rounds by their id (the round's own lookup; ``judging_rounds``)
BY_ID = re.compile(r"FROM year_submission.*WHERE year_submission\.id (=|IN)", re.S)


def _bearer(user: User, school: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.issue(user).token}", **({"X-School": school} if school else {})}


@contextmanager
def _statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", statement, re.I):
            seen.append(statement)

    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _reads_of_rounds(seen: list[str]) -> list[str]:
    return [s for s in seen if BY_ID.search(s)]


def _answer(call: Callable[[], object]) -> tuple[object, list[str]]:
    with _statements() as seen:
        body = call()
    return body, list(seen)


def test_the_districts_read_of_a_round_reads_it_once(app, world: World):
    sub = submit_semester(world, 0).id
    headers = _bearer(world.reviewer1)
    client = app.test_client()
    assert client.get(f"/api/v1/district/submissions/{sub}", headers=headers).status_code == 200  # tokens warm
    response, seen = _answer(lambda: client.get(f"/api/v1/district/submissions/{sub}", headers=headers))
    assert response.status_code == 200 and response.get_json()["id"] == sub  # type: ignore[attr-defined]
    assert len(_reads_of_rounds(seen)) == 1, "\n\n".join(seen)
    assert len(seen) == 3, "\n\n".join(seen)  # the token with its holder, their seats, the round with its school
    # another district's round is still not found, and an id out of range too
    other = _bearer(world.reviewer2)
    assert client.get(f"/api/v1/district/submissions/{sub}", headers=other).status_code == 404
    assert client.get(f"/api/v1/district/submissions/{2 ** 63}", headers=headers).status_code == 404


def test_the_schools_answer_to_its_first_semester_asks_nothing_of_the_round_again(app, by_semester):
    world = by_semester
    client = app.test_client()
    headers = _bearer(world.staff["admin"], "S1")
    response, seen = _answer(lambda: client.post("/api/v1/submissions", json={"year": YEAR, "semester": 1},
                                                 headers=headers))
    assert response.status_code == 201, response.get_json()  # type: ignore[attr-defined]
    assert response.get_json()["judges_year"] is False  # type: ignore[attr-defined]  # half the year
    # the round read back once its write is committed; not asked again whether it judges the year
    assert len(_reads_of_rounds(seen)) == 1, "\n\n".join(_reads_of_rounds(seen))
    # the district reads it the same
    body = client.get(f"/api/v1/district/submissions/{response.get_json()['id']}",  # type: ignore[attr-defined]
                      headers=_bearer(world.reviewer1)).get_json()
    assert body["judges_year"] is False
