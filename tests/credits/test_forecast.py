"""Forecast and warnings: hours still needed and what planned activities would bring, the absence
warning at the school's threshold (before the limit voids the year), quotas behind schedule."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from portal.assessment import EXEMPT, SHORT, QuotaFact, YearFacts
from portal.models.district import WHOLE_YEAR
from portal.policy import SYSTEM
from portal.services import forecast, schools
from portal.timeutil import school_year_of, to_local, utcnow
from tests.credits.helpers import credited
from tests.support import factories as f
from tests.support.sessions import log_in

YEAR = "2026-2027"


def facts(**kw) -> YearFacts:
    base = dict(
        user_id=1, school_year=YEAR, required_hours=Decimal("50"), absence_limit_hours=Decimal("5"),
        absence_warning_hours=Decimal("3"), total_hours=Decimal("0"),
    )
    return YearFacts(**{**base, **kw})


@pytest.mark.parametrize(
    ("absent", "kinds", "severe"),
    [("0", [], False), ("2.5", [], False), ("3", ["absence"], False), ("4.5", ["absence"], False),
     ("5", ["absence"], True), ("6", ["absence"], True)],
)
def test_absence_warning_at_the_threshold(absent, kinds, severe):
    ws = forecast.warnings(facts(absent_hours={1: Decimal(absent)}), date(2026, 12, 1), status=SHORT, accepted=())
    assert [w.kind for w in ws] == kinds
    assert all(w.severe is severe and w.semester == 1 and w.hours == Decimal(absent) for w in ws)


def test_a_threshold_of_zero_warns_only_at_the_limit():
    f0 = facts(absence_warning_hours=Decimal("0"), absent_hours={2: Decimal("4.5")})
    assert forecast.warnings(f0, date(2027, 3, 1), status=SHORT, accepted=()) == []
    assert [w.severe for w in forecast.warnings(facts(absence_warning_hours=Decimal("0"), absent_hours={2: Decimal("5")}),
                                                date(2027, 3, 1), status=SHORT, accepted=())] == [True]


@pytest.mark.parametrize(
    ("today", "expected"),
    [(date(2026, 8, 31), 0), (date(2026, 9, 1), 0), (date(2027, 3, 2), 4986), (date(2027, 8, 31), 10000),
     (date(2027, 9, 30), 10000)],
)
def test_year_quota_expected_by_a_date(today, expected):
    q = QuotaFact("reading_notes", 0, 0, 10000, "chars")
    assert forecast.expected_by(q, YEAR, today) == expected


def test_a_semester_that_is_over_warns_of_nothing_it_could_still_mend():
    """Auditor: last year's summary listed six "…进度落后" lines per teacher, a call to act on a
    year that had ended. Absence nearing the limit warns while its semester lasts; absence that
    reached it still says why the year is not recognised."""
    near, over = facts(absent_hours={1: Decimal("3")}), facts(absent_hours={1: Decimal("5")})
    assert [w.kind for w in forecast.warnings(near, date(2027, 1, 20), status=SHORT, accepted=())] == ["absence"]
    assert forecast.warnings(near, date(2027, 2, 1), status=SHORT, accepted=()) == []  # semester 2 began
    assert [w.severe for w in forecast.warnings(over, date(2027, 9, 1), status=SHORT, accepted=())] == [True]


def test_semester_quotas_are_behind_only_in_their_semester():
    r1, r2 = QuotaFact("reflections", 1, 2, 5), QuotaFact("reflections", 2, 0, 5)
    f1 = facts(quotas=(r1, r2))
    assert forecast.behind(f1, date(2026, 10, 1), status=SHORT, accepted=()) == []  # 2 of 5 by October: ahead
    assert forecast.behind(f1, date(2027, 1, 20), status=SHORT, accepted=()) == [r1]  # 2 of 5 near the end of semester 1
    assert forecast.behind(f1, date(2027, 1, 31), status=SHORT, accepted=()) == [r1]  # its last day
    assert forecast.behind(f1, date(2027, 3, 1), status=SHORT, accepted=()) == []  # semester 2 just began: nothing due yet
    # semester 1 is over: its 2 of 5 are not met (writing now counts for semester 2), no longer behind
    assert forecast.behind(f1, date(2027, 4, 15), status=SHORT, accepted=()) == [r2]
    assert forecast.behind(f1, date(2027, 9, 1), status=SHORT, accepted=()) == []  # the year is over: not met, nothing behind
    assert forecast.behind(facts(quotas=(QuotaFact("reflections", 1, 5, 5),)), date(2027, 1, 31), status=SHORT, accepted=()) == []


def test_the_years_quota_is_over_once_both_semesters_are_accepted():
    """A district that collects semesters never locks the year whole; once it has accepted both,
    nothing more is written in the year (filed under an accepted semester): its own quota is not
    met rather than behind. One semester accepted, the year goes on."""
    notes = QuotaFact("reading_notes", WHOLE_YEAR, 2000, 10000)
    f1 = facts(quotas=(notes,))
    july = date(2027, 7, 10)
    assert forecast.behind(f1, july, status=SHORT, accepted={1}) == [notes]
    assert forecast.behind(f1, july, status=SHORT, accepted={2}) == [notes]
    assert forecast.behind(f1, july, status=SHORT, accepted={1, 2}) == []
    assert forecast.behind(f1, july, status=SHORT, accepted={WHOLE_YEAR}) == []


@pytest.mark.parametrize(
    ("total", "pending", "status", "today", "outlook", "beyond"),
    [
        ("50", [], "met", date(2027, 1, 1), "met", "0"),
        ("40", ["6", "4"], "short", date(2027, 1, 1), "on_track", "0"),
        ("40", ["6"], "short", date(2027, 1, 1), "needs_more", "4"),
        ("40", ["6"], "short", date(2027, 9, 1), "unreachable", "4"),
        ("40", ["20"], "not_recognised", date(2027, 1, 1), "unreachable", "0"),
        ("0", [], "exempt", date(2027, 1, 1), "not_assessed", "0"),
        ("0", ["6"], "exempt", date(2027, 1, 1), "not_assessed", "0"),
        # the hours are reached, the year is short of something else (a writing quota the school
        # requires): not "met" (the home said "target reached" beside 未达标 everywhere else)
        ("55", [], "short", date(2027, 1, 1), "needs_more", "0"),
        ("55", [], "short", date(2027, 9, 1), "unreachable", "0"),
    ],
)
def test_outlook(total, pending, status, today, outlook, beyond):
    items = [forecast.PendingActivity(None, "attendee", Decimal(h)) for h in pending]  # type: ignore[arg-type]
    fc = forecast.forecast(facts(total_hours=Decimal(total)), status, items, today, accepted=(), open_to_credits=True)
    assert (fc.outlook, fc.beyond_planned) == (outlook, Decimal(beyond))
    assert fc.needed == (0 if status == "exempt" else max(Decimal("50") - Decimal(total), Decimal("0")))


@pytest.mark.parametrize(("total", "status", "outlook"), [("40", "short", "unreachable"), ("50", "met", "met"),
                                                         ("0", "exempt", "not_assessed")])
def test_a_year_the_district_accepted_promises_nothing(total, status, outlook):
    """Locked by the district's acceptance, the year takes no more credits: what the teacher's
    open activities "would bring" is no longer counted (the home said they would reach the target).
    A district that collects semesters accepts the year as its two semesters: the same once both are."""
    items = [forecast.PendingActivity(None, "attendee", Decimal("20"))]  # type: ignore[arg-type]
    for accepted in ({WHOLE_YEAR}, {1, 2}):
        fc = forecast.forecast(facts(total_hours=Decimal(total)), status, items, date(2027, 1, 1), accepted=accepted,
                                 open_to_credits=True)
        assert (fc.outlook, fc.pending, fc.pending_hours) == (outlook, [], 0), accepted
    # a year closed to credits (``transitions.may_credit_in``) likewise, accepted or not
    fc = forecast.forecast(facts(total_hours=Decimal(total)), status, items, date(2027, 1, 1), accepted=(),
                           open_to_credits=False)
    assert (fc.pending, fc.pending_hours) == ([], 0)
    assert forecast.forecast(facts(total_hours=Decimal(total)), status, items, date(2027, 1, 1), accepted={1},
                             open_to_credits=True).pending == items
    assert forecast.forecast(facts(total_hours=Decimal(total)), status, items, date(2027, 1, 1), accepted=(),
                             open_to_credits=True).pending == items


def _held(aid: int, starts: datetime, ends: datetime) -> forecast.PendingActivity:
    act = SimpleNamespace(id=aid, starts_at=starts, ends_at=ends)
    return forecast.PendingActivity(act, "attendee", Decimal("2"))


def test_what_is_ahead_comes_first():
    """Still ahead or under way on the school's day (the soonest first), then what was held (the
    latest first): the home shows the first five. Stored times are UTC; the day is Shanghai's:
    one that ended at 23:30 on 30 November there (15:30 UTC) is over on 1 December."""
    utc = datetime  # naive UTC, as stored
    items = [
        _held(1, utc(2026, 11, 2, 1), utc(2026, 11, 2, 3)),
        _held(2, utc(2026, 11, 20, 1), utc(2026, 11, 20, 3)),
        _held(3, utc(2026, 11, 30, 13), utc(2026, 11, 30, 15, 30)),  # 23:30 in Shanghai: over
        _held(4, utc(2026, 11, 30, 16), utc(2026, 11, 30, 17)),  # 1 December in Shanghai: today
        _held(5, utc(2026, 11, 28, 1), utc(2026, 12, 3, 9)),  # a week's course, under way
        _held(6, utc(2026, 12, 9, 1), utc(2026, 12, 9, 3)),
        _held(7, utc(2026, 12, 2, 1), utc(2026, 12, 2, 3)),
    ]
    order = forecast.coming_first(items, date(2026, 12, 1), "Asia/Shanghai")
    assert [p.activity.id for p in order] == [5, 4, 7, 6, 3, 2, 1]
    assert [p.activity.id for p in forecast.coming_first(items, date(2026, 12, 1), "UTC")] == [5, 7, 6, 4, 3, 2, 1]
    assert forecast.coming_first([], date(2026, 12, 1), "Asia/Shanghai") == []


def local_start(days_ago: int) -> datetime:
    """A local start ``days_ago`` days ago (ahead when negative), kept inside the current school year."""
    today = to_local(utcnow(), "Asia/Shanghai").date()
    first = date(int(school_year_of(today)[:4]), 9, 1)
    day = max(first, today - timedelta(days=days_ago))
    return datetime(day.year, day.month, day.day, 0, 30)


def test_home_and_summary_show_forecast_and_warnings(app, client, s1, staff):
    t1, t2 = staff["t1"], staff["t2"]
    schools.update_rules(s1, {"required_hours": 10}, by=SYSTEM)
    credited(s1, staff, "lecture", [(t1, "attendee"), (t2, "attendee")], hours="4", start=local_start(3),
             attended={t1.id: "1", t2.id: "4"}, absent={t1.id: "3"})  # t1: 3 of the 5 hours, unexcused
    lecture = f.plan(s1, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "未来"}, hours="6",
                     start=local_start(-7))
    log_in(client, t1, s1.id)
    home = client.get("/?lang=en").text
    assert 'data-testid="warning-absence"' in home and "3 hours of unexcused absence" in home
    assert f'data-testid="pending-{lecture.id}"' in home and "+6 hours" in home
    assert 'data-outlook="needs_more"' in home and "so 3 more hours must come" in home  # 1 + 6 of 10
    zh = client.get("/?lang=zh_Hans_CN").text
    assert "未请假缺席" in zh and "Act now" not in zh
    log_in(client, staff["admin"], s1.id)
    summary = client.get("/reports/summary?lang=en").text
    t1_cell = summary.split('data-testid="warnings-t1"')[1].split("</td>")[0]
    t2_cell = summary.split('data-testid="warnings-t2"')[1].split("</td>")[0]
    assert 'data-warning="absence"' in t1_cell and 'data-warning="absence"' not in t2_cell
    schools.update_rules(s1, {"absence_warning_hours": 3.5}, by=SYSTEM)  # the school's threshold moves
    log_in(client, t1, s1.id)
    assert 'data-testid="warning-absence"' not in client.get("/?lang=en").text


def test_api_outlook(app, client, s1, staff):
    t1 = staff["t1"]
    credited(s1, staff, "lecture", [(t1, "attendee")], hours="4", start=local_start(3),
             attended={t1.id: "0.5"}, absent={t1.id: "3.5"})
    lecture = f.plan(s1, staff["organizer"], "lecture", [(t1, "attendee")], {"topic": "未来"}, hours="6",
                     start=local_start(-7))
    token = client.post("/api/v1/auth/token", json={"username": "t1", "password": f.PASSWORD}).get_json()["token"]
    got = client.get("/api/v1/me/outlook", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert got["needed"] == 49.5 and got["pending_hours"] == 6 and got["outlook"] == "needs_more"
    assert got["pending"] == [{"activity_id": lecture.id, "title": "测试活动", "type": "lecture", "state": "planned",
                               "hours": 6.0}]
    assert [(w["kind"], w["hours"], w["severe"]) for w in got["warnings"] if w["kind"] == "absence"] == [
        ("absence", 3.5, False)]
    bad = client.get("/api/v1/me/outlook?year=2026", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 422


def test_outlook_says_why_an_activity_brings_nothing(app, client, s1, staff):
    """An activity awaiting its credit where the teacher was absent is listed as bringing +0: the
    line says the absence, so the teacher does not read the 0 as a mistake."""
    t1, t2 = staff["t1"], staff["t2"]
    missed = credited(s1, staff, "lecture", [(t1, "attendee"), (t2, "attendee")], hours="3", start=local_start(3),
                      attended={t1.id: "0", t2.id: "3"}, absent={t1.id: "3"}, until="reviewed")
    log_in(client, t1, s1.id)
    line = client.get("/?lang=zh_Hans_CN").text.split(f'data-testid="pending-{missed.id}"')[1].split("</li>")[0]
    assert "缺席 3 学时 · +0 学时" in line
    log_in(client, t2, s1.id)
    line = client.get("/?lang=en").text.split(f'data-testid="pending-{missed.id}"')[1].split("</li>")[0]
    assert "Absent" not in line and "+3 hours" in line


def test_an_exempt_teacher_is_warned_of_nothing():
    """Nothing is asked of an exempt teacher this year: no absence or quota warning, nothing
    behind, whatever the facts (the summary warned 何立新, exempt near retirement, of reading notes)."""
    r1 = QuotaFact("reflections", 1, 0, 5)
    f1 = facts(quotas=(r1,), absent_hours={1: Decimal("6")})
    assert [w.kind for w in forecast.warnings(f1, date(2027, 1, 20), status=SHORT, accepted=())] == ["absence", "quota"]
    assert forecast.behind(f1, date(2027, 1, 20), status=SHORT, accepted=()) == [r1]
    assert forecast.warnings(f1, date(2027, 1, 20), status=EXEMPT, accepted=()) == []
    assert forecast.behind(f1, date(2027, 1, 20), status=EXEMPT, accepted=()) == []


def test_no_page_export_or_api_answer_warns_an_exempt_teacher(app, client, s1, staff):
    from portal.services import exemptions

    t1, t2 = staff["t1"], staff["t2"]
    credited(s1, staff, "lecture", [(t1, "attendee"), (t2, "attendee")], hours="4", start=local_start(3),
             attended={t1.id: "0", t2.id: "0"}, absent={t1.id: "4", t2.id: "4"})  # both absent, unexcused
    year = school_year_of(to_local(utcnow(), s1.timezone).date())
    exemptions.set_exemption(s1, staff["admin"], t1.id, year, "临近退休")
    log_in(client, staff["admin"], s1.id)
    summary = client.get("/reports/summary?lang=en").text
    t1_cell = summary.split('data-testid="warnings-t1"')[1].split("</td>")[0]
    t2_cell = summary.split('data-testid="warnings-t2"')[1].split("</td>")[0]
    assert "data-warning" not in t1_cell and 'data-warning="absence"' in t2_cell
    csv_response = client.get(f"/reports/summary.csv?year={year}&lang=en")
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"  # once: it said charset twice
    csv_rows = csv_response.text.splitlines()
    assert "unexcused absence" not in next(r for r in csv_rows if r.startswith("t1,"))
    assert "unexcused absence" in next(r for r in csv_rows if r.startswith("t2,"))
    token = client.post("/api/v1/auth/token", json={"username": "adm", "password": f.PASSWORD}).get_json()["token"]
    rows = client.get(f"/api/v1/reports/credits?year={year}", headers={"Authorization": f"Bearer {token}"}).get_json()
    warned = {r["username"]: [w["kind"] for w in r["warnings"]] for r in rows["teachers"]}
    assert warned["t1"] == [] and "absence" in warned["t2"]
    log_in(client, t1, s1.id)
    assert 'data-testid="warning-absence"' not in client.get("/?lang=en").text
    token = client.post("/api/v1/auth/token", json={"username": "t1", "password": f.PASSWORD}).get_json()["token"]
    assert client.get("/api/v1/me/outlook", headers={"Authorization": f"Bearer {token}"}).get_json()["warnings"] == []


def test_the_home_of_a_teacher_with_the_hours_but_not_the_writing(app, client, s1, staff):
    """With the school's rule that unmet writing makes the year short, a teacher past the hours
    read "-5 hours to go" and "the required hours are reached" on their home, where every other
    page said 未达标 with its reason (now 进行中 on every page until the year is over)."""
    t1 = staff["t1"]
    schools.update_rules(s1, {"required_hours": 4, "quotas_decide": True}, by=SYSTEM)
    credited(s1, staff, "lecture", [(t1, "attendee")], hours="6", start=local_start(3))
    log_in(client, t1, s1.id)
    home = client.get("/?lang=zh_Hans_CN").text
    badge = home.split('data-testid="hours-status"')[1].split("</span>")[0]
    # the year is under way, so the verdict short reads in progress (assessment.so_far), never "-5"
    assert 'data-status="in_progress"' in badge and "进行中" in badge and "-" not in badge.split(">", 1)[1]
    assert 'data-outlook="needs_more"' in home
    said = home.split('data-testid="forecast-outlook">')[1].split("</p>")[0]
    assert "已达到规定学时，但本学年尚未达标：未完成写作任务" in said and "还需" not in said
    token = client.post("/api/v1/auth/token", json={"username": "t1", "password": f.PASSWORD}).get_json()["token"]
    got = client.get("/api/v1/me/outlook", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert (got["outlook"], got["needed"]) == ("needs_more", 0)


def test_an_exempt_teachers_absence_is_no_red_warning_on_the_home(app, client, s1, staff):
    from portal.services import exemptions

    t1, t2 = staff["t1"], staff["t2"]
    credited(s1, staff, "lecture", [(t1, "attendee"), (t2, "attendee")], hours="6", start=local_start(3),
             attended={t1.id: "0", t2.id: "0"}, absent={t1.id: "6", t2.id: "6"})
    exemptions.set_exemption(s1, staff["admin"], t1.id, school_year_of(to_local(utcnow(), s1.timezone).date()), "临近退休")
    for who, red in ((t1, False), (t2, True)):
        log_in(client, who, s1.id)
        home = client.get("/?lang=zh_Hans_CN").text
        badge = home.split('data-testid="absence-semester-')[1].split("</li>")[0]
        assert ("text-bg-danger" in badge) is red, who.username
        # auditor: the exempt teacher read the limit that voids a year not assessed ("… 6 / 5 学时")
        block = home.split('data-testid="absence">', 1)[1].split("</ul>", 1)[0]
        assert ("不予认定" not in block and "6 学时" in badge and "/ 5" not in badge) is not red, (who.username, block)
