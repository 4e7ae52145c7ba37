"""A first semester's round is half the year: every surface that shows it says so alike.

Audit (hDW): in a district that collects semesters, the first semester's round showed 合计 3 / 50
and 未达标 against the whole year's 50 hours, and a second-semester absence column that did not
apply yet: a reviewer deciding on the first semester read teachers as failing the year.

Now a first semester's round says 进行中 (not judged before the year ends) for a teacher met or
short of the year's hours so far, gives the first semester's absence only, and keeps the
verdicts already decided (the year voided by the first semester's absence, an exemption); its
district page, teacher page, the school's page, the district's exports, the 学时汇总表 sent with
it, the API, the queue and the dashboard say the same. The second semester's round (the year's
end is in it) says the year's verdict. What the round froze is kept as it was."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from openpyxl import load_workbook

from portal.extensions import db
from portal.models import Activity, YearSubmission
from portal.policy import Actor
from portal.services import submissions, tokens
from tests.credits.helpers import credited, login
from tests.district.conftest import YEAR, World, submit_semester


def _api(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}


def _status(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{re.escape(testid)}" data-status="([a-z_]+)"', page)
    assert found is not None, testid
    return found.group(1)


def _csv(client, year: str) -> dict[str, dict[str, str]]:
    rows = list(csv.reader(io.StringIO(client.get(f"/district/submitted.csv?year={year}").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    head = rows[0]
    return {r[head.index("账号")]: dict(zip(head, r, strict=True)) for r in rows[1:]}


def _year(world: World) -> None:
    """t3 absent 5 hours in the first semester (the year voided), t4 absent 5 in the second;
    t1 and t2 credited 3 hours in the first: short of 50 so far."""
    s, p = world.s1, world.staff
    credited(s, p, "lecture", [(p["t1"], "attendee"), (p["t2"], "attendee"), (p["t3"], "attendee")], hours="5",
             attended={p["t3"].id: "0"}, absent={p["t3"].id: "5"}, start=datetime(2026, 10, 15, 6, 0), title="秋季讲座")
    credited(s, p, "lecture", [(p["t4"], "attendee")], hours="5", attended={p["t4"].id: "0"},
             absent={p["t4"].id: "5"}, start=datetime(2027, 3, 10, 6, 0), title="春季讲座")
    db.session.commit()


def test_a_first_semester_round_reads_as_half_the_year_everywhere(app, by_semester):
    world = by_semester
    _year(world)
    t1, t3, t4 = (world.staff[k].username for k in ("t1", "t3", "t4"))
    first = submit_semester(world, 1)
    stored = {r["username"]: r for r in db.session.get_one(YearSubmission, first.id).rows}
    assert stored[t1]["status"] == "short" and stored[t4]["absent"].get("2") == "5"  # frozen as it was

    district = login(app.test_client(), world.reviewer1)
    page = district.get(f"/district/submissions/{first.id}").get_data(as_text=True)
    # the rules the round was judged by name 未达标 in the label of quotas_decide: not a verdict
    verdicts = re.sub(r'<table[^>]*data-testid="judged-by".*?</table>', "", page, flags=re.S)
    assert 'data-testid="judged-quotas_decide"' in page
    assert _status(page, f"status-{t1}") == "in_progress" and "进行中" in page and "未达标" not in verdicts
    assert _status(page, f"status-{t3}") == "not_recognised"  # the first semester's absence decided it
    assert _status(page, f"status-{t4}") == "in_progress"  # the second semester's is not this round's
    assert f'data-testid="absent-{t4}-1"' in page and f'data-testid="absent-{t4}-2"' not in page
    assert "未请假缺席学时（第一学期）" in page and "第一 / 第二学期" not in page
    assert 'data-testid="submission-met"><span class="badge' in page  # no "met n / m"

    one = district.get(f"/district/submissions/{first.id}/teachers/{world.staff['t1'].id}").get_data(as_text=True)
    assert 'data-testid="teacher-status" data-status="in_progress"' in one and 'teacher-absent-2' not in one

    queue = district.get("/district/submissions").get_data(as_text=True)
    assert re.search(r'data-testid="queue-met-S1">\s*<span[^>]*>进行中', queue), queue
    dash = district.get(f"/district/dashboard?year={YEAR}").get_data(as_text=True)
    in_progress = page.count('data-status="in_progress"')
    assert in_progress >= 3 and f'data-testid="share-S1-in_progress">{in_progress}<' in dash
    assert 'share-S1-short' not in dash and 'data-testid="share-S1-not_recognised">1<' in dash

    lines = _csv(district, YEAR)
    assert lines[t1]["考核结果"] == "进行中（学年结束时评定）" and lines[t1]["第二学期未请假缺席学时"] == ""
    assert lines[t3]["考核结果"] == "不予认定" and lines[t4]["考核结果"].startswith("进行中")

    sheet = load_workbook(io.BytesIO(district.get(f"/district/submissions/{first.id}/summary.xlsx").data)).active
    sent = [[c for c in r] for r in sheet.iter_rows(values_only=True)]
    status_col = sent[0].index("考核结果")
    assert {r[0]: r[status_col] for r in sent[1:]}[t1] == "进行中（学年结束时评定）"

    body = district.get(f"/api/v1/district/submissions/{first.id}", headers=_api(world)).get_json()
    rows = {r["username"]: r for r in body["rows"]}
    assert body["judges_year"] is False and rows[t1]["status"] == "in_progress" and "2" not in rows[t4]["absent"]
    listed = district.get("/api/v1/district/submissions", headers=_api(world)).get_json()["items"]
    assert [x["judges_year"] for x in listed] == [False]

    school = login(app.test_client(), world.staff["admin"], world.s1)
    mine = school.get(f"/submission?year={YEAR}").get_data(as_text=True)
    assert _status(mine, f"status-{t1}") == "in_progress" and f'absent-{t4}-2' not in mine

    # the district accepts it; the second semester (the year's end) says the year's verdict
    reviewer = Actor.of(world.reviewer1.id, ["district_reviewer"])
    submissions.decide(first.id, True, by=reviewer, district_id=world.d1.id)
    db.session.commit()
    second = submit_semester(world, 2)
    page = district.get(f"/district/submissions/{second.id}").get_data(as_text=True)
    assert _status(page, f"status-{t1}") == "short" and _status(page, f"status-{t4}") == "not_recognised"
    assert f'data-testid="absent-{t4}-2"' in page
    body = district.get(f"/api/v1/district/submissions/{second.id}", headers=_api(world)).get_json()
    assert body["judges_year"] is True
    # the first round stays half a year, whatever was decided since
    page = district.get(f"/district/submissions/{first.id}").get_data(as_text=True)
    assert _status(page, f"status-{t1}") == "in_progress"


def test_a_first_semester_sent_again_once_the_second_is_accepted_judges_the_year(app, by_semester):
    world = by_semester
    _year(world)
    t1 = world.staff["t1"].username
    reviewer = Actor.of(world.reviewer1.id, ["district_reviewer"])
    first = submit_semester(world, 1)
    submissions.decide(first.id, False, "请核对第一学期。", by=reviewer, district_id=world.d1.id)
    second = submit_semester(world, 2)
    submissions.decide(second.id, True, by=reviewer, district_id=world.d1.id)
    db.session.commit()
    again = submit_semester(world, 1)  # its acceptance closes the year: the year's end is in it
    assert submissions.judging_rounds([first, second, again]) == {second.id, again.id}
    district = login(app.test_client(), world.reviewer1)
    page = district.get(f"/district/submissions/{again.id}").get_data(as_text=True)
    assert _status(page, f"status-{t1}") == "short"


def test_the_drill_in_of_a_first_semester_round_lists_the_first_semesters_absences_only(app, by_semester):
    """The reviewer's drill-in (a round → a teacher) gave the first semester's absence in its
    figures but listed the second semester's missed activities behind them (t4's 春季讲座, whose
    link the round does not cover): it lists the activities of the semesters the round shows
    (``submissions.absences_as_read``); the second semester's round lists both."""
    world = by_semester
    _year(world)
    t3, t4 = world.staff["t3"].id, world.staff["t4"].id
    spring = db.session.execute(db.select(Activity.id).where(Activity.title == "春季讲座")).scalar_one()
    autumn = db.session.execute(db.select(Activity.id).where(Activity.title == "秋季讲座")).scalar_one()
    first = submit_semester(world, 1)
    district = login(app.test_client(), world.reviewer1)

    page = district.get(f"/district/submissions/{first.id}/teachers/{t4}").get_data(as_text=True)
    assert f'absence-of-{spring}' not in page and 'data-testid="teacher-absences"' not in page
    assert district.get(f"/district/submissions/{first.id}/activities/{spring}").status_code == 404  # not the round's
    page = district.get(f"/district/submissions/{first.id}/teachers/{t3}").get_data(as_text=True)
    assert f'data-testid="absence-of-{autumn}"' in page  # the first semester's stays, its link the round's
    assert district.get(f"/district/submissions/{first.id}/activities/{autumn}").status_code == 200

    submissions.decide(first.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    second = submit_semester(world, 2)
    page = district.get(f"/district/submissions/{second.id}/teachers/{t4}").get_data(as_text=True)
    assert f'data-testid="absence-of-{spring}"' in page and 'data-testid="teacher-absent-2">5<' in page
