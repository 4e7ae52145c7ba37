"""A plugin cannot pass itself off as another: not by another plugin's templates, nor by the
name of another type, nor by the label of a state or step it is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import render_template

from portal.activity_types import ActivityType, Role
from portal.hookspecs import hookimpl
from portal.registry import registry
from tests.plugins.plugin_throwaway import TopicForm
from tests.plugins.test_plugin_hooks import TemplatesPlugin as Templates
from tests.plugins.test_plugin_migration_revision import Scratch as Migrations
from workflows import Phase, State, Transition, WorkflowExtension, build_definition
from workflows.extension import WorkflowExtensionError


class Plugin:
    def __init__(self, *types: ActivityType):
        self.types = list(types)

    @hookimpl
    def portal_activity_types(self):
        return self.types


def _template(folder: Path, name: str, text: str) -> Path:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_plugin_cannot_shadow_the_templates_of_another_plugin(make_app, tmp_path):
    """Attack: every plugin's folder was one Jinja loader, first registered first, so a plugin
    registered before the reading club (a distribution named ``yanxiu-aaa``) shipping
    ``reading_club/progress.html`` put its own HTML in place of the club's page fragment. A
    sub-folder named after a plugin is now served from that plugin's folders only."""
    thief = _template(tmp_path / "thief", "victim/fragment.html", "<script>steal()</script>")
    _template(thief, "thief/own.html", "thief's own")
    _template(thief, "shared.html", "shared from the thief")
    victim = _template(tmp_path / "victim", "victim/fragment.html", "the victim's fragment")
    app = make_app(EXTRA_PLUGINS=[("thief", Templates(thief)), ("victim", Templates(victim))])
    with app.test_request_context("/"):
        assert render_template("victim/fragment.html") == "the victim's fragment"
        assert render_template("thief/own.html") == "thief's own"  # its own, as before
        assert render_template("shared.html") == "shared from the thief"  # a name nobody owns: as before
        assert "victim/fragment.html" in app.jinja_env.list_templates()


def test_a_plugin_returning_another_plugins_folder_does_not_take_its_templates(make_app, tmp_path):
    """The folder of the victim's templates, returned by a plugin registered before it as its own:
    still the victim's templates."""
    victim = _template(tmp_path / "victim", "victim/fragment.html", "the victim's fragment")
    app = make_app(EXTRA_PLUGINS=[("thief", Templates(victim)), ("victim", Templates(victim))])
    with app.test_request_context("/"):
        assert render_template("victim/fragment.html") == "the victim's fragment"


@pytest.mark.parametrize(("name_zh", "name_en"), [("专题讲座", "Talk"), ("专题讲座\u200b", "Talk"),
                                                  ("讲座（校外）", " lecture ")])
def test_a_type_named_as_another_is_refused(make_app, name_zh, name_en):
    """Attack: the key ``lecture`` was kept by the built-in, but a type ``lecture_x`` named
    专题讲座 loaded beside it: two 专题讲座 on the planning page, two columns headed 专题讲座 in
    the 学时汇总表, and an organiser choosing the plugin's for the school's lectures. A name (in
    either language, compared as it reads) names one type."""
    class Copycat(ActivityType):
        key, roles, form = "lecture_x", {"member": Role("成员", "Member")}, TopicForm

    Copycat.name_zh, Copycat.name_en = name_zh, name_en
    app = make_app(EXTRA_PLUGINS=[("copycat", Plugin(Copycat()))])
    with app.app_context():
        assert registry().get("lecture_x") is None
        said = [x.error for x in registry().plugins.failures if x.plugin == "copycat"]
        assert said == [f"activity type 'lecture_x' of plugin 'copycat' is named "
                        f"'{name_zh if 'lecture' not in name_en else name_en}', as type 'lecture' of plugin 'lecture' "
                        "is; two types may not share a name; the plugin was not loaded"], said


def _extension(state: State | None = None, transition: Transition | None = None) -> WorkflowExtension:
    return WorkflowExtension(states=(state,) if state else (), transitions=(transition,) if transition else ())


@pytest.mark.parametrize(("extension", "said"), [
    (_extension(State("done", "已认定学时", "Finished", phase=Phase.OPEN),
                Transition("finish", ("planned",), "done", frozenset({"owner"}), "完成", "Finish")),
     "state 'done' is labelled '已认定学时', as state 'credited' is; a label names one state"),
    (_extension(State("done", "完成", "credited ", phase=Phase.OPEN),
                Transition("finish", ("planned",), "done", frozenset({"owner"}), "完成", "Finish")),
     "state 'done' is labelled 'credited ', as state 'credited' is; a label names one state"),
    (_extension(State("done", "完成", "Done", phase=Phase.OPEN),
                Transition("finish", ("planned",), "done", frozenset({"owner"}), "认定学时", "Finish")),
     "trigger 'finish' is labelled '认定学时', as trigger 'credit' is; a label names one trigger"),
    (_extension(None, Transition("hold", ("planned",), "held", frozenset({"owner"}), "审核通过", "Approve")),
     "trigger 'hold' is labelled '审核通过', as trigger 'approve' is; a label names one trigger"),
])
def test_a_state_or_step_labelled_as_another_is_refused(extension, said):
    """Attack: a type's own open state labelled 已认定学时 showed a planned activity as credited on
    every page, and its trigger labelled 认定学时 offered the organiser a button reading like
    posting the credits. Two states (or triggers) of other names never share a label."""
    with pytest.raises(WorkflowExtensionError) as refused:
        build_definition(extension)
    assert str(refused.value) == said


def test_a_relabelled_core_step_and_a_shared_state_load():
    """Labels of their own for core steps (the declared type's 提交申报 for ``hold``) and a state
    of the same name as another type's keep loading."""
    definition = build_definition(_extension(
        State("prepared", "已备课", "Prepared", phase=Phase.OPEN),
        Transition("hold", ("planned", "prepared"), "held", frozenset({"owner"}), "提交申报", "Submit")))
    assert definition.transition("hold").label_zh == "提交申报"


class Labelled(ActivityType):
    roles, form = {"member": Role("成员", "Member")}, TopicForm

    def __init__(self, key: str, name: str, state: str, label: str):
        self.key, self.name_zh, self.name_en = key, name, name
        self.state, self.label = state, label

    def workflow(self) -> WorkflowExtension:
        to_state = Transition(f"to_{self.state}", ("planned",), self.state, frozenset({"owner"}),
                              f"到{self.label}", f"To {self.label}")
        on = Transition("hold", ("planned", self.state), "held", frozenset({"owner"}), "标记为已举行", "Mark held")
        return WorkflowExtension(states=(State(self.state, self.label, self.label, phase=Phase.OPEN),),
                                 transitions=(to_state, on))


def test_a_state_labelled_as_another_types_state_is_refused(make_app):
    """Across types too: the activity filter (every state of every type) listed two 已备课."""
    app = make_app(EXTRA_PLUGINS=[("first", Plugin(Labelled("tea_a", "茶话甲", "prepared", "已备课"))),
                                  ("second", Plugin(Labelled("tea_b", "茶话乙", "ready", "已备课"))),
                                  ("third", Plugin(Labelled("tea_c", "茶话丙", "prepared", "已备课")))])
    with app.app_context():
        assert registry().get("tea_a") is not None and registry().get("tea_b") is None
        assert registry().get("tea_c") is not None  # the same state, so the same label
        assert [x.error for x in registry().plugins.failures if x.plugin == "second"] == [
            "state 'ready' of type 'tea_b' is labelled '已备课', as state 'prepared' of type 'tea_a' is; "
            "a label names one state; the plugin was not loaded"]


def _revision(folder: Path, revision: str, label: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{revision}_notes.py").write_text(
        f'revision = "{revision}"\ndown_revision = None\nbranch_labels = ("{label}",)\ndepends_on = "1456b1ddd087"\n\n'
        "def upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n", encoding="utf-8")
    return folder


def _script_of(app, revision: str) -> str:
    from alembic.script import ScriptDirectory

    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        return ScriptDirectory.from_config(config).get_revision(revision).path


def test_a_plugin_migration_cannot_replace_the_cores(make_app, tmp_path):
    """Attack: Alembic keeps the last revision file it finds of an id, with only a warning, and a
    plugin's folder comes after the core's: a plugin whose revision file was copied from the
    core's schema (its id left as it was, the body made its own) ran in place of the core's on
    ``flask db upgrade`` of a new database — no ledger table, no append-only triggers. Its
    migrations are left out, the plugin reported naming the file."""
    core = next((Path(__file__).resolve().parents[2] / "migrations" / "versions").glob("1456b1ddd087_*.py"))
    copied = tmp_path / "copier"
    copied.mkdir()
    (copied / core.name).write_text(core.read_text(encoding="utf-8").replace("def upgrade()", "def upgrade():\n"
                                    "    return\n\n\ndef _upgrade()"), encoding="utf-8")
    app = make_app(EXTRA_PLUGINS=[("copier", Migrations(copied))])
    assert Path(_script_of(app, "1456b1ddd087")).parent.name == "versions"  # the core's, not the copy
    with app.app_context():
        from portal.plugin_assets import MIGRATION_DIRS_KEY

        assert str(copied.resolve()) not in app.extensions[MIGRATION_DIRS_KEY]
        assert [x.error for x in registry().plugins.failures if x.plugin == "copier"] == [
            f"migration {core.name} of plugin 'copier' names itself '1456b1ddd087', as a migration of the "
            "portal's does, which it would replace; the plugin's migrations were left out"]


def test_a_plugin_migration_cannot_replace_another_plugins(make_app, tmp_path):
    """A revision id or branch label of a plugin registered before (the example's file copied as a
    start): the first keeps it, the copier's folder is left out; a plugin of its own ids loads."""
    first = _revision(tmp_path / "first", "nb01_notes", "notes_board")
    copier = _revision(tmp_path / "copier", "cp01_notes", "notes_board")
    fine = _revision(tmp_path / "fine", "fn01_notes", "fine_notes")
    app = make_app(EXTRA_PLUGINS=[("first", Migrations(first)), ("copier", Migrations(copier)),
                                  ("fine", Migrations(fine))])
    with app.app_context():
        from portal.plugin_assets import MIGRATION_DIRS_KEY

        ours = [d for d in app.extensions[MIGRATION_DIRS_KEY] if d.startswith(str(tmp_path.resolve()))]
        assert ours == [str(first.resolve()), str(fine.resolve())]
        assert [x.error for x in registry().plugins.failures] == [
            "migration cp01_notes_notes.py of plugin 'copier' names itself 'notes_board', as a migration of plugin "
            "'first' does, which it would replace; the plugin's migrations were left out"]
    assert Path(_script_of(app, "fn01_notes")).parent == fine.resolve()
