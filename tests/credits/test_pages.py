"""The report pages and downloads: content, roles, scoping to the current school."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from portal.extensions import db
from portal.models import Activity, School, User
from portal.services import access, exemptions, schools
from tests.credits.conftest import build_school_and_staff
from tests.credits.helpers import credited, login
from tests.support import factories as f
from tests.support.prepared import prepared_by

YEAR = "2026-2027"


def _build_world() -> dict:
    """S1 with a credited lecture (t1 speaker 6, t2 attendee 3) and a second school S2: ids."""
    facts = build_school_and_staff()
    s1 = db.session.get(School, facts["s1"])
    staff = f.people_of(facts["staff"])
    act = credited(s1, staff, "lecture", [(staff["t1"], "speaker"), (staff["t2"], "attendee")], hours="3",
                   title="新课标讲座")
    s2 = f.school("S2", types=("lecture",))
    staff2 = f.staff(s2, prefix="b")
    act2 = credited(s2, staff2, "lecture", [(staff2["t1"], "attendee")], hours="2")
    district = f.person(None, "district", "district_admin")
    return {**facts, "act": act.id, "s2": s2.id, "staff2": f.ids(staff2), "act2": act2.id,
            "district": district.id}


prepared = prepared_by(_build_world)


@pytest.fixture
def world(s1, staff, make_app, prepared):
    ids, get = make_app.facts(prepared), db.session.get
    return {"s1": s1, "staff": staff, "act": get(Activity, ids["act"]), "s2": get(School, ids["s2"]),
            "staff2": f.people_of(ids["staff2"]), "act2": get(Activity, ids["act2"]),
            "district": get(User, ids["district"])}


def test_summary_page(client, world):
    login(client, world["staff"]["reviewer"])
    r = client.get(f"/reports/summary?year={YEAR}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'data-user="t1"' in html and 'data-user="bt1"' not in html
    assert "reports/static/reports.css" in html
    assert f"/reports/summary.csv?year={YEAR}" in html and f"/reports/summary.xlsx?year={YEAR}" in html
    assert "style=" not in html.split('id="summary"')[1]  # CSP: no inline styles in the report


def test_summary_downloads(client, world):
    login(client, world["staff"]["admin"])
    r = client.get(f"/reports/summary.csv?year={YEAR}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert rows[0][:2] == ["账号", "姓名"]
    totals = {row[0]: row[rows[0].index("合计学时")] for row in rows[1:]}
    assert (totals["t1"], totals["t2"], totals["t3"]) == ("6", "3", "0")
    r = client.get(f"/reports/summary.csv?year={YEAR}&headings=en")
    assert r.get_data().decode("utf-8-sig").startswith("Username,Name")
    r = client.get(f"/reports/summary.xlsx?year={YEAR}")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).worksheets[0]
    assert ws.cell(1, 1).value == "账号"


def test_summary_bad_year_is_422(client, world):
    login(client, world["staff"]["admin"])
    assert client.get("/reports/summary?year=2026-2028").status_code == 422
    assert client.get("/reports/summary.csv?year=abc").status_code == 422


def test_summary_needs_staff_role(client, world):
    login(client, world["staff"]["t1"])
    assert client.get("/reports/summary").status_code == 403
    assert client.get("/reports/summary.csv").status_code == 403
    client.get("/logout")
    anon = client.application.test_client()
    assert anon.get("/reports/summary").status_code in (302, 401, 403)


def test_district_admin_sees_any_school_summary(client, world):
    login(client, world["district"])
    r = client.get(f"/reports/summary?year={YEAR}")
    assert r.status_code == 200 and "summary?school=S2" in r.get_data(as_text=True).replace("&amp;", "&")
    r = client.get(f"/reports/summary?school=S2&year={YEAR}")
    assert r.status_code == 200 and 'data-user="bt1"' in r.get_data(as_text=True)
    assert client.get(f"/reports/summary?school=NOPE&year={YEAR}").status_code == 404
    r = client.get(f"/reports/summary.csv?school=S2&year={YEAR}")
    assert "bt1" in r.get_data().decode("utf-8-sig")


def test_certificate_page_and_xlsx(client, world):
    act = world["act"]
    login(client, world["staff"]["reviewer"])
    r = client.get(f"/activities/{act.id}/certificate")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "新课标讲座" in html and 'data-user="t1"' in html and 'data-user="t2"' in html
    assert "reports/static/reports.css" in html and "<script" not in html.split('class="report')[1]
    r = client.get(f"/activities/{act.id}/certificate.xlsx")
    assert r.status_code == 200
    values = [v for row in load_workbook(io.BytesIO(r.data)).worksheets[0].iter_rows(values_only=True) for v in row]
    assert "认定学时合计" in values and 9 in values


def test_a_credited_activity_shows_each_participants_credited_hours_as_its_certificate(client, world):
    """新课标讲座 credited t1 6 h as speaker (twice the 3 h) and t2 3 h. The school then raises the
    speaker multiplier to 3. The activity page's participant table worked its figures out again by
    today's settings and showed t1 9 h beside the 学分认定表, the teacher's home and record
    (6 h, what the ledger holds); a credited activity now shows what was credited, and one
    revoked since shows again what crediting would give (its credits are to be posted anew)."""
    act, staff, s1 = world["act"], world["staff"], world["s1"]
    schools.set_type(s1, "lecture", settings={"speaker_multiplier": 3}, by=access.actor(staff["admin"].id, s1.id))
    db.session.commit()

    def cells(html: str, testid: str, at: int) -> dict[str, str]:
        rows = re.findall(rf'<tr {testid}="?([\w-]+)"?>(.*?)</tr>', html, re.S)
        found = {user: re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[at] for user, row in rows}
        return {user.removeprefix("participant-"): re.sub(r"<[^>]+>", "", td).strip() for user, td in found.items()}

    login(client, staff["reviewer"])
    certified = cells(client.get(f"/activities/{act.id}/certificate").get_data(as_text=True), "data-user", 4)
    assert certified == {"t1": "6", "t2": "3"}, certified
    login(client, staff["t1"])
    page = client.get(f"/activities/{act.id}").get_data(as_text=True)
    assert cells(page, "data-testid", 5) == certified
    home = client.get(f"/?year={YEAR}").get_data(as_text=True)
    assert re.search(r'data-testid="hours-total"[^>]*>\s*6\s*<', home), "the ledger's 6 h"
    f.fire(act, staff["reviewer"], "revoke", "主讲人学时需重新认定")
    db.session.commit()
    page = client.get(f"/activities/{act.id}").get_data(as_text=True)
    assert cells(page, "data-testid", 5) == {"t1": "9", "t2": "3"}  # what crediting would give now


def test_certificate_of_another_school_is_404(client, world):
    login(client, world["staff"]["reviewer"])
    assert client.get(f"/activities/{world['act2'].id}/certificate").status_code == 404
    assert client.get(f"/activities/{world['act2'].id}/certificate.xlsx").status_code == 404
    assert client.get("/activities/99999/certificate").status_code == 404


def test_certificate_before_credit_is_409(client, world):
    s1, staff = world["s1"], world["staff"]
    act = credited(s1, staff, "lecture", [(staff["t3"], "attendee")], until="reviewed")
    login(client, staff["reviewer"])
    assert client.get(f"/activities/{act.id}/certificate").status_code == 409


def test_print_stylesheet_is_served_with_a4(client, world):
    r = client.get("/reports/static/reports.css")
    assert r.status_code == 200
    css = r.get_data(as_text=True)
    assert "@page" in css and "A4" in css and "@media print" in css


def test_teacher_record(client, world):
    staff = world["staff"]
    t1 = staff["t1"]
    login(client, t1)
    r = client.get(f"/teachers/{t1.id}/record")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'data-year="2026-2027"' in html and "新课标讲座" in html
    assert client.get(f"/teachers/{staff['t2'].id}/record").status_code == 403
    assert client.get(f"/teachers/{world['staff2']['t1'].id}/record").status_code == 404


def test_staff_see_their_schools_records_only(client, world):
    staff = world["staff"]
    for who in ("admin", "reviewer"):
        login(client, staff[who])
        assert client.get(f"/teachers/{staff['t2'].id}/record").status_code == 200
        assert client.get(f"/teachers/{world['staff2']['t1'].id}/record").status_code == 404
    login(client, staff["organizer"])
    assert client.get(f"/teachers/{staff['t2'].id}/record").status_code == 403


def test_district_export_streams_every_school(client, world):
    login(client, world["district"])
    r = client.get(f"/district/export.csv?year={YEAR}")
    assert r.status_code == 200 and r.is_streamed
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert {row[0] for row in rows[1:]} == {"S1", "S2"}
    r = client.get(f"/district/export.csv?year={YEAR}&ledger=1")
    rows = list(csv.reader(io.StringIO(r.get_data().decode("utf-8-sig"))))
    assert len(rows) == 1 + 3
    r = client.get(f"/district/export.xlsx?year={YEAR}")
    assert r.status_code == 200
    assert load_workbook(io.BytesIO(r.data)).worksheets[0].max_row == 1 + 12


def test_district_export_is_for_the_district_admin_only(client, world):
    login(client, world["staff"]["admin"])
    assert client.get(f"/district/export.csv?year={YEAR}").status_code == 403
    login(client, world["district"])
    assert client.get("/district/export.csv?year=2026").status_code == 422


def test_exemptions_page(client, world):
    s1, staff = world["s1"], world["staff"]
    t3 = staff["t3"]
    login(client, staff["admin"])
    assert client.get(f"/admin/exemptions?year={YEAR}").status_code == 200
    r = client.post("/admin/exemptions", data={"action": "set", "user_id": t3.id, "year": YEAR, "reason": "产假"})
    assert r.status_code == 302
    assert [(e.reason, u.id) for e, u in exemptions.list_exemptions(s1, YEAR)] == [("产假", t3.id)]
    page = client.get(f"/admin/exemptions?year={YEAR}").get_data(as_text=True)
    assert "产假" in page and 'data-user="t3"' in page
    summary = client.get(f"/reports/summary.csv?year={YEAR}").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(summary)))
    row = next(r for r in rows if r[0] == "t3")
    status = rows[0].index("考核结果")  # the quota and warning columns follow
    assert row[status:status + 2] == ["免于考核", "产假"]

    r = client.post("/admin/exemptions", data={"action": "set", "user_id": t3.id, "year": "2026-2028", "reason": ""})
    assert r.status_code == 422
    r = client.post("/admin/exemptions", data={"action": "set", "user_id": world["staff2"]["t1"].id, "year": YEAR,
                                               "reason": "x"})
    assert r.status_code == 404
    r = client.post("/admin/exemptions", data={"action": "clear", "user_id": t3.id, "year": YEAR})
    assert r.status_code == 302
    assert exemptions.list_exemptions(s1, YEAR) == []


def test_the_exemptions_page_lists_whom_the_policy_exempts_as_the_summary_counts_them(client, world):
    """Auditor: the page said "no exemptions this year" while the summary counted the teachers
    near retirement as exempt. They are listed, with the policy's reason and nothing to remove."""
    from datetime import date

    s1, staff = world["s1"], world["staff"]
    f.person(s1, "old", "teacher", name="钱老师", gender="F", birth_date=date(1970, 3, 1))  # 56 this year
    login(client, staff["admin"])
    page = client.get(f"/admin/exemptions?year={YEAR}&lang=zh_Hans_CN").get_data(as_text=True)
    assert "本学年没有免于考核的教师" not in page
    row = page.split('data-user="old" data-testid="exempt-by-policy">', 1)[1].split("</tr>", 1)[0]
    assert "钱老师" in row and "临近退休" in row and "自动" in row and "<form" not in row
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/summary.csv?year={YEAR}").get_data().decode("utf-8-sig"))))
    status = rows[0].index("考核结果")
    assert {r[0] for r in rows[1:] if r[status] == "免于考核"} == {"old"}
    assert page.count('data-testid="exempt-by-policy"') == 1


def test_exemptions_page_is_for_school_admins(client, world):
    login(client, world["staff"]["reviewer"])
    assert client.get("/admin/exemptions").status_code == 403
    r = client.post("/admin/exemptions", data={"action": "set", "user_id": world["staff"]["t1"].id, "year": YEAR,
                                               "reason": "x"})
    assert r.status_code == 403
    assert exemptions.list_exemptions(world["s1"], YEAR) == []
