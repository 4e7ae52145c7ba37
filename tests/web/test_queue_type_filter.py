"""The review queue filtered to one activity type: a reviewer with sixty held activities at the
deadline sees one type at a time. The choices are the school's enabled types with the types'
labels (and any other type with cards in the queue); the counts are the filter's; paging and
decisions keep it; a type neither enabled nor in the queue, or none such, is refused (422) with
the whole queue and why."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import School
from portal.policy import SYSTEM
from portal.services import schools
from tests.web.test_queue_keeps_what_was_typed import _card, _fields, _rows


def _held_count(page: str) -> int:
    found = re.search(r"Waiting for review \((\d+)\)", page)
    assert found, "no count"
    return int(found[1])


def _choices(page: str) -> list[str]:
    form = page.split('data-testid="type-filter-select">', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"', form)


def test_each_type_shows_its_own_cards_and_counts(site, as_user, held):
    aid = held["act"]
    reviewer = as_user("reviewer")
    whole = reviewer.get("/review?lang=en").get_data(as_text=True)
    types = _choices(whole)[1:]
    assert "lecture" in types and len(types) > 1
    assert 'value="lecture">专题讲座' in reviewer.get("/review?lang=zh").get_data(as_text=True)
    total = 0
    for key in types:
        r = reviewer.get(f"/review?lang=en&type={key}")
        assert r.status_code == 200
        page = r.get_data(as_text=True)
        total += _held_count(page)
        assert f'value="{key}" selected' in page
        assert (f'data-testid="queue-item-{aid}"' in page) is (key == "lecture")
    assert total == _held_count(whole)  # the filters' counts add up to the whole queue's


def test_a_decision_keeps_the_filter(site, as_user, held):
    aid = held["act"]
    reviewer = as_user("reviewer")
    card = _card(reviewer.get("/review?type=lecture").get_data(as_text=True), aid)
    action = re.search(rf'action="([^"]*/review/{aid}[^"]*)"', reviewer.get("/review?type=lecture").get_data(as_text=True))
    assert action and "type=lecture" in action[1]
    r = reviewer.post(f"/review/{aid}?type=lecture", data={**_fields(card), "action": "approve", "comment": ""})
    assert r.status_code == 302 and "type=lecture" in r.headers["Location"]
    refused = reviewer.post(f"/review/{aid}?type=lecture", data={**_fields(card), "action": "nosuch", "comment": ""})
    assert "type=lecture" in refused.headers["Location"]


def test_an_unknown_type_is_refused_with_the_whole_queue_a_disabled_one_with_cards_is_not(site, as_user, held):
    aid = held["act"]
    reviewer = as_user("reviewer")
    before = _rows(site, aid)
    whole = _held_count(reviewer.get("/review?lang=en").get_data(as_text=True))
    for key in ("nosuch", "lecture' OR 1=1"):
        r = reviewer.get("/review", query_string={"lang": "en", "type": key})
        page = r.get_data(as_text=True)
        assert r.status_code == 422 and 'data-testid="type-refused"' in page
        assert _held_count(page) == whole and f'data-testid="queue-item-{aid}"' in page
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        schools.set_type(school, "lecture", enabled=False, by=SYSTEM)
        db.session.commit()
    # disabled after its activities were held: its cards are still in the queue, and so is its filter
    r = reviewer.get("/review?lang=zh&type=lecture")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-testid="type-refused"' not in page
    assert "lecture" in _choices(page) and f'data-testid="queue-item-{aid}"' in page
    assert 'value="lecture" selected>专题讲座' in page
    assert _rows(site, aid) == before
