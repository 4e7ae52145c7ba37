"""A kind of evidence a type marks as a file (``EvidenceKind(written=False)``) is taken only as a
file, on every type: an observation's handbook, the core's attachment (a declaration's
certificate: ``tests/plugins/test_declared_hours.py``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.database import write_transaction
from portal.errors import GuardFailedError, Invalid
from portal.extensions import db
from portal.models import Activity, Evidence
from portal.services import activities
from tests.support import factories as f
from tests.support.sessions import log_in

START = datetime(2026, 10, 15, 14, 0)
DETAILS = {"subject": "语文", "lesson_1": "课一", "lesson_2": "课二", "topic_report": "报告", "discussion_focus": "语言运用"}
PDF = b"%PDF-1.4 handbook"


@pytest.fixture
def world(app):
    s = f.school()
    return s, f.staff(s)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Evidence)) or 0


def _observation(s, p) -> Activity:
    return f.plan(s, p["organizer"], "observation", [(p["t1"], "lesson_teacher"), (p["t2"], "observer")], DETAILS,
                  start=START)


def test_a_handbook_is_a_file_not_a_typed_line(world):
    """Attack: the observation's ``hold`` guard asks for the handbook (观摩手册) two days before
    the lessons, and a typed line of the kind "handbook" ("手册见教研组") passed it: the activity
    was held, approved and credited without any handbook, and the district's reviewer opening the
    record found a sentence where the handbook should be. A typed text of a file kind is
    refused (``evidence.file_required``), on every type, nothing saved; the guard still asks."""
    s, p = world
    org = p["organizer"]
    act = _observation(s, p)
    n = _count()
    for kind in ("handbook", "attachment"):
        with pytest.raises(Invalid) as err:
            activities.add_evidence(act, org, org.id, kind, "观摩手册", text="手册见教研组")
        assert err.value.fields["file"].code == "evidence.file_required"
    assert _count() == n
    f.attend(act, org)
    with pytest.raises(GuardFailedError):
        f.fire(act, org, "hold")
    ev = activities.add_evidence(act, org, org.id, "handbook", "观摩手册", filename="手册.pdf", data=PDF)
    with write_transaction():
        ev.uploaded_at = act.starts_at - timedelta(days=3)
    f.fire(act, org, "hold")
    assert db.session.get(Activity, act.id).state == "held"
    activities.add_evidence(act, p["t2"], p["t2"].id, "evaluation", "评课稿", text="执教老师的提问层次清楚。")  # written


def test_the_page_and_the_api_refuse_a_typed_file_kind(app, client, world):
    s, p = world
    org = p["organizer"]
    lecture = f.plan(s, org, "lecture", [(p["t1"], "attendee")], {"topic": "阅读"}, start=START)
    db.session.commit()
    n = _count()
    log_in(client, org, s.id)
    r = client.post(f"/activities/{lecture.id}/evidence", data={"kind": "attachment", "title": "课件", "text": "课件在群里"})
    assert r.status_code == 422 and "该材料须为文件（扫描件或照片）" in r.get_data(as_text=True)
    token = client.post("/api/v1/auth/token", json={"username": org.username, "password": f.PASSWORD}).get_json()
    r = client.post(f"/api/v1/activities/{lecture.id}/evidence", json={"kind": "attachment", "text": "课件在群里"},
                    headers={"Authorization": f"Bearer {token['token']}", "X-School": s.code, "Accept-Language": "en"})
    assert r.status_code == 422 and r.get_json()["fields"]["file"].startswith("this material is a file")
    assert _count() == n
