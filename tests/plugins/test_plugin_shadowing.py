"""A plugin cannot pass itself off as another: not by another plugin's templates, nor by the
name of another type, nor by the label of a state or step it is not."""

from __future__ import annotations

from pathlib import Path

from flask import render_template

from tests.plugins.test_plugin_hooks import TemplatesPlugin as Templates


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
