"""Hours typed with a Chinese input method. In full-width mode it writes "１．５", in Chinese
punctuation mode the "." key writes "。" ("1。5"): both were refused on the review card as
"不是数字", while "２" alone was accepted (``Decimal`` reads full-width digits). Now both are 1.5;
"2,5" and "１，５" are still refused, with the card as typed and nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.hours import parse_hours
from tests.web.test_queue_after_a_change import _credited_hours
from tests.web.test_queue_keeps_what_was_typed import _card, _fields, _rows


@pytest.mark.parametrize("typed", ["１．５", "1。5", "１。５"])
def test_a_chinese_keyboards_one_and_a_half_is_one_and_a_half(site, as_user, held, typed):
    aid, t2 = held["act"], held["t2"]
    reviewer = as_user("reviewer")
    shown = _fields(_card(reviewer.get("/review").get_data(as_text=True), aid))
    r = reviewer.post(f"/review/{aid}", data={**shown, f"hours-{t2}": typed, "action": "approve", "comment": "缺了一节课"})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    assert _credited_hours(site, aid)[t2][1:] == (Decimal("1.5"), "缺了一节课")


@pytest.mark.parametrize("typed", ["2,5", "１，５", "1，5"])
def test_a_comma_is_still_refused_and_changes_nothing(site, as_user, held, typed):
    aid, t2 = held["act"], held["t2"]
    reviewer = as_user("reviewer")
    shown = _fields(_card(reviewer.get("/review").get_data(as_text=True), aid))
    before = _rows(site, aid)
    r = reviewer.post(f"/review/{aid}", data={**shown, f"hours-{t2}": typed, "action": "approve", "comment": "缺了一节课"})
    assert r.status_code == 422
    card = _card(r.get_data(as_text=True), aid)
    assert "不是数字" in card and _fields(card)[f"hours-{t2}"] == typed
    assert _rows(site, aid) == before


def test_the_rule_itself():
    assert parse_hours("１．５") == parse_hours("1。5") == parse_hours("1.5") == Decimal("1.5")
    for bad in ("2,5", "１，５", "½", "1＿5", "１．２５"):
        with pytest.raises(ValueError):
            parse_hours(bad)
