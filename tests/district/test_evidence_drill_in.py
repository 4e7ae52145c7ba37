"""The district reviewer opens an activity's evidence from the drill-in, read-only: only of a
school of their district, only for a year that school submitted; 404 for anything else — another
district, another school, another year — on the pages and through the API."""

from __future__ import annotations

from datetime import datetime

import pytest

from portal.extensions import db
from portal.models import Evidence
from portal.services import access, activities, submissions, tokens
from tests.credits.helpers import login
from tests.district.conftest import YEAR
from tests.support import factories as f

PDF = b"%PDF-1.4\n% drill-in evidence\n"


@pytest.fixture
def submitted(world):
    """S1 submits its year with a PDF and a written reflection on its held lecture; the same
    school has evidence of another year, T1 (another district) too."""
    t3 = world.staff["t3"]
    pdf = activities.add_evidence(world.held, t3, t3.id, "attachment", "讲座课件", filename="课件.pdf", data=PDF)
    text = activities.add_evidence(world.held, t3, t3.id, "reflection", "反思", text="这次讲座让我反思了作业设计。")
    older = f.plan(world.s1, world.staff["organizer"], "lecture", [(t3, "attendee")], {"topic": "上一年"},
                   start=datetime(2025, 11, 3, 14, 0))
    old_ev = activities.add_evidence(older, t3, t3.id, "reflection", "去年", text="去年的反思")
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()
    return sub, pdf, text, old_ev, older


def _t1_evidence(world) -> Evidence:
    from portal.services import users

    org = users.by_username("torg")
    teacher = users.by_username("tt1")
    act = f.plan(world.t1, org, "lecture", [(teacher, "attendee")], {"topic": "二区"})
    return activities.add_evidence(act, teacher, teacher.id, "reflection", "二区", text="二区反思")


def test_the_reviewer_downloads_the_submitted_years_evidence(app, world, submitted):
    sub, pdf, text, old_ev, older = submitted
    reviewer = login(app.test_client(), world.reviewer1)
    page = reviewer.get(f"/district/submissions/{sub.id}/activities/{world.held.id}").get_data(as_text=True)
    assert f'data-testid="evidence-download-{pdf.id}"' in page and f'data-testid="evidence-download-{text.id}"' in page
    r = reviewer.get(f"/district/submissions/{sub.id}/evidence/{pdf.id}")
    assert r.status_code == 200 and r.data == PDF and "attachment" in r.headers["Content-Disposition"]
    r = reviewer.get(f"/district/submissions/{sub.id}/evidence/{text.id}")
    assert r.status_code == 200 and "作业设计" in r.get_data(as_text=True)
    # another year of the same school, another district's evidence, ids that are none: 404
    assert reviewer.get(f"/district/submissions/{sub.id}/evidence/{old_ev.id}").status_code == 404
    assert reviewer.get(f"/district/submissions/{sub.id}/activities/{older.id}").status_code == 404
    other = _t1_evidence(world)
    db.session.commit()
    assert reviewer.get(f"/district/submissions/{sub.id}/evidence/{other.id}").status_code == 404
    assert reviewer.get(f"/district/submissions/{sub.id}/evidence/999999").status_code == 404


def test_another_district_gets_404(app, world, submitted):
    sub, pdf, *_ = submitted
    stranger = login(app.test_client(), world.reviewer2)
    assert stranger.get(f"/district/submissions/{sub.id}/evidence/{pdf.id}").status_code == 404
    assert stranger.get(f"/district/submissions/{sub.id}/activities/{world.held.id}").status_code == 404
    headers = {"Authorization": f"Bearer {tokens.issue(world.reviewer2).token}"}
    c = app.test_client()
    assert c.get(f"/api/v1/district/submissions/{sub.id}/evidence/{pdf.id}", headers=headers).status_code == 404
    assert c.get(f"/api/v1/district/submissions/{sub.id}/activities/{world.held.id}",
                 headers=headers).status_code == 404
    teacher = login(app.test_client(), world.staff["t1"], world.s1)  # no district seat
    assert teacher.get(f"/district/submissions/{sub.id}/evidence/{pdf.id}").status_code in (403, 404)


def test_the_api_drill_in(app, world, submitted):
    sub, pdf, text, old_ev, older = submitted
    headers = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    c = app.test_client()
    got = c.get(f"/api/v1/district/submissions/{sub.id}/activities/{world.held.id}", headers=headers)
    assert got.status_code == 200
    body = got.get_json()
    assert body["allowed_triggers"] == [] and {e["id"] for e in body["evidence"]} == {pdf.id, text.id}
    r = c.get(f"/api/v1/district/submissions/{sub.id}/evidence/{pdf.id}", headers=headers)
    assert r.status_code == 200 and r.data == PDF
    assert c.get(f"/api/v1/district/submissions/{sub.id}/evidence/{old_ev.id}", headers=headers).status_code == 404
    assert c.get(f"/api/v1/district/submissions/{sub.id}/activities/{older.id}", headers=headers).status_code == 404
    paths = c.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/district/submissions/{submission_id}/evidence/{evidence_id}" in paths


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_drill_in_page_words(app, world, submitted, lang):
    sub, pdf, *_ = submitted
    reviewer = login(app.test_client(), world.reviewer1)
    reviewer.get(f"/lang/{lang}")
    page = reviewer.get(f"/district/submissions/{sub.id}/activities/{world.held.id}").get_data(as_text=True)
    assert ("下载" if lang == "zh" else "Download") in page
