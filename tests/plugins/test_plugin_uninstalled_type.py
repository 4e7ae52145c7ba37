"""Activities of a type whose plugin is no longer installed still load (CTFd's
``test_missing_challenge_type``): pages and services work, triggers are refused."""

from __future__ import annotations

import pytest

from portal.errors import Conflict
from portal.models import Activity
from portal.registry import registry
from portal.services import activities, transitions
from tests.support import factories as f


def test_activities_of_a_switched_off_type_still_load(make_app):
    app = make_app()
    with app.app_context():
        s = f.school("GONE", types=("lecture", "observation"))
        people = f.staff(s)
        act = f.plan(s, people["organizer"], "lecture", [(people["t1"], "attendee")], {"topic": "旧讲座"})
        ids = (act.id, s.id, people["organizer"].username, people["organizer"].id)

    app2 = make_app(PLUGINS_ALLOWLIST=["observation"], SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    act_id, school_id, username, organizer_id = ids
    with app2.app_context():
        assert registry().get("lecture") is None
        from portal.extensions import db
        from portal.models import User

        row = db.session.get(Activity, act_id)
        assert row.type_key == "lecture" and row.details["topic"] == "旧讲座"
        assert len(activities.participants_with_users(act_id)) == 1
        assert transitions.allowed_triggers(row, organizer_id) == []
        with pytest.raises(Conflict) as refused:
            transitions.fire(act_id, school_id, db.session.get(User, organizer_id), "cancel")
        assert "not installed" in str(refused.value)

        client = app2.test_client()
        r = client.post("/login", data={"username": username, "password": f.PASSWORD})
        assert r.status_code in (302, 303)
        page = client.get(f"/activities/{act_id}")
        assert page.status_code == 200
        assert "测试活动" in page.get_data(as_text=True)  # the title, shown read-only


def _credited_lecture_then_switched_off(make_app):
    """A credited lecture (t1 attending), then an app with the lecture's plugin switched off and
    its client signed in as the school admin: (app, client, activity id, school year)."""
    app = make_app()
    with app.app_context():
        s = f.school("GONE", types=("lecture", "observation"))
        people = f.staff(s)
        act = f.plan(s, people["organizer"], "lecture", [(people["t1"], "attendee")], {"topic": "旧讲座"})
        f.attend(act, people["organizer"])
        for who, trigger in (("organizer", "hold"), ("reviewer", "approve"), ("reviewer", "credit")):
            f.fire(act, people[who], trigger)
        act_id, year, admin = act.id, act.school_year, people["admin"].username
    app2 = make_app(PLUGINS_ALLOWLIST=["observation"], SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    client = app2.test_client()
    assert client.post("/login", data={"username": admin, "password": f.PASSWORD}).status_code in (302, 303)
    return app2, client, act_id, year


def test_a_switched_off_type_is_named_as_not_installed_never_by_its_bare_key(make_app):
    """Attack: the lecture's plugin switched off with credited lectures in the ledger: the
    学时汇总表 (page, CSV, the district's copy) headed their column ``lecture``, and the activity
    page, the 学分认定表 and the calendar feed named its type so — an English code on Chinese pages
    and on the forms sent to the district. Its hours still count; it is named as not installed."""
    app2, client, act_id, year = _credited_lecture_then_switched_off(make_app)
    name_zh = "未安装的活动类型（lecture）"
    csv = client.get(f"/reports/summary.csv?year={year}").get_data(as_text=True)
    heads, *rows = csv.lstrip("\ufeff").splitlines()
    assert name_zh in heads.split(",") and "lecture" not in heads.split(","), heads
    assert any(",3," in row for row in rows)  # the lecture's 3 hours, in its column
    page = client.get(f"/reports/summary?year={year}").get_data(as_text=True)
    assert name_zh in page
    assert name_zh in client.get(f"/activities/{act_id}").get_data(as_text=True)
    english = client.get(f"/reports/summary.csv?year={year}&headings=en").get_data(as_text=True)
    assert "activity type lecture (not installed)" in english.splitlines()[0]


def test_roles_states_steps_and_kinds_of_a_type_not_installed_are_named_never_by_their_keys(make_app):
    """With the lecture's plugin switched off, its credited lecture's page and 学分认定表 (page and
    workbook) named the attendee's role ``attendee``, an English code on a Chinese page and form.
    A role, evidence kind, state or step no installed declaration names is 「未知角色（key）」 …
    from the catalogue; what the core declares (its states, steps and evidence kinds) keeps its
    words."""
    import io

    from openpyxl import load_workbook

    app2, client, act_id, _year = _credited_lecture_then_switched_off(make_app)
    with app2.app_context():
        types = registry()
        assert types.role_name("lecture", "attendee", "zh") == "未知角色（attendee）"
        assert types.role_name("lecture", "attendee", "en") == "role attendee (not known)"
        assert types.state_name("lecture", "reflected", "zh") == "未知状态（reflected）"
        assert types.state_name("lecture", "credited", "zh") == "已认定学时"  # the core's
        assert types.step_name("lecture", "reflect", "zh") == "未知步骤（reflect）"
        assert types.step_name("lecture", "credit", "en") == "Post credits"
        assert types.kind_name("lecture", "handbook", "zh") == "未知材料类型（handbook）"
        assert types.kind_name("lecture", "reflection", "zh") == "教学反思"  # the core's
        assert types.role_name("observation", "observer", "zh") == "听课教师"  # installed: its own

    for url in (f"/activities/{act_id}", f"/activities/{act_id}/certificate"):
        page = client.get(url).get_data(as_text=True)
        assert "未知角色（attendee）" in page, url
        assert ">attendee<" not in page, url
    sheet = load_workbook(io.BytesIO(client.get(f"/activities/{act_id}/certificate.xlsx").data)).active
    assert "未知角色（attendee）" in [c.value for row in sheet.iter_rows() for c in row]


def test_the_paper_form_of_a_type_not_installed_names_its_roles_in_words(make_app):
    """The 学分认定表's PDF (the paper a school signs and files) asks the same one place as its
    page and workbook: the switched-off lecture's attendee is 「未知角色（attendee）」, the type
    「未安装的活动类型（lecture）」, never their keys."""
    import io

    from pypdf import PdfReader

    _app2, client, act_id, _year = _credited_lecture_then_switched_off(make_app)
    r = client.get(f"/activities/{act_id}/certificate.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)
    flat = "".join(text.split())
    assert "未知角色（attendee）" in flat, text
    assert "未安装的活动类型（lecture）" in flat, text
