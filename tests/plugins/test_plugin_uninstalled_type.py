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
        assert "no longer installed" in str(refused.value) and "lecture" not in str(refused.value)

        client = app2.test_client()
        r = client.post("/login", data={"username": username, "password": f.PASSWORD})
        assert r.status_code in (302, 303)
        page = client.get(f"/activities/{act_id}")
        assert page.status_code == 200
        assert "测试活动" in page.get_data(as_text=True)  # the title, shown read-only


def _credited_lecture(make_app):
    """A credited lecture (t1 attending), with every plugin installed: (app, activity id, school
    year, the school admin's username, the reviewer's)."""
    app = make_app()
    with app.app_context():
        s = f.school("GONE", types=("lecture", "observation"))
        people = f.staff(s)
        act = f.plan(s, people["organizer"], "lecture", [(people["t1"], "attendee")], {"topic": "旧讲座"})
        f.attend(act, people["organizer"])
        for who, trigger in (("organizer", "hold"), ("reviewer", "approve"), ("reviewer", "credit")):
            f.fire(act, people[who], trigger)
        return app, act.id, act.school_year, people["admin"].username, people["reviewer"].username


def _credited_lecture_then_switched_off(make_app):
    """A credited lecture (t1 attending), then an app with the lecture's plugin switched off and
    its client signed in as the school admin: (app, client, activity id, school year)."""
    app, act_id, year, admin, _reviewer = _credited_lecture(make_app)
    app2 = make_app(PLUGINS_ALLOWLIST=["observation"], SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    client = app2.test_client()
    assert client.post("/login", data={"username": admin, "password": f.PASSWORD}).status_code in (302, 303)
    return app2, client, act_id, year


def test_a_switched_off_type_is_named_as_not_installed_never_by_its_bare_key(make_app):
    """Attack: the lecture's plugin switched off with credited lectures in the ledger: the
    学时汇总表 (page, CSV, the district's copy) headed their column ``lecture``, and the activity
    page, the 学分认定表 and the calendar feed named its type so — an English code on Chinese pages
    and on the forms sent to the district. Its hours still count; it is named as discontinued."""
    app2, client, act_id, year = _credited_lecture_then_switched_off(make_app)
    name_zh = "已停用的活动类型"
    csv = client.get(f"/reports/summary.csv?year={year}").get_data(as_text=True)
    heads, *rows = csv.lstrip("\ufeff").splitlines()
    assert name_zh in heads.split(",") and "lecture" not in heads.split(","), heads
    assert any(",3," in row for row in rows)  # the lecture's 3 hours, in its column
    page = client.get(f"/reports/summary?year={year}").get_data(as_text=True)
    assert name_zh in page
    assert name_zh in client.get(f"/activities/{act_id}").get_data(as_text=True)
    english = client.get(f"/reports/summary.csv?year={year}&headings=en").get_data(as_text=True)
    assert "discontinued activity type" in english.splitlines()[0] and "lecture" not in english.splitlines()[0]


def test_roles_states_steps_and_kinds_of_a_type_not_installed_are_named_never_by_their_keys(make_app):
    """With the lecture's plugin switched off, its credited lecture's page and 学分认定表 (page and
    workbook) named the attendee's role ``attendee``, an English code on a Chinese page and form.
    A role, evidence kind, state or step no installed declaration names is 「已停用类型的角色」 …
    from the catalogue; what the core declares (its states, steps and evidence kinds) keeps its
    words."""
    import io

    from openpyxl import load_workbook

    app2, client, act_id, _year = _credited_lecture_then_switched_off(make_app)
    with app2.app_context():
        types = registry()
        assert types.role_name("lecture", "attendee", "zh") == "已停用类型的角色"
        assert types.role_name("lecture", "attendee", "en") == "Role of a discontinued type"
        assert types.state_name("lecture", "reflected", "zh") == "已停用类型的状态"
        assert types.state_name("lecture", "credited", "zh") == "已认定学时"  # the core's
        assert types.step_name("lecture", "reflect", "zh") == "已停用类型的步骤"
        assert types.step_name("lecture", "credit", "en") == "Post credits"
        assert types.kind_name("lecture", "handbook", "zh") == "已停用类型的材料"
        assert types.kind_name("lecture", "reflection", "zh") == "教学反思"  # the core's
        assert types.role_name("observation", "observer", "zh") == "听课教师"  # installed: its own

    for url in (f"/activities/{act_id}", f"/activities/{act_id}/certificate"):
        page = client.get(url).get_data(as_text=True)
        assert "已停用类型的角色" in page, url
        assert ">attendee<" not in page, url
    sheet = load_workbook(io.BytesIO(client.get(f"/activities/{act_id}/certificate.xlsx").data)).active
    assert "已停用类型的角色" in [c.value for row in sheet.iter_rows() for c in row]


def test_the_paper_form_of_a_type_not_installed_names_its_roles_in_words(make_app):
    """The 学分认定表's PDF (the paper a school signs and files) asks the same one place as its
    page and workbook: the switched-off lecture's attendee is 「已停用类型的角色」, the type
    「已停用的活动类型」, never their keys."""
    import io

    from pypdf import PdfReader

    _app2, client, act_id, _year = _credited_lecture_then_switched_off(make_app)
    r = client.get(f"/activities/{act_id}/certificate.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(r.data)).pages)
    flat = "".join(text.split())
    assert "已停用类型的角色" in flat, text
    assert "已停用的活动类型" in flat and "lecture" not in flat, text


def _read(html: str) -> str:
    """The text a person reads on a page: no tags, attributes, scripts or styles."""
    import re

    html = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_a_type_not_installed_is_never_named_by_its_key_and_its_hours_stay(make_app):
    """Attack: with the lecture's plugin switched off, pages said 「未安装的活动类型（lecture）」 and
    「活动类型“lecture”未安装」, a refused step's message (page and API) 「活动类型“lecture”未安装，
    活动只能查看」 — a code on a Chinese page. In both languages, on the activity page, the
    学时汇总表's CSV and the API's refusal, the type is 「已停用的活动类型」 and its key is nowhere
    a person reads; the API's ``type`` (a machine field) keeps the key, and the hours are the
    figures they were while the plugin was installed."""
    from tests.api.conftest import login

    app, act_id, year, admin, reviewer = _credited_lecture(make_app)
    before = app.test_client()
    assert before.post("/login", data={"username": admin, "password": f.PASSWORD}).status_code in (302, 303)

    def figures(client, renamed: dict[str, str]) -> list[dict[str, str]]:
        """The summary CSV's rows, each by its (renamed) headings."""
        import csv
        import io

        text = client.get(f"/reports/summary.csv?year={year}").get_data(as_text=True).lstrip("\ufeff")
        return [{renamed.get(k, k): v for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]

    with app.app_context():
        lecture_zh = registry().name("lecture", "zh")
    was = figures(before, {lecture_zh: "已停用的活动类型"})
    assert any(row["已停用的活动类型"] == "3" for row in was), was

    app2 = make_app(PLUGINS_ALLOWLIST=["observation"], SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    client = app2.test_client()
    assert client.post("/login", data={"username": admin, "password": f.PASSWORD}).status_code in (302, 303)
    assert figures(client, {}) == was  # the same hours, under the type's new name
    for lang, name in (("zh", "已停用的活动类型"), ("en", "discontinued activity type")):
        page = _read(client.get(f"/activities/{act_id}?lang={lang}").get_data(as_text=True))
        assert name in page and "lecture" not in page, (lang, page)
        headings = "en" if lang == "en" else "zh"
        head = client.get(f"/reports/summary.csv?year={year}&headings={headings}").get_data(as_text=True).splitlines()[0]
        assert name in head and "lecture" not in head, head

    api = login(app2.test_client(), reviewer, f.PASSWORD)
    assert api.get(f"/api/v1/activities/{act_id}").get_json()["type"] == "lecture"
    for language, words in (("zh-CN", "已停用"), ("en", "no longer installed")):
        r = api.post(f"/api/v1/activities/{act_id}/transitions", json={"trigger": "reverse"},
                     headers={"Accept-Language": language})
        assert r.status_code == 409, r.get_json()
        message = r.get_json()["message"]
        assert words in message and "lecture" not in message, message


def test_two_types_not_installed_are_told_apart_by_a_number_never_a_key(make_app):
    """Two types' plugins switched off, both named by stored rows: each is 「已停用的活动类型（n）」,
    numbered by key order the same on every page, so the summary's two columns differ; a key no
    row holds (typed into a URL) leaves the numbers as they are."""
    app = make_app()
    with app.app_context():
        f.school("GONE2", types=("lecture", "research", "observation"))
    app2 = make_app(PLUGINS_ALLOWLIST=["observation"], SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    with app2.app_context():
        types = registry()
        assert types.name("lecture", "zh") == "已停用的活动类型（1）"
        assert types.name("research", "zh") == "已停用的活动类型（2）"
        assert types.name("research", "en") == "discontinued activity type (2)"
        assert types.name("typed_in_a_url", "zh") == "已停用的活动类型"
        assert types.name("lecture", "zh") == "已停用的活动类型（1）"
        assert types.name("observation", "zh") != types.name("lecture", "zh")


def test_a_gone_types_roles_kinds_and_states_are_named_without_their_keys(make_app):
    """Attack: with the lecture's plugin switched off, its attendee read 「已停用类型的角色」,
    a material of a kind only it declared 「未知材料类型（slides）」 and a state only it knew
    「未知状态（summarised）」 — keys on Chinese pages and forms. On the activity page, the
    teacher's 成长档案 and the district ledger, in both languages, none of those keys is in
    readable text: a core state keeps the core's label, the rest read 「已停用类型的角色」 …"""
    import re

    from sqlalchemy import select, update

    from portal.extensions import db
    from portal.models import Evidence, Participation, School, User
    from portal.reports import exports

    app, act_id, year, admin, _reviewer = _credited_lecture(make_app)
    with app.app_context():
        act = db.session.get(Activity, act_id)
        teacher = db.session.scalars(select(Participation.user_id).where(Participation.activity_id == act_id)).one()
        db.session.add(Evidence(activity_id=act_id, user_id=teacher, kind="slides", title="讲义",
                                uploaded_by=act.organizer_id))
        school, organizer = db.session.get(School, act.school_id), db.session.get(User, act.organizer_id)
        other = f.plan(school, organizer, "lecture", [], {"topic": "另一讲座"})
        db.session.execute(update(Activity).where(Activity.id == other.id).values(state="summarised"))
        db.session.commit()
        other_id = other.id
    app2 = make_app(PLUGINS_ALLOWLIST=["observation"], SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    client = app2.test_client()
    assert client.post("/login", data={"username": admin, "password": f.PASSWORD}).status_code in (302, 303)
    keys = re.compile(r"\b(attendee|slides|summarised)\b")
    for lang in ("zh", "en"):
        for url in (f"/activities/{act_id}", f"/activities/{other_id}", f"/teachers/{teacher}/record"):
            r = client.get(f"{url}?lang={lang}")
            assert r.status_code == 200, url
            page = _read(r.get_data(as_text=True))
            assert not keys.search(page), (lang, url, keys.findall(page))
        with app2.app_context():
            lines = [str(cell) for row in exports.ledger_rows(year, lang) for cell in row]
        assert lines and not [cell for cell in lines if keys.search(cell)], lines
    zh = _read(client.get(f"/activities/{act_id}?lang=zh").get_data(as_text=True))
    assert "已停用类型的角色" in zh and "已停用类型的材料" in zh, zh
    assert "已停用类型的状态" in _read(client.get(f"/activities/{other_id}?lang=zh").get_data(as_text=True))
    en = _read(client.get(f"/activities/{act_id}?lang=en").get_data(as_text=True))
    assert "Role of a discontinued type" in en and "Material of a discontinued type" in en, en


def test_a_switched_off_types_fields_are_not_named_by_their_keys(make_app):
    """A 课例研究 plugin removed with activities of its type: the activity page listed their
    details as ``topic`` / ``subject`` — the form's keys, codes on a Chinese page. Each stored
    value is shown beside 「已停用类型的字段」 instead (English: "Field of a discontinued type")."""
    app = make_app()
    with app.app_context():
        s = f.school("GONE", types=("lecture", "observation"))
        people = f.staff(s)
        act = f.plan(s, people["organizer"], "lecture", [(people["t1"], "attendee")], {"topic": "分数的初步认识"})
        act_id, username = act.id, people["organizer"].username
    app2 = make_app(PLUGINS_ALLOWLIST=["observation"], SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    client = app2.test_client()
    assert client.post("/login", data={"username": username, "password": f.PASSWORD}).status_code in (302, 303)
    for lang, label in (("zh_Hans_CN", "已停用类型的字段"), ("en", "Field of a discontinued type")):
        page = client.get(f"/activities/{act_id}?lang={lang}").get_data(as_text=True)
        facts = page.split('data-testid="activity-facts"', 1)[1].split("</dl>", 1)[0]
        assert f'data-testid="gone-field">{label}</dt>' in facts and "分数的初步认识" in facts, facts
        assert ">topic<" not in facts, facts
