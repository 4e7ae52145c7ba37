"""The review queue's two filters, each narrowed by the other's choice: with ``?type=lecture`` the
organiser list offered organisers with no lecture in the queue, and a pair chosen from the lists
showed an empty queue. Now every pair the lists offer has cards (the counts read with the page:
no statement more). A decision's answer (a hand-made POST: the forms carry the filters) repeats
only the filters the queue has, as the page's links do; a bad one changes nothing else."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, User
from tests.web.test_queue_keeps_what_was_typed import _card, _fields, _rows

SECTIONS = ("Waiting for review", "Reviewed, credits not yet posted", "Reviewed, school year closed to credits")


def _total(page: str) -> int:
    return sum(int(found[1]) for what in SECTIONS if (found := re.search(rf"{re.escape(what)} \((\d+)\)", page)))


def _choices(page: str, testid: str) -> list[str] | None:
    """The values a filter's list offers (not its "all"), or None when it shows no list."""
    if f'data-testid="{testid}"' not in page:
        return None
    form = page.split(f'data-testid="{testid}">', 1)[1].split("</select>", 1)[0]
    return [value for value in re.findall(r'<option value="([^"]*)"', form) if value]


def test_each_filter_offers_only_what_the_others_choice_has_cards_of(site, as_user, held):
    reviewer = as_user("reviewer")
    whole = reviewer.get("/review?lang=en").get_data(as_text=True)
    types, people = _choices(whole, "type-filter-select"), _choices(whole, "organizer-filter-select")
    assert types and people and len(people) > 1
    # which pairs have cards: each pair's own page, counted as the page counts them
    has = {(key, uid): _total(reviewer.get(f"/review?lang=en&type={key}&organizer={uid}").get_data(as_text=True)) > 0
           for key in types for uid in people}
    assert not all(has.values())  # some organiser has no card of some type: the lists have something to leave out
    for key in types:
        page = reviewer.get(f"/review?lang=en&type={key}").get_data(as_text=True)
        theirs = [uid for uid in people if has[(key, uid)]]
        offered = _choices(page, "organizer-filter-select")
        if offered is None:  # one organiser or none: no list to choose from
            assert len(theirs) <= 1, (key, theirs)
        else:
            assert offered == theirs, key  # in the whole list's (pinyin) order
    for uid in people:
        page = reviewer.get(f"/review?lang=en&organizer={uid}").get_data(as_text=True)
        assert f'value="{uid}" selected' in page  # the chosen organiser shown, and "all" beside it
        theirs = [key for key in types if has[(key, uid)]]
        offered = _choices(page, "type-filter-select")
        assert offered == theirs if offered is not None else len(theirs) <= 1, uid
    # a chosen pair: both lists shown with their value selected, each offering the other's
    key, uid = next(pair for pair, cards in has.items() if cards)
    page = reviewer.get(f"/review?lang=en&type={key}&organizer={uid}").get_data(as_text=True)
    assert f'value="{key}" selected' in page and f'value="{uid}" selected' in page
    assert key in (_choices(page, "type-filter-select") or []) and uid in (_choices(page, "organizer-filter-select") or [])


def _query(location: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(location).query)


@pytest.mark.parametrize("bad", ["type=nosuch", "type=" + "x" * 100, "organizer=abc", "organizer=nobody"])
def test_a_decision_with_a_bad_filter_is_made_and_answered_without_it(site, as_user, held, bad):
    aid = held["act"]
    with site.app_context():
        mine = db.session.get_one(Activity, aid).organizer_id
        nobody = db.session.execute(select(User.id).where(User.username == "teacher5")).scalar_one()
    bad = bad.replace("nobody", str(nobody))  # someone of the school who organises nothing in the queue
    good = f"organizer={mine}" if bad.startswith("type=") else "type=lecture"
    reviewer = as_user("reviewer")
    card = _card(reviewer.get(f"/review?organizer={mine}&type=lecture").get_data(as_text=True), aid)
    before = _rows(site, aid)
    r = reviewer.post(f"/review/{aid}?{good}&{bad}", data={**_fields(card), "action": "approve", "comment": ""})
    assert r.status_code == 302
    asked = _query(r.headers["Location"])
    name, value = good.split("=")
    assert asked == {name: [value]}, r.headers["Location"]  # the valid filter kept, the bad one left out
    after = _rows(site, aid)
    assert after[0][0] == "reviewed" and after[2] == before[2] + 1  # the decision made as without the filter
    assert reviewer.get(r.headers["Location"]).status_code == 200
    # the bulk forms' answer too; a step the card does not offer changes nothing and says why
    r = reviewer.post(f"/review/bulk?{good}&{bad}", data={"csrf_token": _fields(card).get("csrf_token", ""),
                                                          "action": "approve", "ids": []})
    assert r.status_code == 302 and _query(r.headers["Location"]) == {name: [value]}
    assert _rows(site, aid) == after


def test_a_decision_with_only_valid_filters_keeps_them(site, as_user, held):
    aid = held["act"]
    with site.app_context():
        mine = db.session.get_one(Activity, aid).organizer_id
    reviewer = as_user("reviewer")
    card = _card(reviewer.get(f"/review?organizer={mine}&type=lecture").get_data(as_text=True), aid)
    r = reviewer.post(f"/review/{aid}?organizer={mine}&type=lecture",
                      data={**_fields(card), "action": "approve", "comment": ""})
    assert r.status_code == 302 and _query(r.headers["Location"]) == {"organizer": [str(mine)], "type": ["lecture"]}


def test_an_organiser_whose_last_card_leaves_the_queue_is_not_repeated(site, as_user):
    """A filter valid when the page was read and no longer after the decision (the organiser's only
    card credited: it leaves the queue): the answer is the whole queue (200), not a refusal of the
    filter just used."""
    from datetime import timedelta

    from portal.demo import walk
    from portal.models import School
    from portal.services import activities
    from portal.timeutil import utcnow
    from tests.support import factories as f
    from workflows.definition import Phase

    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        people = {u.username: u for u in db.session.execute(select(User)).scalars()}
        new = f.person(school, "org2", "organizer", "teacher", name="钱新组")
        start = utcnow() - timedelta(days=2)
        act = activities.plan_activity(
            school, new, "lecture", "唯一一场", start.isoformat(timespec="minutes") + "+00:00",
            (start + timedelta(hours=1)).isoformat(timespec="minutes") + "+00:00", "1",
            [{"user_id": people["teacher1"].id, "role": "attendee"}], {"topic": "作业设计"})
        walk(act, new, people["reviewer"], Phase.CONFIRMED)
        db.session.commit()
        aid, who = act.id, new.id
    reviewer = as_user("reviewer")
    page = reviewer.get(f"/review?organizer={who}").get_data(as_text=True)
    assert f'value="{who}" selected' in page
    form = re.search(rf'<form[^>]*id="credit-form-{aid}"[^>]*>(.*?)</form>', page, re.S)
    assert form, "no credit form"
    r = reviewer.post(f"/review/{aid}?organizer={who}", data={**_fields(form[1]), "action": "credit"})
    assert r.status_code == 302 and "organizer=" not in r.headers["Location"], r.headers["Location"]
    with site.app_context():
        assert db.session.get_one(Activity, aid).state == "credited"
    assert reviewer.get(r.headers["Location"]).status_code == 200
