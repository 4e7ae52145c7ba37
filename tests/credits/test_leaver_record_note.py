"""A teacher who left is marked 已离校 in the 说明 of their 学时证明 and its ``/verify``, as the
school's 学时汇总表 (page, exports, PDF) and their record page mark them.

Audit (hDW, a district auditor's afternoon): 唐俊杰 left 东城实验小学 after 3 学时 were credited;
the school's summary printed "未达标 · 已离校", his record page said 已离校 beside the school's
name, but his 学时证明 of the same school and year, and the ``/verify`` page of its code, left the
说明 empty — the paper read as that of one of the school's teachers.

The world (``test_paper._build_world``): one lecture credited; 何立新 its speaker (6 学时)."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.policy import Actor
from portal.services import exemptions, tokens
from portal.services import staff as staff_service
from tests.credits.helpers import login
from tests.credits.test_paper import YEAR, _code, _pdf
from tests.credits.test_verify_figures import prepared, world  # noqa: F401 (fixtures: the lecture's world)

pytestmark = pytest.mark.usefixtures("world")


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _note(html: str, uid: int) -> str:
    found = re.search(rf'data-testid="verify-note-{uid}">(.*?)</td>', html, re.S)
    assert found, "no note on the verify page"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _left(s1, staff, who: str) -> None:
    admin = staff["admin"]
    staff_service.deactivate(s1, staff[who].id, by=Actor.of(admin.id, ["school_admin"]))
    db.session.commit()


def test_a_leavers_record_pdf_and_its_verify_page_say_they_left(client, staff, s1):
    t1 = staff["t1"]
    login(client, staff["admin"], s1)
    _reader, text = _pdf(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}&lang=zh_Hans_CN").data)
    assert "已离校" not in text  # one of the school's teachers: nothing to say
    _left(s1, staff, "t1")
    summary = client.get(f"/reports/summary.csv?year={YEAR}&lang=zh_Hans_CN").get_data(as_text=True)
    assert any(line.startswith(t1.username + ",") and "已离校" in line for line in summary.splitlines())
    _reader, text = _pdf(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}&lang=zh_Hans_CN").data,
                         "record-left.pdf")
    assert "说明已离校" in _flat(text)
    page = client.get(f"/verify/{_code(text)}?lang=zh_Hans_CN").get_data(as_text=True)
    assert _note(page, t1.id) == "已离校"
    assert _note(client.get(f"/verify/{_code(text)}?lang=en").get_data(as_text=True), t1.id) == "Left the school"
    _reader, text = _pdf(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}&lang=en").data)
    assert "Left the school" in " ".join(text.split())


def test_an_exempt_leavers_note_gives_the_reason_then_that_they_left(client, staff, s1):
    """The reason first, then 已离校, joined as the summary joins them."""
    t2 = staff["t2"]
    exemptions.set_exemption(s1, staff["admin"], t2.id, YEAR, "长期病假")
    db.session.commit()
    _left(s1, staff, "t2")
    login(client, staff["admin"], s1)
    summary = client.get(f"/reports/summary.csv?year={YEAR}&lang=zh_Hans_CN").get_data(as_text=True)
    line = next(line for line in summary.splitlines() if line.startswith(t2.username + ","))
    _reader, text = _pdf(client.get(f"/teachers/{t2.id}/record.pdf?year={YEAR}&lang=zh_Hans_CN").data)
    note = _note(client.get(f"/verify/{_code(text)}?lang=zh_Hans_CN").get_data(as_text=True), t2.id)
    assert note.startswith("长期病假") and note.endswith("已离校") and note in line
    assert _flat(note) in _flat(text)


def test_the_api_says_a_teacher_left_as_the_record_does(app, staff, s1):
    """``GET /api/v1/users/<id>/credits`` said nothing of it, where the record page marks 已离校 and
    ``/reports/credits`` gives ``left_school``."""
    t1 = staff["t1"]
    head = {"Authorization": f"Bearer {tokens.issue(staff['admin']).token}"}
    api = app.test_client()
    assert api.get(f"/api/v1/users/{t1.id}/credits?year={YEAR}", headers=head).get_json()["left_school"] is False
    _left(s1, staff, "t1")
    body = api.get(f"/api/v1/users/{t1.id}/credits?year={YEAR}", headers=head).get_json()
    report = api.get(f"/api/v1/reports/credits?year={YEAR}", headers=head).get_json()
    assert body["left_school"] is True
    assert {r["user_id"]: r["left_school"] for r in report["teachers"]}[t1.id] is True
