"""Every page for every demo role: 200, or 403/404 for pages the role may not see; never 500."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, Evidence, School, User
from portal.policy import SYSTEM

ROLES = ["admin", "reviewer", "organizer", "teacher1", "teacher6", "district"]
ALLOWED = {
    "admin": {"/admin/types", "/admin/rules", "/admin/staff", "/admin/staff/import", "/admin/plugins", "/activities/new",
              "/activities/new/lecture"},
    "reviewer": {"/review", "/activities/new"},  # every teacher may declare outside training (学时申报)
    "organizer": {"/activities/new", "/activities/new/lecture"},
    "teacher1": {"/activities/new"},
    "teacher6": {"/activities/new"},
    "district": {"/district"},
}
SCHOOL_PAGES = {"/", "/activities", "/activities?type=lecture&state=held&year=2026-2027&semester=1&organizer=3&page=2",
                "/password"}
RESTRICTED = {"/admin/types", "/admin/rules", "/admin/staff", "/admin/staff/import", "/admin/plugins",
              "/activities/new", "/activities/new/lecture", "/review", "/district"}


@pytest.fixture
def activity_urls(site) -> list[str]:
    with site.app_context():
        acts = db.session.execute(select(Activity.id)).scalars().all()
        ev = db.session.execute(select(Evidence.id)).scalars().all()
    return [f"/activities/{i}" for i in acts] + [f"/evidence/{i}" for i in ev[:3]]


@pytest.mark.parametrize("username", ROLES)
def test_every_page_answers_without_error(as_user, activity_urls, username):
    client = as_user(username)
    for url in sorted(SCHOOL_PAGES | RESTRICTED) + activity_urls:
        for lang in ("zh_Hans_CN", "en"):
            r = client.get(url + ("&" if "?" in url else "?") + f"lang={lang}")
            path = url.split("?")[0]
            if username == "district":
                by_path = {"/district": {200}, "/": {302}, "/password": {200, 403}}
                expected = by_path.get(path, {403})
            elif path in RESTRICTED:
                expected = {200} if path in ALLOWED[username] else {403}
            elif path.startswith("/evidence/"):
                expected = {200, 404}  # text evidence has no file
            else:
                expected = {200}
            assert r.status_code in expected, (username, url, lang, r.status_code)
            if r.status_code in (403, 404):
                assert 'data-testid="error-page"' in r.get_data(as_text=True)


def test_anonymous_is_sent_to_login(site):
    c = site.test_client()
    for url in ["/", "/activities", "/activities/1", "/review", "/admin/types", "/district", "/password"]:
        r = c.get(url)
        assert r.status_code == 302 and "/login" in r.headers["Location"], url
    assert c.get("/login").status_code == 200


def test_unknown_pages_are_404_in_the_portal_look(as_user):
    c = as_user("teacher1")
    r = c.get("/no-such-page")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert 'data-testid="error-page"' in html and "页面不存在" in html
    r = c.get("/no-such-page?lang=en")
    assert "Page not found" in r.get_data(as_text=True)
    assert c.get("/activities/999999").status_code == 404
    assert c.get("/evidence/999999").status_code == 404


def test_another_schools_activity_is_404(site, as_user):
    from portal.services import activities, schools, users

    with site.app_context():
        other = schools.create_school("OTHER", "另一所学校")
        schools.set_type(other, "lecture", enabled=True, by=SYSTEM)
        org = users.create_user("other_org", "password-123", "外校组长", other, ["organizer", "teacher"])
        act = activities.plan_activity(other, org, "lecture", "外校讲座", "2026-10-01T09:00", "2026-10-01T10:00", "1",
                                       [], {"topic": "x"})
        ev = activities.add_evidence(act, org, org.id, "attachment", "附件", filename="a.txt", data=b"hello")
        act_id, ev_id = act.id, ev.id
    c = as_user("admin")
    assert c.get(f"/activities/{act_id}").status_code == 404
    assert c.get(f"/evidence/{ev_id}").status_code == 404
    assert c.post(f"/activities/{act_id}/trigger", data={"trigger": "cancel"}).status_code == 404
    assert c.get(f"/activities/{act_id}/attendance").status_code == 404


def test_activity_of_an_uninstalled_type_renders_read_only(site, as_user):
    with site.app_context():
        act = db.session.execute(select(Activity).where(Activity.state == "held")).scalars().first()
        from portal.database import write_transaction

        with write_transaction():
            act.type_key = "ghost_type"
        act_id = act.id
    for who in ("reviewer", "organizer", "teacher1"):
        r = as_user(who).get(f"/activities/{act_id}")
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        assert 'data-testid="type-missing"' in html
        assert 'data-testid="trigger-form"' not in html
    assert as_user("reviewer").get("/review").status_code == 200
    assert as_user("admin").get("/activities?type=ghost_type").status_code == 200


def test_workflow_diagram_marks_the_current_state(site, as_user):
    with site.app_context():
        act_id = db.session.execute(select(Activity.id).where(Activity.state == "reviewed")).scalars().first()
    html = as_user("teacher1").get(f"/activities/{act_id}?lang=en").get_data(as_text=True)
    assert 'data-current="reviewed"' in html
    assert 'class="state current" data-state="reviewed"' in html
    assert 'class="state" data-state="planned"' in html
    assert "Post credits" in html  # a transition label


def test_district_table_counts_each_school(site, as_user):
    with site.app_context():
        from portal.services import schools

        schools.create_school("EMPTY", "空学校")
        demo_id = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
    html = as_user("district").get("/district").get_data(as_text=True)
    assert 'data-testid="district-row-DEMO"' in html and 'data-testid="district-row-EMPTY"' in html
    assert 'data-testid="staff-DEMO">10<' in html  # nine of STAFF and the deputy head (demo_declarations)
    assert 'data-testid="staff-EMPTY">0<' in html
    assert demo_id


def test_the_district_rows_statuses_add_up_to_its_teachers_when_one_left(site, as_user):
    """Audit: a teacher who left stays on the year with the hours counted there (as on the
    school's summary), so the district's row read 教职工 8 beside statuses adding up to 9, and
    nothing said what the four counted. The row gives its teachers of the year too: the
    statuses add up to that."""
    import re

    from portal.services import access, staff

    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        admin = db.session.execute(select(User).where(User.username == "admin")).scalar_one()
        leaver = db.session.execute(select(User).where(User.username == "teacher3")).scalar_one()
        staff.deactivate(school, leaver.id, by=access.actor(admin.id, school.id))
    html = as_user("district").get("/district").get_data(as_text=True)

    def cell(name: str) -> int:
        return int(re.search(rf'data-testid="{name}-DEMO"[^>]*>(\d+)', html).group(1))

    assert cell("staff") == 9 and cell("teachers") == 9  # the deputy head is staff, no teacher
    met = int(re.search(r'data-testid="met-DEMO"[^>]*>(\d+) /', html).group(1))
    # a year under way counts those not yet at the requirement as in progress, as the school's pages do
    assert met + cell("in-progress") + cell("short") + cell("not-recognised") + cell("exempt") == cell("teachers")
    # the school's summary lists her with what the year counts of hers, and says she has left
    summary = as_user("admin").get("/reports/summary").get_data(as_text=True)
    rows = re.findall(r'<tr data-user="([^"]+)">(.*?)</tr>', summary, re.S)
    assert [u for u, row in rows if 'data-testid="left-school">已离校<' in row] == ["teacher3"]


def test_a_crash_shows_the_portal_500_page(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    def boom():
        raise RuntimeError("kaput")

    app.add_url_rule("/boom-for-test", "boom_for_test", boom)
    r = app.test_client().get("/boom-for-test")
    assert r.status_code == 500
    html = r.get_data(as_text=True)
    assert 'data-testid="error-page"' in html and "出错了" in html and "kaput" not in html
