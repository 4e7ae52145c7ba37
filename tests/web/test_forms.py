"""Every form: bad input shows the error beside the field, keeps what was typed, and
changes nothing."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from portal.demo import phase_title
from portal.extensions import db
from portal.models import Activity, Evidence, Participation, School, SchoolActivityType, User
from portal.policy import SYSTEM
from workflows.definition import Phase


def _count(site, model) -> int:
    with site.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _user_id(site, username: str) -> int:
    with site.app_context():
        return db.session.execute(select(User.id).where(User.username == username)).scalar_one()


def test_plan_form_errors_keep_input(site, as_user):
    c = as_user("organizer")
    t1 = _user_id(site, "teacher1")
    before = _count(site, Activity)
    r = c.post("/activities/new/observation", data={
        "title": "保留的标题", "starts_at": "2026-11-02T09:00", "ends_at": "2026-11-01T09:00", "hours": "1.3",
        "location": "三楼", "details-subject": "", "details-lesson_1": "《观潮》", "people-observer": [f"u:{t1}"],
    })
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'value="保留的标题"' in html and 'value="《观潮》"' in html and 'value="三楼"' in html
    assert 'data-testid="error-hours"' in html and "学时以 0.5 为单位" in html
    assert 'data-testid="error-ends_at"' in html and "不能早于开始时间" in html
    assert 'data-testid="error-details-subject"' in html and "此项必填" in html
    assert re.search(rf'name="people-observer" value="u:{t1}"[^>]*checked', html)  # the participant's role is kept
    assert _count(site, Activity) == before


def test_plan_form_in_english(site, as_user):
    c = as_user("organizer")
    r = c.post("/activities/new/lecture?lang=en", data={"title": "", "starts_at": "x", "ends_at": "", "hours": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'data-testid="error-title"' in html and "a title of 1–200 characters is required" in html
    assert 'data-testid="error-starts_at"' in html


def test_plan_shows_only_enabled_types(site, as_user):
    with site.app_context():
        from portal.services import schools

        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        schools.set_type(school, "research", enabled=False, by=SYSTEM)
    c = as_user("organizer")
    html = c.get("/activities/new").get_data(as_text=True)
    assert 'data-testid="type-lecture"' in html and 'data-testid="type-research"' not in html
    assert c.get("/activities/new/research").status_code == 404
    assert c.get("/activities/new/no_such_type").status_code == 404


def test_attendance_errors_beside_each_field(site, as_user):
    with site.app_context():
        act = db.session.execute(select(Activity).where(  # the demo's held lecture, not the one of a year long over
            Activity.state == "held", Activity.type_key == "lecture",
            Activity.title == phase_title("lecture", Phase.AWAITING_REVIEW))).scalar_one()
        act_id = act.id
        people = db.session.execute(select(Participation.user_id).where(Participation.activity_id == act_id)).scalars().all()
        before = db.session.execute(
            select(Participation.attended_hours).where(Participation.activity_id == act_id)).scalars().all()
    c = as_user("organizer")
    page = c.get(f"/activities/{act_id}/attendance")
    assert page.status_code == 200
    data = {f"attended-{u}": "3" for u in people}
    data[f"attended-{people[0]}"] = "abc"
    data[f"absent-{people[1]}"] = "2"  # 3 + 2 > 3 hours
    r = c.post(f"/activities/{act_id}/attendance", data=data)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'value="abc"' in html and 'data-testid="error-attended-teacher1"' in html
    assert 'data-testid="error-attended-teacher2"' in html and "超过了本活动的 3 学时" in html
    with site.app_context():
        assert db.session.execute(
            select(Participation.attended_hours).where(Participation.activity_id == act_id)).scalars().all() == before
    assert as_user("teacher1").get(f"/activities/{act_id}/attendance").status_code == 403


def test_attendance_for_sixty_people_in_one_form(site, as_user):
    from portal.services import activities, users

    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        organizer = db.session.execute(select(User).where(User.username == "organizer")).scalar_one()
        people = [users.create_user(f"big{i:02d}", "password-123", f"教师{i:02d}", school, ["teacher"]) for i in range(60)]
        act = activities.plan_activity(school, organizer, "lecture", "全员讲座", "2026-10-09T14:00", "2026-10-09T16:00",
                                       "2", [{"user_id": u.id, "role": "attendee"} for u in people], {"topic": "t"})
        act_id, ids = act.id, [u.id for u in people]
    c = as_user("organizer")
    assert c.get(f"/activities/{act_id}/attendance").get_data(as_text=True).count('data-testid="attended-big') == 60
    data = {f"attended-{u}": "2" for u in ids}
    data[f"attended-{ids[5]}"] = "1"
    data[f"excused-{ids[5]}"] = "1"
    assert c.post(f"/activities/{act_id}/attendance", data=data).status_code == 302
    with site.app_context():
        rows = dict(db.session.execute(select(Participation.user_id, Participation.attended_hours).where(
            Participation.activity_id == act_id)).all())
    assert len(rows) == 60 and str(rows[ids[5]]) == "1.0" and str(rows[ids[0]]) == "2.0"


def test_evidence_refused_with_a_clear_message(site, as_user):
    with site.app_context():
        act_id = db.session.execute(
            select(Activity.id).where(Activity.state == "held", Activity.type_key == "lecture",
                                      # not the one of a year long over
                                      Activity.title == phase_title("lecture", Phase.AWAITING_REVIEW))
        ).scalar_one()
    t1 = _user_id(site, "teacher1")
    c = as_user("teacher1")
    before = _count(site, Evidence)
    r = c.post(f"/activities/{act_id}/evidence", data={
        "user_id": str(t1), "kind": "reflection", "title": "保留我", "text": "",
        "file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "virus.exe"),
    }, content_type="multipart/form-data")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'data-testid="error-file"' in html and "允许的文件类型" in html and 'value="保留我"' in html
    r = c.post(f"/activities/{act_id}/evidence", data={
        "user_id": str(t1), "kind": "attachment", "title": "", "file": (io.BytesIO(b"not really a pdf"), "fake.pdf"),
    }, content_type="multipart/form-data")
    assert r.status_code == 422 and "这不是真正的 .pdf 文件" in r.get_data(as_text=True)
    r = c.post(f"/activities/{act_id}/evidence", data={"user_id": str(t1), "kind": "reflection", "text": ""})
    assert r.status_code == 422 and 'data-testid="error-text"' in r.get_data(as_text=True)
    assert _count(site, Evidence) == before
    # a real PDF is accepted and served only within the school
    r = c.post(f"/activities/{act_id}/evidence", data={
        "user_id": str(t1), "kind": "attachment", "file": (io.BytesIO(b"%PDF-1.4 minimal"), "课件.pdf"),
    }, content_type="multipart/form-data")
    assert r.status_code == 302
    with site.app_context():
        ev_id = db.session.execute(select(Evidence.id).order_by(Evidence.id.desc())).scalars().first()
    page = c.get(f"/activities/{act_id}").get_data(as_text=True)  # its link on the activity page, by id
    assert f'<a class="tap-link" href="/evidence/{ev_id}" data-testid="evidence-download-{ev_id}">课件.pdf</a>' in page
    got = as_user("teacher6").get(f"/evidence/{ev_id}")
    assert got.status_code == 200 and got.data == b"%PDF-1.4 minimal"
    assert site.test_client().get(f"/evidence/{ev_id}").status_code == 302  # anonymous: to login


def test_trigger_without_comment_shows_the_error_and_guard_items(site, as_user):
    with site.app_context():
        obs = select(Activity.id).where(Activity.type_key == "observation")
        held_obs = db.session.execute(obs.where(Activity.state == "held")).scalar_one()
        planned = db.session.execute(obs.where(Activity.state == "planned")).scalar_one()
    reviewer = as_user("reviewer")
    r = reviewer.post(f"/activities/{held_obs}/trigger", data={"trigger": "return", "comment": ""})
    assert r.status_code == 422
    assert 'data-testid="error-comment"' in r.get_data(as_text=True)
    organizer = as_user("organizer")
    r = organizer.post(f"/activities/{planned}/trigger", data={"trigger": "hold", "comment": "保留的意见"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "活动尚未开始：开始时间为" in html  # the demo's planned activity is ahead
    with site.app_context():  # the activity has begun: now the guard speaks
        from datetime import timedelta

        from portal.database import write_transaction
        from portal.timeutil import utcnow

        with write_transaction():
            act = db.session.get(Activity, planned)
            act.starts_at, act.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
    r = organizer.post(f"/activities/{planned}/trigger", data={"trigger": "hold", "comment": "保留的意见"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'data-testid="guard-missing"' in html and "保留的意见" in html
    r = as_user("teacher1").post(f"/activities/{planned}/trigger", data={"trigger": "hold"})
    assert r.status_code == 403


def test_rules_form(site, as_user):
    c = as_user("admin")
    r = c.post("/admin/rules", data={"required_hours": "lots", "absence_limit_hours": "5"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="lots"' in html and 'data-testid="error-required_hours"' in html
    r = c.post("/admin/rules", data={"required_hours": "60.3", "absence_limit_hours": "5"})
    assert r.status_code == 422 and "须为 0 至 999.5 之间的学时数，以 0.5 学时为单位" in r.get_data(as_text=True)
    assert c.post("/admin/rules", data={"required_hours": "60", "absence_limit_hours": "4.5"}).status_code == 302
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        assert school.rule("required_hours") == 60 and school.rule("absence_limit_hours") == 4.5
    assert 'data-testid="hours-required">60<' in as_user("teacher1").get("/").get_data(as_text=True)


def test_type_settings_form(site, as_user):
    c = as_user("admin")
    r = c.post("/admin/types/observation", data={"enabled": "y", "setting-handbook_days": "two",
                                                  "setting-lesson_teacher_multiplier": "2", "setting-speaker_multiplier": "2"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="two"' in html and 'data-testid="error-observation-handbook_days"' in html
    r = c.post("/admin/types/observation", data={"setting-handbook_days": "3", "setting-lesson_teacher_multiplier": "2",
                                                  "setting-speaker_multiplier": "2"})
    assert r.status_code == 302
    with site.app_context():
        row = db.session.execute(select(SchoolActivityType).where(SchoolActivityType.type_key == "observation")).scalar_one()
        assert row.enabled is False and row.settings["handbook_days"] == 3
    assert c.post("/admin/types/nope", data={}).status_code == 404


def test_staff_add_and_deactivate(site, as_user):
    c = as_user("admin")
    r = c.post("/admin/staff", data={"username": "bad name!", "name": "新老师", "password": "short", "roles": ["teacher"]})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'value="新老师"' in html
    assert 'data-testid="error-username"' in html and 'data-testid="error-password"' in html
    r = c.post("/admin/staff", data={"username": "newbie", "name": "新老师", "password": "password-123",
                                     "roles": ["teacher", "organizer"], "gender": "F", "birth_date": "1991-02-03"})
    assert r.status_code == 302
    assert 'data-testid="staff-newbie"' in c.get("/admin/staff").get_data(as_text=True)
    newbie = _user_id(site, "newbie")
    assert c.post(f"/admin/staff/{newbie}/deactivate").status_code == 302
    # off the staff of every school: the right password signs them in no more, and says why
    r = site.test_client().post("/login", data={"username": "newbie", "password": "password-123"})
    assert r.status_code == 403 and "不在任何学校或区里任职" in r.get_data(as_text=True)
    html = c.get("/admin/staff").get_data(as_text=True)
    assert "已停用" in html
    me = _user_id(site, "admin")
    c.post(f"/admin/staff/{me}/deactivate")
    assert c.get("/admin/staff").status_code == 200  # refused: still an admin
    assert as_user("teacher1").post(f"/admin/staff/{newbie}/deactivate").status_code == 403


def test_attendance_page_queries_do_not_grow_with_participants(site, as_user):
    """One query for all participants: 60 people cost the same statements as 4."""
    from sqlalchemy import event

    from portal.services import activities, users

    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        organizer = db.session.execute(select(User).where(User.username == "organizer")).scalar_one()
        people = [users.create_user(f"q{i:02d}", "password-123", f"教师{i:02d}", school, ["teacher"]) for i in range(60)]
        big = activities.plan_activity(school, organizer, "lecture", "大讲座", "2026-10-09T14:00", "2026-10-09T16:00",
                                       "2", [{"user_id": u.id, "role": "attendee"} for u in people], {"topic": "t"})
        small = activities.plan_activity(school, organizer, "lecture", "小讲座", "2026-10-09T14:00", "2026-10-09T16:00",
                                         "2", [{"user_id": u.id, "role": "attendee"} for u in people[:4]], {"topic": "t"})
        big_id, small_id = big.id, small.id
        engine = db.engine
    c = as_user("organizer")
    counts = []
    for act_id in (small_id, big_id):
        seen: list[str] = []

        def count(conn, cursor, statement, *args):
            seen.append(statement)  # noqa: B023 - listened to in this iteration only

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert c.get(f"/activities/{act_id}/attendance").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(seen))
    assert counts[0] == counts[1], counts


def test_forms_do_not_read_wtforms_catalogue(site):
    """Building a page's forms reads no translation file from disk: a field without a label
    makes wtforms ask its own catalogue for one, which Flask-WTF loads from its .mo file once a
    request (the activity page's trigger form did, a tenth of that page's time)."""
    import inspect

    from flask import request
    from flask_wtf import FlaskForm

    from portal.web import forms

    classes = [c for _n, c in inspect.getmembers(forms, inspect.isclass)
               if issubclass(c, FlaskForm) and c.__module__ == forms.__name__]
    assert forms.TriggerForm in classes
    for lang in ("zh", "en"):
        with site.test_request_context(f"/?lang={lang}"):
            for form_class in classes:
                form_class(formdata=None)
            assert getattr(request, "wtforms_translations", None) is None, lang


def test_the_rules_page_refuses_a_year_that_asks_nothing(site, as_user):
    """No district minimum and quotas that do not decide: 0 hours would call every teacher "met"
    for nothing. The page says why beside the field, in Chinese, and nothing is saved."""
    c = as_user("admin")

    def stored() -> str:
        with site.app_context():
            return repr(sorted((db.session.execute(select(School).where(School.code == "DEMO")).scalar_one().rules
                                or {}).items()))

    before = stored()
    r = c.post("/admin/rules?lang=zh_Hans_CN", data={"required_hours": "0", "absence_limit_hours": "5"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'data-testid="error-required_hours"' in html and "每学年都须对教师有所要求" in html
    assert stored() == before
