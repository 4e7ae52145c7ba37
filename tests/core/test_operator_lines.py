"""A start or a command refused says it in one line an operator reads: Chinese, then the same in
English (``portal.messages.operator_line``), from the catalogue, with or without an app."""

from __future__ import annotations

import pytest

from portal import create_app
from portal.config import BadConfiguration
from portal.i18n import _core_catalog
from portal.messages import OPERATOR_SEPARATOR, TEXTS, msg, operator_line

REFUSALS = sorted(code for code in TEXTS if code.startswith("start.") or code == "cli.newer_database")


@pytest.mark.parametrize("code", REFUSALS)
def test_each_refusal_is_one_line_chinese_then_english(code):
    template = TEXTS[code]._args[0]
    params = {name: f"<{name}>" for name in ("n", "revisions", "folder", "reason", "env", "meant", "setting",
                                               "value", "low", "high", "zone", "backend", "path", "type")}
    line = operator_line(msg(code, **params))
    chinese, english = line.split(OPERATOR_SEPARATOR, 1)
    assert "\n" not in line and english == template % params
    assert chinese == _core_catalog("zh_Hans_CN")[template] % params and chinese != english
    assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese)


def test_a_setting_refused_at_start_is_said_in_both_languages(monkeypatch, tmp_path):
    """Before the app exists (the factory stopped at the setting): the catalogue is read directly."""
    monkeypatch.setenv("YANXIU_ENV", "prod")
    monkeypatch.setenv("YANXIU_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(BadConfiguration) as refused:
        create_app({"TESTING": True})
    said = refused.value.format_message()
    assert said == "YANXIU_ENV='prod'：应为 production 或 development（或不设置） — YANXIU_ENV='prod': production, or " \
                   "development (or unset)"
