"""Review of ``EarlierStint`` (a teacher who left and came back keeps the years over before they
left) and of migration ``e6b2d4f8a3c5``, which finds such stretches in the staff log.

The migration began every stretch at the account's creation unless it followed an earlier
return: a person made a teacher years after their account was made (an organizer given 教师,
the staff page's roles) who then left and came back was listed, short with 0 h, on every year
between their account and the day they became a teacher — years that were never theirs, padded
onto the 未达标 list. A role's first giving in the log begins its stretch, as
``Membership.since`` would have said (the role is dated from its giving); only the account's
own first line (made with the account) keeps the account's date.
"""

from __future__ import annotations

from datetime import datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from portal.extensions import db
from portal.models import EarlierStint, Membership, School, StaffChange, User
from portal.services import access, credits, teacher_years, tokens
from portal.services import staff as staff_service
from portal.timeutil import current_school_year
from tests.credits.conftest import build_school_and_staff
from tests.credits.helpers import PAST_STARTS, credited, hold_year, login, rows_are_a_rebuild
from tests.support import factories as f
from tests.support.prepared import prepared_by

PAST = "2025-2026"
BEFORE = "d9f4a2c6e813"  # the revision before ``membership_stint``


def _build() -> dict:
    facts = build_school_and_staff()
    s1 = db.session.get_one(School, facts["s1"])
    staff = f.people_of(facts["staff"])
    credited(s1, staff, "lecture", [(staff["t1"], "attendee")], hours="6", start=PAST_STARTS[0], title="往年讲座")
    for year in ("2020-2021", "2021-2022", "2022-2023", "2023-2024", "2024-2025"):  # on the school's records
        hold_year(s1, staff["organizer"], year)
    late = f.person(s1, "late", "organizer")  # an account of 2020, first an organizer only
    return {**facts, "late": late.id}


prepared = prepared_by(_build)


def _admin(staff: dict[str, User], school: School) -> access.Actor:
    return access.actor(staff["admin"].id, school.id)


def _listed(school: School, who: str, years: tuple[str, ...]) -> dict[str, bool]:
    return {year: who in {ty.user.username for ty in credits.school_summary(school, year)} for year in years}


def _date_the_log(user_id: int, *when: datetime) -> None:
    """The person's roles lines dated as the changes were (the model dates them by the clock)."""
    lines = db.session.execute(select(StaffChange.id).where(
        StaffChange.user_id == user_id, StaffChange.what == "roles").order_by(StaffChange.id)).scalars().all()
    assert len(lines) == len(when), lines
    for line, at in zip(lines, when, strict=True):
        db.session.execute(text("UPDATE staff_change SET created_at = :at WHERE id = :id"), {"at": at, "id": line})


def _taught_left_and_came_back_before_stints(s1: School, staff: dict[str, User], late_id: int, given: datetime) -> None:
    """``late`` given 教师 at ``given``, off the staff in March 2024, 教师 again in October 2025,
    as the code before ``membership_stint`` left it: the role dated from the return, no stretch."""
    by = _admin(staff, s1)
    staff_service.set_roles(s1, late_id, ["organizer", "teacher"], by=by)
    staff_service.deactivate(s1, late_id, by=by)
    staff_service.set_roles(s1, late_id, ["teacher"], by=by)
    _date_the_log(late_id, given, datetime(2024, 3, 1, 2, 0), datetime(2025, 10, 1, 2, 0))
    db.session.execute(text("UPDATE membership SET since = :at, until = NULL WHERE user_id = :u AND role = 'teacher'"),
                       {"at": datetime(2025, 10, 1, 2, 0), "u": late_id})


def test_the_migration_begins_a_stretch_when_the_role_was_given_not_when_the_account_was_made(
        app, s1, staff, make_app, prepared):
    """``late``: account of September 2020 (organizer), 教师 given in October 2022, off the staff in
    March 2024, 教师 again in October 2025 (the role then dated from the return, as the code
    before ``membership_stint`` left it). The stretch kept is October 2022 to March 2024: 2022-2023
    is theirs, 2020-2021 and 2021-2022 (before they taught) are not."""
    late_id, school_id = make_app.facts(prepared)["late"], s1.id
    _taught_left_and_came_back_before_stints(s1, staff, late_id, datetime(2022, 10, 1, 2, 0))
    db.session.execute(text("UPDATE membership SET since = :at, until = :end WHERE user_id = :u AND role = 'organizer'"),
                       {"at": datetime(2020, 9, 1), "end": datetime(2024, 3, 1, 2, 0), "u": late_id})
    db.session.execute(text("DELETE FROM membership_stint"))
    db.session.commit()
    db.session.remove()
    downgrade(revision=BEFORE)
    upgrade()
    stints = db.session.execute(select(Membership.role, EarlierStint.since, EarlierStint.until).join(
        Membership, Membership.id == EarlierStint.membership_id).where(Membership.user_id == late_id)).all()
    assert stints == [("teacher", datetime(2022, 10, 1, 2, 0), datetime(2024, 3, 1, 2, 0))]
    school = db.session.get_one(School, school_id)
    years = ("2020-2021", "2021-2022", "2022-2023", "2023-2024", "2024-2025", PAST)
    assert _listed(school, "late", years) == {"2020-2021": False, "2021-2022": False, "2022-2023": True,
                                              "2023-2024": False, "2024-2025": False, PAST: True}


def test_the_migration_and_the_code_keep_the_same_stretches_over_several_gaps(app, s1, staff, monkeypatch):
    """t2 left in March 2022 and came back in October 2022, left in March 2024 and came back in
    October 2025: the code keeps two stretches, 2020-09 to 2022-03 and 2022-10 to 2024-03, and the
    migration finds the same two in the staff log; the years listed and the stored rows agree."""
    from portal.services import users

    by, school_id, t2 = _admin(staff, s1), s1.id, staff["t2"].id

    def at(when: datetime) -> None:
        for module in (staff_service, users):
            monkeypatch.setattr(module, "utcnow", lambda: when)

    teacher_years.refresh(s1, "2020-2021")
    teacher_years.refresh(s1, "2022-2023")
    db.session.commit()
    moves = (datetime(2022, 3, 1, 2, 0), datetime(2022, 10, 1, 2, 0), datetime(2024, 3, 1, 2, 0), datetime(2025, 10, 1, 2, 0))
    for when, leave in zip(moves, (True, False, True, False), strict=True):
        at(when)
        if leave:
            staff_service.deactivate(s1, t2, by=by)
        else:
            staff_service.set_roles(s1, t2, ["teacher"], by=by)
    monkeypatch.undo()
    years = ("2020-2021", "2021-2022", "2022-2023", "2023-2024", "2024-2025", PAST, current_school_year(s1.timezone))
    expected = {"2020-2021": True, "2021-2022": False, "2022-2023": True, "2023-2024": False, "2024-2025": False,
                PAST: True, current_school_year(s1.timezone): True}
    assert _listed(s1, "t2", years) == expected
    rows_are_a_rebuild(s1, years)
    kept = sorted(db.session.execute(select(EarlierStint.since, EarlierStint.until).join(
        Membership, Membership.id == EarlierStint.membership_id).where(Membership.user_id == t2)).all())
    assert kept == [(datetime(2020, 9, 1), moves[0]), (moves[1], moves[2])]
    _date_the_log(t2, *moves)
    db.session.execute(text("DELETE FROM membership_stint"))
    db.session.commit()
    db.session.remove()
    downgrade(revision=BEFORE)
    upgrade()
    found = sorted(db.session.execute(select(EarlierStint.since, EarlierStint.until).join(
        Membership, Membership.id == EarlierStint.membership_id).where(Membership.user_id == t2)).all())
    assert found == kept
    school = db.session.get_one(School, school_id)
    assert _listed(school, "t2", years) == expected
    rows_are_a_rebuild(school, years)


def test_a_year_over_after_they_left_is_not_assessed_on_their_record_either(app, s1, staff, monkeypatch):
    """Review: t2 left in March 2024 and never came back; 2024-2025 does not list them (away when
    it was over) but their record and the API assessed it, "short" with 0 h, where a year over
    before they joined says "not their year" (``joined_after_year``): a certificate of a year
    that was never theirs could be printed. The flag now asks what the summary asks: whether they
    held the role when the year was over. 2023-2024, over after they left too, is not theirs
    either; 2022-2023, over while they taught, is (short)."""
    from portal.services import users

    for module in (staff_service, users):
        monkeypatch.setattr(module, "utcnow", lambda: datetime(2024, 3, 1, 2, 0))
    staff_service.deactivate(s1, staff["t2"].id, by=_admin(staff, s1))
    monkeypatch.undo()
    t2 = db.session.get_one(User, staff["t2"].id)
    listed = _listed(s1, "t2", ("2022-2023", "2023-2024", "2024-2025"))
    assert listed == {"2022-2023": True, "2023-2024": False, "2024-2025": False}
    token = tokens.issue(staff["admin"]).token
    for year, on_it in listed.items():
        assert credits.teacher_year(t2, s1, year).joined_after_year is not on_it, year
        body = app.test_client().get(f"/api/v1/users/{t2.id}/credits?year={year}",
                                     headers={"Authorization": f"Bearer {token}"}).get_json()
        assert body["status"] == ("short" if on_it else None), (year, body)
    client = login(app.test_client(), staff["admin"], s1)
    refused = client.get(f"/teachers/{t2.id}/record.pdf?year=2024-2025&lang=zh_Hans_CN")
    assert refused.status_code == 409 and "学年结束时，该教师不在本校任教" in refused.get_data(as_text=True)
    assert client.get(f"/teachers/{t2.id}/record.pdf?year=2022-2023").status_code == 200


def test_the_migration_removes_the_rows_of_a_year_a_stretch_given_on_its_last_day_holds(
        app, s1, staff, make_app, prepared):
    """``late`` was given 教师 on 31 August 2023 at 18:00 in Beijing (10:00 UTC), before 2022-2023
    was over (midnight, 16:00 UTC), left in March 2024 and came back in October 2025: 2022-2023 is
    theirs, and its rows stored without them are removed. The upgrade compared the stretch's start
    with the year's end taken a day early (31 August, 00:00 UTC): safe for when a role ended, not
    for when it began, so the rows stayed, without ``late``, while the summary lists them."""
    late_id, school_id = make_app.facts(prepared)["late"], s1.id
    teacher_years.refresh(s1, "2022-2023")
    _taught_left_and_came_back_before_stints(s1, staff, late_id, datetime(2023, 8, 31, 10, 0))
    db.session.execute(text("DELETE FROM membership_stint"))
    db.session.execute(text("DELETE FROM teacher_year WHERE school_year = '2022-2023' AND user_id = :u"), {"u": late_id})
    assert db.session.execute(text("SELECT count(*) FROM teacher_year WHERE school_year = '2022-2023'")).scalar() > 1
    db.session.commit()
    db.session.remove()
    downgrade(revision=BEFORE)
    upgrade()
    school = db.session.get_one(School, school_id)
    assert _listed(school, "late", ("2022-2023",)) == {"2022-2023": True}
    rows_are_a_rebuild(school, ("2022-2023",))
