"""Fixtures for the page tests.

``site`` is an app on a copy of the session's demo database (the DEMO school); no outer app
context is held, and every request runs in its own (``OwnContextClient``), as in production,
so nothing cached on ``g`` or in a session's identity map leaks from one request to the next.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.demo import DEMO_PASSWORD, walk
from portal.extensions import db
from portal.models import Activity, School, User
from portal.services import activities
from portal.timeutil import school_year_of, utcnow
from workflows.definition import Phase


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD, follow: bool = False):
    return client.post("/login", data={"username": username, "password": password}, follow_redirects=follow)


@pytest.fixture
def site(make_app) -> Flask:
    return make_app(demo=True)


@pytest.fixture
def as_user(site) -> Callable[[str], FlaskClient]:
    """``as_user("teacher1")`` → a new test client logged in as that demo person."""

    def make(username: str) -> FlaskClient:
        c = site.test_client()
        r = login(c, username)
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        return c

    return make


def first_held_day(school_id: int) -> datetime:
    """A start a day before the school's oldest held activity of this school year (two days ago
    if none): a card the queue's first page holds (``overview.HELD_PAGE_SIZE``, oldest first)."""
    oldest = db.session.execute(select(func.min(Activity.starts_at)).where(
        Activity.school_id == school_id, Activity.state == "held",
        Activity.school_year == school_year_of(utcnow().date()))).scalar_one()
    return (oldest if oldest is not None else utcnow() - timedelta(days=1)) - timedelta(days=1)


@pytest.fixture
def held(site) -> dict[str, int]:
    """A held lecture of the demo school: teacher1 attended 1 of 4 hours (3 h absent), teacher2 4."""
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        people = {u.username: u for u in db.session.execute(select(User)).scalars()}
        start = first_held_day(school.id)
        act = activities.plan_activity(
            school, people["organizer"], "lecture", "看过再定的讲座",
            start.isoformat(timespec="minutes") + "+00:00",
            (start + timedelta(hours=4)).isoformat(timespec="minutes") + "+00:00", "4",
            [{"user_id": people["teacher1"].id, "role": "attendee"}, {"user_id": people["teacher2"].id, "role": "attendee"}],
            {"topic": "作业设计"})
        walk(act, people["organizer"], people["reviewer"], Phase.AWAITING_REVIEW)
        activities.record_attendance(act, people["organizer"], [
            {"user_id": people["teacher1"].id, "attended_hours": "1", "absent_hours": "3", "excused_hours": "0"}])
        db.session.commit()
        return {"act": act.id, "t1": people["teacher1"].id, "t2": people["teacher2"].id}


@pytest.fixture(scope="session", autouse=True)
def compiled_catalog() -> None:
    """Compile the zh catalog when the .mo is missing or older than the .po (``make``
    does this too; a plain ``pytest`` on a fresh clone should not show English)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    folder = Path(__file__).resolve().parents[2] / "portal" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
    po, mo = folder / "messages.po", folder / "messages.mo"
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with mo.open("wb") as fh:
            write_mo(fh, catalog)
