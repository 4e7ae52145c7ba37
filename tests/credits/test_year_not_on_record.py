"""A school year the school holds nothing of is on no record: every surface says so.

Auditor: the teacher's 成长档案 said such a year is not on their record (``record-year-not-on``),
while the school's 学时汇总表 of it, its printed form and the 学时证明 (``record.pdf?year=``)
answered 0 h 未达标 for every teacher — which a district auditor reads as a failed year. Now the
summary page says the school recorded nothing of the year (no table, no downloads), its PDF and
the 学时证明 of it are refused (409, with the reason), its CSV, XLSX, the API's report and the
district's counts list nobody, and the API's teacher year assesses nothing of it
(``not_on_record``). The summary's names open the record of the summary's year."""

from __future__ import annotations

import csv
import io

import pytest
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from lxml import html as lxml_html
from openpyxl import load_workbook
from sqlalchemy import text

from portal.assessment import EXEMPT
from portal.extensions import db
from portal.messages import school_year_text
from portal.models import School, TeacherYearRow, User
from portal.services import access, credits, districts, exemptions, teacher_years, tokens
from portal.services import staff as staff_service
from portal.timeutil import current_school_year, school_year_after
from tests.credits.conftest import build_school_and_staff
from tests.credits.helpers import PAST_STARTS, credited, hold_year, login, staff_and
from tests.support import factories as f
from tests.support.prepared import prepared_by

PAST = "2025-2026"  # PAST_STARTS[0] falls in it: a lecture credited t1
EMPTY = "2023-2024"  # the school holds nothing of it; t1 was on its staff when it was over


def _build() -> dict:
    facts = build_school_and_staff()
    s1 = db.session.get_one(School, facts["s1"])
    staff = f.people_of(facts["staff"])
    credited(s1, staff, "lecture", [(staff["t1"], "attendee")], hours="6", start=PAST_STARTS[0], title="往年讲座")
    district = f.person(None, "district", "district_admin")
    return {**facts, "district": district.id}


prepared = prepared_by(_build)


@pytest.fixture
def people(s1, staff, make_app, prepared) -> dict[str, User]:
    return staff_and(staff, make_app.facts(prepared), "district")


def _admin(app, s1: School, people: dict[str, User]) -> FlaskClient:
    return login(app.test_client(), people["admin"], s1)


def test_the_rule_of_the_years_on_record(app, s1, people):
    assert not credits.teacher_year(people["t1"], s1, EMPTY).not_theirs  # on the staff when it was over
    assert credits.year_on_record(s1, PAST) and credits.year_on_record(s1, current_school_year(s1.timezone))
    assert not credits.year_on_record(s1, EMPTY)
    t1 = people["t1"]
    assert EMPTY not in {y.school_year for y in credits.teacher_record(t1, s1)}
    assert credits.school_summary(s1, EMPTY) == []  # nobody is assessed for it
    assert credits.school_summary(s1, PAST)  # as before


def test_the_summary_of_a_year_on_no_record_says_so(app, s1, people):
    client = _admin(app, s1, people)
    for lang, words in (("zh_Hans_CN", "本校2023—2024学年没有任何记录"), ("en", "recorded nothing of the 2023–2024 school year")):
        r = client.get(f"/reports/summary?year={EMPTY}&lang={lang}")
        assert r.status_code == 200
        doc = lxml_html.fromstring(r.get_data(as_text=True))
        note = doc.xpath('.//*[@data-testid="summary-year-not-on"]')
        assert note and words in note[0].text_content(), lang
        assert not doc.xpath('.//table[@id="summary"]') and not doc.xpath('.//*[@data-testid="summary-pdf"]')
        assert doc.xpath('.//input[@id="year"]/@value') == [EMPTY]  # another year is a choice away
    # a year with data is a table as before, without the note
    doc = lxml_html.fromstring(client.get(f"/reports/summary?year={PAST}").get_data(as_text=True))
    assert doc.xpath('.//table[@id="summary"]/tbody/tr[@data-user]') and not doc.xpath(
        './/*[@data-testid="summary-year-not-on"]')


def test_no_form_of_zeros_is_printed_of_it(app, s1, people):
    client = _admin(app, s1, people)
    t1 = people["t1"]
    for url in (f"/reports/summary.pdf?year={EMPTY}", f"/teachers/{t1.id}/record.pdf?year={EMPTY}"):
        r = client.get(url + "&lang=zh_Hans_CN")
        assert r.status_code == 409 and r.mimetype != "application/pdf", url
        assert "2023—2024学年" in r.get_data(as_text=True), url
    r = client.get(f"/teachers/{t1.id}/record.pdf?year={EMPTY}&lang=en")
    assert r.status_code == 409 and "is not on this teacher&#39;s training record here" in r.get_data(as_text=True)
    # the year with data prints as before
    assert client.get(f"/teachers/{t1.id}/record.pdf?year={PAST}").mimetype == "application/pdf"


def test_the_exports_and_the_api_list_nobody_of_it(app, s1, people):
    client = _admin(app, s1, people)
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/summary.csv?year={EMPTY}").data.decode("utf-8-sig"))))
    assert len(rows) == 1  # the headings alone
    token = {"Authorization": f"Bearer {tokens.issue(people['admin']).token}"}
    assert app.test_client().get(f"/api/v1/reports/credits?year={EMPTY}", headers=token).get_json()["teachers"] == []
    body = app.test_client().get(f"/api/v1/users/{people['t1'].id}/credits?year={EMPTY}", headers=token).get_json()
    assert body["not_on_record"] is True and body["status"] is None, body
    body = app.test_client().get(f"/api/v1/users/{people['t1'].id}/credits?year={PAST}", headers=token).get_json()
    assert body["not_on_record"] is False and body["status"] == "short", body
    district = {"Authorization": f"Bearer {tokens.issue(people['district']).token}"}
    counts = app.test_client().get(f"/api/v1/district/schools?year={EMPTY}", headers=district).get_json()
    assert next(row for row in counts if row["school"] == s1.code)["teachers"] == 0


def test_the_summary_names_open_the_record_of_its_year(app, s1, people):
    client = _admin(app, s1, people)
    doc = lxml_html.fromstring(client.get(f"/reports/summary?year={PAST}").get_data(as_text=True))
    links = doc.xpath('.//table[@id="summary"]/tbody/tr[@data-user]//a/@href')
    assert links and all(href.endswith(f"?year={PAST}") for href in links), links
    record = client.get(links[0]).get_data(as_text=True)
    assert 'data-testid="record-one-year"' in record


def _upgraded_with_rows_of(s1: School, year: str, revision: str) -> None:
    """S1's stored rows of PAST copied as rows of ``year`` (as a rule before wrote them), the
    database taken back to ``revision`` and upgraded: the rows of ``year`` are gone, PAST's kept."""
    teacher_years.refresh(s1, PAST)
    columns = [c.name for c in TeacherYearRow.__table__.columns if c.name != "id"]
    copied = ", ".join(":year" if c == "school_year" else c for c in columns)
    db.session.execute(text(f"INSERT INTO teacher_year ({', '.join(columns)}) SELECT {copied} FROM teacher_year"
                            " WHERE school_year = :past"), {"year": year, "past": PAST})
    count = "SELECT count(*) FROM teacher_year WHERE school_year = :y"
    kept = db.session.execute(text(count), {"y": PAST}).scalar()
    assert kept and db.session.execute(text(count), {"y": year}).scalar() == kept
    db.session.commit()
    db.session.remove()
    downgrade(revision=revision)
    upgrade()
    assert db.session.execute(text(count), {"y": year}).scalar() == 0
    assert db.session.execute(text(count), {"y": PAST}).scalar() == kept


def test_the_migration_removes_the_stored_rows_of_a_year_on_no_record(app, s1, people):
    """Rows stored for every school of a year some school held (``rebuild-year-rows``) gave S1
    a row of 0 h for each teacher of a year it holds nothing of: the district's counts read them.
    The upgrade removes them; the rows of a year it holds are kept."""
    _upgraded_with_rows_of(s1, EMPTY, "f1a7c3e9b2d4")


# -- the surfaces the first round left (hFO) ----------------------------------------------------


def _next_year(s1: School) -> str:
    return school_year_after(current_school_year(s1.timezone))


def test_the_home_of_a_year_on_no_record_says_so_without_figures(app, s1, people):
    """Review: the teacher's home of a year over that the school holds nothing of answered
    0 h 未达标 while their record said the year is not on it. Now it says what the summary says,
    in its words, with no status, no total and no outlook; a year of the record as before."""
    client = login(app.test_client(), people["t1"], s1)
    for lang, words in (("zh_Hans_CN", "本校2023—2024学年没有任何记录"), ("en", "recorded nothing of the 2023–2024 school year")):
        doc = lxml_html.fromstring(client.get(f"/?year={EMPTY}&lang={lang}").get_data(as_text=True))
        note = doc.xpath('.//*[@data-testid="home-year-not-on"]')
        assert note and words in note[0].text_content(), lang
        for figure in ("hours-status", "hours-total", "hours-required", "outlook", "quotas"):
            assert not doc.xpath(f'.//*[@data-testid="{figure}"]'), (lang, figure)
    doc = lxml_html.fromstring(client.get(f"/?year={PAST}").get_data(as_text=True))
    assert not doc.xpath('.//*[@data-testid="home-year-not-on"]')
    assert doc.xpath('.//*[@data-testid="hours-status"]/@data-status') == ["short"]
    assert doc.xpath('.//*[@data-testid="hours-total"]')


def test_a_year_not_begun_is_on_no_record(app, s1, people):
    """Review: next year's 学时汇总表 listed every teacher 进行中 at 0 h (its CSV, XLSX, PDF and the
    API's report too, the district counting them), while their records did not list it. A year
    not begun is on no record (``credits.years_on_record``) whatever the school plans or sets for
    it: each surface says it has not begun, prints nothing of it and counts nobody."""
    nxt = _next_year(s1)
    hold_year(s1, people["admin"], nxt)  # an activity planned ahead: the school holds something of it
    db.session.commit()
    assert not credits.year_on_record(s1, nxt) and credits.school_summary(s1, nxt) == []
    assert not credits.year_begun(s1, nxt) and credits.year_begun(s1, PAST)
    assert credits.summary_row_count(nxt, school_id=s1.id) == 0
    client = _admin(app, s1, people)
    said = school_year_text(nxt, "zh_Hans_CN")
    doc = lxml_html.fromstring(client.get(f"/reports/summary?year={nxt}&lang=zh_Hans_CN").get_data(as_text=True))
    note = doc.xpath('.//*[@data-testid="summary-year-not-on"]')
    assert note and f"{said}尚未开始" in note[0].text_content() and "没有任何记录" not in note[0].text_content()
    assert not doc.xpath('.//table[@id="summary"]') and not doc.xpath('.//*[@data-testid="summary-pdf"]')
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/summary.csv?year={nxt}").data.decode("utf-8-sig"))))
    assert len(rows) == 1  # the headings alone
    sheet = load_workbook(io.BytesIO(client.get(f"/reports/summary.xlsx?year={nxt}").data)).active
    assert sheet is not None and sheet.max_row == 1
    t1 = people["t1"]
    for url in (f"/reports/summary.pdf?year={nxt}", f"/teachers/{t1.id}/record.pdf?year={nxt}"):
        r = client.get(url + "&lang=zh_Hans_CN")
        assert r.status_code == 409 and f"{said}尚未开始" in r.get_data(as_text=True), url
    record = lxml_html.fromstring(client.get(f"/teachers/{t1.id}/record?year={nxt}&lang=en").get_data(as_text=True))
    note = record.xpath('.//*[@data-testid="record-year-not-on"]')
    assert note and note[0].get("data-why") == "not_begun" and "has not begun" in note[0].text_content()
    token = {"Authorization": f"Bearer {tokens.issue(people['admin']).token}"}
    assert app.test_client().get(f"/api/v1/reports/credits?year={nxt}", headers=token).get_json()["teachers"] == []
    body = app.test_client().get(f"/api/v1/users/{t1.id}/credits?year={nxt}", headers=token).get_json()
    assert body["not_on_record"] is True and body["status"] is None, body
    district = {"Authorization": f"Bearer {tokens.issue(people['district']).token}"}
    counts = app.test_client().get(f"/api/v1/district/schools?year={nxt}", headers=district).get_json()
    assert next(row for row in counts if row["school"] == s1.code)["teachers"] == 0
    # the teacher's home of it: said so, no figures (the plan ahead is still theirs to write)
    home = login(app.test_client(), t1, s1)
    doc = lxml_html.fromstring(home.get(f"/?year={nxt}&lang=zh_Hans_CN").get_data(as_text=True))
    note = doc.xpath('.//*[@data-testid="home-year-not-on"]')
    assert note and f"{said}尚未开始" in note[0].text_content()
    assert not doc.xpath('.//*[@data-testid="hours-status"]') and not doc.xpath('.//*[@data-testid="outlook"]')


def test_an_exemption_set_ahead_puts_no_year_on_a_record(app, s1, people):
    """An exemption set for next year (a retirement known ahead) is kept and listed on the
    exemptions page; the year is on no record until it begins: their record does not list it."""
    nxt = _next_year(s1)
    exemptions.set_exemption(s1, people["admin"], people["t2"].id, nxt, "即将退休")
    db.session.commit()
    assert nxt not in {y.school_year for y in credits.teacher_record(people["t2"], s1)}
    assert credits.teacher_record(people["t2"], s1, nxt) == []


def test_an_export_is_as_long_as_what_it_writes(app, s1, people):
    """``credits.summary_row_count`` decides whether an export runs in the background: it
    counted every teacher of a year on no record (over and held of nothing, or not begun) —
    of one school, of a district's or of every school — while the export writes none."""
    district = districts.create_district("D9", "第九区")
    districts.move_school(s1, district)
    s2 = districts.move_school(f.school("S2", types=("lecture",)), district)
    f.staff(s2, prefix="x")  # teachers of S2, which holds nothing of any year: none of its rows written
    db.session.commit()
    client = _admin(app, s1, people)
    for year in (EMPTY, _next_year(s1), PAST):
        rows = list(csv.reader(io.StringIO(client.get(f"/reports/summary.csv?year={year}").data.decode("utf-8-sig"))))
        written = len(rows) - 1
        assert (written > 0) is (year == PAST), (year, written)
        assert credits.summary_row_count(year, school_id=s1.id) == written, year
        assert credits.summary_row_count(year, district_id=district.id) == written, year
        assert credits.summary_row_count(year) == written, year  # every school: S1 and S2
    # this year is on S2's records: its teachers are rows of the district's export
    now = current_school_year(s1.timezone)
    both = credits.summary_row_count(now, school_id=s1.id) + credits.summary_row_count(now, school_id=s2.id)
    assert credits.summary_row_count(now, district_id=district.id) == both > credits.summary_row_count(now, school_id=s1.id)


def test_the_record_says_why_a_leavers_current_year_is_not_on_it(app, s1, people):
    """Review: the record's note of a year not on it said "they were not on its teaching staff
    when it was over" of a teacher who left this year with nothing of theirs in it — a year not
    over. The year going on has its own sentence; a year over keeps the one of a year over."""
    admin = people["admin"]
    staff_service.deactivate(s1, people["t2"].id, by=access.actor(admin.id, s1.id))
    db.session.commit()
    now = current_school_year(s1.timezone)
    client = _admin(app, s1, people)
    for year, why, words, not_said in (
        (now, "now", "they are not on the teaching staff of the school", "when it was over"),
        (EMPTY, "over", "when it was over", "they are not on the teaching staff of the school"),
    ):
        doc = lxml_html.fromstring(client.get(f"/teachers/{people['t2'].id}/record?year={year}&lang=en").get_data(
            as_text=True))
        note = doc.xpath('.//*[@data-testid="record-year-not-on"]')
        assert note and note[0].get("data-why") == why, year
        text_ = note[0].text_content()
        assert words in text_ and not_said not in text_ and "Every school year of the record" in text_, text_
    doc = lxml_html.fromstring(client.get(f"/teachers/{people['t2'].id}/record?year={now}&lang=zh_Hans_CN").get_data(
        as_text=True))
    assert "其已不在本校教师之列" in doc.xpath('.//*[@data-testid="record-year-not-on"]')[0].text_content()


def test_the_migration_removes_the_stored_rows_of_a_year_not_begun(app, s1, people):
    """Rows stored of next year (an activity planned in it: 0 h, 进行中 for each teacher, as the
    rule before wrote them) were read by the district's counts. The upgrade removes them; the
    rows of a year begun are kept."""
    _upgraded_with_rows_of(s1, _next_year(s1), "a4c9e1f7d3b2")


def test_the_home_of_a_year_not_begun_says_so_once_and_nothing_of_hours_to_come(app, s1, people):
    """Review (hGA): next year's home said 「…尚未开始」 and, below it, 「本学年还没有认定学时」 and
    「还没有认定学时」 — words of a year under way, whose hours could be credited yet. A year not begun
    reads as not begun once, zh and en, with no line of hours credited or to come; the activities
    planned in it are still listed in the plan."""
    nxt = _next_year(s1)
    hold_year(s1, people["admin"], nxt)
    db.session.commit()
    client = login(app.test_client(), people["t1"], s1)
    for lang, begun in (("zh_Hans_CN", "尚未开始"), ("en", "has not begun")):
        page = client.get(f"/?year={nxt}&lang={lang}").get_data(as_text=True)
        doc = lxml_html.fromstring(page)
        main = doc.xpath("//main")[0].text_content()
        assert main.count(begun) == 1, (lang, main.count(begun))
        for line in ("by-type-empty", "by-type-chart", "entries-empty", "credit-entries", "forecast"):
            assert not doc.xpath(f'.//*[@data-testid="{line}"]'), (lang, line)
        for words in ("认定学时", "学时证明", "credited"):
            assert words not in main, (lang, words)


def test_the_exemptions_page_of_a_year_not_begun_lists_whom_the_policy_will_exempt(app, s1, people, time_machine):
    """Review (hGA): next year's exemptions page listed nobody exempt by the policy (it read the
    summary, empty for a year not begun), so an admin setting exemptions ahead could not see who
    is exempt already. It lists whom the policy will exempt once the year begins, as today's staff
    and rules stand, with a sentence saying so — and once the year begins, the summary and the
    page say the same."""
    from datetime import date

    nxt = _next_year(s1)
    old = f.person(s1, "old", "teacher", name="钱老师", gender="F", birth_date=date(int(nxt[:4]) - 50, 6, 1))
    exemptions.set_exemption(s1, people["admin"], people["t2"].id, nxt, "即将退休")  # the school's own, ahead
    db.session.commit()
    now = exemptions.exempt_by_policy(s1, current_school_year(s1.timezone))
    assert old.id not in {u.id for u, _r in now}  # 50 only in the next year's first calendar year
    client = _admin(app, s1, people)

    def listed(lang: str) -> tuple[list[str], str]:
        doc = lxml_html.fromstring(client.get(f"/admin/exemptions?year={nxt}&lang={lang}").get_data(as_text=True))
        rows = doc.xpath('.//*[@data-testid="exempt-by-policy"]')
        ahead = doc.xpath('.//*[@data-testid="exempt-by-policy-ahead"]')
        return sorted(r.get("data-user") for r in rows), ahead[0].text_content() if ahead else ""

    users, said = listed("zh_Hans_CN")
    assert users == ["old"] and "尚未开始" in said, (users, said)
    assert listed("en")[1] and "has not begun" in listed("en")[1]
    # the year begins: the summary exempts the same teacher for the same reason, the page says the same
    time_machine.move_to(f"{nxt[:4]}-09-02T02:00:00Z", tick=False)
    db.session.expire_all()
    summary = {ty.user.username: ty.assessment.reason for ty in credits.school_summary(s1, nxt)
               if ty.assessment.status == EXEMPT and ty.facts.exemption_reason is None}
    assert summary == {u.username: r for u, r in exemptions.exempt_by_policy(s1, nxt)} and list(summary) == ["old"]
    client = _admin(app, s1, people)  # signed in anew: the session of months ago has lapsed
    users, said = listed("zh_Hans_CN")
    assert users == ["old"] and not said
