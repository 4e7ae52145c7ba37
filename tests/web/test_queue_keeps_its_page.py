"""A reviewer with a long queue works on its second page (``overview.HELD_PAGE_SIZE`` cards a page). Each decision
there used to send them back to the first page, to page on again after every approval; a refused
one came back on the first page too, without the card it was made on. Now the queue's forms
carry the page they were on, and the answer is that page again."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.demo import walk
from portal.extensions import db
from portal.models import School, User
from portal.services import activities
from portal.timeutil import utcnow
from tests.web.test_queue_keeps_what_was_typed import _card, _fields, _rows
from workflows.definition import Phase


@pytest.fixture
def backlog(site) -> list[int]:
    """Twelve more held lectures (the demo has six held activities): two pages of the queue."""
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        people = {u.username: u for u in db.session.execute(select(User)).scalars()}
        ids = []
        for n in range(12):
            start = utcnow() - timedelta(days=20 - n)
            act = activities.plan_activity(
                school, people["organizer"], "lecture", f"期末积压讲座{n + 1}",
                start.isoformat(timespec="minutes") + "+00:00",
                (start + timedelta(hours=2)).isoformat(timespec="minutes") + "+00:00", "2",
                [{"user_id": people["teacher3"].id, "role": "attendee"}], {"topic": "作业设计"})
            walk(act, people["organizer"], people["reviewer"], Phase.AWAITING_REVIEW)
            ids.append(act.id)
        db.session.commit()
        return ids


def _second_page(reviewer) -> tuple[str, str]:
    first = reviewer.get("/review").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" data-testid="held-pager-next"', first)
    assert link, "no second page"
    url = html.unescape(link[1])
    return url, reviewer.get(url).get_data(as_text=True)


def _held_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="queue-item-(\d+)"', page)]


def test_a_decision_on_the_second_page_comes_back_to_it(site, as_user, backlog):
    reviewer = as_user("reviewer")
    url, page = _second_page(reviewer)
    ids = _held_ids(page)
    aid = next(i for i in ids if i in backlog)  # a lecture of the backlog: nothing keeps it from approval
    assert aid not in _held_ids(reviewer.get("/review").get_data(as_text=True))
    form = re.search(rf'<form method="post" action="([^"]+)" data-testid="decide-form-{aid}"', page)
    action = html.unescape(form[1])
    r = reviewer.post(action.split("#")[0], data={**_fields(_card(page, aid)), "action": "approve", "comment": ""})
    assert r.status_code == 302
    back = reviewer.get(r.headers["Location"]).get_data(as_text=True)
    left = [i for i in ids if i != aid]
    assert _held_ids(back) == left + _held_ids(back)[len(left):]  # the same page, less the approved one
    # a refusal there: the same page again, with the card and the refusal beside it
    other = next(i for i in left if i in backlog)
    before = _rows(site, other)
    action = html.unescape(re.search(rf'<form method="post" action="([^"]+)" data-testid="decide-form-{other}"', back)[1])
    r = reviewer.post(action.split("#")[0], data={**_fields(_card(back, other)), "action": "return", "comment": ""})
    assert r.status_code == 422 and _rows(site, other) == before
    assert "必须填写意见" in _card(r.get_data(as_text=True), other)


def test_bulk_approval_on_the_second_page_comes_back_to_it(site, as_user, backlog):
    reviewer = as_user("reviewer")
    url, page = _second_page(reviewer)
    ids = _held_ids(page)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)" id="bulk-approve"', page)[1])
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    aid = next(i for i in ids if i in backlog)  # a lecture of the backlog: nothing keeps it from approval
    data = {"action": "approve", "ids": str(aid), f"version-{aid}": _fields(_card(page, aid))["version"]}
    if token:
        data["csrf_token"] = token[1]
    r = reviewer.post(action, data=data)
    assert r.status_code == 302
    back = reviewer.get(r.headers["Location"]).get_data(as_text=True)
    assert _held_ids(back)[: len(ids) - 1] == [i for i in ids if i != aid]
