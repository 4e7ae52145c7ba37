"""The years of a teacher's 成长档案: the current one and every year the school holds something
of theirs that the year's figures count — hours, absence from a confirmed activity, an
exemption, writing towards the quotas. A past year with no hours but an unexcused absence (不予认定),
an exemption (免于考核) or writing was missing from the record, although that year's 学时汇总表
listed the teacher with those figures; the record now shows it, with the summary's status and
total, in Chinese and in English."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from flask.testing import FlaskClient

from portal.extensions import db
from portal.models import School, User
from portal.services import activities, credits, exemptions, tokens, writing
from portal.timeutil import current_school_year
from tests.credits.conftest import build_school_and_staff
from tests.credits.helpers import PAST_STARTS, TEXT, credited, login
from tests.support import factories as f
from tests.support.prepared import prepared_by
from tests.support.texts import prose

PAST = "2025-2026"  # PAST_STARTS[0] and [2] fall in it


def _build() -> dict:
    """S1 and its staff, and in 2025-2026 (no hours for any of these teachers):

    * t1 absent 6 h without leave (over the limit of 5), t5 on leave 6 h, from a lecture credited
      only to t7 (6 h);
    * t2 exempted (借调);
    * t3's own reading notes, filed then;
    * t6's reflection handed in to a lecture still awaiting review, where t4 was absent (not
      confirmed: no absence of the year yet);
    * t4 also teaches at S2, which exempted them that year (another school's).
    """
    facts = build_school_and_staff()
    s1 = db.session.get_one(School, facts["s1"])
    staff = f.people_of(facts["staff"])
    t1, t2, t3, t4 = staff["t1"], staff["t2"], staff["t3"], staff["t4"]
    t5 = f.person(s1, "t5", "teacher", name="林晓雯")
    t6 = f.person(s1, "t6", "teacher", name="周志远")
    t7 = f.person(s1, "t7", "teacher", name="吴嘉宁")
    credited(s1, staff, "lecture", [(t1, "attendee"), (t5, "attendee"), (t7, "attendee")], hours="6",
             start=PAST_STARTS[0],
             attended={t1.id: "0", t5.id: "0"}, absent={t1.id: "6"}, excused={t5.id: "6"}, title="往年讲座")
    exemptions.set_exemption(s1, staff["admin"], t2.id, PAST, "借调")
    with pytest.MonkeyPatch.context() as clock:
        clock.setattr(writing, "utcnow", lambda: datetime(2026, 3, 20, 2, 0))  # 2025-2026, semester 2
        writing.add_writing(s1, t3, "reading_notes", "《给教师的建议》", prose(600, "读"))
    held = credited(s1, staff, "lecture", [(t4, "attendee"), (t6, "attendee")], hours="3", start=PAST_STARTS[2],
                    attended={t4.id: "0"}, absent={t4.id: "3"}, title="待审讲座", until="held")
    activities.add_evidence(held, t6, t6.id, "reflection", "听课反思", text=TEXT)
    s2 = f.school("S2", types=("lecture",))
    admin2 = f.person(s2, "badm", "school_admin")
    f.person(s2, t4.username, "teacher")
    exemptions.set_exemption(s2, admin2, t4.id, PAST, "病假")
    return {**facts, "t5": t5.id, "t6": t6.id, "t7": t7.id}


prepared = prepared_by(_build)


@pytest.fixture
def people(s1, staff, make_app, prepared) -> dict[str, User]:
    ids = make_app.facts(prepared)
    return {**staff, **{who: db.session.get_one(User, ids[who]) for who in ("t5", "t6", "t7")}}


def _attrs(html: str, testid: str) -> tuple[str, str]:
    """(data-status, the badge's words) of the element ``testid``."""
    found = re.search(rf'data-testid="{testid}" data-status="([^"]*)">(.*?)</(?:span|td)>\s', html, re.S)
    assert found, testid
    return found[1], re.sub(r"<[^>]+>", "", found[2]).strip()


def _text(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>([^<]*)<', html)
    assert found, testid
    return found[1].strip()


def _summary_and_record(client: FlaskClient, reviewer: User, teacher: User, lang: str) -> tuple[tuple, tuple]:
    """(status, badge, total) of ``teacher`` in 2025-2026 on the reviewer's 学时汇总表 and on the
    teacher's own 成长档案, in ``lang``."""
    login(client, reviewer)
    summary = client.get(f"/reports/summary?year={PAST}&lang={lang}").get_data(as_text=True)
    login(client, teacher)
    record = client.get(f"/teachers/{teacher.id}/record?lang={lang}").get_data(as_text=True)
    assert f'data-year="{PAST}"' in record
    user = teacher.username
    return (
        (*_attrs(summary, f"status-{user}"), _text(summary, f"total-{user}")),
        (*_attrs(record, f"record-status-{PAST}"), _text(record, f"record-total-{PAST}")),
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("t1", "not_recognised"),  # only an unexcused absence
        ("t5", "short"),  # only leave (请假)
        ("t2", "exempt"),  # only an exemption
        ("t3", "short"),  # only own writing
        ("t6", "short"),  # only a reflection handed in to an activity
    ],
)
def test_a_past_year_without_hours_is_on_the_record_as_on_the_summary(app, people, who, status):
    teacher = people[who]
    client = app.test_client()
    badges = {}
    for lang in ("zh_CN", "en"):
        on_summary, on_record = _summary_and_record(client, people["reviewer"], teacher, lang)
        assert on_record == on_summary, lang
        assert on_record[0] == status and on_record[2] == "0"
        badges[lang] = on_record[1]
    assert badges["zh_CN"] != badges["en"] and badges["en"].isascii()  # each page in its language
    # the API's year and the 学时证明 the record links to agree
    r = app.test_client().get(f"/api/v1/users/{teacher.id}/credits?year={PAST}",
                              headers={"Authorization": f"Bearer {tokens.issue(teacher).token}"})
    assert r.status_code == 200 and (r.get_json()["status"], r.get_json()["total_hours"]) == (status, 0)
    login(client, teacher)
    pdf = client.get(f"/teachers/{teacher.id}/record.pdf?year={PAST}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_the_record_lists_the_years_the_summary_assesses_them_for(app, s1, people):
    """t4 has nothing of S1's in 2025-2026 (an absence a reviewer has not confirmed, an exemption
    of another school), but taught at S1 when the year was over: its 学时汇总表 assesses them
    (0 h, 未达标), and so does their record now — it kept to the current year, while the summary,
    the 学时证明 and the API called 2025-2026 short. Every year listed has the figures of its
    school summary, and the record lists each year the summary lists them in."""
    now = current_school_year(s1.timezone)
    got = {who: [y.school_year for y in credits.teacher_record(people[who], s1)]
           for who in ("t1", "t2", "t3", "t4", "t5", "t6", "t7")}
    assert got == {who: [now, PAST] for who in got}
    summary = {row.user.id: row for row in credits.school_summary(s1, PAST)}
    for who in ("t1", "t2", "t3", "t4", "t5", "t6", "t7"):
        year = credits.teacher_record(people[who], s1)[1]
        row = summary[people[who].id]
        assert (year.summary.facts, year.summary.assessment) == (row.facts, row.assessment), who
    assert summary[people["t4"].id].assessment.status == "short"
    absent = credits.teacher_record(people["t1"], s1)[1].summary.facts
    assert (absent.absent_hours, credits.teacher_record(people["t5"], s1)[1].summary.facts.excused_hours) == (
        {1: 6}, {1: 6})
    client = login(app.test_client(), people["t4"])
    page = client.get(f"/teachers/{people['t4'].id}/record").get_data(as_text=True)
    assert f'data-year="{PAST}"' in page and _attrs(page, f"record-status-{PAST}")[0] == "short"
    assert _text(page, f"record-total-{PAST}") == "0"


def test_the_demo_shows_a_past_year_exemption_on_the_record_and_its_page(make_app):
    """The demo shows the feature: teacher3 was exempted last school year (产假). Her record lists
    that year as 免于考核, as its summary does, and the admin's exemptions page of that year
    lists her with the reason."""
    from portal.demo import DEMO_EXEMPTION
    from tests.web.conftest import login as log_in_as

    site = make_app(demo=True)
    username, reason = DEMO_EXEMPTION
    with site.app_context():
        school = db.session.execute(db.select(School).where(School.code == "DEMO")).scalar_one()
        teacher = db.session.execute(db.select(User).where(User.username == username)).scalar_one()
        start = int(current_school_year(school.timezone)[:4])
        last = f"{start - 1}-{start}"
        years = [y.school_year for y in credits.teacher_record(teacher, school)]
        assert years[:2] == [f"{start}-{start + 1}", last]
        # an earlier year listed is one its summary assesses her for
        assert all(teacher.id in {row.user.id for row in credits.school_summary(school, y)} for y in years[2:])
    client = site.test_client()
    log_in_as(client, username)
    record = client.get(f"/teachers/{teacher.id}/record").get_data(as_text=True)
    assert _attrs(record, f"record-status-{last}") == ("exempt", "免于考核")
    admin = site.test_client()
    log_in_as(admin, "admin")
    page = admin.get(f"/admin/exemptions?year={last}").get_data(as_text=True)
    assert reason in page and teacher.display_name in page
    assert _attrs(admin.get(f"/reports/summary?year={last}").get_data(as_text=True),
                  f"status-{username}")[0] == "exempt"
