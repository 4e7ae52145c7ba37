"""Before the school submits its year (or semester), it is told which activities of it are
still neither credited nor closed: once the district accepts, nobody can credit them
(``year.locked``) and their teachers would lose the hours without a word. The service asks
the workflow's phases; the page warns (in Chinese) above the submit button; the API counts
them on the school's submissions. Submitting stays allowed."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import event, select

from portal.extensions import db
from portal.models import YearSubmission
from portal.policy import Actor
from portal.services import access, districts, submissions, tokens
from tests.credits.helpers import credited, login, prepare_approve
from tests.district.conftest import YEAR
from tests.support import factories as f
from workflows.definition import Phase


@pytest.fixture
def year_mix(world):
    """S1's activities of 2026-2027 in every phase, oldest first: planned (1 Sep), reviewed
    (20 Sep), the world's held one (15 Oct), plus a cancelled one, one of 2025-2026 and a held
    one of S2: only the first three are unfinished."""
    staff, org = world.staff, world.staff["organizer"]
    people = [(staff["t4"], "attendee")]
    planned = f.plan(world.s1, org, "lecture", people, {"topic": "计划中"}, start=datetime(2026, 9, 1, 14, 0),
                     title="计划中的讲座")
    reviewed = credited(world.s1, staff, "lecture", people, start=datetime(2026, 9, 20, 14, 0), until="reviewed",
                        title="已审核的讲座")
    cancelled = f.plan(world.s1, org, "lecture", people, {"topic": "取消"}, start=datetime(2026, 9, 5, 14, 0),
                       title="取消的讲座")
    f.fire(cancelled, org, "cancel", "活动取消")
    f.plan(world.s1, org, "lecture", people, {"topic": "上一年"}, start=datetime(2025, 11, 3, 14, 0), title="上一年")
    other = f.staff(world.s2, prefix="o")
    credited(world.s2, other, "lecture", [(other["t1"], "attendee")], until="held", title="别校的讲座")
    db.session.commit()
    return planned, reviewed, world.held


def test_the_unfinished_phases_are_every_phase_but_credited_and_closed():
    assert submissions.UNFINISHED_PHASES == (Phase.OPEN, Phase.AWAITING_REVIEW, Phase.CONFIRMED)


def test_planned_held_and_reviewed_activities_of_the_year_are_listed_oldest_first(world, year_mix):
    planned, reviewed, held = year_mix
    found = submissions.unfinished(world.s1.id, YEAR)
    assert found.count == 3 and found.more == 0
    assert [a.id for a in found.activities] == [planned.id, reviewed.id, held.id]
    assert [a.state for a in found.activities] == ["planned", "reviewed", "held"]
    assert found.activities[0].title == "计划中的讲座" and found.activities[0].type_key == "lecture"
    # credited (world.act), cancelled, another year's and another school's are not
    assert world.act.id not in {a.id for a in found.activities}
    assert submissions.unfinished(world.s1.id, "2025-2026").count == 1
    assert submissions.unfinished(world.s1.id, "2024-2025").count == 0


def test_the_list_is_capped_but_the_count_is_of_all(world, year_mix):
    planned, reviewed, _held = year_mix
    found = submissions.unfinished(world.s1.id, YEAR, limit=2)
    assert found.count == 3 and found.more == 1
    assert [a.id for a in found.activities] == [planned.id, reviewed.id]


def test_a_semester_lists_only_its_own_activities(world, year_mix):
    planned, reviewed, held = year_mix
    spring = f.plan(world.s1, world.staff["organizer"], "lecture", [(world.staff["t4"], "attendee")],
                    {"topic": "春季"}, start=datetime(2027, 3, 10, 14, 0), title="春季讲座")
    assert spring.semester == 2
    first = submissions.unfinished(world.s1.id, YEAR, 1)
    assert [a.id for a in first.activities] == [planned.id, reviewed.id, held.id]
    assert [a.id for a in submissions.unfinished(world.s1.id, YEAR, 2).activities] == [spring.id]
    assert submissions.unfinished(world.s1.id, YEAR).count == 4  # the whole year: both


def test_the_list_and_the_count_are_one_statement(app, world, year_mix):
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine, school_id = db.engine, world.s1.id
    db.session.commit()  # the statement's transaction begins inside the count
    event.listen(engine, "before_cursor_execute", seen)
    try:
        found = submissions.unfinished(school_id, YEAR)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert found.count == 3
    assert [s for s in statements if s.strip().upper() != "BEGIN"] == statements[-1:], statements


def _page(app, world) -> str:
    admin = login(app.test_client(), world.staff["admin"], world.s1)
    return admin.get(f"/submission?year={YEAR}").get_data(as_text=True)


def test_the_page_warns_in_chinese_with_the_count_and_links(app, world, year_mix):
    planned, reviewed, held = year_mix
    page = _page(app, world)
    warning = page.split('data-testid="unfinished-warning"')[1].split("</div>")[0]
    assert 'data-count="3"' in warning
    assert "本学年尚未认定学时的活动：3 项" in warning and "区里审核通过本学年后" in warning
    for act in (planned, reviewed, held):
        assert f'href="/activities/{act.id}"' in warning
    assert "计划中的讲座" in warning and "2026-09-01" in warning
    assert "已计划" in warning and "已审核" in warning and "已举行" in warning  # the portal's state labels
    assert "取消的讲座" not in warning and "上一年" not in warning and "别校的讲座" not in warning
    assert "not yet credited" not in page and "no longer be credited" not in page
    assert page.index('data-testid="unfinished-warning"') < page.index('data-testid="submit-year"')
    assert 'data-testid="unfinished-more"' not in warning


def test_the_page_says_how_many_more_than_it_lists(app, world, year_mix, monkeypatch):
    monkeypatch.setattr(submissions, "UNFINISHED_SHOWN", 2)
    warning = _page(app, world).split('data-testid="unfinished-warning"')[1].split("</div>")[0]
    assert 'data-count="3"' in warning and len(re.findall(r'data-testid="unfinished-\d+"', warning)) == 2
    assert "另有 1 项" in warning


def test_no_warning_when_every_activity_is_credited_or_closed(app, world):
    rev, org = world.staff["reviewer"], world.staff["organizer"]
    prepare_approve(world.held, org, [(world.staff["t3"], "attendee")])
    f.fire(world.held, rev, "approve", "材料齐全")
    f.fire(world.held, rev, "credit")
    db.session.commit()
    assert submissions.unfinished(world.s1.id, YEAR).count == 0
    page = _page(app, world)
    assert 'data-testid="submit-form"' in page and "unfinished-warning" not in page


def test_the_warning_does_not_block_submitting(app, world):
    admin = login(app.test_client(), world.staff["admin"], world.s1)
    assert 'data-testid="unfinished-warning"' in admin.get(f"/submission?year={YEAR}").get_data(as_text=True)
    assert admin.post("/submission", data={"year": YEAR}).status_code == 303
    sub = db.session.execute(select(YearSubmission)).scalar_one()
    assert sub.status == "submitted"
    # waiting for the district: no form, no warning (nothing to submit now)
    page = admin.get(f"/submission?year={YEAR}").get_data(as_text=True)
    assert "submit-form" not in page and "unfinished-warning" not in page


def test_semesters_are_warned_about_one_by_one_and_an_accepted_one_not(app, world, year_mix):
    districts.update_settings(world.d1, {"submission_period": "semester"},
                              by=Actor.of(world.admin1.id, ["district_admin"]))
    f.plan(world.s1, world.staff["organizer"], "lecture", [(world.staff["t4"], "attendee")], {"topic": "春季"},
           start=datetime(2027, 3, 10, 14, 0), title="春季讲座")
    db.session.commit()
    page = _page(app, world)
    assert "第一学期尚未认定学时的活动：3 项" in page and "第二学期尚未认定学时的活动：1 项" in page
    sub = submissions.submit(world.s1, YEAR, 1, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    page = _page(app, world)
    assert "第一学期尚未认定" not in page and "第二学期尚未认定学时的活动：1 项" in page
    assert "春季讲座" in page and "计划中的讲座" not in page


def test_the_api_counts_the_unfinished_activities_of_each_rounds_period(app, world, year_mix):
    planned, reviewed, held = year_mix
    client = app.test_client()
    admin = {"Authorization": f"Bearer {tokens.issue(world.staff['admin']).token}", "X-School": "S1"}
    assert client.get(f"/api/v1/submissions?year={YEAR}", headers=admin).get_json() == []
    r = client.post("/api/v1/submissions", json={"year": YEAR}, headers=admin)
    assert r.status_code == 201
    assert r.get_json()["unfinished"] == 3 and r.get_json()["unfinished_ids"] == [planned.id, reviewed.id, held.id]
    rounds = client.get(f"/api/v1/submissions?year={YEAR}", headers=admin).get_json()
    assert [(x["round"], x["unfinished"], x["unfinished_ids"]) for x in rounds] == [
        (1, 3, [planned.id, reviewed.id, held.id])]
    # the district's read of the submission is unchanged
    reviewer = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    detail = client.get(f"/api/v1/district/submissions/{rounds[0]['id']}", headers=reviewer).get_json()
    assert "unfinished" not in detail


def test_the_api_document_declares_the_unfinished_fields(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    props = doc["components"]["schemas"]["Submission"]["properties"]
    assert props["unfinished"]["type"] == "integer"
    assert props["unfinished_ids"]["items"]["type"] == "integer"
    assert "unfinished" not in doc["components"]["schemas"]["Submission"].get("required", [])


def test_the_demo_warns_the_returned_schools_admin_of_its_lecture_waiting_for_review(app):
    from portal.models import Activity, School
    from portal.services import users

    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    west = db.session.execute(select(School).where(School.code == "WEST1")).scalar_one()
    held = db.session.execute(select(Activity).where(Activity.school_id == west.id, Activity.state == "held")
                              ).scalar_one()
    assert submissions.unfinished(west.id, held.school_year).count == 1
    page = login(app.test_client(), users.by_username("west1.t0"), west).get(
        f"/submission?year={held.school_year}").get_data(as_text=True)
    assert 'data-testid="unfinished-warning"' in page and f'href="/activities/{held.id}"' in page


def test_the_cli_says_what_the_submission_leaves_uncredited(app, world):
    r = app.test_cli_runner().invoke(args=["district", "submit", "S1", "--year", YEAR,
                                           "--as", world.staff["admin"].username])
    assert r.exit_code == 0, r.output
    assert f"activities neither credited nor closed: 1 (ids {world.held.id})" in r.output
