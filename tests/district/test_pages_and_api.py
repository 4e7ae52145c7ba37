"""The district's pages and API: the reviewer's day, and districts as tenants (a district user of
one district sees no school of another, on the pages and through the API)."""

from __future__ import annotations

from portal.services import tokens
from tests.credits.helpers import login
from tests.district.conftest import YEAR
from tests.support.sessions import without_csrf_tokens


def _bearer(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.issue(user).token}"}


def test_a_teachers_comment_refused_says_why_and_whose(app, world):
    """Auditor: a per-teacher comment past the 2,000 characters the service allows (the form's
    own limit is bypassed by a pasted request, or an older browser) was refused with the bare
    "the decision is not valid" flash: no reason, no teacher. The flash names both; nothing changes."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import YearSubmission

    school_admin = login(app.test_client(), world.staff["admin"], world.s1)
    assert school_admin.post("/submission", data={"year": YEAR}).status_code == 303
    sub_id = db.session.execute(select(YearSubmission.id)).scalar_one()
    reviewer = login(app.test_client(), world.reviewer1)
    t3 = world.staff["t3"]
    r = reviewer.post(f"/district/submissions/{sub_id}/decide?lang=zh_Hans_CN",
                      data={"decision": "return", "comment": "请核对", f"teacher-{t3.id}": "补" * 2001})
    assert r.status_code == 422  # the page again, what was typed kept
    db.session.expire_all()
    sub = db.session.get(YearSubmission, sub_id)
    assert sub.status == "submitted" and not sub.teacher_comments
    said = r.get_data(as_text=True)
    assert ">请核对</textarea>" in said
    flashed = said.split('data-testid="flash-danger">', 1)[1].split("<button", 1)[0].strip()
    assert f"{t3.display_name}：" in flashed and "2000" in flashed, flashed


def _rows() -> list:
    """Every submission, its events and the year locks: what a refused step must leave as it was."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import SubmissionEvent, YearLock, YearSubmission

    db.session.expire_all()
    return [list(db.session.execute(select(t).order_by(*t.__table__.primary_key.columns)).all())
            for t in (YearSubmission, SubmissionEvent, YearLock)]


def test_a_return_without_a_comment_is_refused_on_the_page_and_changes_nothing(app, world):
    """退回学校 with no comment for the school and none on a teacher's row (blank ones count as
    none: ``workflows.submission.RETURN``) was answered with a redirect and a flash: now the page
    again (422), the reason beside the comment box in the reader's language, what they typed kept,
    and nothing written. The page marks the return button as asking the comment first (portal.js)
    and each teacher's box as standing for it."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import YearSubmission

    rows = _rows
    school_admin = login(app.test_client(), world.staff["admin"], world.s1)
    assert school_admin.post("/submission", data={"year": YEAR}).status_code == 303
    sub_id = db.session.execute(select(YearSubmission.id)).scalar_one()
    reviewer = login(app.test_client(), world.reviewer1)
    page = reviewer.get(f"/district/submissions/{sub_id}?lang=zh_Hans_CN").get_data(as_text=True)
    button = page.split('value="return"', 1)[1].split(">", 1)[0]
    assert 'data-needs-comment="请说明学校需要更正的内容' in button, button
    assert 'data-comment-too data-testid="comment-t3"' in page
    t3 = world.staff["t3"].id
    before = rows()
    for lang, said in (("zh_Hans_CN", "请说明学校需要更正的内容"), ("en", "say what the school must correct")):
        for data in ({"decision": "return"}, {"decision": "return", "comment": "  ", f"teacher-{t3}": "\u3000"}):
            r = reviewer.post(f"/district/submissions/{sub_id}/decide?lang={lang}", data=data)
            assert r.status_code == 422, (lang, data)
            html = r.get_data(as_text=True)
            error = html.split('data-testid="decide-comment-error">', 1)[1].split("</div>", 1)[0]
            assert said in error and said in html.split('data-testid="flash-danger">', 1)[1], (lang, error)
            assert rows() == before
    r = reviewer.post(f"/district/submissions/{sub_id}/decide", data={"decision": "return", f"teacher-{t3}": " "})
    assert r.status_code == 422 and rows() == before
    kept = r.get_data(as_text=True)
    assert 'aria-invalid="true"' in kept and 'data-testid="decide-form"' in kept
    r = reviewer.post(f"/district/submissions/{sub_id}/decide", data={"decision": "return", f"teacher-{t3}": "请补学时"})
    assert r.status_code == 303 and rows()[0][0][0].status == "returned"


def test_a_reopen_without_a_reason_is_refused_on_the_page_and_changes_nothing(app, world):
    """重新打开 relied on the box's ``required`` and, refused, answered with a redirect and a flash,
    the reason typed lost. Now as the return (``workflows.submission.REOPEN`` asks a reason, blanks
    counting as none): the page again (422), the reason beside the box in the reader's language,
    what was typed kept, nothing written; the button says it missing before sending (portal.js)."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import YearSubmission

    school_admin = login(app.test_client(), world.staff["admin"], world.s1)
    assert school_admin.post("/submission", data={"year": YEAR}).status_code == 303
    sub_id = db.session.execute(select(YearSubmission.id)).scalar_one()
    reviewer = login(app.test_client(), world.reviewer1)
    assert reviewer.post(f"/district/submissions/{sub_id}/decide", data={"decision": "accept"}).status_code == 303
    district_admin = login(app.test_client(), world.admin1)
    page = district_admin.get(f"/district/submissions/{sub_id}?lang=zh_Hans_CN").get_data(as_text=True)
    form = page.split('data-testid="reopen-form"', 1)[1].split("</form>", 1)[0]
    assert " required" not in form, form  # the server's rule, not the browser's alone
    button = form.split('data-testid="reopen"', 1)[1].split(">", 1)[0]
    assert 'data-needs-comment="重新开放学年须填写理由"' in button, button
    before = _rows()
    assert before[0][0][0].status == "accepted" and before[2]
    for lang, said in (("zh_Hans_CN", "重新开放学年须填写理由"), ("en", "a reason is required to reopen a school year")):
        for data in ({}, {"reason": ""}, {"reason": " \n"}, {"reason": "\u3000"}):
            r = district_admin.post(f"/district/submissions/{sub_id}/reopen?lang={lang}", data=data)
            assert r.status_code == 422, (lang, data)
            html = r.get_data(as_text=True)
            error = html.split('data-testid="reopen-reason-error">', 1)[1].split("</div>", 1)[0]
            assert error == said and said in html.split('data-testid="flash-danger">', 1)[1], (lang, error)
            assert 'aria-describedby="reason-error"' in html and 'data-testid="decide-comment-error"' not in html
            assert _rows() == before
    # one too long: refused the same way, what was typed kept in the box
    r = district_admin.post(f"/district/submissions/{sub_id}/reopen?lang=zh_Hans_CN", data={"reason": "补" * 2001})
    assert r.status_code == 422 and _rows() == before
    html = r.get_data(as_text=True)
    assert f">{'补' * 2001}</textarea>" in html
    assert "2000" in html.split('data-testid="reopen-reason-error">', 1)[1].split("</div>", 1)[0]
    r = district_admin.post(f"/district/submissions/{sub_id}/reopen", data={"reason": "补录一位教师的请假记录"})
    assert r.status_code == 303
    after = _rows()
    assert after[0][0][0].status == "reopened" and not after[2]
    assert after[1][-1][0].action == "reopen" and after[1][-1][0].comment == "补录一位教师的请假记录"


def test_reviewer_day_on_the_pages(app, world):
    school_admin = login(app.test_client(), world.staff["admin"], world.s1)
    r = school_admin.post("/submission", data={"year": YEAR})
    assert r.status_code == 303
    page = school_admin.get(f"/submission?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="frozen-row-t1"' in page

    reviewer = login(app.test_client(), world.reviewer1)
    queue = reviewer.get("/district/submissions").get_data(as_text=True)
    # the other district's school is not listed (by its row or name: a bare "T1" can occur in a CSRF token)
    assert 'data-testid="queue-row-S1"' in queue
    assert "queue-row-T1" not in queue and "测试学校T1" not in queue
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import YearSubmission

    sub_id = db.session.execute(select(YearSubmission.id)).scalar_one()
    detail = reviewer.get(f"/district/submissions/{sub_id}").get_data(as_text=True)
    assert 'data-testid="decide-form"' in detail
    t1 = world.staff["t1"]
    drill = reviewer.get(f"/district/submissions/{sub_id}/teachers/{t1.id}").get_data(as_text=True)
    assert 'data-testid="teacher-total">4<' in drill
    assert reviewer.get(f"/district/submissions/{sub_id}/activities/{world.act.id}").status_code == 200
    assert reviewer.get(f"/district/submissions/{sub_id}/summary.xlsx").data[:2] == b"PK"
    # return without a comment: refused, nothing changes (test_a_return_without_a_comment_…)
    r = reviewer.post(f"/district/submissions/{sub_id}/decide?lang=zh_Hans_CN", data={"decision": "return"})
    assert r.status_code == 422
    assert db.session.get(YearSubmission, sub_id).status == "submitted"

    r = reviewer.post(f"/district/submissions/{sub_id}/decide",
                      data={"decision": "return", f"teacher-{world.staff['t3'].id}": "请补学时"})
    db.session.expire_all()
    assert db.session.get(YearSubmission, sub_id).status == "returned"
    page = school_admin.get(f"/submission?year={YEAR}").get_data(as_text=True)
    assert "请补学时" in page and 'data-testid="submit-form"' in page
    school_admin.post("/submission", data={"year": YEAR})
    second = db.session.execute(select(YearSubmission.id).where(YearSubmission.round == 2)).scalar_one()
    reviewer.post(f"/district/submissions/{second}/decide", data={"decision": "accept"})
    db.session.expire_all()
    assert db.session.get(YearSubmission, second).status == "accepted"
    assert 'data-testid="locked-note"' in school_admin.get(f"/submission?year={YEAR}").get_data(as_text=True)
    district_admin = login(app.test_client(), world.admin1)
    r = district_admin.post(f"/district/submissions/{second}/reopen?lang=zh_Hans_CN", data={"reason": " "})
    assert r.status_code == 422 and db.session.get(YearSubmission, second).status == "accepted"
    said = r.get_data(as_text=True)  # the page again (test_a_reopen_without_a_reason_…)
    flashed = said.split('data-testid="flash-danger">', 1)[1].split("<button", 1)[0].strip()
    # auditor: no English punctuation in a Chinese refusal
    assert flashed == "重新开放学年须填写理由" and " (" not in flashed and "; " not in flashed, flashed


def test_a_district_decision_says_what_it_did(app, world):
    """Returning, accepting and reopening a school's year each answered 已保存 (Saved.), as a
    deadline's edit does: the reviewer was not told the year was now locked, or back with the
    school. Each now says what happened, in Chinese and in English."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import YearSubmission

    school_admin = login(app.test_client(), world.staff["admin"], world.s1)
    reviewer = login(app.test_client(), world.reviewer1)
    district_admin = login(app.test_client(), world.admin1)

    def said(client, path: str, data: dict, lang: str = "zh_Hans_CN") -> str:
        r = client.post(f"{path}?lang={lang}", data=data, follow_redirects=True)
        page = r.get_data(as_text=True)
        return page.split('data-testid="flash-success">', 1)[1].split("<button", 1)[0].strip()

    school_admin.post("/submission", data={"year": YEAR})
    first = db.session.execute(select(YearSubmission.id)).scalar_one()
    assert said(reviewer, f"/district/submissions/{first}/decide",
                {"decision": "return", "comment": "请补材料"}) == "该校学年已连同您的意见退回学校。"
    school_admin.post("/submission", data={"year": YEAR})
    second = db.session.execute(select(YearSubmission.id).where(YearSubmission.round == 2)).scalar_one()
    assert said(reviewer, f"/district/submissions/{second}/decide", {"decision": "accept"}, "en") == (
        "The school&#39;s year is accepted and locked.")
    assert said(district_admin, f"/district/submissions/{second}/reopen", {"reason": "更正学时"}) == (
        "该校学年已重新开放，学校可以修改后重新报送。")


def test_a_district_user_sees_no_school_of_another_district_on_the_pages(app, world):
    other = login(app.test_client(), world.reviewer2)
    html = other.get(f"/district?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="district-row-T1"' in html and "district-row-S1" not in html
    assert other.get(f"/reports/summary?school=S1&year={YEAR}").status_code == 404
    mine = login(app.test_client(), world.reviewer1)
    assert mine.get(f"/reports/summary?school=S1&year={YEAR}").status_code == 200
    assert mine.get(f"/reports/summary?school=T1&year={YEAR}").status_code == 404
    csv = mine.get(f"/district/export.csv?year={YEAR}").get_data(as_text=True)
    assert "S1" in csv and "T1" not in csv


def test_a_school_member_naming_another_school_is_answered_not_found_not_their_own(app, world):
    """``?school=`` picks a school for the district only: the school's own people may name their
    own school, and any other code (a neighbour, another district's, garbage) is a 404, never
    silently their own school's figures under another's name."""
    admin = login(app.test_client(), world.staff["admin"], world.s1)
    t1 = world.staff["t1"]
    for url in ("/reports/summary", "/reports/summary.csv", "/reports/summary.pdf",
                f"/teachers/{t1.id}/record", f"/teachers/{t1.id}/record.pdf"):
        assert admin.get(f"{url}?school=S1&year={YEAR}").status_code == 200, url
        for code in ("S2", "T1", "-1", "x" * 200):
            r = admin.get(f"{url}?school={code}&year={YEAR}")
            assert r.status_code == 404, (url, code)
            page = without_csrf_tokens(r.get_data(as_text=True))
            assert t1.display_name not in page, (url, code)  # no figures of S1
    teacher = login(app.test_client(), t1, world.s1)
    assert teacher.get(f"/teachers/{t1.id}/record?school=S1&year={YEAR}").status_code == 200
    assert teacher.get(f"/teachers/{t1.id}/record?school=S2&year={YEAR}").status_code == 404


def test_a_district_user_sees_no_school_of_another_district_through_the_api(app, world):
    client = app.test_client()
    other = _bearer(world.reviewer2)
    r = client.get(f"/api/v1/reports/credits?year={YEAR}", headers={**other, "X-School": "S1"})
    assert r.status_code == 404
    r = client.get(f"/api/v1/district/schools?year={YEAR}", headers=other)
    assert [row["school"] for row in r.get_json()] == ["T1"]
    admin = {**_bearer(world.staff["admin"]), "X-School": "S1"}
    r = client.post("/api/v1/submissions", json={"year": YEAR}, headers=admin)
    assert r.status_code == 201, r.get_json()
    sub_id = r.get_json()["id"]
    assert client.get(f"/api/v1/district/submissions/{sub_id}", headers=other).status_code == 404
    r = client.post(f"/api/v1/district/submissions/{sub_id}/decision", json={"decision": "accept"}, headers=other)
    assert r.status_code == 404
    assert client.get("/api/v1/district/submissions", headers=other).get_json()["total"] == 0


def test_submit_return_resubmit_accept_reopen_through_the_api(app, world):
    client = app.test_client()
    admin = {**_bearer(world.staff["admin"]), "X-School": "S1"}
    rev = _bearer(world.reviewer1)
    dadmin = _bearer(world.admin1)
    sub = client.post("/api/v1/submissions", json={"year": YEAR}, headers=admin).get_json()
    assert client.post("/api/v1/submissions", json={"year": YEAR}, headers=admin).status_code == 409
    queue = client.get("/api/v1/district/submissions", headers=rev).get_json()
    assert [i["school"] for i in queue["items"]] == ["S1"] and queue["counts"]["submitted"] == 1
    r = client.post(f"/api/v1/district/submissions/{sub['id']}/decision", json={"decision": "return"}, headers=rev)
    assert r.status_code == 422
    r = client.post(f"/api/v1/district/submissions/{sub['id']}/decision",
                    json={"decision": "return", "comment": "请核对"}, headers=rev)
    assert r.get_json()["status"] == "returned"
    sub2 = client.post("/api/v1/submissions", json={"year": YEAR}, headers=admin).get_json()
    assert sub2["round"] == 2
    r = client.post(f"/api/v1/district/submissions/{sub2['id']}/decision", json={"decision": "accept"}, headers=dadmin)
    assert r.status_code == 403  # a district admin does not decide
    r = client.post(f"/api/v1/district/submissions/{sub2['id']}/decision", json={"decision": "accept"}, headers=rev)
    assert r.get_json()["locked"] is True
    r = client.post(f"/api/v1/activities/{world.act.id}/transitions", json={"trigger": "revoke", "comment": "x"},
                    headers={**_bearer(world.staff["reviewer"]), "X-School": "S1"})
    assert r.status_code == 409 and "locked" in r.get_json()["message"]
    r = client.post(f"/api/v1/district/submissions/{sub2['id']}/reopen", json={"reason": ""}, headers=dadmin)
    assert r.status_code == 422
    r = client.post(f"/api/v1/district/submissions/{sub2['id']}/reopen", json={"reason": "更正"}, headers=dadmin)
    assert r.get_json()["status"] == "reopened"
    rounds = client.get(f"/api/v1/submissions?year={YEAR}", headers=admin).get_json()
    assert [x["round"] for x in rounds] == [2, 1]


def test_a_submitted_teachers_entries_are_those_behind_the_frozen_total(app, world):
    """The district reviewer's page of a submitted teacher showed the frozen total (4 h) above
    the ledger lines of today (4 h + 1.5 h credited after the school submitted, 5.5 h): the page
    contradicted itself. It lists the lines the submission was made from."""
    import re

    from portal.services import access, submissions
    from tests.credits.helpers import credited

    t1 = world.staff["t1"]
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    credited(world.s1, world.staff, "lecture", [(t1, "attendee")], hours="1.5", title="报送后的讲座")
    reviewer = login(app.test_client(), world.reviewer1)
    page = reviewer.get(f"/district/submissions/{sub.id}/teachers/{t1.id}").get_data(as_text=True)
    assert 'data-testid="teacher-total">4<' in page
    lines = page.split('data-testid="teacher-entries"')[1].split("</table>")[0]
    assert "报送后的讲座" not in lines
    assert sum(float(h) for h in re.findall(r'data-testid="entry-hours-\d+">(-?[\d.]+)</td>', lines)) == 4
    # and says so: the figures are those submitted, and the school's have changed since (audit)
    assert 'data-testid="frozen-note"' in page and 'data-testid="changed-since" data-teachers="1"' in page


def test_the_district_reads_a_schools_times_in_the_schools_zone(app, world):
    """A school in Urumqi time (UTC+6) holds a lecture at 23:30 on 15 October: its own pages say
    2026-10-15 23:30, the district reviewer's page of the activity said 2026-10-16 01:30 (the
    deployment's zone, Beijing time). The district's pages now show a school's times in its zone."""
    from datetime import datetime

    from portal.policy import SYSTEM
    from portal.services import access, districts, schools, submissions
    from tests.credits.helpers import credited
    from tests.support import factories as f

    school = schools.create_school("U1", "西部学校", "Asia/Urumqi")
    districts.move_school(school, world.d1)
    schools.set_type(school, "lecture", enabled=True, by=SYSTEM)
    people = f.staff(school, prefix="u")
    act = credited(school, people, "lecture", [(people["t1"], "attendee")], hours="2",
                   start=datetime(2026, 10, 15, 23, 30), title="夜间讲座")
    sub = submissions.submit(school, YEAR, by=access.actor(people["admin"].id, school.id))
    own = login(app.test_client(), people["admin"], school).get(f"/activities/{act.id}").get_data(as_text=True)
    assert "2026-10-15 23:30" in own
    reviewer = login(app.test_client(), world.reviewer1)
    page = reviewer.get(f"/district/submissions/{sub.id}/activities/{act.id}").get_data(as_text=True)
    assert "2026-10-15 23:30" in page and "2026-10-16" not in page


def test_a_district_reviewer_who_teaches_at_the_school_does_not_decide_its_year(app, world):
    """Attack: a district reviewer who is also a teacher of S1, with credited hours there, accepts
    (locks) the year S1 submitted — their own hours included. Separation of duties: nobody decides
    about their own hours; now refused (403, nothing changes) and the page offers no decision;
    another reviewer of the district decides."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import YearLock, YearSubmission
    from portal.services import users
    from tests.credits.helpers import credited
    from tests.support import factories as f

    both = users.create_user("rev.t", f.PASSWORD, "区审核兼教师", world.s1, ["teacher", "district_reviewer"],
                             district_id=world.d1.id)
    credited(world.s1, world.staff, "lecture", [(both, "attendee")], hours="6", title="本人参加的讲座")
    db.session.commit()
    client = app.test_client()
    sub = client.post("/api/v1/submissions", json={"year": YEAR},
                      headers={**_bearer(world.staff["admin"]), "X-School": "S1"}).get_json()
    assert any(r["user_id"] == both.id for r in db.session.get(YearSubmission, sub["id"]).rows)
    for decision in ({"decision": "accept"}, {"decision": "return", "comment": "请核对"}):
        r = client.post(f"/api/v1/district/submissions/{sub['id']}/decision", json=decision, headers=_bearer(both))
        assert r.status_code == 403, r.get_json()
    page = login(app.test_client(), both)
    assert 'data-testid="decide-form"' not in page.get(f"/district/submissions/{sub['id']}").get_data(as_text=True)
    r = page.post(f"/district/submissions/{sub['id']}/decide", data={"decision": "accept"})
    db.session.expire_all()
    assert db.session.get(YearSubmission, sub["id"]).status == "submitted"
    assert db.session.execute(select(YearLock)).first() is None
    r = client.post(f"/api/v1/district/submissions/{sub['id']}/decision", json={"decision": "accept"},
                    headers=_bearer(world.reviewer1))
    assert r.get_json()["locked"] is True


def test_a_semester_is_a_number_not_true(app, world):
    """``{"semester": true}`` was taken as semester 1 (JSON's ``true`` passed ``Literal[1, 2]``)
    and refused only by the district's setting, with a 409 about the period: it is no semester
    (422), whatever the district collects; 1 and 2.0 are still semesters."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import YearSubmission

    admin = {**_bearer(world.staff["admin"]), "X-School": "S1"}
    client = app.test_client()
    for semester in (True, False, "1", 3, 0):
        r = client.post("/api/v1/submissions", json={"year": YEAR, "semester": semester}, headers=admin)
        assert r.status_code == 422, (semester, r.get_json())
    assert db.session.execute(select(func.count()).select_from(YearSubmission)).scalar_one() == 0
    r = client.post("/api/v1/submissions", json={"year": YEAR, "semester": 1}, headers=admin)
    assert r.status_code == 409 and r.get_json()["submission_period"] == "year"  # the district collects years
