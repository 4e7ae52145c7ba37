"""The district dashboard (SVG charts drawn on the server) and the export of the submitted
figures of every school (a workbook with a sheet per school, and CSV), each row with its
accepted/locked state."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from portal.policy import Actor
from portal.services import access, dashboard, submissions
from tests.credits.helpers import login
from tests.district.conftest import YEAR
from tests.support import factories as f


def _accept_s1_submit_s2(world) -> None:
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    sub = submissions.submit(world.s1, YEAR, by=admin)
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    f.person(world.s2, "s2.t1", "teacher")
    s2_admin = f.person(world.s2, "s2.adm", "school_admin")  # S2 is submitted by its own admin
    submissions.submit(world.s2, YEAR, by=access.actor(s2_admin.id, world.s2.id))


def test_the_dashboard_figures(world):
    _accept_s1_submit_s2(world)
    d = dashboard.dashboard(world.d1.id, YEAR)
    assert d.total_schools == 2 and d.by_status["accepted"] == 1 and d.by_status["submitted"] == 1
    assert d.by_status["none"] == 0
    assert dict(d.hours_by_type) == {"lecture": 8}
    assert [s.school.code for s in d.schools] == ["S1", "S2"]
    assert dashboard.dashboard(world.d2.id, YEAR).by_status["none"] == 1  # T1: not submitted


def test_the_dashboard_page_draws_svg_and_shows_only_the_district(app, world):
    _accept_s1_submit_s2(world)
    html = login(app.test_client(), world.reviewer1).get(f"/district/dashboard?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="chart-hours"' in html and "<svg" in html and 'data-testid="bar-S1"' in html
    assert "教师学时，与各校学时汇总表当前数据一致，不含学年学时不予认定的教师" in html  # what the chart counts
    assert "share-T1" not in html
    other = login(app.test_client(), world.reviewer2).get(f"/district/dashboard?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="share-T1"' in other and "share-S1" not in other
    assert login(app.test_client(), world.reviewer1).get("/district/dashboard?year=nope").status_code == 422


def test_the_workbook_has_a_summary_and_a_sheet_per_submitted_school(app, world):
    _accept_s1_submit_s2(world)
    r = login(app.test_client(), world.reviewer1).get(f"/district/submitted.xlsx?year={YEAR}")
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["学时汇总 2026—2027学年", "S1", "S2"]  # the year in words, as the pages say it
    summary = list(wb.worksheets[0].iter_rows(values_only=True))
    by_code = {row[0]: row for row in summary[1:]}
    assert by_code["S1"][3:6] == ("全学年", "已通过，已锁定", "是")
    assert by_code["S2"][5] == "否"
    s1 = list(wb["S1"].iter_rows(values_only=True))
    assert any(row[0] == "t1" and row[2] == 4 for row in s1)  # hours as numbers


def test_the_csv_has_the_state_in_every_row(app, world):
    _accept_s1_submit_s2(world)
    r = login(app.test_client(), world.reviewer1).get(f"/district/submitted.csv?year={YEAR}&lang=en")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["School code", "School", "Period submitted", "State", "Locked"]
    states = {(row[0], row[2], row[3], row[4]) for row in rows[1:]}
    assert states == {("S1", "Whole year", "Accepted, locked", "yes"), ("S2", "Whole year", "Submitted, not yet accepted", "no")}
    assert "T1" not in r.get_data(as_text=True)


def test_dashboard_and_export_through_the_api(app, world):
    from portal.services import tokens

    _accept_s1_submit_s2(world)
    client = app.test_client()
    head = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    body = client.get(f"/api/v1/district/dashboard?year={YEAR}", headers=head).get_json()
    assert body["by_status"]["accepted"] == 1 and body["hours_by_type"] == {"lecture": 8}
    r = client.get(f"/api/v1/district/submitted?year={YEAR}", headers={**head, "Accept-Language": "en"})
    assert "Accepted, locked" in r.get_data(as_text=True)
    r = client.get(f"/api/v1/district/submitted?year={YEAR}&format=xlsx", headers=head)
    assert r.data[:2] == b"PK"
    assert client.get(f"/api/v1/district/submitted?year={YEAR}&format=pdf", headers=head).status_code == 422
    other = {"Authorization": f"Bearer {tokens.issue(world.reviewer2).token}"}
    assert "S1" not in client.get(f"/api/v1/district/submitted?year={YEAR}", headers=other).get_data(as_text=True)


def test_the_submitted_workbook_has_hours_as_numbers_like_the_schools_summary(app, world):
    """The school's 学时汇总表 XLSX has hours as numbers; the district's workbook of the same
    submitted figures had them as text ("4.5"), so a district auditor's SUM over a school's sheet
    gave 0. Now both are numbers (4.5), and the CSV still reads 4.5."""
    from portal.reports import exports
    from tests.credits.helpers import credited

    t1 = world.staff["t1"]
    credited(world.s1, world.staff, "lecture", [(t1, "attendee")], hours="0.5")
    _accept_s1_submit_s2(world)
    school = list(load_workbook(io.BytesIO(exports.summary_xlsx(world.s1, YEAR))).worksheets[0].iter_rows(values_only=True))
    at = school[0].index("合计学时")
    assert next(row for row in school if row[0] == "t1")[at] == 4.5
    r = login(app.test_client(), world.reviewer1).get(f"/district/submitted.xlsx?year={YEAR}")
    wb = load_workbook(io.BytesIO(r.data))
    sheet = list(wb["S1"].iter_rows(values_only=True))
    line = dict(zip(sheet[0], next(row for row in sheet if row[0] == "t1"), strict=True))
    assert (line["合计学时"], line["应修学时"], line["第一学期未请假缺席学时"]) == (4.5, 50, 0)
    summary = list(wb.worksheets[0].iter_rows(values_only=True))
    assert dict(zip(summary[0], summary[1], strict=True))["合计学时"] == 8.5
    rows = list(csv.reader(io.StringIO(login(app.test_client(), world.reviewer1)
                                       .get(f"/district/submitted.csv?year={YEAR}").get_data(as_text=True).lstrip("\ufeff"))))
    assert next(row for row in rows if row[5] == "t1")[7] == "4.5"
