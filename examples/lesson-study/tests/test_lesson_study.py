"""The 同课异构 example's own tests, written as its author would: the rules on plain snapshots,
then the plugin inside a real portal through the fixtures the portal installs for pytest
(``yanxiu_*``, docs/plugins.md §5) — its ``reflected`` state, its notes page under
``/x/lesson_study`` and its ``flask lesson-study`` command. Nothing of the portal is imported but
its public contract."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from yanxiu_lesson_study.lesson_study import LessonStudy

from portal.testing import DomainError, GuardFailedError
from workflows import (
    ActivitySnapshot,
    GuardFailed,
    ParticipantSnapshot,
    TransitionContext,
    WorkflowEngine,
    build_definition,
)

LESSON = {"lesson": "朱自清《背影》"}
CLASS = [("teacher1", "teacher_a"), ("teacher2", "teacher_b"), ("teacher3", "observer")]


def test_the_rules_without_the_database():
    engine = WorkflowEngine(build_definition(LessonStudy().workflow()))
    when = datetime(2026, 10, 15, 6, 0)
    activity = ActivitySnapshot(1, "lesson_study", "planned", when, when, Decimal("2"), 9, {"lesson": "x"})
    ctx = TransitionContext(activity, [ParticipantSnapshot(2, "teacher_a", Decimal("2"))], [], {}, 9,
                            frozenset({"owner", "organizer"}), when)
    with pytest.raises(GuardFailed) as refused:
        engine.fire("planned", "hold", ctx)
    assert [str(m) for m in refused.value.missing] == ["同课异构需要两位执教教师，缺少：执教教师乙"]
    ctx.participants.append(ParticipantSnapshot(3, "teacher_b", Decimal("2")))
    assert engine.fire("planned", "hold", ctx) == "held"
    names = [s.name for s in engine.definition.ordered_states()]
    assert names.index("held") < names.index("reflected") < names.index("reviewed")
    assert engine.definition.transition("approve").sources == ("reflected",)


def test_the_plugin_is_loaded_with_its_page_and_command(yanxiu_app):
    rules = {r.endpoint: r.rule for r in yanxiu_app.url_map.iter_rules() if r.endpoint.startswith("x_lesson_study.")}
    assert rules == {"x_lesson_study.notes.notes": "/x/lesson_study/activities/<int:activity_id>/notes",
                     "x_lesson_study.notes.add": "/x/lesson_study/activities/<int:activity_id>/notes"}
    assert "lesson-study" in yanxiu_app.cli.commands


def test_the_whole_workflow_with_the_reflected_state(yanxiu_plan, yanxiu_attend, yanxiu_fire, yanxiu_client):
    act = yanxiu_plan(participants=CLASS[:1] + CLASS[2:], details=LESSON)
    yanxiu_attend(act)
    with pytest.raises(GuardFailedError) as refused:
        yanxiu_fire(act, "hold")
    assert refused.value.extra["missing"] == ["同课异构需要两位执教教师，缺少：执教教师乙"]

    act = yanxiu_plan(participants=CLASS, details=LESSON)
    yanxiu_attend(act)
    assert yanxiu_fire(act, "hold").state == "held"
    with pytest.raises(DomainError) as early:  # reflect comes first
        yanxiu_fire(act, "approve", as_="reviewer")
    assert "reflect" in early.value.extra["allowed"]
    assert yanxiu_fire(act, "reflect").state == "reflected"
    page = yanxiu_client("organizer").get(f"/activities/{act.id}").get_data(as_text=True)
    assert "已反思" in page
    assert f'data-testid="queue-item-{act.id}"' in yanxiu_client("reviewer").get("/review").get_data(as_text=True)
    assert yanxiu_fire(act, "approve", as_="reviewer").state == "reviewed"
    assert yanxiu_fire(act, "credit", as_="reviewer").state == "credited"


def test_an_observer_writes_a_note_the_organizer_reads_and_the_command_prints(yanxiu_plan, yanxiu_client, yanxiu_app):
    act = yanxiu_plan(participants=CLASS, details=LESSON)
    url = f"/x/lesson_study/activities/{act.id}/notes"
    observer = yanxiu_client("teacher3")
    page = observer.get(f"/activities/{act.id}").get_data(as_text=True)
    assert f'href="{url}"' in page  # the fragment links the page
    assert observer.post(url, data={"body": "导入环节两位教师处理不同：甲用情境，乙用问题。"}).status_code in (302, 303)
    assert observer.post(url, data={"body": "   "}).status_code in (302, 303)  # refused: nothing written
    page = observer.get(url).get_data(as_text=True)
    assert page.count('data-testid="note"') == 1 and "甲用情境" in page

    organizer = yanxiu_client("organizer")
    page = organizer.get(url).get_data(as_text=True)
    assert "甲用情境" in page and 'data-testid="note-form"' not in page  # reads, does not write
    assert organizer.post(url, data={"body": "组织者"}).status_code == 403
    assert yanxiu_client("teacher4").get(url).status_code == 404  # takes no part
    assert observer.get("/x/lesson_study/activities/999999/notes").status_code == 404

    result = yanxiu_app.test_cli_runner().invoke(args=["lesson-study", "notes", str(act.id)])
    assert result.exit_code == 0, result.output
    assert "甲用情境" in result.output and "孙嘉怡" in result.output


def test_no_note_in_a_year_the_district_has_locked(yanxiu_plan, yanxiu_client, yanxiu_app, yanxiu_accept_year):
    """The district accepted the school's year: its figures are frozen, and so are the notes. The
    page says why and offers no form; a note posted anyway is refused in the plugin's words, and
    nothing is written (contract 1.16: ``portal.year_locked``)."""
    act = yanxiu_plan(participants=CLASS, details=LESSON)
    url = f"/x/lesson_study/activities/{act.id}/notes"
    observer = yanxiu_client("teacher3")
    assert observer.post(url, data={"body": "验收前的笔记"}).status_code in (302, 303)
    yanxiu_accept_year(act.school_year)
    page = observer.get(url).get_data(as_text=True)
    assert 'data-testid="notes-locked"' in page and "区县已验收本学年（学期），不能再记录观课笔记" in page
    assert 'data-testid="note-form"' not in page
    refused = observer.post(url, data={"body": "验收后的笔记"})
    assert refused.status_code == 409 and "区县已验收本学年（学期），不能再记录观课笔记" in refused.get_data(as_text=True)
    page = observer.get(url).get_data(as_text=True)
    assert page.count('data-testid="note"') == 1 and "验收后的笔记" not in page
    english = observer.post(url + "?lang=en", data={"body": "after"}).get_data(as_text=True)
    assert "the district has accepted this school year (semester): no more notes" in english


def test_the_snapshot_names_its_school_year_and_semester(yanxiu_plan):
    act = yanxiu_plan(participants=CLASS, details=LESSON)
    assert act.school_year.count("-") == 1 and act.semester in (1, 2)
