"""Every msgid the code and templates use has a Simplified Chinese translation, and the
pages show plugin type names in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from portal.registry import registry

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "portal" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    ids: set[str] = set()
    for folder in ("portal", "plugins"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(ROOT / folder), method_map, options_map, keywords=KEYWORDS
        ):
            ids.add(message if isinstance(message, str) else message[0])
    return ids


def _singular(msgid: str | tuple[str, ...]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def _forms(string: str | tuple[str, ...]) -> tuple[str, ...]:
    """A translation's forms: one, or one per plural form of the language (``ngettext``)."""
    return (string,) if isinstance(string, str) else tuple(string)


def test_every_msgid_has_a_chinese_translation():
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    translated = {_singular(m.id) for m in catalog if m.id and _forms(m.string) and all(_forms(m.string)) and not m.fuzzy}
    extracted = _extracted()
    assert len(extracted) > 200  # the extraction itself works
    missing = sorted(extracted - translated)
    assert not missing, (
        "untranslated msgids (add them to portal/translations/pending/<area>.json and run "
        "python portal/translations/merge_pending.py): " + repr(missing[:40])
    )


def test_placeholders_match_in_translations():
    import re

    with PO.open("rb") as fh:
        catalog = read_po(fh)
    bad = []
    for m in catalog:
        if not m.id:
            continue
        wanted = sorted(re.findall(r"%\(\w+\)s", m.id if isinstance(m.id, str) else m.id[-1]))  # plural: its plural id
        for form in _forms(m.string):
            if form and sorted(re.findall(r"%\(\w+\)s", form)) != wanted:
                bad.append(_singular(m.id))
    assert not bad


def test_plugin_type_names_in_both_languages(site, as_user):
    c = as_user("organizer")
    zh = c.get("/activities/new?lang=zh_Hans_CN").get_data(as_text=True)
    en = c.get("/activities/new?lang=en").get_data(as_text=True)
    with site.app_context():
        types = [r.type for r in registry().types.values()]
    assert len(types) >= 5
    for t in types:
        assert t.name_zh in zh, t.key
        assert t.name_en in en, t.key
    assert "计划活动" in zh and "Plan an activity" in en
    page = c.get("/activities?lang=en").get_data(as_text=True)
    assert "Lecture" in page and "Observation lesson" in page


@pytest.mark.parametrize("asked", ["zh", "zh-CN", "zh_CN", "ZH-Hans", "zh_Hans_CN"])
def test_the_lang_argument_takes_the_usual_spellings_of_chinese(site, as_user, asked):
    """``?lang=zh`` was ignored (only ``zh_Hans_CN`` switched back), while ``/lang/zh`` worked:
    both now ask one list of spellings, and an unknown one changes nothing."""
    c = as_user("organizer")
    assert "Plan an activity" in c.get("/activities/new?lang=en").get_data(as_text=True)
    assert "Plan an activity" in c.get("/activities/new?lang=fr").get_data(as_text=True)  # unknown: as before
    assert "计划活动" in c.get(f"/activities/new?lang={asked}").get_data(as_text=True)
    assert "计划活动" in c.get("/activities/new").get_data(as_text=True)  # remembered
    assert c.get("/lang/fr").status_code == 404
    assert c.get("/lang/en-US").status_code == 302
    assert "Plan an activity" in c.get("/activities/new").get_data(as_text=True)


def test_no_pending_translation_is_of_a_msgid_the_code_no_longer_has():
    """``pending/*.json`` feed the catalog (``merge_pending.py``, extracting as it does) with
    translations of msgids the code uses; one of a msgid since changed or removed is dead weight a translator reads for
    nothing (and a file of only such, a file to keep). Keyed as the merge keys them: a msgid
    with a context as "context\\u0004msgid", a plural one by its singular."""
    import json

    from babel.messages.extract import DEFAULT_KEYWORDS

    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keys: set[str] = set()
    for folder in ("portal", "plugins"):
        for _file, _line, message, _comments, ctx in extract_from_dir(
            str(ROOT / folder), method_map, options_map, keywords={**DEFAULT_KEYWORDS, "_l": None, "_pl": ((1, "c"), 2)}
        ):
            keys.add(f"{ctx}\x04{_singular(message)}" if ctx else _singular(message))
    assert len(keys) > 200  # the extraction itself works
    dead = {path.name: gone for path in sorted((PO.parents[2] / "pending").glob("*.json"))
            if (gone := sorted(json.loads(path.read_text(encoding="utf-8")).keys() - keys))}
    assert not dead, dead
