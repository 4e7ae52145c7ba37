"""The demo shows that deleting a piece of a period over is said before the delete
(``writing.deletion_loses``: tests/credits/test_writing_loss_said.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.demo import JOINED_THIS_YEAR, LAST_MONTHS_NOTE
from portal.extensions import db
from portal.models import OwnWriting, School, User
from portal.timeutil import school_year_of, to_local, utcnow


def test_the_demo_shows_what_deleting_a_note_of_last_month_would_lose(site, as_user):
    """The demo's teacher6 wrote one reading note on the 10th of last month (``demo.LAST_MONTHS_NOTE``):
    their writing page names the month its delete would leave short (in September, last month is
    last year's: no such note)."""
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        today = to_local(utcnow(), school.timezone).date()
        user_id = db.session.execute(select(User.id).where(User.username == JOINED_THIS_YEAR)).scalar_one()
        note = db.session.execute(select(OwnWriting).where(OwnWriting.user_id == user_id,
                                                           OwnWriting.title == LAST_MONTHS_NOTE[1])).scalar_one_or_none()
        last_month = today.replace(day=1) - timedelta(days=1)
        if today.month == 9 or school_year_of(last_month) != school_year_of(today):
            assert note is None
            return
        assert note is not None and to_local(note.created_at, school.timezone).date() == last_month.replace(day=10)
        note_id = note.id
    page = as_user(JOINED_THIS_YEAR).get("/writing?lang=zh_Hans_CN").get_data(as_text=True)
    said = f'data-testid="writing-loses-{note_id}">删除后，{last_month.year}年{last_month.month}月的读书笔记将无法再达标'
    assert said in page
