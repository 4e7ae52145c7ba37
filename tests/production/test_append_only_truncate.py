"""The credit ledger and the transition log are append-only in the database, TRUNCATE included.

On PostgreSQL (migration ``5d8a2f61c0e4``) ``TRUNCATE credit_entry``, ``TRUNCATE transition_log``
and a ``TRUNCATE … CASCADE`` from a table they refer to are refused, and nothing is emptied.
SQLite has no TRUNCATE statement: there the same rows are checked against ``DELETE FROM`` and
``UPDATE`` (the row triggers of ``7c1e5a90b3d2``), so the test asserts something on both.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from portal.models import User
from portal.services import tokens
from tests.support import factories as f

COUNTS = (
    "SELECT (SELECT count(*) FROM credit_entry), (SELECT count(*) FROM transition_log), "
    "(SELECT count(*) FROM activity), (SELECT count(*) FROM user_account)"
)


@pytest.fixture
def ledger(app):
    s = f.school("TR")
    p = f.staff(s, "tr")
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee"), (p["t2"], "speaker")], {"topic": "截断"})
    f.fire(act, p["organizer"], "hold")
    f.attend(act, p["organizer"])
    f.fire(act, p["reviewer"], "approve")
    f.fire(act, p["reviewer"], "credit")
    db.session.remove()
    counts = _counts()
    assert counts[0] == 2 and counts[1] == 4  # two ledger lines; hold, the attendance recorded, approve, credit
    return counts


def _counts() -> tuple:
    db.session.remove()
    with db.engine.connect() as conn:
        return tuple(conn.execute(text(COUNTS)).one())


def _refused(statement: str) -> str:
    with db.engine.connect() as conn:
        with pytest.raises(DBAPIError) as info:
            conn.execute(text(statement))
        conn.rollback()
    return str(info.value)


STATEMENTS = {
    "postgresql": [
        "TRUNCATE credit_entry",
        "TRUNCATE transition_log",
        "TRUNCATE credit_entry, transition_log RESTART IDENTITY",
        "TRUNCATE activity CASCADE",  # the ledger and the log refer to activity
        "TRUNCATE user_account CASCADE",
        "TRUNCATE school CASCADE",
    ],
    "sqlite": [  # no TRUNCATE in SQLite: its nearest statements
        "DELETE FROM credit_entry",
        "DELETE FROM transition_log",
        "UPDATE credit_entry SET hours = 0",
        "UPDATE transition_log SET trigger = 'x'",
    ],
}


def test_database_refuses_to_empty_the_ledger_and_the_log(app, ledger):
    dialect = db.engine.dialect.name
    assert dialect in STATEMENTS
    for statement in STATEMENTS[dialect]:
        message = _refused(statement)
        assert "append-only" in message, (statement, message)
        if dialect == "postgresql":
            assert "TRUNCATE refused" in message
        assert _counts() == ledger, statement  # nothing was emptied, not even the parent table


def test_the_truncate_triggers_are_installed_on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        with db.engine.connect() as conn:  # SQLite: the row triggers are what guards the tables
            names = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
        assert {"credit_entry_no_update", "credit_entry_no_delete", "transition_log_no_update",
                "transition_log_no_delete", "issued_document_no_update", "issued_document_no_delete",
                "school_plan_writer_no_update", "school_plan_writer_no_delete"} <= names
        return
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND (t.tgtype & 32) <> 0"
            )
        ).all()
    # enabled ('O'): the test teardown switches them off only inside its own transaction
    assert {(r[0], r[1], r[2]) for r in rows} == {
        ("credit_entry", "credit_entry_no_truncate", "O"),
        ("transition_log", "transition_log_no_truncate", "O"),
        ("issued_document", "issued_document_no_truncate", "O"),  # what each verification code certified
        ("school_plan_writer", "school_plan_writer_no_truncate", "O"),  # who may not decide a plan
    }


def test_tables_that_are_not_append_only_can_still_be_emptied(app, ledger):
    """The guard is on the two append-only tables only: tokens (which nothing refers to) are
    still emptied, by TRUNCATE on PostgreSQL and DELETE on SQLite."""
    tokens.issue(db.session.execute(select(User).where(User.username == "trt1")).scalar_one())
    db.session.remove()
    statement = "TRUNCATE api_token" if db.engine.dialect.name == "postgresql" else "DELETE FROM api_token"
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM api_token")).scalar_one() == 1
        conn.execute(text(statement))
        assert conn.execute(text("SELECT count(*) FROM api_token")).scalar_one() == 0
    assert _counts() == ledger
