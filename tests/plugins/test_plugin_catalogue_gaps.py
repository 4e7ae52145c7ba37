"""A plugin's Chinese catalogue that leaves a msgid untranslated, or was never compiled after an
edit, showed English on Chinese pages and nothing told its author (a 课例研究 plugin's fragment
read "Teaching teacher: 王雅琴" on a Chinese page). Both are now reported at load with the
plugin's name, in the viewer's language on ``/admin/plugins``; the plugin still loads."""

from __future__ import annotations

from html import unescape
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from portal.registry import registry
from tests.plugins.test_broken_plugins import failures
from tests.plugins.test_plugin_translations import Catalogs


def catalogue(folder: Path, po: dict[str, str], mo: dict[str, str] | None, fuzzy: tuple[str, ...] = ()) -> Path:
    """``folder`` with a zh_Hans_CN ``messages.po`` of ``po`` and, unless None, a ``messages.mo`` of ``mo``."""
    where = folder / "zh_Hans_CN" / "LC_MESSAGES"
    where.mkdir(parents=True)
    source = Catalog(locale="zh_Hans_CN")
    for msgid, text in po.items():
        source.add(msgid, text, flags=("fuzzy",) if msgid in fuzzy else ())
    with open(where / "messages.po", "wb") as fh:
        write_po(fh, source)
    if mo is not None:
        compiled = Catalog(locale="zh_Hans_CN")
        for msgid, text in mo.items():
            compiled.add(msgid, text)
        with open(where / "messages.mo", "wb") as fh:
            write_mo(fh, compiled)
    return folder


WORDS = {"Teaching teacher: %(who)s": "授课教师：%(who)s", "Lesson designs handed in: %(n)s": "已交教学设计：%(n)s 份"}


def reported(make_app, folder: Path) -> str | None:
    app = make_app(EXTRA_PLUGINS=[("yx_cycle_words", Catalogs(folder))])
    with app.app_context():
        assert "yx_cycle_words" in registry().plugins.info  # reported, still loaded
        return failures().get("yx_cycle_words")


def test_a_complete_compiled_catalogue_is_not_reported(make_app, tmp_path):
    assert reported(make_app, catalogue(tmp_path, WORDS, WORDS)) is None


def test_a_msgid_left_without_chinese_is_reported(make_app, tmp_path):
    po = {**WORDS, "Reflection meeting notes": ""}
    assert reported(make_app, catalogue(tmp_path, po, WORDS)) == (
        "the catalogue of plugin 'yx_cycle_words' leaves 1 msgid(s) without Chinese (first: 'Reflection meeting "
        "notes'); Chinese pages show them in English")


def test_a_fuzzy_translation_counts_as_none(make_app, tmp_path):
    """``pybabel compile`` leaves fuzzy entries out: they show in English."""
    said = reported(make_app, catalogue(tmp_path, WORDS, WORDS, fuzzy=("Lesson designs handed in: %(n)s",)))
    assert said is not None and "leaves 1 msgid(s) without Chinese (first: 'Lesson designs handed in: %(n)s')" in said


def test_a_catalogue_never_compiled_is_reported(make_app, tmp_path):
    said = reported(make_app, catalogue(tmp_path, WORDS, None))
    assert said == ("the compiled catalogue (.mo) of plugin 'yx_cycle_words' lacks 2 Chinese translation(s) of its "
                    ".po (first: 'Teaching teacher: %(who)s'; run pybabel compile); Chinese pages show them in English")


def test_the_plugins_page_says_it_in_chinese(make_app, tmp_path):
    from tests.plugins.test_broken_plugins import client_for
    from tests.support import factories as f

    app = make_app(EXTRA_PLUGINS=[("yx_cycle_words", Catalogs(catalogue(tmp_path, WORDS, {})))])
    with app.app_context():
        s = f.school("CW")
        admin = f.staff(s)["admin"]
        ids = admin.id, s.id
    html = unescape(client_for(app, *ids).get("/admin/plugins?lang=zh_Hans_CN").get_data(as_text=True))
    assert "插件 'yx_cycle_words' 的已编译翻译目录（.mo）缺少其 .po 中的 2 条中文翻译" in html
