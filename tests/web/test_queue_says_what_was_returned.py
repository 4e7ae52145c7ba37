"""A returned activity is back on the review queue at once (``return``: held → held), and its
card used to look like a new one: a reviewer working down a long queue could not tell that they
had returned it an hour ago with "请补充签到表" and that nothing had come back yet. Now the card
says who returned it, when and why, until the activity's next step (its attendance corrected,
an approval)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, User
from portal.services import activities
from tests.web.test_queue_keeps_what_was_typed import _card, _fields, _rows


@pytest.mark.parametrize(("lang", "said"), [("zh", "已由周明轩于"), ("en", "Returned for rework by 周明轩 at")])
def test_a_returned_card_says_so(site, as_user, held, lang, said):
    aid, t1 = held["act"], held["t1"]
    reviewer = as_user("reviewer")
    card = _card(reviewer.get(f"/review?lang={lang}").get_data(as_text=True), aid)
    assert f'data-testid="returned-{aid}"' not in card
    r = reviewer.post(f"/review/{aid}", data={**_fields(card), "action": "return", "comment": "请补充<签到表>"})
    assert r.status_code == 302
    card = _card(reviewer.get(f"/review?lang={lang}").get_data(as_text=True), aid)
    assert f'data-testid="returned-{aid}"' in card
    assert said in card and "请补充&lt;签到表&gt;" in card
    # the organiser corrects the attendance: a step since the return, the note goes
    with site.app_context():
        organizer = db.session.execute(select(User).where(User.username == "organizer")).scalar_one()
        activities.record_attendance(db.session.get(Activity, aid), organizer, [
            {"user_id": t1, "attended_hours": "2", "absent_hours": "2", "excused_hours": "0"}])
        db.session.commit()
    card = _card(reviewer.get(f"/review?lang={lang}").get_data(as_text=True), aid)
    assert f'data-testid="returned-{aid}"' not in card


def test_a_refused_return_shows_no_note(site, as_user, held):
    aid = held["act"]
    reviewer = as_user("reviewer")
    shown = _fields(_card(reviewer.get("/review").get_data(as_text=True), aid))
    before = _rows(site, aid)
    r = reviewer.post(f"/review/{aid}", data={**shown, "action": "return", "comment": ""})
    assert r.status_code == 422 and _rows(site, aid) == before
    assert f'data-testid="returned-{aid}"' not in _card(r.get_data(as_text=True), aid)


def test_the_activity_page_says_it_was_returned_to_its_organiser_and_people(site, as_user, held):
    """Its organiser's page said only 「您目前无需对本活动进行操作」 after a return, the reason at
    the foot of the history; now its next steps open with it."""
    aid = held["act"]
    reviewer = as_user("reviewer")
    organizer, teacher = as_user("organizer"), as_user("teacher2")
    assert 'data-testid="returned-note"' not in organizer.get(f"/activities/{aid}").get_data(as_text=True)
    shown = _fields(_card(reviewer.get("/review").get_data(as_text=True), aid))
    assert reviewer.post(f"/review/{aid}", data={**shown, "action": "return", "comment": "请补充签到表"}).status_code == 302
    for client, lang, said in ((organizer, "zh", "已由周明轩于"), (teacher, "en", "Returned for rework by 周明轩 at")):
        page = client.get(f"/activities/{aid}?lang={lang}").get_data(as_text=True)
        note = page.split('data-testid="returned-note">', 1)[1].split("</div>", 1)[0]
        assert said in note and "请补充签到表" in note
    shown = _fields(_card(reviewer.get("/review").get_data(as_text=True), aid))
    assert reviewer.post(f"/review/{aid}", data={**shown, "action": "approve", "comment": ""}).status_code == 302
    assert 'data-testid="returned-note"' not in organizer.get(f"/activities/{aid}").get_data(as_text=True)
