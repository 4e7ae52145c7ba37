"""A decision sent twice. A tired reviewer taps 审核通过 twice, or approves, presses the back
button and taps it again on the page the browser kept. The first sending approved the activity;
the second used to answer 422 with a refusal ("活动当前状态（已审核）下不能进行“审核通过”") beside
"已完成", as if something had gone wrong. Now the second says the step was taken already, by them,
when, and that it changed nothing; another step on the old page is still refused as before."""

from __future__ import annotations

import re

from tests.web.test_queue_keeps_what_was_typed import _card, _fields, _rows


def _alerts(html: str) -> list[str]:
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", a)).strip()
            for a in re.findall(r'role="alert"[^>]*>(.*?)</div>', html, re.S)]


def test_approve_sent_twice_says_it_was_done(site, as_user, held):
    aid, t1 = held["act"], held["t1"]
    reviewer = as_user("reviewer")
    shown = _fields(_card(reviewer.get("/review").get_data(as_text=True), aid))
    sent = {**shown, f"hours-{t1}": "0.5", "action": "approve", "comment": "迟到半小时"}
    assert reviewer.post(f"/review/{aid}", data=sent).status_code == 302
    reviewer.get("/review")  # the first answer's page, its message read
    after_first = _rows(site, aid)
    r = reviewer.post(f"/review/{aid}", data=sent)
    assert r.status_code == 302
    assert _rows(site, aid) == after_first
    said = _alerts(reviewer.get("/review").get_data(as_text=True))
    assert len(said) == 1 and "您已于" in said[0] and "“审核通过”" in said[0] and "未作任何更改" in said[0], said
    assert "不能进行" not in said[0]
    r = reviewer.post(f"/review/{aid}?lang=en", data=sent)
    said = _alerts(reviewer.get("/review?lang=en").get_data(as_text=True))
    assert "you already took the step" in said[0] and "Approve" in said[0]


def test_another_step_on_the_old_page_is_still_refused(site, as_user, held):
    aid = held["act"]
    reviewer = as_user("reviewer")
    shown = _fields(_card(reviewer.get("/review").get_data(as_text=True), aid))
    assert reviewer.post(f"/review/{aid}", data={**shown, "action": "approve", "comment": ""}).status_code == 302
    before = _rows(site, aid)
    r = reviewer.post(f"/review/{aid}", data={**shown, "action": "return", "comment": "补签到表"})
    assert r.status_code == 422
    assert "已有变动" in r.get_data(as_text=True)
    assert _rows(site, aid) == before
    # a form that says no version it was read at is not taken for a second sending
    r = reviewer.post(f"/review/{aid}", data={"action": "approve", "comment": ""})
    assert r.status_code == 422 and _rows(site, aid) == before


def test_bulk_approval_sent_twice_counts_it_done(site, as_user, held):
    aid = held["act"]
    reviewer = as_user("reviewer")
    shown = _fields(_card(reviewer.get("/review").get_data(as_text=True), aid))
    sent = {"action": "approve", "ids": str(aid), f"version-{aid}": shown["version"]}
    assert reviewer.post("/review/bulk", data=sent).status_code == 302
    reviewer.get("/review")
    before = _rows(site, aid)
    assert reviewer.post("/review/bulk", data=sent).status_code == 302
    said = _alerts(reviewer.get("/review").get_data(as_text=True))
    assert _rows(site, aid) == before
    assert any("未作任何更改" in s for s in said) and "已完成 1 / 1 项活动。" in said, said
    assert not any("不能进行" in s for s in said), said


def _version(page: str) -> str:
    found = re.search(r'name="version"[^>]*value="(\d+)"', page) or re.search(r'value="(\d+)"[^>]*name="version"', page)
    assert found, "no version on the page"
    return found[1]


def _token(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    return found[1] if found else ""


def test_a_step_on_the_activity_page_sent_twice_says_it_was_done(site, as_user, held):
    aid = held["act"]
    reviewer = as_user("reviewer")
    page = reviewer.get(f"/activities/{aid}").get_data(as_text=True)
    sent = {"trigger": "approve", "comment": "", "version": _version(page), "csrf_token": _token(page)}
    assert reviewer.post(f"/activities/{aid}", data=sent).status_code == 302
    reviewer.get(f"/activities/{aid}")
    before = _rows(site, aid)
    r = reviewer.post(f"/activities/{aid}", data=sent)
    assert r.status_code == 302
    assert _rows(site, aid) == before
    said = _alerts(reviewer.get(f"/activities/{aid}").get_data(as_text=True))
    assert any("未作任何更改" in s for s in said) and not any("不能进行" in s for s in said), said
    # the step after it, taken on the page the browser kept from before the approval: refused as before
    r = reviewer.post(f"/activities/{aid}", data={**sent, "trigger": "credit"})
    assert r.status_code == 409 and _rows(site, aid) == before
