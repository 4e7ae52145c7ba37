"""A district that collects semesters: each semester a school sent is a submission of its own.

Audit: S1 sent both semesters; the queue listed two waiting for the district, but the
dashboard (page and API) counted schools by their latest round — "Submissions waiting: 1",
linking to the queue of every year. Its workbook and CSV said "accepted, locked: yes" of S1's
year when only semester 1 was accepted, and "submitted, locked: no" once semester 2 was sent,
without saying which period the figures were. Now the dashboard counts the year's submissions
as the queue does (``submissions.status_counts``) and links to that year's queue; the exports
and the dashboard name the period of each school's round."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from portal.extensions import db
from portal.policy import Actor
from portal.services import dashboard, submissions, tokens
from tests.credits.helpers import login
from tests.district.conftest import YEAR, submit_semester


def test_the_dashboard_counts_each_semester_sent_as_the_queue_does(app, by_semester):
    world = by_semester
    submit_semester(world, 1)
    submit_semester(world, 2)
    queue = submissions.queue(world.d1.id, year=YEAR)
    assert queue.counts["submitted"] == queue.total == 2
    d = dashboard.dashboard(world.d1.id, YEAR)
    assert d.by_status["submitted"] == 2 and d.by_status["none"] == 1  # S2 sent nothing
    page = login(app.test_client(), world.reviewer1).get(f"/district/dashboard?year={YEAR}").get_data(as_text=True)
    link = re.search(r'<a [^>]*href="([^"]+)" data-testid="waiting-link">([^<]+)<', page)
    assert link is not None and link.group(2) == "待审核报送：2" and link.group(1) == f"/district/submissions?year={YEAR}"
    head = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    body = app.test_client().get(f"/api/v1/district/dashboard?year={YEAR}", headers=head).get_json()
    assert body["by_status"]["submitted"] == 2 and body["by_status"]["none"] == 1
    assert {s["school"]: s["semester"] for s in body["schools"]} == {"S1": 2, "S2": None}


def test_the_exports_name_the_period_of_each_round(app, by_semester):
    world = by_semester
    first = submit_semester(world, 1)
    submissions.decide(first.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    reviewer = login(app.test_client(), world.reviewer1)

    def exported() -> tuple[dict, dict, dict]:
        book = load_workbook(io.BytesIO(reviewer.get(f"/district/submitted.xlsx?year={YEAR}").data))
        summary = list(book.worksheets[0].iter_rows(values_only=True))
        s1 = dict(zip(summary[0], next(r for r in summary if r[0] == "S1"), strict=True))
        sheet = list(book["S1"].iter_rows(values_only=True))
        t1_sheet = dict(zip(sheet[0], next(r for r in sheet if r[0] == "t1"), strict=True))
        rows = list(csv.reader(io.StringIO(reviewer.get(f"/district/submitted.csv?year={YEAR}")
                                           .get_data(as_text=True).lstrip("\ufeff"))))
        t1_csv = dict(zip(rows[0], next(r for r in rows if r[0] == "S1" and r[5] == "t1"), strict=True))
        return s1, t1_sheet, t1_csv

    for row in exported():
        assert (row["报送范围"], row["报送状态"], row["已锁定"]) == ("第一学期", "已通过，已锁定", "是")
    page = reviewer.get(f"/district/dashboard?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="share-S1-period">第一学期<' in page
    submit_semester(world, 2)
    for row in exported():
        assert (row["报送范围"], row["报送状态"], row["已锁定"]) == ("第二学期", "已报送，待审核", "否")
    english = reviewer.get(f"/district/submitted.csv?year={YEAR}&headings=en").get_data(as_text=True)
    assert "Period submitted" in english and "Second semester" in english
