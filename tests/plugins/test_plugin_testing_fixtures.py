"""The pytest fixtures the portal installs for plugin authors (``portal.testing``, entry point
``pytest11``), used here on the lesson-study example as its author would: they load without a
checkout's conftest, never clash with this suite's own fixtures, and go through the real services."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

import portal.testing
from portal.extensions import db
from portal.models import CreditEntry
from portal.testing import GuardFailedError
from portal.timeutil import zone_of

LESSON = {"lesson": "朱自清《背影》"}


@pytest.fixture
def yanxiu_plugin() -> str:
    return "lesson_study"


def test_the_module_is_a_pytest_plugin_whose_fixtures_all_start_with_yanxiu(pytestconfig):
    assert pytestconfig.pluginmanager.get_plugin("yanxiu") is portal.testing  # from the entry point
    markers = {name: value._fixture_function_marker for name, value in vars(portal.testing).items()
               if type(value).__name__ == "FixtureFunctionDefinition"}
    assert {"yanxiu_app", "yanxiu_client", "yanxiu_fire", "yanxiu_plan"} <= set(markers)
    assert all(name.startswith("yanxiu_") for name in markers), sorted(markers)
    assert not [name for name, marker in markers.items() if marker.autouse]


def test_a_lesson_study_goes_through_the_real_services(yanxiu_plan, yanxiu_attend, yanxiu_fire, yanxiu_people):
    act = yanxiu_plan(details=LESSON)  # demo participants: teacher1 as teacher_a, three observers
    assert (act.type_key, act.state) == ("lesson_study", "planned")
    yanxiu_attend(act)
    with pytest.raises(GuardFailedError) as refused:
        yanxiu_fire(act, "hold")
    assert refused.value.extra["missing"] == ["同课异构需要两位执教教师，缺少：执教教师乙"]
    with pytest.raises(portal.testing.DomainError, match="lesson"):  # what was refused, by field
        yanxiu_plan()  # no sample_details: the lesson is missing
    with pytest.raises(portal.testing.DomainError):  # the policy: a teacher may not hold it
        yanxiu_fire(act, "hold", as_="teacher")

    act = yanxiu_plan(participants=[("teacher1", "teacher_a"), ("teacher2", "teacher_b"), ("teacher3", "observer")],
                      details=LESSON)
    yanxiu_attend(act, hours={"teacher3": "1"})
    assert yanxiu_fire(act, "hold").state == "held"
    assert yanxiu_fire(act, "reflect").state == "reflected"
    assert yanxiu_fire(act, "approve", as_="reviewer").state == "reviewed"
    assert yanxiu_fire(act, "credit", as_="reviewer").state == "credited"
    hours = dict(db.session.execute(select(CreditEntry.user_id, func.sum(CreditEntry.hours))
                                    .where(CreditEntry.activity_id == act.id).group_by(CreditEntry.user_id)).all())
    people = yanxiu_people
    assert hours == {people["teacher1"].id: Decimal("4"), people["teacher2"].id: Decimal("4"),
                     people["teacher3"].id: Decimal("1")}


def test_a_planned_activity_starts_two_days_before_the_schools_now_whatever_the_machines_zone(
        yanxiu_plan, yanxiu_school, time_machine):
    # the machine's clock in New York (time-machine sets TZ to the destination's zone): Tuesday
    # 8 December 2026 02:00 there is 07:00 UTC, 15:00 in the demo school's Beijing
    time_machine.move_to(datetime(2026, 12, 8, 2, 0, tzinfo=ZoneInfo("America/New_York")), tick=False)
    assert zone_of(yanxiu_school) == "Asia/Shanghai"
    act = yanxiu_plan(details=LESSON)
    assert act.starts_at == datetime(2026, 12, 6, 7, 0)  # 6 December 15:00 in Beijing, as naive UTC


def test_clients_are_signed_in_per_role(yanxiu_client, yanxiu_plan, yanxiu_evidence):
    act = yanxiu_plan(details=LESSON)
    yanxiu_evidence(act, "reflection", "这次同课异构让我收获很多。", as_="teacher")
    for role in ("teacher", "organizer", "reviewer", "school_admin"):
        page = yanxiu_client(role).get(f"/activities/{act.id}")
        assert page.status_code == 200, role
    assert yanxiu_client("teacher").get("/review").status_code == 403  # a teacher is not a reviewer
    assert yanxiu_client("reviewer").get("/review").status_code == 200
    notes = yanxiu_client("teacher").get(f"/x/lesson_study/activities/{act.id}/notes")
    assert notes.status_code == 200 and 'data-testid="note-form"' in notes.get_data(as_text=True)


def test_this_suites_own_fixtures_are_untouched(app, client):
    assert client.get("/login").status_code == 200  # tests/conftest.py's app and client


def test_a_file_a_schools_settings_and_the_ledger_through_the_fixtures(
        yanxiu_plan, yanxiu_attend, yanxiu_fire, yanxiu_evidence, yanxiu_settings, yanxiu_credits):
    """What a plugin's rules need inside the portal: evidence of a kind taken only as a file, the
    school's settings of the type (saved as the school admin saves them, the type's validator
    first), and the hours the ledger credited."""
    assert yanxiu_settings()["teacher_a_multiplier"] == 2  # the declared default
    with pytest.raises(portal.testing.DomainError) as refused:
        yanxiu_settings({"teacher_a_multiplier": 11})  # its range is 0 to 10
    assert "settings.teacher_a_multiplier" in refused.value.to_dict()["fields"]
    assert yanxiu_settings()["teacher_a_multiplier"] == 2  # nothing stored
    assert yanxiu_settings({"teacher_a_multiplier": 3})["teacher_a_multiplier"] == 3

    act = yanxiu_plan(participants=[("teacher1", "teacher_a"), ("teacher2", "teacher_b"), ("teacher3", "observer")],
                      details=LESSON)
    yanxiu_evidence(act, "attachment", filename="教案.pdf", data=b"%PDF-1.4 lesson plan", as_="teacher")
    with pytest.raises(portal.testing.DomainError):  # an attachment is taken only as a file
        yanxiu_evidence(act, "attachment", "a line of text", as_="teacher2")
    yanxiu_attend(act, hours={"teacher3": "1"})
    for trigger, who in (("hold", "organizer"), ("reflect", "organizer"), ("approve", "reviewer"),
                         ("credit", "reviewer")):
        yanxiu_fire(act, trigger, as_=who)
    assert yanxiu_credits(act) == {"teacher1": Decimal("6"), "teacher2": Decimal("4"), "teacher3": Decimal("1")}


def test_the_demo_roles_yanxiu_plan_takes_are_the_types_sample_roles_or_it_says_why_not(
        yanxiu_plan, yanxiu_attend, yanxiu_fire, monkeypatch):
    """``yanxiu_plan()`` seats the demo teachers in the type's ``sample_roles``, as ``flask demo``
    does. Answers that name no roles of the type make ``flask demo`` leave the type out (reported);
    the fixture planned with the default roles instead, in silence, so the plugin's tests passed
    with the demo broken. It now fails, with the portal's report."""
    from yanxiu_lesson_study.lesson_study import LessonStudy

    monkeypatch.setattr(LessonStudy, "sample_roles", lambda self: ["teacher_a", "teacher_b", "observer"], raising=False)
    act = yanxiu_plan(details=LESSON)
    yanxiu_attend(act)
    assert yanxiu_fire(act, "hold").state == "held"  # both lesson teachers (the default seats teacher_a only)
    monkeypatch.setattr(LessonStudy, "sample_roles", lambda self: ["teacher_a", "speaker"], raising=False)
    with pytest.raises(pytest.fail.Exception, match=r"sample_roles .*'speaker'\], not a list of 1 to 5 of the type's roles"):
        yanxiu_plan(details=LESSON)
