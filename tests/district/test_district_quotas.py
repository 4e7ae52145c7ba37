"""District minimum writing quotas (reading-note characters, papers, reflections, books): schools
may ask for more, never less; and each teacher's quota results frozen in the submission, shown
in the reviewer's drill-in and the district exports."""

from __future__ import annotations

import csv
import io
import re

import pytest

from portal.errors import Invalid
from portal.extensions import db
from portal.models import District, School
from portal.policy import SYSTEM, Actor
from portal.services import access, activities, districts, exemptions, schools, submissions, tokens
from tests.credits.helpers import login
from tests.district.conftest import YEAR
from tests.support.texts import prose


def _dadmin(world) -> Actor:
    return Actor.of(world.admin1.id, ["district_admin"])


def test_a_school_may_raise_a_district_quota_but_not_lower_it(world):
    districts.update_settings(world.d1, {"reading_notes_chars": 12000, "reflections_per_semester": 6},
                              by=_dadmin(world))
    assert world.s1.rule("reading_notes_chars") == 12000 and world.s1.rule("reflections_per_semester") == 6
    assert world.t1.rule("reading_notes_chars") == 10000  # another district: the seeds' default
    for key, lower in (("reading_notes_chars", 8000), ("reflections_per_semester", 0)):  # 0: switched off
        with pytest.raises(Invalid) as info:
            schools.update_rules(world.s1, {key: lower}, by=SYSTEM)
        assert info.value.fields[key].code == "rules.below_district"
    schools.update_rules(world.s1, {"reading_notes_chars": 15000}, by=SYSTEM)
    assert world.s1.rule("reading_notes_chars") == 15000
    districts.update_settings(world.d1, {"reading_notes_chars": 20000}, by=_dadmin(world))  # raised later
    assert world.s1.rule("reading_notes_chars") == 20000
    districts.update_settings(world.d1, {"reading_notes_chars": None}, by=_dadmin(world))  # none set again
    assert world.s1.rule("reading_notes_chars") == 15000


def test_bad_district_quotas_are_refused_and_change_nothing(app, world):
    for bad in ({"reading_notes_chars": -1}, {"papers_per_year": 1.5}, {"books_per_semester": "2"},
                {"reflections_per_semester": 101}, {"reading_notes_chars": True}):
        with pytest.raises(Invalid):
            districts.update_settings(world.d1, bad, by=_dadmin(world))
    db.session.expire_all()
    assert db.session.get(District, world.d1.id).settings == {}
    client = login(app.test_client(), world.admin1)
    form = {"form": "defaults", "required_hours": "", "absence_limit_hours": "", "submission_period": "year",
            "plan_deadline": "06-30"}
    assert client.post("/district/settings", data={**form, "papers_per_year": "two"}).status_code == 422
    assert client.post("/district/settings", data={**form, "papers_per_year": "99"}).status_code == 422
    db.session.expire_all()
    assert db.session.get(District, world.d1.id).settings == {}
    r = client.post("/district/settings", data={**form, "papers_per_year": "2", "books_per_semester": "3"})
    assert r.status_code == 303
    db.session.expire_all()
    assert db.session.get(School, world.s1.id).rule("papers_per_year") == 2
    page = client.get("/district/settings").get_data(as_text=True)
    assert 'data-testid="district-papers_per_year"' in page and 'value="2"' in page


def test_district_quotas_through_the_api(app, world):
    client = app.test_client()
    head = {"Authorization": f"Bearer {tokens.issue(world.admin1).token}"}
    r = client.put("/api/v1/district/settings", json={"reading_notes_chars": 12000, "books_per_semester": 2},
                   headers=head)
    assert r.status_code == 200 and r.get_json()["settings"]["reading_notes_chars"] == 12000
    for bad in ({"reading_notes_chars": -5}, {"papers_per_year": 21}, {"books_per_semester": "2"},
                {"reflections_per_semester": 2.5}):
        assert client.put("/api/v1/district/settings", json=bad, headers=head).status_code == 422
    r = client.put("/api/v1/district/settings", json={"reading_notes_chars": None}, headers=head)
    assert "reading_notes_chars" not in r.get_json()["settings"]


@pytest.fixture
def submitted(world):
    """D1 asks 12,000 characters of reading notes; t3 wrote some; S1 submits its year."""
    districts.update_settings(world.d1, {"reading_notes_chars": 12000}, by=_dadmin(world))
    t3 = world.staff["t3"]
    activities.add_evidence(world.held, t3, t3.id, "reading_notes", "教育的情调", text=prose(3000, "读"))
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()
    return sub


def test_the_quotas_are_frozen_with_the_hours(world, submitted):
    row = {r["user_id"]: r for r in submitted.rows}[world.staff["t3"].id]
    notes = next(q for q in row["quotas"] if q["key"] == "reading_notes")
    assert notes == {"key": "reading_notes", "semester": 0, "done": 3000, "target": 12000, "unit": "chars",
                     "met": False, "short": []}  # short: the months short of notes, of the monthly item only
    # the frozen figures do not move when the school later asks for more
    schools.update_rules(world.s1, {"reading_notes_chars": 20000}, by=SYSTEM)
    db.session.commit()
    db.session.expire_all()
    again = {r["user_id"]: r for r in submissions.get(submitted.id, world.d1.id).rows}[world.staff["t3"].id]
    assert next(q for q in again["quotas"] if q["key"] == "reading_notes")["target"] == 12000


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_drill_in_and_the_exports_show_the_quotas(app, world, submitted, lang):
    reviewer = login(app.test_client(), world.reviewer1)
    reviewer.get(f"/lang/{lang}")
    t3 = world.staff["t3"]
    page = reviewer.get(f"/district/submissions/{submitted.id}/teachers/{t3.id}").get_data(as_text=True)
    assert 'data-testid="quota-reading_notes-0"' in page and 'data-done="3000"' in page
    assert ("读书笔记" if lang == "zh" else "Reading notes") in page
    body = reviewer.get(f"/district/submitted.csv?year={YEAR}&lang={lang}").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    head = rows[0]
    column = head.index("写作任务（完成/要求）" if lang == "zh" else "Writing quotas (done/target)")
    line = next(r for r in rows[1:] if r[5] == "t3")
    assert ("读书笔记 3,000 / 12,000 字 ✗" if lang == "zh" else "Reading notes 3,000 of 12,000 characters ✗") in line[column]
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(reviewer.get(f"/district/submitted.xlsx?year={YEAR}&lang={lang}").data))
    sheet = list(wb["S1"].iter_rows(values_only=True))
    amount = "3,000 / 12,000 字" if lang == "zh" else "3,000 of 12,000 characters"
    assert any(amount in str(cell) for r in sheet[1:] for cell in r)


def test_an_exempt_teachers_unmet_quota_is_not_marked(app, world):
    """Nothing is asked of an exempt teacher: their writing is shown as it is, but neither the
    summary's cell is red nor the district's CSV marks it ✗ (a teacher who is not exempt is)."""
    districts.update_settings(world.d1, {"reading_notes_chars": 12000}, by=_dadmin(world))
    t3, admin = world.staff["t3"], world.staff["admin"]
    activities.add_evidence(world.held, t3, t3.id, "reading_notes", "教育的情调", text=prose(3000, "读"))
    exemptions.set_exemption(world.s1, admin, t3.id, YEAR, "援藏支教")
    db.session.commit()
    summary = login(app.test_client(), admin).get(f"/reports/summary?year={YEAR}").get_data(as_text=True)
    cells = {user: re.search(r'<td class="num( text-danger)?"[^>]*data-quota="reading_notes-0"', row)
             for user, row in re.findall(r'<tr data-user="([^"]+)">(.*?)</tr>', summary, re.S)}
    assert cells["t3"] is not None and cells["t3"].group(1) is None
    assert cells["t1"] is not None and cells["t1"].group(1) == " text-danger"
    sub = submissions.submit(world.s1, YEAR, by=access.actor(admin.id, world.s1.id))
    db.session.commit()
    frozen = {r["username"]: r for r in sub.rows}
    assert frozen["t3"]["status"] == "exempt" and frozen["t1"]["status"] != "exempt"
    body = login(app.test_client(), world.reviewer1).get(f"/district/submitted.csv?year={YEAR}").get_data(as_text=True)
    head, *lines = csv.reader(io.StringIO(body.lstrip("\ufeff")))
    rows, column = {r[5]: r for r in lines}, head.index("写作任务（完成/要求）")
    assert "读书笔记 3,000 / 12,000 字" in rows["t3"][column] and "✗" not in rows["t3"][column]
    assert "✗" in rows["t1"][column]
    # 说明 beside the status, as on the school's summary: the exemption's reason, as written
    assert head[head.index("考核结果") + 1] == "说明" and rows["t3"][head.index("说明")] == "援藏支教"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_live_district_export_has_the_writing_quotas(app, world, lang):
    """The district's export of its schools' summaries today (/district/export.*) has the column
    of the submitted export, from the teacher-year rows' quota results, in both languages; an
    exempt teacher's unmet quota is not marked."""
    from openpyxl import load_workbook

    districts.update_settings(world.d1, {"reading_notes_chars": 12000}, by=_dadmin(world))
    t3, admin = world.staff["t3"], world.staff["admin"]
    activities.add_evidence(world.held, t3, t3.id, "reading_notes", "教育的情调", text=prose(3000, "读"))
    exemptions.set_exemption(world.s1, admin, world.staff["t2"].id, YEAR, "援藏支教")
    db.session.commit()
    reviewer = login(app.test_client(), world.reviewer1)
    heading = "写作任务（完成/要求）" if lang == "zh" else "Writing quotas (done/target)"
    amount = "读书笔记 3,000 / 12,000 字" if lang == "zh" else "Reading notes 3,000 of 12,000 characters"
    body = reviewer.get(f"/district/export.csv?year={YEAR}&lang={lang}").get_data(as_text=True)
    head, *lines = csv.reader(io.StringIO(body.lstrip("\ufeff")))
    column = head.index(heading)
    rows = {r[2]: r for r in lines}
    assert f"{amount} ✗" in rows["t3"][column]
    assert "✗" not in rows["t2"][column] and rows["t2"][column]  # exempt: shown, not marked
    wb = load_workbook(io.BytesIO(reviewer.get(f"/district/export.xlsx?year={YEAR}&lang={lang}").data))
    head_x, *cells = list(wb.worksheets[0].iter_rows(values_only=True))
    assert list(head_x) == head
    assert f"{amount} ✗" in {r[2]: r for r in cells}["t3"][column]
