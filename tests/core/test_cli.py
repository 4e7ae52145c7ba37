"""The ``flask`` commands, through Click's runner (the same code path as the shell)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Activity, IssuedDocument, Membership, School, User


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_school_user_enable_list(app):
    assert run(app, "school", "create", "S9", "第九小学").exit_code == 0
    r = run(app, "user", "create", "lin", "--school", "S9", "--role", "organizer", "--role", "reviewer",
            "--password", "long-password", "--name", "林老师")
    assert r.exit_code == 0, r.output
    user = db.session.scalar(select(User).where(User.username == "lin"))
    roles = set(db.session.scalars(select(Membership.role).where(Membership.user_id == user.id)))
    assert roles == {"organizer", "reviewer"} and user.display_name == "林老师"
    assert run(app, "school", "enable", "S9", "lecture").exit_code == 0
    out = run(app, "school", "list").output
    assert "S9\t第九小学\tlecture" in out
    disabled = run(app, "school", "disable", "S9", "lecture")
    assert disabled.exit_code == 0 and disabled.output == "S9: disabled lecture\n"
    assert "S9\t第九小学\tlecture" not in run(app, "school", "list").output


def test_bad_cli_arguments_change_nothing(app):
    run(app, "school", "create", "S9", "第九小学")
    before = db.session.scalar(select(func.count(User.id)))
    cases = [
        ("school", "create", "S9", "again"),  # duplicate
        ("school", "create", "bad code!", "x"),
        ("school", "enable", "S9", "nope"),
        ("school", "enable", "NOSCHOOL", "lecture"),
        ("school", "disable", "NOSCHOOL", "lecture"),
        ("user", "create", "x1", "--school", "S9", "--role", "king", "--password", "long-password"),
        ("user", "create", "x2", "--school", "S9", "--role", "teacher", "--password", "short"),
        ("user", "create", "x3", "--school", "NOSCHOOL", "--role", "teacher", "--password", "long-password"),
        ("user", "create", "x4", "--school", "S9", "--role", "teacher", "--password", "long-password",
         "--birth-date", "1990-13-45"),
        ("workflow", "show", "nope"),
        # a birth date the staff page and the roster import refuse (before 1900)
        ("user", "create", "x5", "--school", "S9", "--role", "teacher", "--password", "long-password",
         "--birth-date", "1899-01-01"),
    ]
    for args in cases:
        r = run(app, *args)
        assert r.exit_code != 0, args
        assert "Error" in r.output or "Usage" in r.output, (args, r.output)
    assert db.session.scalar(select(func.count(User.id))) == before
    assert db.session.scalar(select(func.count(School.id))) == 1


def test_plugins_list_prints_the_five_keys(make_app):
    from tests.core.test_plugin_loading import BUILTINS

    app = make_app(PLUGINS_ALLOWLIST=tuple(BUILTINS))  # other plugins may be installed here
    out = run(app, "plugins", "list").output
    keys = [line.split("\t")[0] for line in out.strip().splitlines()]
    assert keys == ["lecture", "mentorship", "observation", "research", "school_visit"]
    assert "lecture\t专题讲座\tlecture\t0.1.0" in out


def test_workflow_show_is_mermaid(app):
    r = run(app, "workflow", "show", "observation", "--lang", "en", "--state", "held")
    assert r.exit_code == 0
    assert "stateDiagram-v2" in r.output and 'state "Held" as held' in r.output
    assert "Class held s_active" in r.output


def test_demo_refuses_a_production_portal(make_app):
    """The demo's logins (a district admin of the default district among them) share one
    published password: on a production portal they would open its real schools to anyone."""
    app = make_app(PRODUCTION=True, SECRET_KEY="a-real-secret-from-the-environment", PUBLIC_URL="https://yanxiu.example.edu.cn")
    with app.app_context():
        assert run(app, "school", "create", "REAL1", "真实学校").exit_code == 0
        r = run(app, "demo")
        assert r.exit_code != 0
        assert "production" in r.output and "--public-demo" in r.output, r.output
        assert db.session.scalar(select(func.count(User.id))) == 0
        assert db.session.scalar(select(func.count(School.id))) == 1


def _told_codes(output: str) -> list[str]:
    """The /verify paths ``flask demo`` told, in its order."""
    return re.findall(r"/verify/([A-Z2-7]{32})\b", output)


def test_demo_has_every_type_in_every_state(app):
    r = run(app, "demo")
    assert r.exit_code == 0, r.output
    # the forms it printed, as their routes print them: /verify shows each, without a login
    certificate, record = _told_codes(r.output)
    web = app.test_client()
    page = web.get(f"/verify/{record}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'data-testid="verify-kind">校本培训学时证明<' in text and 'data-testid="verify-title">王雅琴<' in text
    assert 'data-testid="verify-unchanged"' in text and "alert-warning" not in text  # her year as printed
    page = web.get(f"/verify/{certificate}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="verify-kind">学分认定表<' in text
    assert 'data-testid="verify-changed"' in text  # its credits were revoked after it was printed
    pairs = set(db.session.execute(select(Activity.type_key, Activity.state)).all())
    for key in ("lecture", "observation", "mentorship", "research", "school_visit"):
        for state in ("planned", "held", "reviewed", "credited", "cancelled"):
            assert (key, state) in pairs
    roles = set(db.session.scalars(select(Membership.role)))
    assert roles == {"teacher", "organizer", "reviewer", "school_admin", "district_admin", "district_reviewer"}
    issued = db.session.scalar(select(func.count(IssuedDocument.id)))
    again = run(app, "demo")
    assert again.exit_code == 0  # idempotent
    assert db.session.scalar(select(func.count(School.id))) == 5  # DEMO and the demo district's schools
    # the codes told before are not kept (only their digests): teacher1's record is printed again,
    # and the same paper (her figures, the same printer) has the code it had — and no new row
    (reprinted,) = _told_codes(again.output)
    assert reprinted == record and web.get(f"/verify/{reprinted}").status_code == 200
    assert db.session.scalar(select(func.count(IssuedDocument.id))) == issued


def test_a_district_created_at_the_command_line_gets_its_schools_and_staff(app):
    """`flask district create` is documented; its schools and its district staff come from the
    same command line (they used to land in the default district, with no way to move them)."""
    from portal.models import District

    assert run(app, "district", "create", "D7", "东湖区").exit_code == 0
    r = run(app, "school", "create", "S7", "第七中学", "--district", "D7")
    assert r.exit_code == 0, r.output
    r = run(app, "user", "create", "d7admin", "--district", "D7", "--role", "district_admin",
            "--password", "long-password")
    assert r.exit_code == 0, r.output
    d7 = db.session.scalar(select(District).where(District.code == "D7"))
    school = db.session.scalar(select(School).where(School.code == "S7"))
    assert school.district_id == d7.id
    user = db.session.scalar(select(User).where(User.username == "d7admin"))
    assert db.session.scalar(select(Membership.district_id).where(Membership.user_id == user.id)) == d7.id


def test_an_unknown_district_changes_nothing(app):
    schools_before = db.session.scalar(select(func.count(School.id)))
    users_before = db.session.scalar(select(func.count(User.id)))
    for args in [("school", "create", "S8", "第八中学", "--district", "NOPE"),
                 ("user", "create", "d8", "--district", "NOPE", "--role", "district_admin",
                  "--password", "long-password")]:
        r = run(app, *args)
        assert r.exit_code != 0, args
        assert "no district with code 'NOPE'" in r.output, r.output
    run(app, "district", "create", "D8", "西湖区")
    r = run(app, "user", "create", "t8", "--district", "D8", "--role", "teacher", "--password", "long-password")
    assert r.exit_code != 0 and "--district places district roles" in r.output, r.output
    run(app, "school", "create", "S9", "第九中学")
    schools_before += 1
    # attack: --school with district roles only was dropped unsaid (the role went to the default district)
    r = run(app, "user", "create", "d9", "--school", "S9", "--role", "district_admin", "--password", "long-password")
    assert r.exit_code != 0 and "--school places school roles" in r.output, r.output
    assert db.session.scalar(select(func.count(School.id))) == schools_before
    assert db.session.scalar(select(func.count(User.id))) == users_before


def test_one_person_is_not_staff_of_two_districts(app):
    """Tenants: ``user create --school EAST1 --district D2 --role teacher --role district_admin``
    made a teacher of one district who was district admin of another (hY's item). Refused, nothing
    created; district staff who also teach in a school of their own district are still made."""
    assert run(app, "district", "create", "DA", "甲区").exit_code == 0
    assert run(app, "district", "create", "DB", "乙区").exit_code == 0
    assert run(app, "school", "create", "SA", "甲区中学", "--district", "DA").exit_code == 0
    users_before = db.session.scalar(select(func.count(User.id)))
    r = run(app, "user", "create", "two.seats", "--school", "SA", "--district", "DB", "--role", "teacher",
            "--role", "district_admin", "--password", "long-password")
    assert r.exit_code != 0 and "one person works for one district" in r.output, r.output
    assert db.session.scalar(select(func.count(User.id))) == users_before
    r = run(app, "user", "create", "one.seat", "--school", "SA", "--district", "DA", "--role", "teacher",
            "--role", "district_reviewer", "--password", "long-password")
    assert r.exit_code == 0, r.output
    assert db.session.scalar(select(func.count(User.id))) == users_before + 1


def test_user_create_asks_for_the_password_when_it_is_not_given(app):
    """A password on the command line stays in the shell history and in every `ps` listing: left
    out, it is asked for (not echoed, twice)."""
    run(app, "school", "create", "S6", "第六中学")
    r = app.test_cli_runner().invoke(args=["user", "create", "wang", "--school", "S6", "--role", "teacher"],
                                     input="quiet-password-42\nquiet-password-42\n")
    assert r.exit_code == 0, r.output
    assert "quiet-password-42" not in r.output
    user = db.session.scalar(select(User).where(User.username == "wang"))
    from portal.services import users

    assert users.verify_password(user, "quiet-password-42")


def test_a_refusal_and_its_field_messages_are_each_said_chinese_then_english(app):
    """The headline and each field line under it, as a start-up refusal is said (one rule:
    ``portal.cli.common.said``): Chinese, then English, on its line. They were English only."""
    run(app, "school", "create", "S9", "第九小学")
    r = run(app, "user", "create", "x2", "--school", "S9", "--role", "teacher", "--password", "short")
    assert r.exit_code == 1
    head, field = r.output.strip().splitlines()
    assert head.startswith("Error: ") and " — " in head and "\u4e00" <= head[len("Error: ")] <= "\u9fff", r.output
    assert field.startswith("  password: ") and " — " in field, r.output
    chinese, english = field.removeprefix("  password: ").split(" — ")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese) and english.isascii(), r.output


def test_people_added_at_the_command_line_are_in_the_staff_log(app):
    """Auditor's find: ``flask user create`` gave roles in a school with no line in its staff log
    (the staff page, a roster, the district's new school admin each write one), so who made
    whom a school admin could not be told. Now the roles given in the school are a line, in the
    same transaction, by the command line — said in the reader's language on the audit page
    and in its export, never an empty cell or English on a Chinese page."""
    from portal.models import StaffChange

    assert run(app, "school", "create", "S9", "第九小学").exit_code == 0
    for args in (("boss", "--role", "school_admin", "--role", "teacher"), ("lin", "--role", "organizer")):
        r = run(app, "user", "create", args[0], "--school", "S9", *args[1:], "--password", "long-password")
        assert r.exit_code == 0, r.output
    r = run(app, "user", "create", "region", "--role", "district_admin", "--password", "long-password")
    assert r.exit_code == 0, r.output  # a district role: no school, no school's log
    ids = dict(db.session.execute(select(User.username, User.id)).all())
    log = db.session.execute(select(StaffChange).order_by(StaffChange.id)).scalars().all()
    assert [(e.user_id, e.what, e.before, e.after, e.changed_by) for e in log] == [
        (ids["boss"], "roles", [], ["school_admin", "teacher"], None), (ids["lin"], "roles", [], ["organizer"], None)]
    web = app.test_client()
    assert web.post("/login", data={"username": "boss", "password": "long-password"}).status_code == 302
    page = web.get("/admin/audit?view=staff").get_data(as_text=True)
    cells = re.findall(r'<td class="col-changed_by"[^>]*>([^<]*)</td>', page)
    assert cells == ["命令行", "命令行"], cells
    export = web.get("/admin/audit.csv?view=staff").get_data(as_text=True)
    assert export.count(",命令行\r\n") == 2 and "command line" not in export
    assert re.findall(r'<td class="col-changed_by"[^>]*>([^<]*)</td>',
                      web.get("/admin/audit?view=staff&lang=en").get_data(as_text=True)) == ["command line"] * 2


def test_the_demo_shows_a_line_by_the_command_line(app, demo):
    """The demo's first school admin is made as ``flask user create`` makes one: its staff log
    shows that line, by 命令行."""
    web = app.test_client()
    assert web.post("/login", data={"username": "admin", "password": "yanxiu-demo"}).status_code == 302
    page = web.get("/admin/audit?view=staff&person=admin").get_data(as_text=True)
    assert re.findall(r'<td class="col-changed_by"[^>]*>([^<]*)</td>', page) == ["命令行"]


def test_text_arguments_that_are_not_utf_8_are_refused_before_the_command_runs(app):
    """``$'bad\\xff'`` reaches Python as a lone surrogate, which no column stores: the commands
    ended in a database traceback. Refused as the web refuses it, naming the argument."""
    bad = "bad\udcff"
    before = [db.session.scalar(select(func.count(m.id))) for m in (School, Activity)]
    for args in (("school", "create", "BADX", f"name{bad}"), ("district", "create", "DX", f"区{bad}"),
                 ("activity", "fire", "1", "credit", "--as", "nobody", "--comment", bad),
                 ("school", "create", "NULX", "a\x00b")):
        r = run(app, *args)
        assert r.exit_code == 2, (args, r.output)
        assert "Invalid value for '" in r.output and "must not contain" in r.output, r.output
        assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert [db.session.scalar(select(func.count(m.id))) for m in (School, Activity)] == before


def test_every_command_guards_its_text_arguments(app):
    import click

    def commands(group: click.Group):
        for command in group.commands.values():
            yield command
            if isinstance(command, click.Group):
                yield from commands(command)

    unguarded = [c.name for c in commands(app.cli) if c.callback and not getattr(c.callback, "text_guarded", False)]
    assert not unguarded


@pytest.mark.parametrize("command", [
    ("district", "decide", "1", "accept", "--as"),
    ("district", "reopen", "1", "--reason", "x", "--as"),
    ("district", "submit", "DEMO", "--year", "2026-2027", "--as"),
    ("activity", "fire", "1", "credit", "--as"),
])
def test_an_unknown_person_is_quoted_as_every_refusal_quotes(app, demo, command):
    """``--as`` naming nobody: the refusal (from the catalogue) quotes the name cut to 40
    characters with invisible characters shown as U+FFFD, as every other refusal does; it
    echoed the whole argument as Python writes it ('ho\\x07ld', 500 characters)."""
    r = run(app, *command, "ho\x07ld" + "x" * 500)
    assert r.exit_code == 1, r.output
    quoted = "ho\ufffdld" + "x" * 34 + "…"
    assert r.output.startswith("Error: ") and r.output.endswith(f" — no user '{quoted}'\n"), r.output
    assert f"“{quoted}”" in r.output.split(" — ")[0], r.output  # the Chinese quotes it as Chinese does


def test_a_person_without_a_district_role_and_an_unknown_activity_are_refused_by_the_catalogue(app, demo):
    from portal.messages import msg

    def said(message) -> str:
        return f"Error: {message.render('zh_Hans_CN')} — {message.english}\n"

    r = run(app, "district", "decide", "1", "accept", "--as", "teacher1")
    assert r.exit_code == 1 and r.output == said(msg("cli.no_district_role", username="teacher1")), r.output
    assert "'teacher1' holds no district role" in r.output
    r = run(app, "activity", "fire", "99999999999999999999", "credit", "--as", "teacher1")
    assert r.exit_code == 1 and r.output == said(msg("cli.no_activity", id=99999999999999999999)), r.output


@pytest.mark.parametrize(("command", "model"), [(("school", "create"), School), (("district", "create"), "district")])
def test_a_code_taken_however_spelt_is_refused(app, command, model):
    """``tz5`` beside ``TZ5`` (or a full-width ＴＺ５) made a second school an operator could not
    tell from the first, each command reaching one or the other by the letters' case; a code
    is now one code however spelt, and a full-width one is stored as the letters it reads as."""
    from portal.models import District

    table = School if model is School else District
    assert run(app, *command, "TZ5", "第一").exit_code == 0
    before = db.session.scalar(select(func.count(table.id)))
    for spelt in ("tz5", "Tz5", "ＴＺ５"):
        r = run(app, *command, spelt, "第二")
        assert r.exit_code == 1 and "code TZ5 exists" in r.output, (spelt, r.output)
    assert db.session.scalar(select(func.count(table.id))) == before
    assert run(app, *command, "ＮＥＷ１", "第三").exit_code == 0
    assert db.session.scalar(select(table.code).where(table.name == "第三")) == "NEW1"
