"""What a correction or a delete of a piece of a period over would leave short for good, said:

* a refused correction (``writing.over_less``) said "a writing quota of it met then would be met
  no more" — not which: now it names it (2026年10月的读书笔记, 第一学期读书);
* deleting such a piece stays allowed, but left the period short with no word: the writing page
  now says beside the delete (and in its confirmation) what would be lost, the page says it again
  once deleted, and the API's delete answer carries the same fact (``lost``, ``message``).
"""

from __future__ import annotations

import pytest

from portal.errors import Invalid
from portal.extensions import db
from portal.models import OwnWriting
from portal.services import access, writing
from tests.credits.test_monthly_notes_as_months_pass import (
    ONLY_NOTES,
    _monthly_of,
    _noon,
    _rows,
    _september_noted,
)
from tests.credits.test_reading_notes_per_month import _asking, _at
from tests.support.sessions import log_in
from tests.support.texts import prose


def _october_noted(s1, t1, time_machine) -> OwnWriting:
    """September's and October's one note each (the school asks one of 300 characters a
    month); 15 November: both months over, both held."""
    _september_noted(s1, t1, time_machine)
    october = writing.add_writing(s1, t1, "reading_notes", "《十月》", prose(320, "十"))
    db.session.commit()
    _at(time_machine, _noon("2026-11-15"))
    db.session.expire_all()
    assert _monthly_of(t1, s1).short == ()
    return october


def test_a_refused_correction_names_the_quota_it_would_lose(client, s1, staff, time_machine):
    t1 = staff["t1"]
    october = _october_noted(s1, t1, time_machine)
    before = _rows(t1.id)
    with pytest.raises(Invalid) as refused:
        writing.edit_writing(s1, db.session.get_one(OwnWriting, october.id), "reading_notes", "《十月》",
                             prose(120, "十"), by=access.actor(t1.id, s1.id))
    db.session.rollback()
    assert "the reading notes of October 2026, met then" in refused.value.fields["text"].english
    assert _rows(t1.id) == before
    log_in(client, t1, s1.id)
    page = client.post(f"/writing/{october.id}?lang=zh_Hans_CN",
                       data={"kind": "reading_notes", "title": "《十月》", "text": prose(120, "十")})
    assert page.status_code == 422 and "这样修改会使当时已达标的2026年10月的读书笔记不再达标" in page.text
    assert _rows(t1.id) == before


def test_a_semesters_quota_is_named_too(s1, staff, time_machine):
    t1 = staff["t1"]
    _at(time_machine, _noon("2026-10-10"))
    _asking(s1, 0, **{**ONLY_NOTES, "books_per_semester": 1, "reading_note_chars": 300})
    book = writing.add_writing(s1, t1, "reading_notes", "《给教师的建议》", prose(320, "书"))
    db.session.commit()
    _at(time_machine, _noon("2027-03-10"))
    db.session.expire_all()
    with pytest.raises(Invalid) as refused:
        writing.edit_writing(s1, db.session.get_one(OwnWriting, book.id), "reading_notes", "《给教师的建议》",
                             prose(100, "书"), by=access.actor(t1.id, s1.id))
    db.session.rollback()
    assert "Books read, first semester, met then" in refused.value.fields["text"].english
    assert "当时已达标的第一学期读书不再达标" in refused.value.fields["text"].render("zh_Hans_CN")
    assert writing.deletion_loses(s1, db.session.get_one(OwnWriting, book.id)) == {("books", 1, "")}


def test_the_page_says_before_the_delete_what_it_would_lose_and_again_after(client, s1, staff, time_machine):
    t1 = staff["t1"]
    october = _october_noted(s1, t1, time_machine).id
    november = writing.add_writing(s1, t1, "reading_notes", "《十一月》", prose(320, "冬")).id  # its month is not over
    db.session.commit()
    log_in(client, t1, s1.id)
    page = client.get("/writing?lang=zh_Hans_CN").text
    said = "删除后，2026年10月的读书笔记将无法再达标：所属时段已结束，现在所写的内容无法补上。"
    assert f'data-testid="writing-loses-{october}">{said}<' in page
    assert f'data-testid="writing-loses-{november}"' not in page  # November can still be written
    confirm = page[page.index(f'data-testid="writing-delete-{october}"'):].split(">")[0]
    assert said in confirm
    english = client.get("/writing?lang=en").text
    assert ("Deleting it leaves the reading notes of October 2026 short for good: its period is over, and nothing "
            "written now can make it up.") in english
    # deleting stays allowed, and is said again
    token = page.split('name="csrf_token" value="')[1].split('"')[0] if 'name="csrf_token"' in page else ""
    r = client.post(f"/writing/{october}/delete?lang=zh_Hans_CN", data={"csrf_token": token}, follow_redirects=True)
    assert r.status_code == 200 and "2026年10月的读书笔记已无法再达标" in r.text
    assert db.session.get(OwnWriting, october) is None and _monthly_of(t1, s1).short == ("2026-10",)


def test_the_apis_delete_answer_carries_the_same_fact(client, s1, staff, time_machine):
    from portal.services import tokens

    t1 = staff["t1"]
    october = _october_noted(s1, t1, time_machine).id
    november = writing.add_writing(s1, t1, "reading_notes", "《十一月》", prose(320, "冬")).id
    db.session.commit()
    headers = {"Authorization": f"Bearer {tokens.issue(t1).token}", "X-School": s1.code, "Accept-Language": "zh"}
    r = client.delete(f"/api/v1/me/writing/{november}", headers=headers)
    assert r.status_code == 200 and r.get_json() == {"id": november, "lost": [], "message": None}
    r = client.delete(f"/api/v1/me/writing/{october}", headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"id": october, "lost": [{"key": "notes_monthly", "semester": 0, "month": "2026-10"}],
                            "message": "2026年10月的读书笔记已无法再达标：所属时段已结束，现在所写的内容无法补上。"}
    assert _monthly_of(t1, s1).short == ("2026-10",)

