"""A piece on what took place (``EvidenceKind.after_start``: the common reflection and evaluation)
is taken once the activity has begun. A reflection handed in for next month's lecture counted
towards the semester's reflections quota before anyone had heard the lecture; reading notes,
which a reading club writes before its meeting, are still taken at any time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Evidence
from portal.registry import registry
from portal.services import activities
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.support.texts import prose

NEXT_MONTH = datetime(2027, 1, 7, 14, 0)  # the school's wall clock; the tests' clock is in December 2026


@pytest.fixture
def lecture(app):
    s = f.school()
    p = f.staff(s)
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "阅读"}, start=NEXT_MONTH)
    db.session.commit()
    return s, p, act


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Evidence)) or 0


def test_a_reflection_on_an_activity_still_to_come_is_refused_and_reading_notes_are_not(lecture, time_machine):
    s, p, act = lecture
    t1 = p["t1"]
    n = _count()
    for kind in ("reflection", "evaluation"):
        with pytest.raises(Invalid) as err:
            activities.add_evidence(act, t1, t1.id, kind, "反思", text=prose(300, kind))
        assert err.value.fields["kind"].code == "evidence.before_start"
    assert _count() == n
    activities.add_evidence(act, t1, t1.id, "reading_notes", "《给教师的建议》", text=prose(300, "notes"))  # before: fine
    assert set(activities.evidence_kinds_now(registry().types["lecture"].decl, act)) >= {"reading_notes"}
    time_machine.move_to(act.starts_at.replace(tzinfo=UTC) + timedelta(minutes=1))  # it has begun
    activities.add_evidence(act, t1, t1.id, "reflection", "反思", text=prose(300, "reflection"))
    assert _count() == n + 2


def test_the_form_offers_it_once_the_activity_has_begun_and_the_page_and_api_say_why(app, client, lecture):
    s, p, act = lecture
    t1 = p["t1"]
    log_in(client, t1, s.id)
    page = client.get(f"/activities/{act.id}").get_data(as_text=True)
    form = page.split('data-testid="evidence-kind"')[1].split("</select>")[0]
    assert 'value="reading_notes"' in form and 'value="reflection"' not in form
    r = client.post(f"/activities/{act.id}/evidence", data={"kind": "reflection", "title": "反思", "text": prose(80)})
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "教学反思写的是活动中发生的事，活动开始后才能提交（2027-01-07 14:00 开始）" in body
    assert "took place" not in body
    token = client.post("/api/v1/auth/token", json={"username": t1.username, "password": f.PASSWORD}).get_json()
    r = client.post(f"/api/v1/activities/{act.id}/evidence", json={"kind": "reflection", "text": prose(80)},
                    headers={"Authorization": f"Bearer {token['token']}", "X-School": s.code, "Accept-Language": "en"})
    assert r.status_code == 422
    assert r.get_json()["fields"]["kind"] == "Reflection is on what took place: it is taken once the activity has begun " \
                                             "(2027-01-07 14:00)"
