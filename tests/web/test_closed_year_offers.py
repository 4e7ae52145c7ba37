"""A page offers what the service allows, on an activity of a school year that is over: the
demo's held talk of the year before the last (:data:`portal.demo_year.CLOSED_YEAR`), whose
attendance, participants and evidence the services refuse (``activity.year_over``, 409). Its
page offered the evidence upload, "Record attendance" and "Change the participants", and the
participants page its add, role and remove forms: each sent, refused. Walked for who runs it,
a school admin and a teacher taking part: no such offer, the refusal's words said instead, and
each of those posts still refused with nothing changed. The same walk on a held talk of this
year (``held``) finds the offers, so the walk sees them where they are."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.demo_year import CLOSED_YEAR, closed_year_title
from portal.extensions import db
from portal.models import Activity, Evidence, Participation, User

#: What the activity page and the participants page offer to change a row, the list or the evidence.
SHOW_OFFERS = ('data-testid="evidence-form"', 'data-testid="attendance-link"', 'data-testid="participants-link"')
LIST_OFFERS = ('data-testid="participants-add-form"', 'data-testid="role-submit-', 'data-testid="remove-')
VIEWERS = ("organizer", "admin", "teacher2")


def _waiting() -> Activity:
    """The demo's talk of the closed year still waiting for review (its editable phase)."""
    title = closed_year_title(CLOSED_YEAR[1][1])
    return db.session.execute(select(Activity).where(Activity.title == title)).scalar_one()


def _state(act_id: int) -> tuple:
    rows = db.session.execute(select(Participation.user_id, Participation.role, Participation.attended_hours,
                                     Participation.absent_hours).where(Participation.activity_id == act_id)
                              .order_by(Participation.user_id)).all()
    pieces = db.session.execute(select(Evidence.id).where(Evidence.activity_id == act_id)
                                .order_by(Evidence.id)).scalars().all()
    return tuple(rows), tuple(pieces)


def _offers(client, act_id: int) -> tuple[set[str], set[str], str]:
    page = client.get(f"/activities/{act_id}?lang=zh").get_data(as_text=True)
    shown = {o for o in SHOW_OFFERS if o in page}
    lst = client.get(f"/activities/{act_id}/participants?lang=zh")  # 403 to who may not change it
    listed = {o for o in LIST_OFFERS if o in lst.get_data(as_text=True)} if lst.status_code == 200 else set()
    return shown, listed, page


def test_a_closed_years_talk_offers_no_change_of_its_rows_list_or_evidence(site, as_user):
    with site.app_context():
        act = _waiting()
        act_id, said = act.id, act.school_year.replace("-", "—")
        people = {u.username: u.id for u in db.session.execute(select(User)).scalars()}
        before = _state(act_id)
    for username in VIEWERS:
        web = as_user(username)
        shown, listed, page = _offers(web, act_id)
        assert not shown and not listed, (username, shown, listed)
        # why, in the refusal's words: beside the participants to who runs it, above the evidence to one taking part
        where = "year-over" if username != "teacher2" else "evidence-year-over"
        note = page.split(f'data-testid="{where}"', 1)[1].split("</", 1)[0]
        assert f"{said}学年已结束" in note, (username, note)
        if username != "teacher2":
            lst = web.get(f"/activities/{act_id}/participants?lang=zh").get_data(as_text=True)
            assert f"{said}学年已结束" in lst.split('data-testid="participants-year-over"', 1)[1].split("</div>", 1)[0]
        # what the page no longer offers, sent all the same: refused, nothing changed
        sent = [
            web.post(f"/activities/{act_id}/evidence", data={
                "user_id": str(people[username]), "kind": "reflection", "title": "补交",
                "text": "两年后补写的反思，课堂上提问太快，学生来不及思考，后来改用小组讨论。" * 3}),
            web.post(f"/activities/{act_id}/participants/delete", data={"user_id": str(people["teacher1"])}),
        ]
        assert all(r.status_code in (403, 409) for r in sent), (username, [r.status_code for r in sent])
        with site.app_context():
            assert _state(act_id) == before, username


@pytest.mark.parametrize("username", ["organizer", "admin"])
def test_a_talk_of_this_year_offers_them(site, as_user, held, username):
    """The walk's other side: the same viewers are offered each change on a held talk of this year."""
    shown, listed, _page = _offers(as_user(username), held["act"])
    assert shown == set(SHOW_OFFERS) and listed == set(LIST_OFFERS), (shown, listed)
