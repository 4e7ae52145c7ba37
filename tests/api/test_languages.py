"""The API's input layer refuses with coded messages (``portal.messages``), in the language
``Accept-Language`` asks for: English by default, Chinese when asked; the field names and error
codes are the same in both."""

from __future__ import annotations

import re

from tests.api.conftest import login

CJK = re.compile(r"[\u4e00-\u9fff]")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _both(send) -> tuple[dict, dict]:
    en, zh = send({}), send(ZH)
    assert en.status_code == zh.status_code and en.get_json()["error"] == zh.get_json()["error"]
    return en.get_json(), zh.get_json()


def _leaves(value) -> list[str]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [str(value)]


def _chinese(body: dict) -> bool:
    return all(CJK.search(text) for text in [body["message"], *_leaves(body.get("fields", {}))])


def test_body_model_refusals_in_english_and_chinese(client, demo):
    en, zh = _both(lambda h: client.post("/api/v1/auth/token", json={"username": "t1", "extra": 1}, headers=h))
    assert en["fields"] == {"password": "required", "extra": "unknown field"}
    assert en["message"] == "the request body is not valid"
    assert set(zh["fields"]) == {"password", "extra"} and _chinese(zh)


def test_malformed_body_nul_and_unknown_query_in_chinese(client, demo):
    api = login(client, "organizer")
    en, zh = _both(lambda h: api.post("/api/v1/activities", data=b'{"type": NaN}', content_type="application/json",
                                      headers=h))
    assert en["fields"] == {"body": "not JSON"} and _chinese(zh)
    en, zh = _both(lambda h: client.post("/api/v1/auth/token", json={"username": "t\x00", "password": "x"},
                                         headers=h))
    assert en["fields"] == {"username": "must not contain NUL characters"} and _chinese(zh)
    en, zh = _both(lambda h: api.get("/api/v1/activities?stat=held&per_page=1000", headers=h))
    assert en["fields"] == {"stat": "unknown query parameter", "per_page": "must be at most 100"}
    assert _chinese(zh) and "100" in zh["fields"]["per_page"]
    en, zh = _both(lambda h: api.get("/api/v1/activities?year=2026-2030", headers=h))
    assert "two consecutive years" in en["fields"]["year"] and _chinese(zh) and "1999-2000" in zh["fields"]["year"]


def test_typed_fields_and_http_errors_in_chinese(client, demo):
    api = login(client, "organizer")
    body = {"type": "lecture", "title": "讲座", "starts_at": "2026-10-15T14:00", "ends_at": "2026-10-15T16:00",
            "hours": "2", "participants": [{"user_id": 1, "role": 5}]}
    en, zh = _both(lambda h: api.post("/api/v1/activities", json=body, headers=h))
    assert en["fields"] == {"hours": "must be a number", "participants.0.role": "must be text"} and _chinese(zh)
    en, zh = _both(lambda h: client.get("/api/v1/no-such-thing", headers=h))
    assert en == {"error": "not_found", "message": "not found"} and _chinese(zh)
    en, zh = _both(lambda h: client.patch("/api/v1/me", headers=h))
    assert en["error"] == "method_not_allowed" and _chinese(zh)


def test_a_choice_lists_its_values_joined_in_the_readers_words(client, demo):
    """Auditor: a Chinese refusal read "须为以下之一：'reading_notes', 'paper' or 'reflection'"
    (pydantic's English "or"). The values (what a client sends) stay; the joining is the reader's."""
    api = login(client, "teacher1")
    en, zh = _both(lambda h: api.post("/api/v1/me/writing", json={"kind": "zzz", "text": "正文"}, headers=h))
    assert en["fields"]["kind"] == "must be one of 'reading_notes', 'paper', 'reflection'"
    assert zh["fields"]["kind"] == "须为以下之一：'reading_notes'、'paper'、'reflection'"


def test_a_types_details_form_refuses_in_the_language_asked_for(client, demo):
    """Auditor: with ``Accept-Language: zh`` a lecture planned without its topic was refused
    with ``"details": {"topic": ["This field is required."]}`` — WTForms' own English, which
    the page translates and the API passed through as it came."""
    api = login(client, "organizer")
    body = {"type": "lecture", "title": "讲座", "starts_at": "2026-10-15T14:00", "ends_at": "2026-10-15T16:00",
            "hours": 2, "details": {}}
    en, zh = _both(lambda h: api.post("/api/v1/activities", json=body, headers=h))
    assert en["fields"] == {"details": {"topic": ["This field is required."]}}
    assert set(zh["fields"]["details"]) == {"topic"} and _chinese(zh)


def test_a_value_sent_wrong_is_quoted_as_the_reader_quotes_and_shows_no_escapes(client, demo):
    """Attacker: an unknown trigger, type or school code was put in the refusal as Python writes
    it: ``未知的操作 'ho\\x07ld'`` on a Chinese answer (a right-to-left override would have reached
    the text unchanged), and a long one whole. The value is quoted as each language quotes, its invisible
    characters shown as U+FFFD and cut to 40 characters."""
    api = login(client, "organizer")
    act = api.get("/api/v1/activities?per_page=1").get_json()["items"][0]["id"]
    en, zh = _both(lambda h: api.post(f"/api/v1/activities/{act}/transitions", json={"trigger": "ho\x07ld"}, headers=h))
    assert en["message"].startswith("unknown trigger 'ho\ufffdld'; known triggers: ")
    assert zh["message"].startswith("未知的操作“ho\ufffdld”（可进行：") and _chinese(zh)
    adm = login(client, "admin")
    en, zh = _both(lambda h: adm.put("/api/v1/activity-types/txt." + "y" * 60, json={"enabled": True}, headers=h))
    assert en["message"] == "no activity type 'txt." + "y" * 35 + "…' is installed"
    assert zh["message"] == "未安装活动类型“txt." + "y" * 35 + "…”"


def test_without_accept_language_messages_are_english_and_the_schools_words_chinese(client, as_user):
    """Two defaults, both in the document's overview: a refusal's message is English, what is meant
    for the school's people (the rules' labels, the types' names) Chinese — as every export's
    headings are; ``Accept-Language`` turns either."""
    teacher = as_user("teacher1")
    rules = teacher.get("/api/v1/school/rules").get_json()["rules"]
    assert all(CJK.search(r["label"]) for r in rules)
    types = teacher.get("/api/v1/activity-types").get_json()
    assert types and all(t["name"] == t["name_zh"] for t in types)
    missing = teacher.get("/api/v1/activities/999999999")
    assert missing.status_code == 404 and not CJK.search(missing.get_json()["message"])
    english = teacher.get("/api/v1/school/rules", headers={"Accept-Language": "en"}).get_json()["rules"]
    assert not any(CJK.search(r["label"]) for r in english)
    overview = " ".join(client.get("/api/v1/openapi.json").get_json()["info"]["description"].split())
    assert "messages (errors, an export's `failure`) are English unless `Accept-Language` asks for Chinese" in overview
    assert "is Chinese unless `Accept-Language` asks for English" in overview


def test_a_name_twice_in_one_object_is_refused_not_read_as_its_last(client, demo):
    """``{"hours": 2, "hours": 999}``: one parser reads 2, another 999 — refused (400, nothing
    written), in both languages, with the name said."""
    api = login(client, "organizer")
    body = (b'{"type": "lecture", "title": "\\u8bb2\\u5ea7", "starts_at": "2026-11-20T09:00:00",'
            b' "ends_at": "2026-11-20T11:00:00", "hours": 2, "hours": 999, "details": {}}')
    before = api.get("/api/v1/activities").get_json()["total"]
    en, zh = _both(lambda h: api.post("/api/v1/activities", data=body, content_type="application/json", headers=h))
    assert en["fields"] == {"body": "hours appears twice in one object"} and _chinese(zh)
    nested = b'{"participants": [{"user_id": 1, "role": "participant", "role": "speaker"}]}'
    r = api.post("/api/v1/activities", data=nested, content_type="application/json")
    assert r.status_code == 400 and r.get_json()["fields"] == {"body": "role appears twice in one object"}
    assert api.get("/api/v1/activities").get_json()["total"] == before
