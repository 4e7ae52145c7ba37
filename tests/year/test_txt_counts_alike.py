"""A .txt file is the piece its words are, whichever door it comes through: handed in as an
activity's reading notes it counts the characters it counts as the teacher's own writing
(``portal.textcount.chinese_count`` of its decoded text), towards the reading-notes quota, on
the page, in the stored teacher-year row and by the API."""

from __future__ import annotations

import io

import pytest

from portal.models import School, User
from portal.services import activities, teacher_years, tokens, writing
from portal.textcount import chinese_count
from portal.timeutil import current_school_year
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.year.helpers import quota_done

NOTES = "读《给教师的建议》第3章：Growth mindset 让我重新看待后进生。"
TXT = ("\ufeff" + NOTES).encode("utf-8")  # as Windows Notepad saves it: a byte-order mark first


@pytest.fixture
def school(app):
    s = f.school("F1")
    return s, f.staff(s)



def _stored_notes_done(user: User, school: School) -> int:
    rows = teacher_years.summary_rows(school, current_school_year(school.timezone)) or []
    row = next(r for r in rows if r.user.id == user.id)
    return next(q.done for q in row.facts.quotas if q.key == "reading_notes")


def test_a_txt_file_counts_its_words_as_evidence_as_it_does_as_own_writing(app, school):
    """Audit: t1 hands in notes.txt as reading notes at an activity, t2 adds the same file as
    their own reading notes: both are the same characters towards the 10,000 a year (it was 0
    for the evidence), the stored row following the write."""
    s, staff = school
    t1, t2 = staff["t1"], staff["t2"]
    act = f.plan(s, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "读书"})
    words = chinese_count(NOTES)
    assert words > 0
    ev = activities.add_evidence(act, t1, t1.id, "reading_notes", "给教师的建议", filename="notes.txt", data=TXT)
    piece = writing.add_writing(s, t2, "reading_notes", "给教师的建议", filename="notes.txt", data=TXT)
    assert ev.char_count == piece.char_count == words
    assert quota_done(t1, s, "reading_notes") == quota_done(t2, s, "reading_notes") == words
    assert _stored_notes_done(t1, s) == words
    page = log_in(app.test_client(), t1, s.id).get(f"/activities/{act.id}").get_data(as_text=True)
    assert f"{words} characters" in page or f"{words} 字" in page


def test_the_api_answers_the_count_of_a_txt_file_handed_in(app, school):
    s, staff = school
    t1 = staff["t1"]
    act = f.plan(s, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "读书"})
    headers = {"Authorization": f"Bearer {tokens.issue(t1).token}", "X-School": s.code}
    r = app.test_client().post(
        f"/api/v1/activities/{act.id}/evidence", headers=headers, content_type="multipart/form-data",
        data={"kind": "reading_notes", "title": "给教师的建议", "file": (io.BytesIO(TXT), "notes.txt")},
    )
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["char_count"] == chinese_count(NOTES)
    assert quota_done(t1, s, "reading_notes") == chinese_count(NOTES)
