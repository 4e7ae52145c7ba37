"""The portal's own test of the 同课异构 example (installed with pip, found through its entry
point), on SQLite and PostgreSQL, using the suite's internals; the example's own tests
(``examples/lesson-study/tests``) use only the public contract and the installed fixtures. Taken
through the portal: the whole workflow with its ``reflected`` state (API and pages), its own page under
``/x/lesson_study`` (notes written and shown, refusals, school scoping, CSRF), its own
``flask lesson-study`` command, and the school summary."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from flask_migrate import upgrade
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import CreditEntry
from portal.registry import registry
from tests.support import factories as f

START, END = "2026-10-15T14:00", "2026-10-15T16:00"


def _token(client, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", json={"username": username, "password": f.PASSWORD})
    assert r.status_code == 200, r.get_json()
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


def _login(client, username: str) -> None:
    r = client.post("/login", data={"username": username, "password": f.PASSWORD})
    assert r.status_code in (302, 303), r.status_code


def _world(code: str = "LS"):
    s = f.school(code, types=("lesson_study",))
    return s, f.staff(s, prefix=code.lower())


def _plan(client, people, with_b: bool = True) -> int:
    participants = [
        {"user_id": people["t1"].id, "role": "teacher_a"},
        {"user_id": people["t3"].id, "role": "observer"},
        {"user_id": people["t4"].id, "role": "observer"},
    ]
    if with_b:
        participants.insert(1, {"user_id": people["t2"].id, "role": "teacher_b"})
    r = client.post("/api/v1/activities", headers=_token(client, people["organizer"].username), json={
        "type": "lesson_study", "title": "《背影》同课异构", "starts_at": START, "ends_at": END, "hours": 2,
        "participants": participants, "details": {"lesson": "朱自清《背影》"},
    })
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def test_the_example_is_loaded_from_its_entry_point_with_its_page_and_command(ls_app):
    reg = registry().get("lesson_study")
    assert reg is not None and reg.plugin == "lesson_study"
    info = registry().plugins.info["lesson_study"]
    assert (info.distribution, info.module) == ("yanxiu-lesson-study", "yanxiu_lesson_study")
    mounted = {(r.rule, r.endpoint) for r in ls_app.url_map.iter_rules() if "lesson_study" in r.endpoint}
    assert mounted == {("/x/lesson_study/activities/<int:activity_id>/notes", "x_lesson_study.notes.notes"),
                       ("/x/lesson_study/activities/<int:activity_id>/notes", "x_lesson_study.notes.add")}
    assert "lesson-study" in ls_app.cli.commands
    assert not [x for x in registry().plugins.failures if x.plugin == "lesson_study"]


def test_the_whole_lifecycle_through_the_api_and_the_pages(ls_app):
    s, p = _world()
    client = ls_app.test_client()
    incomplete = _plan(client, p, with_b=False)
    act_id = _plan(client, p)
    org = _token(client, p["organizer"].username)
    rows = [{"user_id": p[k].id, "attended_hours": 2} for k in ("t1", "t2", "t3", "t4")]
    r = client.put(f"/api/v1/activities/{act_id}/attendance", headers=org, json=rows)
    assert r.status_code == 200, r.get_json()
    client.put(f"/api/v1/activities/{incomplete}/attendance", headers=org, json=rows[:1] + rows[2:])
    r = client.post(f"/api/v1/activities/{incomplete}/transitions", headers=org, json={"trigger": "hold"})
    assert r.status_code == 422 and r.get_json()["error"] == "guard_failed"

    r = client.post(f"/api/v1/activities/{act_id}/transitions", headers=org, json={"trigger": "hold"})
    assert r.status_code == 200 and r.get_json()["state"] == "held", r.get_json()
    rev = _token(client, p["reviewer"].username)
    r = client.post(f"/api/v1/activities/{act_id}/transitions", headers=rev, json={"trigger": "approve"})
    assert r.status_code == 409 and r.get_json()["error"] == "illegal_transition"  # reflect comes first
    assert "reflect" in r.get_json()["allowed"], r.get_json()

    _login(client, p["organizer"].username)  # the owner reflects on the activity page
    r = client.post(f"/activities/{act_id}/trigger", data={"trigger": "reflect"})
    assert r.status_code in (302, 303)
    page = client.get(f"/activities/{act_id}").get_data(as_text=True)
    assert "已反思" in page and "完成反思" in page

    reviewer = ls_app.test_client()
    _login(reviewer, p["reviewer"].username)
    assert f'data-testid="queue-item-{act_id}"' in reviewer.get("/review").get_data(as_text=True)
    r = reviewer.post(f"/review/{act_id}", data={"action": "approve", "comment": "通过"}, follow_redirects=True)
    assert r.status_code == 200
    r = client.post(f"/api/v1/activities/{act_id}/transitions", headers=rev, json={"trigger": "credit"})
    assert r.status_code == 200 and r.get_json()["state"] == "credited", r.get_json()

    hours = dict(db.session.execute(
        select(CreditEntry.user_id, func.sum(CreditEntry.hours)).where(CreditEntry.activity_id == act_id)
        .group_by(CreditEntry.user_id)).all())
    assert hours == {p["t1"].id: Decimal("4"), p["t2"].id: Decimal("4"),
                     p["t3"].id: Decimal("2"), p["t4"].id: Decimal("2")}  # teachers × 2

    admin = ls_app.test_client()
    _login(admin, p["admin"].username)
    summary = admin.get("/reports/summary.csv")
    assert summary.status_code == 200
    table = list(csv.reader(io.StringIO(summary.get_data(as_text=True).lstrip("\ufeff"))))
    heading, by_login = table[0], {row[0]: row for row in table[1:]}
    column, total = heading.index("同课异构"), heading.index("合计学时")  # the type's own column
    assert (by_login[p["t1"].username][column], by_login[p["t1"].username][total]) == ("4", "4")
    assert (by_login[p["t3"].username][column], by_login[p["t3"].username][total]) == ("2", "2")
    html = admin.get("/reports/summary").get_data(as_text=True)
    assert "同课异构" in html


def test_the_notes_page_writes_shows_and_refuses(ls_app):
    s, p = _world()
    other, q = _world("LX")
    client = ls_app.test_client()
    act_id = _plan(client, p)
    foreign_id = _plan(client, q)
    url = f"/x/lesson_study/activities/{act_id}/notes"

    assert client.get(url).status_code in (302, 401)  # signed out: to the login page

    observer = ls_app.test_client()
    _login(observer, p["t3"].username)
    page = observer.get(url).get_data(as_text=True)
    assert 'data-testid="no-notes"' in page and "朱自清《背影》" in page and 'data-testid="note-form"' in page
    r = observer.post(url, data={"body": "导入环节两位教师处理不同：甲用情境，乙用问题。"})
    assert r.status_code in (302, 303)
    assert observer.post(url, data={"body": "   "}).status_code in (302, 303)  # refused: nothing written
    page = observer.get(url).get_data(as_text=True)
    assert page.count('data-testid="note"') == 1 and "甲用情境" in page and p["t3"].display_name in page

    outsider = ls_app.test_client()  # same school, not a participant
    _login(outsider, f.person(s, "lsout", "teacher").username)
    assert outsider.get(url).status_code == 404  # neither participant, organiser nor reviewer
    assert outsider.post(url, data={"body": "我不在这节课"}).status_code == 404
    assert observer.get(f"/x/lesson_study/activities/{foreign_id}/notes").status_code == 404  # another school's
    assert observer.post(f"/x/lesson_study/activities/{foreign_id}/notes", data={"body": "x"}).status_code == 404
    assert observer.get("/x/lesson_study/activities/999999/notes").status_code == 404

    organizer = ls_app.test_client()  # may read (organises it), may not write (not a participant)
    _login(organizer, p["organizer"].username)
    page = organizer.get(url).get_data(as_text=True)
    assert "甲用情境" in page and 'data-testid="note-form"' not in page
    assert organizer.post(url, data={"body": "组织者"}).status_code == 403
    with ls_app.app_context():
        from yanxiu_lesson_study.notes import lesson_study_note
        assert db.session.execute(select(func.count()).select_from(lesson_study_note)).scalar_one() == 1


def test_the_notes_form_needs_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        upgrade()
        s, p = _world("CS")
        act = f.plan(s, p["organizer"], "lesson_study", [(p["t1"], "teacher_a"), (p["t3"], "observer")],
                     details={"lesson": "背影"}, hours="2")
        act_id, username = act.id, p["t3"].username
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    r = client.post("/login", data={"username": username, "password": f.PASSWORD, "csrf_token": token})
    assert r.status_code in (302, 303)
    url = f"/x/lesson_study/activities/{act_id}/notes"
    assert client.post(url, data={"body": "没有令牌"}).status_code == 400
    page = client.get(url).get_data(as_text=True)
    assert "没有令牌" not in page
    token = re.search(r'data-testid="note-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)"',
                      page).group(1)
    assert client.post(url, data={"body": "有令牌", "csrf_token": token}).status_code in (302, 303)
    assert "有令牌" in client.get(url).get_data(as_text=True)


def test_the_notes_command_prints_the_notes(ls_app):
    from yanxiu_lesson_study.notes import add_note

    s, p = _world()
    act = f.plan(s, p["organizer"], "lesson_study", [(p["t1"], "teacher_a"), (p["t3"], "observer")],
                 details={"lesson": "背影"}, hours="2")
    from portal.plugin_doors import facade
    add_note(facade(ls_app, "lesson_study"), act.id, p["t3"].id, "板书设计值得借鉴")
    runner = ls_app.test_cli_runner()
    result = runner.invoke(args=["lesson-study", "notes", str(act.id)])
    assert result.exit_code == 0, result.output
    assert "板书设计值得借鉴" in result.output and p["t3"].display_name in result.output
    missing = runner.invoke(args=["lesson-study", "notes", "999999"])
    # refused as the portal's commands refuse (Portal.said, 1.21): it was English only
    assert missing.exit_code == 1 and missing.output == "Error: 未找到活动 999999 — activity 999999 not found\n"
