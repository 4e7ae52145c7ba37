"""One test per hook of ``portal/hookspecs.py``, named ``test_hook_<hook name>``
(``test_contract.py`` checks that none is missing)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from flask import render_template, render_template_string
from flask_babel import gettext, refresh

from portal.assessment import Assessment, YearFacts
from portal.hookspecs import hookimpl
from portal.plugin_assets import MIGRATION_DIRS_KEY
from portal.registry import registry
from portal.services import credits
from tests.plugins.plugin_throwaway import ProvidesType, Recorder
from tests.support import factories as f


def test_hook_portal_activity_types(make_app):
    app = make_app(EXTRA_PLUGINS=[("book_fair", ProvidesType("book_fair", "书展"))])
    with app.app_context():
        reg = registry().get("book_fair")
        assert reg is not None and reg.plugin == "book_fair" and reg.type.name_zh == "书展"
        assert reg.engine.legal_triggers("planned") == ["hold", "cancel"]


def test_hook_portal_activity_transitioned(make_app):
    recorder = Recorder()
    app = make_app(EXTRA_PLUGINS=[("recorder", recorder)])
    with app.app_context():
        s = f.school("HK", types=("lecture",))
        people = f.staff(s)
        act = f.plan(s, people["organizer"], "lecture", [(people["t1"], "attendee")], {"topic": "x"})
        f.fire(act, people["organizer"], "cancel", "活动取消")
    [call] = recorder.calls
    assert (call["trigger"], call["from_state"], call["to_state"]) == ("cancel", "planned", "cancelled")
    assert call["actor_id"] == people["organizer"].id and call["school_code"] == "HK"
    assert call["activity"].id == act.id and call["activity"].state == "cancelled"


class SixtyHours:
    @hookimpl
    def portal_assess_year(self, facts):
        return Assessment("met", "60-hour plan") if facts.total_hours >= 60 else Assessment("short", "60-hour plan")


def test_hook_portal_assess_year(make_app):
    facts = YearFacts(user_id=1, school_year="2026-2027", required_hours=Decimal("50"),
                      absence_limit_hours=Decimal("5"), total_hours=Decimal("55"))
    app = make_app()
    with app.app_context():
        assert credits.assess(facts).status == "met"  # the seeds' default: 50 hours
    app = make_app(EXTRA_PLUGINS=[("sixty", SixtyHours())])
    with app.app_context():
        assert credits.assess(facts) == Assessment("short", "60-hour plan")


def test_hook_portal_migration_dirs(rc_app):
    import yanxiu_reading_club

    [folder] = yanxiu_reading_club.portal_migration_dirs()
    assert str(Path(folder).resolve()) in rc_app.extensions[MIGRATION_DIRS_KEY]
    # rc_app ran `upgrade()`: the plugin's branch created its table (asserted by the fixture)
    from sqlalchemy import text

    from portal.extensions import db

    with db.engine.connect() as conn:
        versions = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    assert "rc01_reading_club_note" in versions


def test_hook_portal_translation_dirs(rc_app):
    with rc_app.test_request_context("/?lang=zh_Hans_CN"):
        refresh()
        assert gettext("Reading notes this school year") == "本学年读书笔记"
    with rc_app.test_request_context("/?lang=en"):
        refresh()
        assert gettext("Reading notes this school year") == "Reading notes this school year"


class TemplatesPlugin:
    def __init__(self, folder: Path):
        self.folder = folder

    @hookimpl
    def portal_template_dirs(self):
        return [str(self.folder)]


def test_hook_portal_template_dirs(make_app, tmp_path):
    (tmp_path / "book_fair").mkdir()
    (tmp_path / "book_fair" / "fragment.html").write_text("<p>书展 {{ n }}</p>", encoding="utf-8")
    (tmp_path / "base.html").write_text("SHADOWED", encoding="utf-8")  # must not replace the core's
    app = make_app(EXTRA_PLUGINS=[("fair", TemplatesPlugin(tmp_path))])
    with app.test_request_context("/"):
        assert render_template("book_fair/fragment.html", n=3) == "<p>书展 3</p>"
        assert app.jinja_env.get_template("base.html").filename == str(Path(app.root_path) / "templates" / "base.html")
        assert render_template_string("{{ 1 + 1 }}") == "2"
