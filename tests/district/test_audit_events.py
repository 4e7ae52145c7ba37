"""The school's audit log (/admin/audit) shows its submission events — submitted, returned with
the district's comment, accepted and locked, reopened with a reason — between the activities'
transitions by time, in words (zh and en), paged by the same keyset, in the CSV too."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select

from portal.audit import service
from portal.extensions import db
from portal.models import SubmissionEvent, TransitionLog
from portal.policy import Actor
from portal.services import access, submissions
from tests.credits.helpers import login
from tests.district.conftest import YEAR, submit_semester


@pytest.fixture
def steps(world):
    """submit → return (comment) → submit → accept → reopen (reason)."""
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    rev = Actor.of(world.reviewer1.id, ["district_reviewer"])
    first = submissions.submit(world.s1, YEAR, by=admin)
    submissions.decide(first.id, False, "请核对请假记录", by=rev, district_id=world.d1.id)
    second = submissions.submit(world.s1, YEAR, by=admin)
    submissions.decide(second.id, True, by=rev, district_id=world.d1.id)
    submissions.reopen(second.id, "补录学时", by=Actor.of(world.admin1.id, ["district_admin"]),
                       district_id=world.d1.id)
    db.session.commit()
    return second


def _flt(**kw) -> service.AuditFilter:
    return service.AuditFilter(**kw)


def test_events_are_interleaved_by_time_and_keep_their_words(world, steps):
    rows = service.page(world.s1, _flt()).items
    actions = [r["trigger"] for r in rows]
    assert actions[:5] == ["submission.reopen", "submission.accept", "submission.submit", "submission.return",
                           "submission.submit"]
    assert "credit" in actions  # the activities' transitions are there, older
    times = [r["time"] for r in rows]
    assert times == sorted(times, reverse=True)
    ret = rows[3]
    assert ret["comment"] == "请核对请假记录" and (ret["from_state"], ret["to_state"]) == ("submitted", "returned")
    assert rows[0]["comment"] == "补录学时" and rows[0]["actor_username"] == "adm.d1"
    # filters: an activity shows no submission event; a step shows only that step
    assert all(not r["trigger"].startswith("submission.") for r in service.page(
        world.s1, _flt(activity_id=world.act.id)).items)
    only = service.page(world.s1, _flt(trigger="submission.return")).items
    assert [r["trigger"] for r in only] == ["submission.return"]
    assert service.page(world.s1, _flt(person="adm.d1")).items[0]["trigger"] == "submission.reopen"
    assert "submission.accept" in service.triggers_used(world.s1)
    # another school of the district sees none of them
    assert service.page(world.s2, _flt()).items == []


def test_keyset_pages_cross_both_logs(world, steps, monkeypatch):
    """Pages of 2 rows walk every row once, forwards and back, across both tables."""
    monkeypatch.setattr(service, "PAGE_SIZE", 100)
    every = [r["time"] + r["trigger"] + r["comment"] for r in service.page(world.s1, _flt()).items]
    monkeypatch.setattr(service, "PAGE_SIZE", 2)
    seen, cursor, cursors = [], "", []
    while True:
        found = service.page(world.s1, _flt(after=cursor))
        seen += [r["time"] + r["trigger"] + r["comment"] for r in found.items]
        if found.next is None:
            break
        cursors.append(found.next)
        cursor = found.next
    assert seen == every and len(every) > 6
    third = service.page(world.s1, _flt(after=cursors[1]))
    back = service.page(world.s1, _flt(before=third.prev))  # the second page again
    assert [r["time"] + r["trigger"] + r["comment"] for r in back.items] == every[2:4]


def test_events_at_the_same_time_as_transitions_are_each_shown_once(world, steps):
    """Same timestamps in both tables: the number (id × 2, + 1 for events) breaks the tie."""
    at = datetime(2026, 1, 1, 8, 0)
    log = db.session.execute(select(TransitionLog).limit(1)).scalar_one()
    ev = db.session.execute(select(SubmissionEvent).limit(1)).scalar_one()
    db.session.execute(insert(TransitionLog), [{
        "activity_id": log.activity_id, "school_id": log.school_id, "trigger": "hold", "from_state": "planned",
        "to_state": "held", "actor_id": log.actor_id, "comment": f"t{i}", "payload": {},
        "created_at": at} for i in range(3)])
    db.session.execute(insert(SubmissionEvent), [{
        "submission_id": ev.submission_id, "district_id": ev.district_id, "school_id": ev.school_id,
        "action": "submit", "actor_id": ev.actor_id, "comment": f"e{i}", "payload": {}, "created_at": at}
        for i in range(3)])
    db.session.commit()
    seen, cursor = [], ""
    while True:
        found = service._log_page(world.s1, _flt(after=cursor, date_to=(at + timedelta(days=1)).date()), 2)
        seen += [r["comment"] for r in found.items]
        if found.next is None:
            break
        cursor = found.next
    assert sorted(seen) == ["e0", "e1", "e2", "t0", "t1", "t2"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_audit_page_and_csv(app, world, steps, lang):
    client = login(app.test_client(), world.staff["admin"], world.s1)
    client.get(f"/lang/{lang}")
    page = client.get("/admin/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    words = {
        "zh": ("报送区里", "区里退回", "区里审核通过并锁定", "区里重新开放"),
        "en": ("Submitted to the district", "Returned by the district", "Accepted and locked by the district",
               "Reopened by the district"),
    }[lang]
    for word in words:
        assert word in html
    assert "请核对请假记录" in html and "补录学时" in html
    assert "submission.return" not in html.split("<tbody")[-1]  # codes only as filter values
    filtered = client.get("/admin/audit?trigger=submission.accept").get_data(as_text=True)
    assert words[2] in filtered.split("<tbody")[-1] and words[1] not in filtered.split("<tbody")[-1]
    body = client.get(f"/admin/audit.csv?headings={lang}").data.decode("utf-8-sig")  # the file asks its language
    rows = list(csv.reader(io.StringIO(body)))
    assert [r[4] for r in rows[1:6]] == [words[3], words[2], words[0], words[1], words[0]]  # the page's words


@pytest.mark.parametrize(("lang", "period"), [("zh", "第一学期"), ("en", "first semester")])
def test_a_semesters_submission_in_the_audit_names_the_semester_in_words(app, by_semester, lang, period):
    """The audit wrote a semester's round "2026-2027学年第1学期": a semester is written one way
    everywhere (``messages.semester_text``), 第一学期 as the record and the PDF write it."""
    submit_semester(by_semester, 1)
    client = login(app.test_client(), by_semester.staff["admin"], by_semester.s1)
    client.get(f"/lang/{lang}")
    body = client.get("/admin/audit").get_data(as_text=True).split("<tbody")[-1]
    assert period in body and not re.search(r"第\s*1\s*学期|semester 1\b", body)
