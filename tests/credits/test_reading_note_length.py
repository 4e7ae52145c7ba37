"""A school's least length of one reading note (``reading_note_chars``; seed 004: 每篇不少于300字).

Audit (helper BN's rules audit): every reading note's characters counted, however short — forty
250-character scraps reached the 10,000 of a year, and a school following seed 004 could not say
"each note at least 300 characters". A shorter note now counts neither its characters nor its
book, left out in the quota SQL, so the teacher's home, the writing page, the school summary,
the API and the stored rows read one figure; its author is told why beside it."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models import School
from portal.policy import SYSTEM
from portal.services import activities, credits, schools, writing
from portal.timeutil import current_school_year
from tests.credits.helpers import assert_school_rule_refused
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.support.texts import prose


def _quotas(user, school) -> dict[tuple[str, int], int]:
    facts = credits.teacher_year(user, school, current_school_year(school.timezone)).facts
    return {(q.key, q.semester): q.done for q in facts.quotas}


def _summary(school, username: str) -> dict[tuple[str, int], int]:
    year = current_school_year(school.timezone)
    row = next(ty for ty in credits.school_summary(school, year) if ty.user.username == username)
    return {(q.key, q.semester): q.done for q in row.facts.quotas}


def test_a_note_short_of_the_rule_counts_nothing_everywhere(app, client, s1, staff):
    t1 = staff["t1"]
    schools.update_rules(s1, {"reading_note_chars": 300}, by=SYSTEM)
    short = writing.add_writing(s1, t1, "reading_notes", "《论语》", prose(250, "短"))
    act = f.plan(s1, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "阅读"})
    activities.add_evidence(act, t1, t1.id, "reading_notes", "《论语》", text=prose(299, "也短"))
    db.session.commit()
    semester = short.semester
    assert _quotas(t1, s1)[("reading_notes", 0)] == 0
    assert _quotas(t1, s1)[("books", semester)] == 0  # a book only of short notes is not read
    assert _summary(s1, "t1")[("reading_notes", 0)] == 0
    writing.add_writing(s1, t1, "reading_notes", "《孟子》", prose(300, "够"))
    db.session.commit()
    home = _quotas(t1, s1)
    assert home[("reading_notes", 0)] == 300 and home[("books", semester)] == 1
    assert _summary(s1, "t1")[("reading_notes", 0)] == 300 and _summary(s1, "t1")[("books", semester)] == 1
    # the pages and the API read the same figure
    log_in(client, t1, s1.id)
    page = client.get("/writing?lang=zh_Hans_CN").text
    assert 'data-testid="quota-reading_notes-0"' in page
    assert page.split('data-testid="quota-reading_notes-0"')[1].split(">")[0].count('data-done="300"') == 1
    why = page.split(f'data-testid="writing-uncounted-{short.id}">')[1].split("<")[0]
    assert why == "不足 300 字，不计入读书笔记字数和读书本数"
    assert page.count('data-testid="writing-uncounted-') == 1  # the 300-character note counts
    assert "fewer than 300 characters" in client.get("/writing?lang=en").text
    assert 'data-done="300"' in client.get("/").text.split('data-testid="quota-reading_notes-0"')[1][:80]
    token = client.post("/api/v1/auth/token", json={"username": "t1", "password": f.PASSWORD}).get_json()["token"]
    got = client.get("/api/v1/me/writing", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {q["key"]: q["done"] for q in got["quotas"] if q["semester"] == 0}["reading_notes"] == 300
    token = client.post("/api/v1/auth/token", json={"username": "adm", "password": f.PASSWORD}).get_json()["token"]
    year = current_school_year(s1.timezone)
    rows = client.get(f"/api/v1/reports/credits?year={year}", headers={"Authorization": f"Bearer {token}"}).get_json()
    t1_row = next(r for r in rows["teachers"] if r["username"] == "t1")
    assert {(q["key"], q["semester"]): q["done"] for q in t1_row["quotas"]}[("reading_notes", 0)] == 300
    log_in(client, staff["admin"], s1.id)
    summary = client.get("/reports/summary?lang=en").text
    cells = [c.split("<")[0] for c in summary.split('data-quota="reading_notes-0">')[1:]]
    assert cells.count("300 of 10,000 characters") == 1, cells


def test_off_by_default_every_note_counts(s1, staff):
    t1 = staff["t1"]
    assert s1.rule("reading_note_chars") == 0
    note = writing.add_writing(s1, t1, "reading_notes", "《论语》", prose(250, "短"))
    db.session.commit()
    assert _quotas(t1, s1)[("reading_notes", 0)] == 250 and _quotas(t1, s1)[("books", note.semester)] == 1


@pytest.mark.parametrize("bad", [-1, 5001, 300.5, "300", None, True])
def test_bad_rule_values_are_refused_and_change_nothing(s1, bad):
    assert_school_rule_refused(s1.id, "reading_note_chars", bad)


def test_an_accepted_year_keeps_the_length_it_was_accepted_with(client, s1, staff):
    """The district accepted the year with no least length of a note; the school asks 300 since:
    the accepted year's 250-character note still counts, on the teacher's year and the summary
    (its rules are those it was submitted with), as every other rule of an accepted year."""
    from portal.models import User
    from portal.policy import Actor
    from portal.services import access, submissions, users

    t1 = staff["t1"]
    year = current_school_year(s1.timezone)
    writing.add_writing(s1, t1, "reading_notes", "《论语》", prose(250, "短"))
    db.session.commit()
    reviewer: User = users.create_user("qu.shenhe", f.PASSWORD, "区审核员", None, ["district_reviewer"],
                                       district_id=s1.district_id)
    sub = submissions.submit(s1, year, by=access.actor(staff["admin"].id, s1.id))
    submissions.decide(sub.id, True, by=Actor.of(reviewer.id, ["district_reviewer"]), district_id=s1.district_id)
    db.session.commit()
    schools.update_rules(s1, {"reading_note_chars": 300}, by=SYSTEM)
    db.session.commit()
    assert db.session.get_one(School, s1.id).rule("reading_note_chars") == 300
    assert _quotas(t1, s1)[("reading_notes", 0)] == 250
    assert _summary(s1, "t1")[("reading_notes", 0)] == 250
    log_in(client, t1, s1.id)  # nor does its writing page say the note counts nothing
    page = client.get(f"/writing?year={year}").text
    assert "《论语》" in page and 'data-testid="writing-uncounted-' not in page
