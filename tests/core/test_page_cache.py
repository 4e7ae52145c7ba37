"""Cached page parts (portal/page_cache.py) and the school data stamp they are keyed on.

The stamp is raised by database triggers (migration 3b9d0c4e2f61); these tests write through
the services, the ORM, Core and raw SQL, and check that every change a cached page shows
gives the school a new stamp, that nothing else does, and that the pages show the change on
the very next request, also when another app (another worker) wrote it.
"""

from __future__ import annotations

import importlib.util
import os
import re
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select, text

from portal import page_cache
from portal.database import write_transaction
from portal.extensions import db
from portal.models import School, User
from portal.page_cache import STATS_KEY, build_id
from portal.policy import SYSTEM
from portal.services import activities, exemptions, schools, users
from tests.credits.helpers import TEXT, credited, login
from tests.support import factories as f

# Tables whose rows no cached part shows; every other table must raise the stamp.
NOT_SHOWN = {
    "transition_log": "the activity row written with it raises the stamp",
    "api_token": "security, not shown",
    "login_attempt": "security, not shown",
    "issued_document": "only the verification page reads it, and that page is never cached",
    "teacher_year": "derived rows, written in the transaction of a change that raises the stamp",
    "school": "raises its own stamp (checked below)",
    "user_account": "raises the stamps of the user's schools (checked below)",
    "district": "district pages are not cached by school stamp; the school's figures do not depend on it",
    "year_submission": "submission pages are rendered afresh (never cached)",
    "submission_event": "submission pages are rendered afresh (never cached)",
    "year_lock": "locks refuse writes; no cached page shows them",
    "school_plan": "plan pages are rendered afresh (never cached)",
    "school_plan_line": "plan pages are rendered afresh (never cached)",
    "school_plan_writer": "who wrote a plan: only its plan pages ask (rendered afresh, never cached)",
    # per person, never on a cached part: the nav's unread count is read with the login query
    "notification": "the unread count keys the cached nav (nav_key)",
    "notification_delivery": "not shown",
    "notification_setting": "the person's own settings page, not cached",
    "check_in": "the check-in screen and attendance page, not cached",
    "calendar_feed": "security, not shown",
    "export_job": "the requester's progress page, not cached",
    "outbox_job": "jobs waiting for their change's commit, never shown",
    "staff_change": "the audit log of roles and groups; the membership rows it records raise the stamp",
    "school_change": "the audit log of rules and types; the school and type rows it records raise the stamp",
    "deadline_announcement": "shown in the home's cached part: announcing moves the stamps of its district's schools",
    "school_year_type_hours": "derived totals, written in the transaction of a change that raises the stamp",
    "membership_stint": "written with the change of the membership row it comes from (a role given back), "
                        "which raises the stamp",
}


def stamp(school: School) -> int:
    db.session.expire_all()
    return db.session.execute(select(School.data_version).where(School.id == school.id)).scalar_one()


def total_on_home(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return re.search(r'data-testid="hours-total">([^<]*)<', html).group(1)


@pytest.fixture
def two_schools(app):
    a, b = f.school("A1"), f.school("B1")
    return a, b, f.staff(a), f.staff(b, "b")


def trigger_tables() -> set[str]:
    if db.engine.dialect.name == "sqlite":
        rows = db.session.execute(
            text("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'data_version_%'")
        )
    else:
        rows = db.session.execute(
            text("SELECT DISTINCT event_object_table FROM information_schema.triggers WHERE trigger_name LIKE 'data_version_%'")
        )
    return set(rows.scalars())


def test_every_table_a_page_shows_raises_the_stamp(app):
    core = {t.name for t in db.metadata.sorted_tables} & set(inspect(db.engine).get_table_names())
    missing = core - trigger_tables() - (NOT_SHOWN.keys() - {"school", "user_account"})
    assert not missing, f"tables without data_version triggers: {sorted(missing)}"


def test_a_credited_activity_gives_its_school_a_new_stamp_and_no_other(app, two_schools):
    a, b, staff_a, _staff_b = two_schools
    before_a, before_b = stamp(a), stamp(b)
    credited(a, staff_a, "lecture", [(staff_a["t1"], "attendee")])
    assert stamp(a) != before_a
    assert stamp(b) == before_b


def test_each_kind_of_change_raises_the_stamp(app, two_schools):
    a, b, staff_a, _ = two_schools
    act = credited(a, staff_a, "lecture", [(staff_a["t1"], "attendee")], until="held")
    t1 = staff_a["t1"]
    changes = {
        "participation update (raw SQL)": lambda: written(
            lambda: db.session.execute(text("UPDATE participation SET absent_hours = 1 WHERE activity_id = :a"), {"a": act.id})
        ),
        "activity title (ORM)": lambda: written(lambda: setattr(db.session.get(type(act), act.id), "title", "新的标题")),
        "type settings (service)": lambda: schools.set_type(a, "lecture", enabled=False, by=SYSTEM),
        "school rules (service)": lambda: schools.update_rules(a, {"required_hours": 40}, by=SYSTEM),
        "teacher's name (ORM)": lambda: written(lambda: setattr(db.session.get(User, t1.id), "display_name", "新名字")),
        "teacher's birth date (raw SQL)": lambda: written(
            lambda: db.session.execute(text("UPDATE user_account SET birth_date = '1970-01-01' WHERE id = :u"), {"u": t1.id})
        ),
        "membership (service)": lambda: users.add_role(db.session.get(User, t1.id), a, "organizer"),
        "evidence upload (service)": lambda: activities.add_evidence(act, t1, t1.id, "reflection", "反思", text=TEXT),
        "evidence delete (raw SQL)": lambda: written(
            lambda: db.session.execute(text("DELETE FROM evidence WHERE activity_id = :a"), {"a": act.id})
        ),
    }
    for name, change in changes.items():
        before, other = stamp(a), stamp(b)
        change()
        assert stamp(a) != before, name
        assert stamp(b) == other, name


def written(change) -> None:
    with write_transaction():
        change()


def test_exemption_raises_the_stamp(app, two_schools):
    a, _b, staff_a, _ = two_schools
    before = stamp(a)
    exemptions.set_exemption(a, staff_a["admin"], staff_a["t2"].id, "2026-2027", "病假")
    assert stamp(a) != before


def test_logins_and_password_changes_keep_the_stamp(app, two_schools):
    a, _b, staff_a, _ = two_schools
    before = stamp(a)
    with write_transaction():
        user = db.session.get(User, staff_a["t1"].id)
        user.session_version += 1
        user.locale = "en"
        user.password_hash = "x"
    assert stamp(a) == before


def test_home_shows_a_credit_on_the_next_request(app, two_schools):
    a, _b, staff_a, _ = two_schools
    client = login(app.test_client(), staff_a["t1"], a)
    assert total_on_home(client) == "0"
    assert total_on_home(client) == "0"
    stats = app.extensions[STATS_KEY]
    hits = stats["hit"]
    assert total_on_home(client) == "0"
    assert stats["hit"] == hits + 1  # the body came from the cache
    credited(a, staff_a, "lecture", [(staff_a["t1"], "attendee")], hours="3")
    login(client, staff_a["t1"], a)
    assert total_on_home(client) == "3"


def test_a_change_written_by_another_worker_is_seen(make_app, tmp_path):
    """Two apps on one database and one cache folder, as two gunicorn workers: a change made
    through one (here raw SQL, as a console would) is on the other's next page."""
    from tests.support import factories

    cache_dir = str(tmp_path / "shared-cache")
    reader = make_app(CACHE_DIR=cache_dir)
    with reader.app_context():
        a = factories.school("W1")
        staff = factories.staff(a)
        act = credited(a, staff, "lecture", [(staff["t1"], "attendee")], hours="2")
        client = login(reader.test_client(), staff["t1"], a)
        assert total_on_home(client) == "2"
        assert total_on_home(client) == "2"
        uri, act_id = reader.config["SQLALCHEMY_DATABASE_URI"], act.id
        school_id, t1_id, reviewer_id = a.id, staff["t1"].id, staff["reviewer"].id  # objects end with the context
    writer = make_app(CACHE_DIR=cache_dir, SQLALCHEMY_DATABASE_URI=uri)
    with writer.app_context():
        from portal.services import transitions

        transitions.fire(act_id, school_id, db.session.get(User, reviewer_id), "revoke", "重复登记")
    with reader.app_context():
        client = login(reader.test_client(), db.session.get(User, t1_id), db.session.get(School, school_id))
        assert total_on_home(client) == "0"


def test_summary_shows_a_renamed_teacher(app, two_schools):
    a, _b, staff_a, _ = two_schools
    client = login(app.test_client(), staff_a["admin"], a)
    assert "新名字" not in client.get("/reports/summary").get_data(as_text=True)
    with write_transaction():
        db.session.get(User, staff_a["t3"].id).display_name = "新名字"
    login(client, staff_a["admin"], a)
    assert "新名字" in client.get("/reports/summary").get_data(as_text=True)


def test_each_viewer_and_language_has_its_own_part(app, two_schools):
    a, _b, staff_a, _ = two_schools
    credited(a, staff_a, "lecture", [(staff_a["t1"], "attendee")], hours="3")
    one = login(app.test_client(), staff_a["t1"], a)
    assert total_on_home(one) == "3"
    other = login(app.test_client(), staff_a["t2"], a)
    assert total_on_home(other) == "0"
    zh = one.get("/").get_data(as_text=True)
    en = one.get("/?lang=en").get_data(as_text=True)
    assert "我的学时" in zh and "My training hours" in en and "我的学时" not in en


@pytest.mark.filterwarnings("ignore:Flask-Caching.*NullCache")
def test_a_null_cache_serves_the_same_page(make_app):
    app = make_app(CACHE_TYPE="NullCache")
    with app.app_context():
        a = f.school("N1")
        staff = f.staff(a)
        credited(a, staff, "lecture", [(staff["t1"], "attendee")], hours="1.5")
        client = login(app.test_client(), staff["t1"], a)
        assert total_on_home(client) == total_on_home(client) == "1.5"
        assert app.extensions[STATS_KEY]["hit"] == 0


@pytest.mark.filterwarnings("ignore:Flask-Caching.*NullCache")
def test_a_null_cache_works_out_no_keys(make_app, monkeypatch):
    """With the cache off nothing is looked up, so the pages work out no key for it (the body's
    key and the navigation's cost a cold home a few per cent); with it on they do. The bar kept
    in the process is found by its parts, unhashed."""
    worked_out = []
    real, real_nav = page_cache.school_key, page_cache._nav_cache_key
    monkeypatch.setattr(page_cache, "school_key", lambda *a, **k: worked_out.append(a[0]) or real(*a, **k))
    monkeypatch.setattr(page_cache, "_nav_cache_key", lambda parts: worked_out.append("nav") or real_nav(parts))
    for cache_type, expected in (("NullCache", []), ("SimpleCache", ["home", "nav"])):
        app = make_app(CACHE_TYPE=cache_type)
        with app.app_context():
            a = f.school("N1")
            staff = f.staff(a)
            client = login(app.test_client(), staff["t1"], a)
            worked_out.clear()
            page = client.get("/").get_data(as_text=True)
            assert 'data-testid="hours-total"' in page and 'data-testid="navbar"' in page
            assert worked_out == expected


def module_from(path, name: str):
    """Import the file at ``path`` as module ``name`` (a plugin the build id must cover)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_build_id_changes_with_the_code(tmp_path):
    pkg = tmp_path / "some_plugin"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("X = 1\n")
    (pkg / "page.html").write_text("<p>one</p>\n")
    module = module_from(pkg / "__init__.py", "some_plugin")
    first = build_id([module])
    assert build_id([module]) == first
    (pkg / "page.html").write_text("<p>two, longer</p>\n")
    os.utime(pkg / "page.html", ns=(1, 1))
    assert build_id([module]) != first


def test_cache_clear_command_empties_the_cache(app, two_schools):
    a, _b, staff_a, _ = two_schools
    client = login(app.test_client(), staff_a["t1"], a)
    client.get("/")
    stats = app.extensions[STATS_KEY]
    hits, misses = stats["hit"], stats["miss"]
    result = app.test_cli_runner().invoke(args=["cache", "clear"])
    assert result.exit_code == 0 and "cleared" in result.output
    login(client, staff_a["t1"], a)
    client.get("/")
    assert (stats["hit"], stats["miss"]) == (hits, misses + 1)  # rendered again, not found


def test_hours_on_the_home_page_are_decimal_exact(app, two_schools):
    """A cached part keeps the half hours exactly as rendered."""
    a, _b, staff_a, _ = two_schools
    credited(a, staff_a, "lecture", [(staff_a["t1"], "attendee")], hours="2.5")
    client = login(app.test_client(), staff_a["t1"], a)
    assert total_on_home(client) == total_on_home(client) == str(Decimal("2.5"))


# -- the navigation bar ------------------------------------------------------------------------


def test_nav_shows_a_new_role_and_a_new_name_on_the_next_request(app, two_schools):
    a, _b, staff_a, _ = two_schools
    t1 = staff_a["t1"]
    client = login(app.test_client(), t1, a)
    first = client.get("/").get_data(as_text=True)
    assert 'data-testid="nav-review"' not in first
    assert client.get("/").get_data(as_text=True) == first  # the nav (and body) from the cache
    users.add_role(db.session.get(User, t1.id), a, "reviewer")
    with write_transaction():
        db.session.get(User, t1.id).display_name = "改了名字"
    login(client, t1, a)
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="nav-review"' in page
    assert re.search(r'data-testid="user-menu">改了名字<', page)


def test_the_logout_form_of_a_cached_nav_still_works(make_app):
    """The nav's forms carry a CSRF token; a nav kept or from the cache must carry a valid one.
    Each request has an app context of its own (as under a server), so nothing is kept on
    ``g`` between them."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        a = f.school("C1")
        client = login(app.test_client(), f.staff(a)["t1"], a)
    stats = app.extensions[STATS_KEY]
    for _ in range(3):
        with app.app_context():
            page = client.get("/").get_data(as_text=True)
    assert (stats["nav rendered"], stats["nav kept"]) == (1, 2)  # the last two pages' bars were kept
    token = re.search(r'action="/logout">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page).group(1)
    with app.app_context():
        assert client.post("/logout", data={}).status_code == 400
    with app.app_context():
        done = client.post("/logout", data={"csrf_token": token})
    assert done.status_code == 302 and "/login" in done.headers["Location"]


def test_nav_of_one_user_is_not_served_to_another(app, two_schools):
    a, _b, staff_a, _ = two_schools
    one = login(app.test_client(), staff_a["t1"], a)
    one.get("/")
    two = login(app.test_client(), staff_a["t2"], a)
    page = two.get("/").get_data(as_text=True)
    assert 'data-testid="user-menu">t2<' in page


# -- the district table: one cached row per school ------------------------------------------------


def test_district_recomputes_only_the_school_that_changed(app, two_schools):
    from portal.services import overview
    from portal.timeutil import current_school_year

    a, _b, staff_a, _ = two_schools
    year = current_school_year()
    stats = app.extensions[STATS_KEY]
    first = {r.school.code: r for r in overview.district_overview(year)}
    assert first["A1"].hours == 0
    hits, misses = stats["hit"], stats["miss"]
    credited(a, staff_a, "lecture", [(staff_a["t1"], "attendee")], hours="3")
    second = {r.school.code: r for r in overview.district_overview(year)}  # same session: stamps read afresh
    assert second["A1"].hours == Decimal("3") and second["B1"].hours == first["B1"].hours
    assert (stats["hit"] - hits, stats["miss"] - misses) == (1, 1)  # B1 from the cache, A1 computed


def test_district_page_shows_a_credit_on_the_next_request(app, two_schools):
    a, _b, staff_a, _ = two_schools
    district = f.person(None, "qu", "district_admin")
    client = login(app.test_client(), district)
    assert 'data-testid="hours-A1">0<' in client.get("/district").get_data(as_text=True)
    credited(a, staff_a, "lecture", [(staff_a["t1"], "attendee")], hours="2.5")
    login(client, district)
    assert 'data-testid="hours-A1">2.5<' in client.get("/district").get_data(as_text=True)


def test_a_single_module_plugin_hashes_its_own_file_only(tmp_path):
    """A plugin that is one module in site-packages must not make start-up walk site-packages."""
    (tmp_path / "neighbour.py").write_text("Y = 1\n")
    (tmp_path / "single_plugin.py").write_text("X = 1\n")
    module = module_from(tmp_path / "single_plugin.py", "single_plugin")
    first = build_id([module])
    (tmp_path / "neighbour.py").write_text("Y = 2, 3\n")
    assert build_id([module]) == first
    (tmp_path / "single_plugin.py").write_text("X = 2, 3\n")
    os.utime(tmp_path / "single_plugin.py", ns=(1, 1))
    assert build_id([module]) != first


@pytest.mark.parametrize(
    ("setting", "value"), [("CACHE_TYPE", "NoSuchBackend"), ("CACHE_DIR", "/proc/no-such-folder/cache")]
)
def test_an_unusable_cache_setting_is_refused_clearly(make_app, setting, value):
    from portal.config import BadConfiguration

    with pytest.raises(BadConfiguration, match=f"page cache: .*{value}.*YANXIU_CACHE_TYPE"):
        make_app(**{setting: value})


def test_a_cached_part_goes_into_the_page_as_utf8_bytes(app, two_schools):
    """The cached part is kept and sent as UTF-8 (``page_cache.Part``): the warm page is the
    cold one byte for byte, its length header counts the bytes, and no slot is left behind;
    the summary's part is split around the certificates form the same way."""
    a, _b, staff_a, _ = two_schools
    credited(a, staff_a, "lecture", [(staff_a["t1"], "attendee")], hours="2.5")
    token = re.compile(rb'name="csrf_token" value="[^"]*"')
    for who, url, words in ((staff_a["t1"], "/", "我的学时"), (staff_a["admin"], "/reports/summary", "学时汇总")):
        client = login(app.test_client(), who, a)
        cold, warm = client.get(url), client.get(url)
        assert cold.status_code == warm.status_code == 200
        assert token.sub(b"", cold.data) == token.sub(b"", warm.data)
        assert int(warm.headers["Content-Length"]) == len(warm.data)
        assert b"yanxiu-part" not in warm.data
        assert words in warm.get_data(as_text=True)
    summary = client.get("/reports/summary").get_data(as_text=True)
    assert summary.count('name="csrf_token"') >= 2  # the nav's forms and the certificates form
