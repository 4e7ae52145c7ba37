"""One catalogue: every refusal is a code with an English and a Chinese text, pages show the
viewer's language, the API the language asked for (English by default)."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.messages import TEXTS, Msg, msg, tr
from portal.models import Activity
from portal.registry import registry
from portal.services import tokens
from portal.services.users import by_username

CJK = re.compile(r"[\u4e00-\u9fff]")
#: a Chinese text may be only its parameters and Chinese punctuation ("%(year)s：%(reason)s": the year in words
#: and a reason, staff.exemption), written apart from the English all the same
CHINESE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]")


def _msgid(code: str) -> str:
    text = TEXTS[code]
    return text._args[0] if hasattr(text, "_args") else str(text)


def test_every_code_has_an_english_and_a_chinese_text(app):
    missing = []
    with app.test_request_context("/?lang=zh_Hans_CN"), force_locale("zh_Hans_CN"):
        for code in TEXTS:
            english = _msgid(code)
            chinese = gettext(english)
            if not english or chinese == english or not CHINESE.search(chinese):
                missing.append(code)
    assert not missing, f"codes without a Chinese text: {missing}"


def test_a_message_renders_in_each_language_with_its_parameters(app):
    m = msg("hours.at_most", n="4")
    with app.test_request_context("/"):
        assert m.english == "at most 4 hours"
        assert m.render("zh_Hans_CN") == "最多 4 学时"
        with force_locale("en"):
            assert tr(m) == "at most 4 hours"
    with pytest.raises(KeyError):
        msg("no.such.code")


def test_the_api_answers_in_the_language_asked_for(app, demo):
    act = db.session.execute(select(Activity).where(Activity.state == "planned")).scalars().first()
    token = tokens.issue(by_username("reviewer")).token
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    body = client.post(f"/api/v1/activities/{act.id}/transitions", json={"trigger": "credit"}, headers=headers).get_json()
    assert body["error"] == "illegal_transition" and "is not allowed from state" in body["message"]
    zh = client.post(f"/api/v1/activities/{act.id}/transitions", json={"trigger": "credit"},
                     headers={**headers, "Accept-Language": "zh-CN"}).get_json()
    assert zh["error"] == "illegal_transition" and CJK.search(zh["message"]) and "not allowed" not in zh["message"]


def _english_fragments() -> list[str]:
    """The fixed parts of every catalogue text long enough to be recognised on a page."""
    out = []
    for code in TEXTS:
        for part in re.split(r"%\(\w+\)s", _msgid(code)):
            part = part.strip(" :;,.()")
            if len(part) >= 14:
                out.append(part)
    return out


@pytest.mark.parametrize("username", ["teacher1", "organizer", "reviewer", "admin"])
def test_the_refusals_of_every_trigger_read_in_chinese(make_app, username):
    """Fire every trigger of every type on a demo activity in every state, as each role, through
    the page: whatever is refused is said in Chinese, with no English service message."""
    app = make_app(demo=True)
    with app.app_context():
        acts = [(a.id, a.type_key, a.state) for a in db.session.execute(select(Activity)).scalars()]
        triggers = {key: reg.engine.definition.triggers for key, reg in registry().types.items()}
    fragments = _english_fragments()
    refused = 0
    seen_states: set[tuple[str, str]] = set()
    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": DEMO_PASSWORD}).status_code == 302
    for act_id, key, state in acts:
        if (key, state) in seen_states:
            continue
        seen_states.add((key, state))
        for trigger in triggers[key]:
            r = client.post(f"/activities/{act_id}/trigger", data={"trigger": trigger, "comment": ""})
            if r.status_code < 400:
                continue
            refused += 1
            page = re.sub(r"<[^>]+>", " ", r.get_data(as_text=True).split("<main", 1)[-1])
            english = [f for f in fragments if f in page]
            assert not english, (username, key, state, trigger, english)
            assert CJK.search(page)
    assert refused > 20


def test_msg_is_a_value():
    assert msg("hours.at_most", n="4") == Msg("hours.at_most", (("n", "4"),))
    assert len({msg("hours.at_most", n="4"), msg("hours.at_most", n="4")}) == 1


def test_a_plugin_text_equals_by_both_texts_and_hashes_alike(app):
    from portal.activity_types import Text

    a, b = Text("主题", "Topic"), Text("主题", "Topic")
    with app.test_request_context("/?lang=en"):
        assert a == b and hash(a) == hash(b) and len({a, b}) == 1
        assert a != Text("主题", "Theme") and a != Text("题目", "Topic")
        assert a != "Topic" and a != "主题"  # a plain string has one text: never equal


def test_one_chinese_term_for_each_idea():
    """未请假缺席 (never 无故缺勤), 免于考核 (never 免考核): every translation of the catalogue,
    so screens, exports and printed forms say the same thing."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    from portal.messages import ZH_TERMS

    po = Path(__file__).resolve().parents[2] / "portal/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans_CN")
    offending = [
        (m.id, m.string) for m in catalog
        if m.id and isinstance(m.string, str)
        and any(syn in m.string for syns in ZH_TERMS.values() for syn in syns)
    ]
    assert offending == []
    used = " ".join(m.string for m in catalog if isinstance(m.string, str))
    assert all(term in used for term in ZH_TERMS)
