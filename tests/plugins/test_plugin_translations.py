"""A plugin's catalogs translate its own words, never the core's: a msgid of the core's catalogue
keeps the core's text in every language, whatever a plugin's ``portal_translation_dirs`` ship."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask_babel import gettext, refresh

from portal.extensions import babel
from portal.hookspecs import hookimpl
from portal.i18n import TRANSLATIONS

# the core's own word for a plugin that failed: a plugin must not reword it ("all went well")
CORE = ("the plugin of activity type '%(type)s' failed while this step was taken; the error has been logged and "
        "nothing was changed")
CORE_ZH = "“%(type)s”类型的插件在执行此操作时出错，错误已记入日志，未作任何更改"


class Catalogs:
    def __init__(self, folder: Path):
        self.folder = folder

    @hookimpl
    def portal_translation_dirs(self):
        return [str(self.folder)]


def _words(folder: Path, words: dict[str, dict[str, str]]) -> Path:
    for locale, said in words.items():
        catalog = Catalog(locale=locale)
        for msgid, text in said.items():
            catalog.add(msgid, text)
        (folder / locale / "LC_MESSAGES").mkdir(parents=True)
        with open(folder / locale / "LC_MESSAGES" / "messages.mo", "wb") as fh:
            write_mo(fh, catalog)
    return folder


def _catalogs(folder: Path) -> Path:
    return _words(folder, {"zh_Hans_CN": {CORE: "操作成功", "Book fair": "书展"},
                           "en": {CORE: "Done", "Book fair": "Book fair!"}})


@contextmanager
def fresh_catalogs() -> Iterator[None]:
    """flask-babel keeps the catalogues it loaded for the process, by locale only, whatever app
    asked: loaded again for this test's app (with its plugin's folder); the next tests get back
    the ones they had. (Asked once an app made the portal's domain: ``portal.i18n.init_app``.)"""
    cache = babel.__dict__["domain_instance"].cache
    kept = dict(cache)
    cache.clear()
    try:
        yield
    finally:
        cache.clear()
        cache.update(kept)


def test_a_plugin_catalog_cannot_retranslate_a_core_message(make_app, tmp_path):
    app = make_app(EXTRA_PLUGINS=[("yx_words", Catalogs(_catalogs(tmp_path)))])
    with fresh_catalogs(), app.test_request_context("/?lang=zh_Hans_CN"):
        refresh()
        assert gettext("Book fair") == "书展"  # its own words: translated
        assert gettext(CORE) == CORE_ZH
    with fresh_catalogs(), app.test_request_context("/?lang=en"):
        refresh()
        assert gettext("Book fair") == "Book fair!"
        assert gettext(CORE) == CORE


class Answering:
    def __init__(self, answer: object):
        self.answer = answer

    @hookimpl
    def portal_translation_dirs(self):
        return self.answer


def test_a_plugin_may_name_its_catalogue_folder_by_path(make_app, tmp_path):
    """A ``Path`` (the docstring's example wraps it in ``str``; forgetting to is natural)."""
    app = make_app(EXTRA_PLUGINS=[("yx_words", Answering([_catalogs(tmp_path)]))])
    with fresh_catalogs(), app.test_request_context("/?lang=zh_Hans_CN"):
        refresh()
        assert gettext("Book fair") == "书展"


@pytest.mark.parametrize(
    ("answer", "said"),
    [([None], "not a list of folders"), (123, "not a list of folders"), (["/no/such/folder"], "is not a folder"),
     ("semicolon", "holds one of ';'")],
)
def test_a_bad_catalogue_folder_is_the_plugins_failure_and_the_portal_starts(make_app, tmp_path, answer, said):
    """Attack: ``[Path]`` mixed with others, ``[None]`` or ``123`` made ``create_app`` raise a
    TypeError naming no plugin (every ``flask`` command too, ``flask plugins list`` among them);
    a folder with ``;`` in its path was split in two. Each is now the plugin's failure."""
    from portal.registry import registry

    if answer == "semicolon":
        answer = [str(_catalogs(tmp_path / "a;b"))]
    app = make_app(EXTRA_PLUGINS=[("yx_words", Answering(answer))])
    with app.app_context():
        reported = [x.error for x in registry().plugins.failures if x.plugin == "yx_words"]
        assert any(e.startswith("portal_translation_dirs") and said in e for e in reported), reported
        dirs = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")  # none split, none made up
        assert dirs[0] == TRANSLATIONS and all(Path(d).is_dir() for d in dirs), dirs
    assert app.test_client().get("/login").status_code == 200


def test_a_plugin_catalog_cannot_reword_another_plugins_words(make_app, tmp_path):
    """Attack: flask-babel lets a catalogue merged later replace an earlier one's words, so a
    plugin registered after the reading club could make its refusal 「读书笔记未达标」 read
    「读书笔记已达标」. A msgid two plugins translate keeps the words of the plugin registered first
    (as a type key does), and the newcomer is reported naming both."""
    own = "Reading notes %(n)s of %(need)s characters"
    first = _words(tmp_path / "club", {"zh_Hans_CN": {own: "读书笔记 %(n)s / %(need)s 字，未达标", "Club": "读书会"},
                                        "en": {own: own}})
    second = _words(tmp_path / "rival", {"zh_Hans_CN": {own: "读书笔记已达标", "Club": "读书会",
                                                        "Rival": "对手"}, "en": {own: "All notes done"}})
    app = make_app(EXTRA_PLUGINS=[("club", Catalogs(first)), ("rival", Catalogs(second))])
    with fresh_catalogs(), app.test_request_context("/?lang=zh_Hans_CN"):
        refresh()
        assert gettext(own, n=3, need=10) == "读书笔记 3 / 10 字，未达标"
        assert gettext("Rival") == "对手"  # its own words: translated
    with fresh_catalogs(), app.test_request_context("/?lang=en"):
        refresh()
        assert gettext(own, n=3, need=10) == "Reading notes 3 of 10 characters"
    with app.app_context():
        from portal.registry import registry

        reported = [x.error for x in registry().plugins.failures if x.plugin == "rival"]
        assert reported == [  # the same words ("Club") are no clash
            "the catalogue of plugin 'rival' translates 1 msgid(s) that plugin 'club' translates otherwise "
            "(first: 'Reading notes %(n)s of %(need)s characters'); the words of 'club' are kept"], reported
        assert not [x for x in registry().plugins.failures if x.plugin == "club"]
