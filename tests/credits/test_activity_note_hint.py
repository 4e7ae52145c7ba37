"""A reading note handed in on an activity counts nothing when shorter than the school's
``reading_note_chars`` (the quota SQL leaves it out, as a note on the writing page); the
activity page now says so beside it, as the writing page does. Reflections and the other
evidence have no length rule (seed 002 asks five reflections a semester, no length): no hint."""

from __future__ import annotations

from portal.extensions import db
from portal.policy import SYSTEM
from portal.services import activities, schools
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.support.texts import prose


def test_the_activity_page_says_a_short_reading_note_counts_nothing(app, client, s1, staff):
    t1 = staff["t1"]
    act = f.plan(s1, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "阅读"})
    short = activities.add_evidence(act, t1, t1.id, "reading_notes", "《论语》", text=prose(299, "短"))
    long = activities.add_evidence(act, t1, t1.id, "reading_notes", "《孟子》", text=prose(300, "够"))
    report = activities.add_evidence(act, t1, t1.id, "report", "报告", text=prose(20, "报"))
    db.session.commit()
    log_in(client, t1, s1.id)
    page = client.get(f"/activities/{act.id}?lang=zh_Hans_CN").text
    assert "evidence-uncounted-" not in page  # no rule: every note counts
    schools.update_rules(s1, {"reading_note_chars": 300}, by=SYSTEM)
    db.session.commit()
    page = client.get(f"/activities/{act.id}?lang=zh_Hans_CN").text
    why = page.split(f'data-testid="evidence-uncounted-{short.id}">')[1].split("<")[0]
    assert why == "不足 300 字，不计入读书笔记字数和读书本数"
    assert f"evidence-uncounted-{long.id}" not in page and f"evidence-uncounted-{report.id}" not in page
    assert "fewer than 300 characters" in client.get(f"/activities/{act.id}?lang=en").text
