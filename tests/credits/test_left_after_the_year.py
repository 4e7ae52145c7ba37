"""A school year over before a teacher left stays theirs (``Membership.until``).

Auditor: taking a teacher's role away (staff page: deactivate, or roles without 教师) took them
off every past year where nothing of theirs counted: a school admin could shrink last year's
未达标 count before submitting it, by deactivating the teachers short of hours. Now a year over
before the role ended lists them as before, marked 已离校; a year not over when they left lists
them only for what it counts of theirs (as before)."""

from __future__ import annotations

from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from portal.extensions import db
from portal.models import EarlierStint, Membership, School, StaffChange, TeacherYearRow, User
from portal.services import access, credits, submissions, teacher_years, tokens
from portal.services import staff as staff_service
from portal.timeutil import current_school_year
from tests.credits.conftest import build_school_and_staff
from tests.credits.helpers import PAST_STARTS, credited, hold_year, login, rows_are_a_rebuild
from tests.support import factories as f
from tests.support.prepared import prepared_by

PAST = "2025-2026"  # PAST_STARTS[0] falls in it
BEFORE_MIGRATION = "b7d2e9f4a1c3"  # the revision before ``membership.until``


def _build() -> dict:
    """S1 and its staff; last year a lecture credited t1 6 h (short of 50), the others nothing:
    the year has stored rows."""
    facts = build_school_and_staff()
    s1 = db.session.get_one(School, facts["s1"])
    staff = f.people_of(facts["staff"])
    credited(s1, staff, "lecture", [(staff["t1"], "attendee")], hours="6", start=PAST_STARTS[0], title="往年讲座")
    for year in ("2021-2022", "2022-2023", "2023-2024", "2024-2025"):  # years the school holds something of
        hold_year(s1, staff["organizer"], year)
    return facts


prepared = prepared_by(_build)


def _admin(staff: dict[str, User], school: School) -> access.Actor:
    return access.actor(staff["admin"].id, school.id)


def _past(school: School) -> dict[str, str]:
    return {ty.user.username: ty.assessment.status for ty in credits.school_summary(school, PAST)}


def test_taking_a_teacher_off_today_does_not_shrink_last_years_list(app, s1, staff):
    before = _past(s1)
    assert before["t1"] == before["t2"] == before["t3"] == "short"
    stored_before = teacher_years.summary_rows(s1, PAST)
    assert stored_before is not None and {r.user.username for r in stored_before} == set(before)
    by = _admin(staff, s1)
    staff_service.deactivate(s1, staff["t2"].id, by=by)  # t2: nothing at all last year
    staff_service.set_roles(s1, staff["t3"].id, ["organizer"], by=by)  # t3 no longer teaches
    assert _past(s1) == before
    assert {r.user.username for r in teacher_years.summary_rows(s1, PAST) or []} == set(before)
    rows_are_a_rebuild(s1, (PAST, current_school_year(s1.timezone)))
    # this year, not over when they left and with nothing of theirs, does not list them
    now = {ty.user.username for ty in credits.school_summary(s1, current_school_year(s1.timezone))}
    assert {"t2", "t3"}.isdisjoint(now) and {"t1", "t4"} <= now
    # marked as having left, on the page and in the frozen submission the district reads
    client = login(app.test_client(), staff["admin"], s1)
    page = client.get(f"/reports/summary?year={PAST}&lang=zh_Hans_CN").get_data(as_text=True)
    row_of_t2 = page.split('data-testid="status-t2"', 1)[0].rsplit("<tr", 1)[1]
    assert 'data-testid="left-school"' in row_of_t2
    sub = submissions.submit(s1, PAST, by=by)
    assert (sub.teachers, sub.short) == (len(before), list(before.values()).count("short"))


def test_a_role_given_back_is_as_before(app, s1, staff):
    by = _admin(staff, s1)
    staff_service.set_roles(s1, staff["t2"].id, ["organizer"], by=by)
    staff_service.set_roles(s1, staff["t2"].id, ["teacher"], by=by)
    now = current_school_year(s1.timezone)
    assert "t2" in {ty.user.username for ty in credits.school_summary(s1, now)}
    assert "t2" in _past(s1) and staff["t2"].id in credits.teaching_now(s1.id)


def test_who_left_before_the_year_was_over_is_on_it_only_for_what_counts(app, s1, staff, monkeypatch):
    """t2 (nothing last year) and t1 (6 h) left in June 2026, before 2025-2026 was over."""
    monkeypatch.setattr(staff_service, "utcnow", lambda: datetime(2026, 6, 1, 2, 0))
    by = _admin(staff, s1)
    staff_service.deactivate(s1, staff["t2"].id, by=by)
    staff_service.deactivate(s1, staff["t1"].id, by=by)
    past = _past(s1)
    assert "t2" not in past and past["t1"] == "short"
    assert {r.user.username for r in teacher_years.summary_rows(s1, PAST) or []} == set(past)


def test_the_migration_dates_the_roles_ended_from_the_staff_log_and_drops_the_rows_now_short(app, s1, staff):
    """Before ``membership.until``, t2 and t3 were deactivated (a staff-log line each) and last
    year's rows were written without them; t4's role ended with no line. The upgrade dates t2's
    and t3's ends from their lines and removes last year's rows, which lacked them (pages compute
    the year until its next change writes it); t4 keeps NULL, the old rule."""
    by, school_id, ids = _admin(staff, s1), s1.id, {who: u.id for who, u in staff.items()}
    for who in ("t2", "t3"):
        staff_service.deactivate(s1, staff[who].id, by=by)
    logged = {uid: at for uid, at in db.session.execute(
        select(StaffChange.user_id, StaffChange.created_at).where(StaffChange.what == "roles"))}
    db.session.execute(text("UPDATE membership SET active = :no, until = NULL WHERE user_id = :t4"),
                       {"no": False, "t4": staff["t4"].id})
    # the rows the code before this revision wrote: without those who left with nothing
    db.session.execute(text("DELETE FROM teacher_year WHERE school_year = :y AND user_id IN (:a, :b, :c)"),
                       {"y": PAST, "a": staff["t2"].id, "b": staff["t3"].id, "c": staff["t4"].id})
    now_rows = db.session.execute(text("SELECT count(*) FROM teacher_year WHERE school_year != :y"), {"y": PAST}).scalar()
    db.session.commit()
    db.session.remove()
    downgrade(revision=BEFORE_MIGRATION)
    upgrade()
    until = dict(db.session.execute(select(Membership.user_id, Membership.until).where(
        Membership.school_id == school_id, Membership.role == "teacher")).all())
    assert until[ids["t2"]] == logged[ids["t2"]] and until[ids["t3"]] == logged[ids["t3"]]
    assert until[ids["t4"]] is None and until[ids["t1"]] is None
    past_rows = db.session.execute(select(TeacherYearRow).where(TeacherYearRow.school_year == PAST)).scalars().all()
    assert past_rows == []
    assert db.session.execute(text("SELECT count(*) FROM teacher_year WHERE school_year != :y"),
                              {"y": PAST}).scalar() == now_rows
    listed = _past(db.session.get_one(School, school_id))
    assert {"t2", "t3"} <= set(listed) and "t4" not in listed



def _away_and_back(s1: School, staff: dict[str, User], monkeypatch, *, again: bool = True) -> None:
    """t2 left in March 2024, came back in October 2025 (and, ``again``, left in October 2026)."""
    from portal.services import users

    by = _admin(staff, s1)

    def at(when: datetime) -> None:
        for module in (staff_service, users):
            monkeypatch.setattr(module, "utcnow", lambda: when)

    at(datetime(2024, 3, 1, 2, 0))
    staff_service.deactivate(s1, staff["t2"].id, by=by)
    at(datetime(2025, 10, 1, 2, 0))
    staff_service.set_roles(s1, staff["t2"].id, ["teacher"], by=by)
    if again:
        at(datetime(2026, 10, 1, 2, 0))
        staff_service.deactivate(s1, staff["t2"].id, by=by)
    monkeypatch.undo()


def _years_listing(s1: School, who: str) -> dict[str, bool]:
    return {year: who in {ty.user.username for ty in credits.school_summary(s1, year)}
            for year in ("2021-2022", "2022-2023", "2023-2024", "2024-2025", PAST, current_school_year(s1.timezone))}


def test_one_away_while_a_year_ended_is_none_of_the_years_away(app, s1, staff, monkeypatch):
    """Review: t2 left in March 2024, came back in October 2025 and left again in October 2026;
    with one ``since`` and the last ``until``, t2 was on 2023-2024 and 2024-2025 (away at both
    ends) as "short". Given back after a year ended while away, the role is dated from the return;
    the stretch before the gap is kept (``EarlierStint``), so 2021-2022 and 2022-2023, over while
    t2 taught here, stay theirs (a school admin cannot shrink them by a leave and a return)."""
    teacher_years.refresh(s1, "2022-2023")  # a year before the gap with stored rows: kept with t2
    db.session.commit()
    _away_and_back(s1, staff, monkeypatch)
    assert "t2" in {r.user.username for r in teacher_years.summary_rows(s1, "2022-2023") or []}
    assert _years_listing(s1, "t2") == {"2021-2022": True, "2022-2023": True, "2023-2024": False,
                                        "2024-2025": False, PAST: True, current_school_year(s1.timezone): False}
    stints = db.session.execute(select(EarlierStint.since, EarlierStint.until).join(
        Membership, Membership.id == EarlierStint.membership_id).where(Membership.user_id == staff["t2"].id)).all()
    assert stints == [(datetime(2020, 9, 1), datetime(2024, 3, 1, 2, 0))]
    rows_are_a_rebuild(s1, ("2022-2023", "2023-2024", PAST))


def test_back_after_a_gap_their_record_tells_the_years_apart(app, s1, staff, monkeypatch):
    """The record and the API say which years were theirs: one before the gap is assessed (short,
    nothing there), one over while they were away is "not their year" (``joined_after_year``)."""
    _away_and_back(s1, staff, monkeypatch, again=False)
    t2 = db.session.get_one(User, staff["t2"].id)
    before_gap, away = credits.teacher_year(t2, s1, "2022-2023"), credits.teacher_year(t2, s1, "2024-2025")
    assert not before_gap.joined_after_year and before_gap.assessment.status == "short"
    assert away.joined_after_year
    token = tokens.issue(staff["admin"]).token
    for year, joined_after in (("2022-2023", False), ("2024-2025", True)):
        body = app.test_client().get(f"/api/v1/users/{t2.id}/credits?year={year}",
                                     headers={"Authorization": f"Bearer {token}"}).get_json()
        assert body["joined_after_year"] is joined_after, (year, body)
        assert (body["status"] is None) is joined_after
    home = login(app.test_client(), t2, s1).get("/?year=2024-2025&lang=zh_Hans_CN").get_data(as_text=True)
    assert 'data-testid="joined-after-year"' in home


def test_the_migration_keeps_the_stretch_before_a_gap_from_the_staff_log(app, s1, staff, monkeypatch):
    """A leave and a return made before ``membership_stint`` (the role dated from the return, the
    stretch before forgotten, the years before stored without t2): the upgrade finds the stretch
    in the staff log (from when the account was made to the leave), lists t2 on those years again
    and removes their stored rows, which lacked t2; a return within the year the role ended in
    (t3) and one never ended (t1) get none."""
    by, school_id, ids = _admin(staff, s1), s1.id, {who: u.id for who, u in staff.items()}
    _away_and_back(s1, staff, monkeypatch, again=False)
    teacher_years.refresh(s1, "2022-2023")
    staff_service.deactivate(s1, staff["t3"].id, by=by)
    staff_service.set_roles(s1, staff["t3"].id, ["teacher"], by=by)
    # the log lines dated as the changes were (the model dates them by the clock)
    lines = db.session.execute(select(StaffChange.id).where(StaffChange.user_id == ids["t2"]).order_by(StaffChange.id)).scalars()
    for line, when in zip(lines, (datetime(2024, 3, 1, 2, 0), datetime(2025, 10, 1, 2, 0)), strict=True):
        db.session.execute(text("UPDATE staff_change SET created_at = :at WHERE id = :id"), {"at": when, "id": line})
    db.session.execute(text("DELETE FROM membership_stint"))
    assert db.session.execute(text("SELECT count(*) FROM teacher_year WHERE school_year = '2022-2023'")).scalar() > 1
    db.session.execute(text("DELETE FROM teacher_year WHERE school_year = '2022-2023' AND user_id = :t2"),
                       {"t2": ids["t2"]})
    kept = db.session.execute(text("SELECT count(*) FROM teacher_year WHERE school_year = :y"), {"y": PAST}).scalar()
    db.session.commit()
    db.session.remove()
    downgrade(revision="d9f4a2c6e813")
    upgrade()
    stints = db.session.execute(select(Membership.user_id, EarlierStint.since, EarlierStint.until).join(
        Membership, Membership.id == EarlierStint.membership_id)).all()
    assert stints == [(ids["t2"], datetime(2020, 9, 1), datetime(2024, 3, 1, 2, 0))]
    assert db.session.execute(text("SELECT count(*) FROM teacher_year WHERE school_year = '2022-2023'")).scalar() == 0
    assert db.session.execute(text("SELECT count(*) FROM teacher_year WHERE school_year = :y"), {"y": PAST}).scalar() == kept
    school = db.session.get_one(School, school_id)
    assert _years_listing(school, "t2")["2022-2023"] and not _years_listing(school, "t2")["2024-2025"]


def test_switched_off_and_on_within_a_year_changes_no_year(app, s1, staff):
    before = _past(s1)
    by = _admin(staff, s1)
    staff_service.deactivate(s1, staff["t2"].id, by=by)
    staff_service.set_roles(s1, staff["t2"].id, ["teacher"], by=by)
    assert _past(s1) == before
    since, until = db.session.execute(select(Membership.since, Membership.until).where(
        Membership.user_id == staff["t2"].id, Membership.role == "teacher")).one()
    assert until is None and since < datetime(2025, 9, 1)
