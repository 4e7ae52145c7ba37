"""The audit page and CSV, the append-only records (ORM and database), and ``flask backup``."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import stat
from contextlib import closing

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from portal.database import SQLITE_FILE_MODE
from portal.extensions import db
from portal.hours import fmt
from portal.models import CreditEntry, TransitionLog
from portal.services.ledger import AppendOnlyViolation
from tests.production.helpers import login_as
from tests.support import factories as f


@pytest.fixture
def credited(app):
    """School AU with one credited lecture (2 attendees) and a second school's credited lecture."""
    s = f.school("AU")
    people = f.staff(s, "au")
    act = f.plan(s, people["organizer"], "lecture", [(people["t1"], "attendee"), (people["t2"], "attendee")],
                 {"topic": "审计"}, title="审计讲座甲")
    f.fire(act, people["organizer"], "hold")
    f.attend(act, people["organizer"])
    f.fire(act, people["reviewer"], "approve")
    f.fire(act, people["reviewer"], "credit", comment="=HYPERLINK(\"http://evil\")")
    other = f.school("AV")
    op = f.staff(other, "av")
    oact = f.plan(other, op["organizer"], "lecture", [(op["t1"], "attendee")], {"topic": "乙"},
                  title="另一学校讲座乙")
    f.fire(oact, op["organizer"], "hold")
    f.attend(oact, op["organizer"])
    f.fire(oact, op["reviewer"], "approve")
    f.fire(oact, op["reviewer"], "credit")
    return s, people, act, other


def test_audit_page_lists_only_this_schools_log_and_ledger(app, client, credited):
    s, people, act, _other = credited
    login_as(client, people["admin"])
    r = client.get("/admin/audit")
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "审计讲座甲" in body and "credit" in body and "approve" in body
    assert "另一学校讲座乙" not in body
    r = client.get("/admin/audit?view=ledger&person=aut1")
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "aut1" in body and "aut2" not in body


def test_audit_is_for_school_admins_only(app, client, credited):
    _s, people, _act, _other = credited
    for who in ("reviewer", "organizer", "t1"):
        login_as(client, people[who])
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403


def test_audit_filter_rejects_bad_input_clearly(app, client, credited):
    _s, people, _act, _other = credited
    login_as(client, people["admin"])
    for query in ("view=nope", "from=yesterday", "activity=-3", "activity=1e9", "after=0", "kind=bonus",
                  "from=2026-10-02&to=2026-10-01", "person=" + "x" * 65):
        r = client.get("/admin/audit?" + query)
        assert r.status_code == 422, query
        assert client.get("/admin/audit.csv?" + query).status_code == 422, query


def _csv(client, query: str) -> list[list[str]]:
    r = client.get("/admin/audit.csv?" + query)
    assert r.status_code == 200
    assert r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    data = r.get_data(as_text=True)
    assert data.startswith("\ufeff")
    return list(csv.reader(io.StringIO(data.lstrip("\ufeff"))))


def test_audit_csv_exports_log_and_ledger(app, client, credited):
    s, people, act, _other = credited
    login_as(client, people["admin"])
    log = _csv(client, "view=transitions")
    assert len(log) == 1 + 4  # header + hold, the attendance recorded, approve, credit
    triggers = {row[4] for row in log[1:]}
    assert triggers == {"标记为已举行", "登记考勤", "审核通过", "认定学时"}  # in words, as on the page
    comment = next(row[9] for row in log[1:] if row[4] == "认定学时")
    assert comment.startswith("'=")  # a formula in a comment is not run by a spreadsheet
    ledger = _csv(client, "view=ledger")
    assert len(ledger) == 1 + 2
    assert {row[4] for row in ledger[1:]} == {"aut1", "aut2"}
    assert all(row[9] == fmt(act.hours) and row[10] == "认定" for row in ledger[1:])
    assert not ledger[1][9].endswith(".0")  # hours as every export writes them: 3, never 3.0
    only_one = _csv(client, f"view=ledger&person=aut2&activity={act.id}")
    assert len(only_one) == 2
    none = _csv(client, "view=transitions&from=2000-01-01&to=2000-01-02")
    assert len(none) == 1


def test_audit_csv_takes_the_exports_one_language_switch(app, client, credited):
    """The audit CSV is an export like the others: Chinese whatever the interface's language,
    English with ``?headings=en`` (or its alias ``?lang=en``), a language it does not speak a
    400 (it followed the interface and ignored ``headings``)."""
    _s, people, _act, _other = credited
    login_as(client, people["admin"])
    client.get("/lang/en")
    assert _csv(client, "view=transitions")[0][:3] == ["时间", "活动编号", "活动"]
    english = _csv(client, "view=transitions&headings=en")
    assert english[0][:3] == ["Time", "Activity ID", "Activity"]
    assert {row[4] for row in english[1:]} == {"Mark held", "Attendance recorded", "Approve", "Post credits"}
    assert _csv(client, "view=ledger&lang=en")[0] == _csv(client, "view=ledger&headings=en")[0]
    assert client.get("/admin/audit.csv?headings=fr").status_code == 400


def test_orm_refuses_changes_to_ledger_and_log(app, credited):
    entry = db.session.execute(select(CreditEntry)).scalars().first()
    entry.hours = entry.hours + 10
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
    log = db.session.execute(select(TransitionLog)).scalars().first()
    db.session.delete(log)
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyViolation):
        db.session.execute(update(CreditEntry).values(hours=0))
    db.session.rollback()
    with pytest.raises(AppendOnlyViolation):
        db.session.execute(delete(TransitionLog))
    db.session.rollback()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE credit_entry SET hours = 99",
        "DELETE FROM credit_entry",
        "UPDATE transition_log SET comment = 'rewritten'",
        "DELETE FROM transition_log",
    ],
)
def test_database_refuses_changes_to_ledger_and_log(app, credited, statement):
    """Even raw SQL past the ORM is refused by the triggers of the append-only migration."""
    before = (
        db.session.execute(text("SELECT count(*), sum(hours) FROM credit_entry")).one(),
        db.session.execute(text("SELECT count(*) FROM transition_log")).scalar_one(),
    )
    db.session.remove()
    with db.engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
        conn.rollback()
    after = (
        db.session.execute(text("SELECT count(*), sum(hours) FROM credit_entry")).one(),
        db.session.execute(text("SELECT count(*) FROM transition_log")).scalar_one(),
    )
    assert after == before


def test_backup_writes_a_consistent_copy(app, credited, tmp_path):
    if db.engine.dialect.name != "sqlite":
        result = app.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / "x.db")])
        assert result.exit_code != 0 and "pg_dump" in result.output
        assert not (tmp_path / "x.db").exists()
        return
    db.session.remove()
    target = tmp_path / "copy.db"
    result = app.test_cli_runner().invoke(args=["backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        titles = {r[0] for r in copy.execute("SELECT title FROM activity")}
        assert {"审计讲座甲", "另一学校讲座乙"} <= titles
        assert copy.execute("SELECT count(*) FROM credit_entry").fetchone()[0] == 3
    finally:
        copy.close()
    again = app.test_cli_runner().invoke(args=["backup", "--output", str(target)])
    assert again.exit_code != 0 and "already exists" in again.output
    missing_dir = app.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / "no" / "x.db")])
    assert missing_dir.exit_code != 0 and "does not exist" in missing_dir.output


def test_the_backup_is_no_more_readable_than_the_database(make_app, tmp_path):
    """The database file is 0640 (``portal/database.py``); its copy holds the same records, so
    it must not be left readable by everyone under the usual umask. (An SQLite app in both
    test runs: the command is for SQLite only.)"""
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'portal.db'}")
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.session.remove()
    target = tmp_path / "copy.db"
    old = os.umask(0o022)
    try:
        result = app.test_cli_runner().invoke(args=["backup", "--output", str(target)])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(target.stat().st_mode) == SQLITE_FILE_MODE
    assert not list(tmp_path.glob(".copy.db.*.partial"))


def test_backup_refuses_postgresql_and_points_to_pg_dump(make_app, tmp_path):
    """The refusal is decided from the URL: no server is contacted."""
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = app.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / "x.db")])
    assert result.exit_code != 0
    assert "pg_dump" in result.output
    assert not (tmp_path / "x.db").exists()


@pytest.fixture
def small_sqlite_app(make_app, tmp_path):
    """An app on a SQLite file of one table: enough for ``flask backup``, which copies any."""
    path = tmp_path / "portal.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (1)")
        conn.commit()
    return make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal"])
def test_the_backup_is_not_written_onto_a_file_of_the_live_database(small_sqlite_app, tmp_path, suffix):
    """SQLite keeps the database in companion files too: a copy written as ``portal.db-wal``
    (not there at the time) became the live database's write-ahead log."""
    result = small_sqlite_app.test_cli_runner().invoke(args=["backup", "--output", str(tmp_path / f"portal.db{suffix}")])
    assert result.exit_code == 1 and "must not be the database itself" in result.output, result.output
    assert not (tmp_path / f"portal.db{suffix}").exists()


def test_the_backup_follows_no_symbolic_link(small_sqlite_app, tmp_path):
    """A link left where the operator writes backups (a shared folder) pointing elsewhere: the
    copy went where the link pointed."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "yanxiu.db"
    link.symlink_to(elsewhere / "stolen.db")
    result = small_sqlite_app.test_cli_runner().invoke(args=["backup", "--output", str(link)])
    assert result.exit_code == 1 and "already exists" in result.output, result.output
    assert list(elsewhere.iterdir()) == []


def test_the_backup_is_not_written_into_a_file_left_in_its_way(small_sqlite_app, tmp_path):
    """The copy was written into ``OUTPUT.partial`` even when that file was already there — made
    beforehand, readable by everyone, by a local user who then read the whole database."""
    trap = tmp_path / "copy.db.partial"
    trap.touch(mode=0o666)
    trap.chmod(0o666)
    target = tmp_path / "copy.db"
    result = small_sqlite_app.test_cli_runner().invoke(args=["backup", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert trap.read_bytes() == b"" and stat.S_IMODE(trap.stat().st_mode) == 0o666
    with closing(sqlite3.connect(target)) as copy:
        assert copy.execute("SELECT x FROM t").fetchall() == [(1,)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy.db")) == ["copy.db", "copy.db.partial"]
    assert not list(tmp_path.glob(".copy.db.*"))  # its own temporary file is gone
