"""The teacher's home shows unexcused absence only when there is some, per semester against the
school's limit, and says plainly when the year's hours are not recognised."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.database import write_transaction
from portal.extensions import db
from portal.models import Activity, Participation, User


def _set_absence(site, hours: str) -> int:
    """teacher1's unexcused absence on one credited activity (none elsewhere: the demo gives
    teacher1 some, to show the warning); returns its semester."""
    with site.app_context():
        me = db.session.execute(select(User).where(User.username == "teacher1")).scalar_one()
        with write_transaction():
            for p in db.session.execute(select(Participation).where(Participation.user_id == me.id)).scalars():
                p.absent_hours = Decimal("0")
        part, act = db.session.execute(
            select(Participation, Activity)
            .join(Activity, Activity.id == Participation.activity_id)
            .where(Participation.user_id == me.id, Activity.state == "credited")
            .order_by(Activity.id)
        ).first()
        with write_transaction():
            part.absent_hours = Decimal(hours)
        return act.semester


def test_no_absence_line_when_there_is_none(site, as_user):
    _set_absence(site, "0")
    html = as_user("teacher1").get("/?lang=en").get_data(as_text=True)
    assert 'data-testid="absence"' not in html
    assert "Unexcused absence" not in html
    assert 'data-testid="not-recognised"' not in html


def test_some_absence_is_listed_per_semester_with_the_limit(site, as_user):
    sem = _set_absence(site, "2")
    html = as_user("teacher1").get("/?lang=en").get_data(as_text=True)
    assert 'data-testid="absence"' in html
    assert f"{('First', 'Second')[int(sem) - 1]} semester: 2 of 5 hours" in html
    assert "limit 5 hours per semester" in html
    assert 'data-testid="not-recognised"' not in html


@pytest.mark.parametrize(
    "lang, words", [("en", "Your hours for this school year are not recognised."), ("zh_Hans_CN", "本学年学时不予认定。")]
)
def test_reaching_the_limit_is_shown_prominently(site, as_user, lang, words):
    _set_absence(site, "5")
    client = as_user("teacher1")
    client.get(f"/lang/{lang}")
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="not-recognised"' in html and 'class="alert alert-danger' in html
    assert words in html
    assert "text-bg-danger" in html  # the status badge and the semester that reached the limit
