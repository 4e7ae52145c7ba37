"""An accepted year is locked: the services refuse (``year.locked``) and so does the database,
whoever writes (a console, a plugin, the CLI) — on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from portal.errors import Conflict
from portal.extensions import db
from portal.models import CreditEntry
from portal.policy import Actor
from portal.services import access, exemptions, submissions
from tests.credits.helpers import ledger_total
from tests.district.conftest import YEAR
from tests.support import factories as f
from tests.support.texts import prose


@pytest.fixture
def locked(world):
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    return sub


@pytest.fixture(params=["whole", "semesters"])
def closed(request, world):
    """S1's year closed by the district: accepted whole (:func:`locked`), or — a district that
    collects semesters — semester 1 then semester 2 accepted (in July, once both have begun).
    Both close the year alike (``locks.closed_clause``); the submission that closed it."""
    if request.param == "whole":
        return request.getfixturevalue("locked")
    from datetime import UTC

    from portal.services import districts

    request.getfixturevalue("time_machine").move_to(datetime(2027, 7, 5, 2, 0, tzinfo=UTC))
    districts.update_settings(world.d1, {"submission_period": "semester"},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    reviewer = Actor.of(world.reviewer1.id, ["district_reviewer"])
    for semester in (1, 2):
        sub = submissions.submit(world.s1, YEAR, semester, by=admin)
        submissions.decide(sub.id, True, by=reviewer, district_id=world.d1.id)
    db.session.commit()
    return sub


def _refused_as_locked(call) -> None:
    with pytest.raises(Conflict) as info:
        call()
    assert info.value.msg.code == "year.locked"
    db.session.rollback()


def test_revoke_and_credit_are_refused(world, locked):
    t1 = world.staff["t1"]
    before = ledger_total(t1.id, world.s1.id, YEAR)
    _refused_as_locked(lambda: f.fire(world.act, world.staff["reviewer"], "revoke", "错误"))
    from tests.credits.helpers import prepare_approve

    prepare_approve(world.held, world.staff["organizer"], [(world.staff["t3"], "attendee")])
    # approving confirms attendance: its absence would start counting for the accepted year
    _refused_as_locked(lambda: f.fire(world.held, world.staff["reviewer"], "approve", "材料齐全"))
    assert ledger_total(t1.id, world.s1.id, YEAR) == before
    assert ledger_total(world.staff["t3"].id, world.s1.id, YEAR) == 0


def test_attendance_and_exemptions_are_refused(world, locked):
    org = world.staff["organizer"]
    _refused_as_locked(lambda: f.attend(world.held, org))  # planned and held before the lock
    admin = world.staff["admin"]
    _refused_as_locked(lambda: exemptions.set_exemption(world.s1, admin, world.staff["t4"].id, YEAR, "病假"))
    _refused_as_locked(lambda: exemptions.clear_exemption(world.s1, admin, world.staff["t4"].id, YEAR))


def test_the_attendance_page_offers_no_save_in_an_accepted_semester(app, world, locked):
    """The page of a held activity in the accepted year said nothing, offered the fill and an
    enabled save, and only the save was refused (``year.locked``): it now says the refusal's words
    and offers neither; another school's year stays open."""
    from lxml import html as lxml_html

    from tests.credits.helpers import login

    client = login(app.test_client(), world.staff["organizer"], world.s1)
    page = lxml_html.fromstring(client.get(f"/activities/{world.held.id}/attendance?lang=zh_Hans_CN").get_data(
        as_text=True))
    note = page.xpath('.//*[@data-testid="attendance-locked"]')
    assert note and "已由区里审核通过并锁定" in note[0].text_content(), note and note[0].text_content()
    assert not page.xpath('.//*[@data-testid="fill-attendance"]')
    assert page.xpath('.//*[@data-testid="attendance-submit"]')[0].get("disabled") is not None


def test_attendance_asks_the_lock_again_inside_its_write(world, monkeypatch):
    """An acceptance committed after the quick check before the write (on SQLite the read ends
    before the write begins) is seen inside it: attendance was asked once, before (found by the
    attack, reading the code). Here the year is accepted at that very moment."""
    from portal.models import Participation
    from portal.services import activities, locks

    org, held = world.staff["organizer"], world.held
    asked = []
    real = locks.is_locked

    def accepted_after_the_first_ask(*args, **kwargs):
        asked.append(args)
        return len(asked) > 1 or real(*args, **kwargs)

    monkeypatch.setattr(locks, "is_locked", accepted_after_the_first_ask)
    before = {p.id: p.attended_hours for p in db.session.scalars(
        select(Participation).where(Participation.activity_id == held.id))}
    people = [{"user_id": part.user_id, "attended_hours": "1"}
              for part, _user in activities.participants_with_users(held.id)]
    _refused_as_locked(lambda: activities.record_attendance(held, org, people))
    assert len(asked) == 2
    db.session.expire_all()
    assert {p.id: p.attended_hours for p in db.session.scalars(
        select(Participation).where(Participation.activity_id == held.id))} == before


def test_other_schools_and_years_stay_open(world, locked):
    act = f.plan(world.s1, world.staff["organizer"], "lecture", [(world.staff["t4"], "attendee")],
                 {"topic": "下一年"}, start=datetime(2025, 11, 3, 14, 0))  # 2025-2026
    f.attend(act, world.staff["organizer"])
    exemptions.set_exemption(world.s1, world.staff["admin"], world.staff["t4"].id, "2025-2026", "病假")


def test_reopen_unlocks(world, locked):
    submissions.reopen(locked.id, "更正", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    f.fire(world.act, world.staff["reviewer"], "revoke", "更正错误")
    assert ledger_total(world.staff["t1"].id, world.s1.id, YEAR) == 0


def _console(app):
    """Another connection to the same database, as a console or script would have."""
    return create_engine(app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql://", "postgresql+psycopg://"))


def test_the_database_refuses_ledger_attendance_and_exemption_writes(app, world, locked):
    t1 = world.staff["t1"]
    entry = db.session.execute(select(CreditEntry).where(CreditEntry.user_id == t1.id)).scalars().first()
    engine = _console(app)
    try:
        statements = [
            ("INSERT INTO credit_entry (school_id, user_id, activity_id, type_key, role, school_year, semester, hours, "
             "kind, round, reason, created_by, created_at) VALUES (:s, :u, :a, 'lecture', 'attendee', :y, 1, -4, "
             "'reversal', 1, 'console', :u, CURRENT_TIMESTAMP)",
             {"s": world.s1.id, "u": t1.id, "a": entry.activity_id, "y": YEAR}),
            ("UPDATE participation SET absent_hours = 4, attended_hours = 0 WHERE activity_id = :a",
             {"a": world.act.id}),
            ("INSERT INTO exemption (user_id, school_id, school_year, reason, created_by, created_at) "
             "VALUES (:u, :s, :y, 'console', :u, CURRENT_TIMESTAMP)", {"u": t1.id, "s": world.s1.id, "y": YEAR}),
        ]
        for sql, params in statements:
            with pytest.raises(DBAPIError) as info, engine.begin() as conn:
                conn.execute(text(sql), params)
            assert "locked" in str(info.value)
        with engine.begin() as conn:  # another year of the same school is open
            conn.execute(text(statements[0][0]), {**statements[0][1], "y": "2025-2026"})
    finally:
        engine.dispose()
    assert ledger_total(t1.id, world.s1.id, YEAR) == 4


def test_the_cli_is_refused_too(app, world, locked):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["activity", "fire", str(world.act.id), "revoke", "--comment", "命令行", "--as", "rev"])
    assert r.exit_code != 0 and "locked" in r.output
    r = runner.invoke(args=["district", "reopen", str(locked.id), "--reason", "命令行更正", "--as", "adm.d1"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["activity", "fire", str(world.act.id), "revoke", "--comment", "命令行", "--as", "rev"])
    assert r.exit_code == 0, r.output


def _stored_rows(world) -> dict[int, tuple]:
    from portal.services import teacher_years

    return {row[2]: row for row in teacher_years.stored(YEAR) if row[0] == world.s1.id}


def test_teacher_year_rows_of_a_locked_year_stay_as_accepted(world, closed):
    """The stored teacher-year rows (``teacher_years``) of a year the district accepted do not
    move when the school's rules change; once reopened, the same change is kept up as usual."""
    from portal.services import schools

    admin = access.actor(world.staff["admin"].id, world.s1.id)
    t1 = world.staff["t1"].id
    before = _stored_rows(world)
    assert before[t1][8] == "short"  # 4 hours credited, the requirement is higher
    schools.update_rules(world.s1, {"required_hours": 4}, by=admin)
    db.session.commit()
    assert _stored_rows(world) == before
    assert {row["user_id"]: row["status"] for row in closed.rows}[t1] == "short"  # the frozen snapshot too
    submissions.reopen(closed.id, "更正", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    schools.update_rules(world.s1, {"required_hours": 4}, by=admin)
    db.session.commit()
    assert _stored_rows(world)[t1][8] == "met"


def test_a_rebuild_keeps_the_rows_and_type_totals_of_a_locked_year(world, closed):
    """``flask credits rebuild-year-rows`` after a change of rules (a policy plugin installed,
    say) leaves a year the district accepted as accepted: its teacher-year rows and the
    school's type totals (the district chart's figures), refilled from those rows if the
    table of totals was emptied (as after its migration)."""
    from portal.models import SchoolYearTypeHours
    from portal.services import schools, teacher_years

    admin = access.actor(world.staff["admin"].id, world.s1.id)
    t1 = world.staff["t1"].id
    before = _stored_rows(world)
    types_before = [r for r in teacher_years.stored_type_hours(YEAR) if r[0] == world.s1.id]
    assert types_before and sum(r[3] for r in types_before) == sum(r[3] for r in before.values())
    schools.update_rules(world.s1, {"required_hours": 4}, by=admin)
    db.session.execute(SchoolYearTypeHours.__table__.delete())
    teacher_years.rebuild([YEAR])
    db.session.commit()
    assert _stored_rows(world) == before and before[t1][8] == "short"
    assert [r for r in teacher_years.stored_type_hours(YEAR) if r[0] == world.s1.id] == types_before
    submissions.reopen(closed.id, "更正", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    teacher_years.rebuild([YEAR])
    db.session.commit()
    assert _stored_rows(world)[t1][8] == "met"  # reopened: computed again under today's rules


def test_every_view_of_a_locked_year_keeps_the_rules_it_was_accepted_with(app, world, closed):
    """The district accepted t1 at 4 h of 50 (short). The school then lowers its requirement to
    4 h for the years to come: the district's page kept counting t1 short (the stored rows stay as
    accepted) while the school summary, its CSV, t1's 学时证明, the API and the district's own CSV
    judged the accepted year again by the new rule (应修学时 4, 达标). Now every view of the closed
    year judges it by the rules it was submitted and accepted with."""
    import csv
    import io

    from portal.reports import exports
    from portal.services import credits, overview, schools, tokens
    from tests.credits.helpers import login

    admin, t1 = world.staff["admin"], world.staff["t1"]
    schools.update_rules(world.s1, {"required_hours": 4}, by=access.actor(admin.id, world.s1.id))
    db.session.commit()
    frozen = {row["user_id"]: row for row in closed.rows}[t1.id]
    assert (frozen["total"], frozen["required"], frozen["status"]) == ("4", "50", "short")
    one = credits.teacher_year(t1, world.s1, YEAR)
    assert (one.facts.required_hours, one.assessment.status) == (Decimal("50"), "short")
    row = next(ty for ty in credits.school_summary(world.s1, YEAR) if ty.user.id == t1.id)
    assert (row.facts.required_hours, row.assessment.status) == (Decimal("50"), "short")
    lines = list(csv.reader(io.StringIO(b"".join(exports.stream_summary_csv(world.s1, YEAR)).decode("utf-8-sig"))))
    line = dict(zip(lines[0], next(r for r in lines if r[0] == "t1"), strict=True))
    assert (line["应修学时"], line["考核结果"]) == ("50", "未达标")
    district = next(r for r in overview.district_overview(YEAR, district_id=world.d1.id) if r.school.id == world.s1.id)
    assert district.by_status["met"] == closed.met == 0
    token = tokens.issue(admin).token
    auth = {"Authorization": f"Bearer {token}"}
    r = app.test_client().get(f"/api/v1/users/{t1.id}/credits?year={YEAR}", headers=auth)
    assert r.get_json()["status"] == "short"
    report = app.test_client().get(f"/api/v1/reports/credits?year={YEAR}", headers=auth).get_json()
    assert report["required_hours"] == 50
    assert next(t for t in report["teachers"] if t["username"] == "t1")["status"] == "short"
    client = app.test_client()
    login(client, t1, world.s1)
    assert 'data-testid="hours-required">50<' in client.get("/").get_data(as_text=True)
    # the next year is judged by the new rule
    assert credits.teacher_year(t1, world.s1, "2027-2028").facts.required_hours == Decimal("4")


def test_the_accepted_years_teachers_stay_those_accepted_when_staff_come_and_go(app, world, closed, time_machine):
    """After the district accepted S1's year (6 teachers), a teacher joins and t3 (nothing
    credited) leaves: the district page still counted the 6 accepted, but the school's 学时汇总表
    for that year (page, CSV, PDF, API) listed 6 others (the newcomer at 0 h, short; t3 gone).
    Every view of the accepted year now lists the teachers it was accepted with."""
    import csv
    import io

    from portal.reports import exports
    from portal.services import credits, overview
    from portal.services import staff as staff_service

    admin = access.actor(world.staff["admin"].id, world.s1.id)
    accepted = {row["username"] for row in closed.rows}
    assert "t3" in accepted and len(accepted) == closed.teachers == 6
    f.person(world.s1, "newbie", "teacher", name="新来")
    staff_service.deactivate(world.s1, world.staff["t3"].id, by=admin)
    db.session.commit()
    assert {ty.user.username for ty in credits.school_summary(world.s1, YEAR)} == accepted
    lines = list(csv.reader(io.StringIO(b"".join(exports.stream_summary_csv(world.s1, YEAR)).decode("utf-8-sig"))))
    assert {r[0] for r in lines[1:]} == accepted
    district = next(r for r in overview.district_overview(YEAR, district_id=world.d1.id) if r.school.id == world.s1.id)
    assert district.teachers == 6
    # the next year, once begun (one not begun is on no record: credits.years_on_record), has
    # the newcomer and not t3
    from datetime import UTC

    time_machine.move_to(datetime(2027, 9, 15, 2, 0, tzinfo=UTC))
    names = {ty.user.username for ty in credits.school_summary(world.s1, "2027-2028")}
    assert "newbie" in names and "t3" not in names


def test_reopening_brings_the_stored_rows_up_to_date_with_what_changed_while_locked(world, closed):
    """While S1's year was accepted the school lowered its requirement to 4 h and a teacher
    joined; the district then reopened the year. Its stored rows stayed as accepted: the district
    page counted t1 short (0 of 6 met) while the school's pages, its 学时证明 and the API said met,
    and the summary page listed 6 teachers where its CSV listed 7. Reopening now rebuilds them."""
    from portal.services import credits, overview, schools, teacher_years

    schools.update_rules(world.s1, {"required_hours": 4}, by=access.actor(world.staff["admin"].id, world.s1.id))
    f.person(world.s1, "newbie", "teacher", name="新来")
    db.session.commit()
    submissions.reopen(closed.id, "更正", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    db.session.commit()
    summary = credits.school_summary(world.s1, YEAR)
    assert {ty.user.username: ty.assessment.status for ty in summary}["t1"] == "met" and len(summary) == 7
    stored = teacher_years.summary_rows(world.s1, YEAR)
    assert stored is not None and [(r.user.id, r.assessment.status) for r in stored] == [
        (ty.user.id, ty.assessment.status) for ty in summary]
    district = next(r for r in overview.district_overview(YEAR, district_id=world.d1.id) if r.school.id == world.s1.id)
    assert district.teachers == 7 and district.met == sum(1 for ty in summary if ty.assessment.status == "met")


def test_the_cached_summary_page_follows_the_lock_and_its_reopening(app, world, closed):
    """The summary page is cached under the school's data stamp. Reopening changes what the
    year is judged by (the rules of today instead of those accepted) without touching a row the
    stamp triggers watch: the page kept showing 应修 50 / 未达标 for t1 while the CSV said 4 / 达标."""
    import re

    from portal.services import schools
    from tests.credits.helpers import login

    schools.update_rules(world.s1, {"required_hours": 4}, by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()
    client = app.test_client()
    login(client, world.staff["admin"], world.s1)

    def t1_row() -> str:
        html = client.get(f"/reports/summary?year={YEAR}").get_data(as_text=True)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.split('data-user="t1"')[1].split("</tr>")[0]))

    assert " 4 50 未达标 " in t1_row()  # judged by the rules accepted
    submissions.reopen(closed.id, "更正", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    db.session.commit()
    assert " 4 4 达标 " in t1_row()


def test_written_evidence_is_refused_in_an_accepted_year(world, locked):
    """Attack: after the district accepted the year, a teacher (or the organiser for them) attaches
    reading notes to an activity of that year still open for evidence, and the accepted year's
    writing quotas change under the district. Now refused as locked; nothing is written."""
    from portal.models import Evidence
    from portal.services import activities, credits

    t3 = world.staff["t3"]
    before = credits.teacher_year(t3, world.s1, YEAR).facts.quotas
    n = db.session.scalar(select(func.count()).select_from(Evidence))
    _refused_as_locked(lambda: activities.add_evidence(world.held, t3, t3.id, "reading_notes", "读书笔记",
                                                       text=prose(9000, "读")))
    _refused_as_locked(lambda: activities.add_evidence(world.held, world.staff["organizer"], t3.id, "reflection",
                                                       "反思", text="这节课学生参与度高。"))
    assert db.session.scalar(select(func.count()).select_from(Evidence)) == n
    assert credits.teacher_year(t3, world.s1, YEAR).facts.quotas == before


def test_an_accepted_year_keeps_the_rules_it_was_accepted_under(app, world, closed):
    """Attack: after the district accepted S1's year (t1 and t2 short of 50 hours), the school
    admin lowered the required hours to 4: the school's summary, its exports, the teachers'
    pages and the API judged the accepted year by today's rule and said "met", while the
    district kept "short". An accepted year is now judged by the rules in force when the
    district accepted it, on every page; reopening the year lets today's rules apply again."""
    from portal.services import credits, schools, teacher_years

    def statuses() -> dict[str, str]:
        return {ty.user.username: ty.assessment.status for ty in credits.school_summary(world.s1, YEAR)}

    before = statuses()
    assert before["t1"] == "short"
    schools.update_rules(world.s1, {"required_hours": 4}, by=access.actor(world.staff["admin"].id, world.s1.id))
    db.session.commit()
    assert statuses() == before
    assert credits.teacher_year(world.staff["t1"], world.s1, YEAR).assessment.status == "short"
    assert teacher_years.counts_by_school(YEAR, [world.s1])[world.s1.id][1]["met"] == 0
    assert credits.teacher_year(world.staff["t1"], world.s1, "2025-2026").facts.required_hours == 4  # other years: today's
    from portal.services import tokens

    bearer = {"Authorization": f"Bearer {tokens.issue(world.staff['admin']).token}", "X-School": "S1"}
    report = app.test_client().get(f"/api/v1/reports/credits?year={YEAR}", headers=bearer).get_json()
    assert report["required_hours"] == 50
    assert {r["username"]: r["status"] for r in report["teachers"]}["t1"] == "short"
    submissions.reopen(closed.id, "更正", by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    db.session.commit()
    assert statuses()["t1"] == "met"


def test_an_accepted_years_teachers_stay_those_accepted_whatever_else_counts_there(app, world, closed):
    """A school's year lists everyone with something there that its figures count (writing, an
    absence, an exemption): of a year the district accepted whole, still only those it kept.
    A newcomer's reading notes of that year, written around the services (a console: the
    services refuse writing in an accepted year), put nobody on it; the record has the year, but
    says the newcomer joined after the acceptance."""
    from portal.models import OwnWriting
    from portal.services import credits, overview

    accepted = {row["username"] for row in closed.rows}
    newbie = f.person(world.s1, "newbie", "teacher", name="新来")
    db.session.add(OwnWriting(school_id=world.s1.id, user_id=newbie.id, school_year=YEAR, semester=1,
                              kind="reading_notes", title="《给教师的建议》", text=prose(600, "读"), char_count=600))
    db.session.commit()
    assert {ty.user.username for ty in credits.school_summary(world.s1, YEAR)} == accepted
    district = next(r for r in overview.district_overview(YEAR, district_id=world.d1.id) if r.school.id == world.s1.id)
    assert district.teachers == len(accepted)
    assert YEAR in credits.record_years(newbie, world.s1)
    assert credits.teacher_year(newbie, world.s1, YEAR).joined_after_acceptance


def test_the_attendance_page_of_an_accepted_semester_offers_no_field_to_change(app, world, request):
    """Review (hGA): after the page said the refusal and disabled the save, its QR note still said
    "Confirm or correct them." and every hour field stayed editable. Offered equals allowed: the
    fields are disabled, the note says who checked in and nothing to confirm or correct, zh and en."""
    from lxml import html as lxml_html

    from portal.models import CheckIn
    from tests.credits.helpers import login

    db.session.add(CheckIn(activity_id=world.held.id, user_id=world.staff["t3"].id))
    db.session.commit()
    request.getfixturevalue("locked")
    client = login(app.test_client(), world.staff["organizer"], world.s1)
    for lang, said, correct in (("zh_Hans_CN", "1 人已扫码签到。", "更正"), ("en", "1 checked in by QR code.", "correct")):
        page = lxml_html.fromstring(client.get(f"/activities/{world.held.id}/attendance?lang={lang}").get_data(
            as_text=True))
        note = page.xpath('.//*[@data-testid="checkin-note"]')[0].text_content()
        assert said in note and correct not in note, (lang, note)
        fields = page.xpath('.//*[@data-testid="attendance-form"]//input[@inputmode="decimal"]')
        assert fields and all(field.get("disabled") is not None for field in fields), lang
