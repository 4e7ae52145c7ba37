"""What the reviewer walk left on the review queue.

An approved activity of a school year closed to credits (``credit.year_over``: the credit step
is refused and not offered) sat among the reviewed ones waiting for credits, counted as work
to do, with nothing to do on it. It is now listed apart, counted apart, with why in the
catalogue's words and the year in words. The queue filters by organiser (those with
activities in it, in pinyin order) beside the type, kept across paging and decisions; a
filter the queue refused is not repeated by the page's links; bad values are refused with a
notice (422) and change nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from portal.demo import walk
from portal.extensions import db
from portal.models import Activity, School, User
from portal.security import MAX_ID
from portal.services import activities
from portal.sorting import pinyin_key
from portal.timeutil import utcnow
from tests.support import factories as f
from tests.web.test_queue_keeps_what_was_typed import _card, _fields, _rows
from workflows.definition import Phase


def _count(page: str, what: str) -> int:
    found = re.search(rf"{re.escape(what)} \((\d+)\)", page)
    assert found, f"no count of {what}"
    return int(found[1])


def _organizers(page: str) -> list[tuple[str, str]]:
    form = page.split('data-testid="organizer-filter-select">', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', form)


def _links(page: str) -> list[str]:
    return re.findall(r'(?:href|action)="([^"]*)"', page)


def approved_back_then(site, time_machine, phase: Phase = Phase.CONFIRMED,
                       start: datetime = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)) -> int:
    """A lecture of the DEMO school held and approved (``phase``) in March 2025 (the school year 2024-2025;
    or at ``start``), its credits never posted: closed to credits now (December 2026: this year 2026-2027
    and the last)."""
    real = utcnow()
    with site.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        people = {u.username: u for u in db.session.execute(select(User)).scalars()}
        time_machine.move_to(start + timedelta(days=2))
        act = activities.plan_activity(
            school, people["organizer"], "lecture", "前年批过的讲座", start.isoformat(timespec="minutes"),
            (start + timedelta(hours=2)).isoformat(timespec="minutes"), "2",
            [{"user_id": people["teacher1"].id, "role": "attendee"}], {"topic": "作业设计"})
        walk(act, people["organizer"], people["reviewer"], phase)
        db.session.commit()
        time_machine.move_to(real)
        return act.id


def test_an_approved_activity_of_a_closed_year_is_listed_apart_with_why(site, as_user, time_machine):
    reviewer = as_user("reviewer")
    page = reviewer.get("/review?lang=en").get_data(as_text=True)
    to_do, held = _count(page, "Reviewed, credits not yet posted"), _count(page, "Waiting for review")
    closed = _count(page, "Reviewed, school year closed to credits")  # the demo's own (``demo_year.CLOSED_YEAR``)
    aid = approved_back_then(site, time_machine)
    page = reviewer.get("/review?lang=en").get_data(as_text=True)
    # not among the work to do: counted and listed apart
    assert _count(page, "Reviewed, credits not yet posted") == to_do
    assert _count(page, "Waiting for review") == held
    assert _count(page, "Reviewed, school year closed to credits") == closed + 1
    assert f'data-testid="reviewed-{aid}"' not in page and f'data-testid="select-credit-{aid}"' not in page
    row = page.split(f'data-testid="closed-{aid}"', 1)[1].split("</tr>", 1)[0]
    assert "前年批过的讲座" in row
    assert "the 2024–2025 school year is over: hours are credited only in this school year and the last one" in row
    zh = reviewer.get("/review?lang=zh").get_data(as_text=True)
    row = zh.split(f'data-testid="closed-{aid}"', 1)[1].split("</tr>", 1)[0]
    assert "2024—2025学年已结束" in row and "（自2025—2026学年起）" in row, row
    assert f"已审核，所在学年已不再认定学时 ({closed + 1})" in zh or f"已审核，所在学年已不再认定学时（{closed + 1}）" in zh
    # the type filter counts it with its type; another type's queue has none
    assert f'data-testid="closed-{aid}"' in reviewer.get("/review?type=lecture").get_data(as_text=True)
    assert 'data-testid="closed-table"' not in reviewer.get("/review?type=observation").get_data(as_text=True)



def test_the_organizer_filter_shows_theirs_in_pinyin_order_and_is_kept(site, as_user, held):
    aid = held["act"]
    reviewer = as_user("reviewer")
    whole = reviewer.get("/review?lang=en").get_data(as_text=True)
    choices = _organizers(whole)
    assert len(choices) > 1
    assert [name for _i, name in choices] == sorted((name for _i, name in choices), key=pinyin_key)
    with site.app_context():
        mine = db.session.get_one(Activity, aid).organizer_id
        organisers = set(db.session.execute(select(Activity.organizer_id).where(
            Activity.state.in_(["held", "reviewed"]))).scalars())  # the demo's queue states
    assert {int(i) for i, _n in choices} <= organisers and str(mine) in dict(choices)
    held_total = reviewed_total = 0
    for uid, _name in choices:
        r = reviewer.get(f"/review?lang=en&organizer={uid}")
        assert r.status_code == 200
        page = r.get_data(as_text=True)
        held_total += _count(page, "Waiting for review")
        reviewed_total += _count(page, "Reviewed, credits not yet posted")
        assert f'value="{uid}" selected' in page
        assert (f'data-testid="queue-item-{aid}"' in page) is (uid == str(mine))
    # the filters' counts add up to the whole queue's
    assert held_total == _count(whole, "Waiting for review")
    assert reviewed_total == _count(whole, "Reviewed, credits not yet posted")
    # with the type too; kept by the decisions' forms and their answers
    page = reviewer.get(f"/review?organizer={mine}&type=lecture").get_data(as_text=True)
    action = re.search(rf'action="([^"]*/review/{aid}[^"]*)"', page)
    assert action and f"organizer={mine}" in action[1] and "type=lecture" in action[1]
    bulk = re.search(r'action="([^"]*/review/bulk[^"]*)"', page)
    assert bulk and f"organizer={mine}" in bulk[1]
    r = reviewer.post(f"/review/{aid}?organizer={mine}", data={**_fields(_card(page, aid)), "action": "approve",
                                                              "comment": ""})
    assert r.status_code == 302 and f"organizer={mine}" in r.headers["Location"]


@pytest.mark.parametrize("value", ["abc", "-1", "0", "1.5", "１", str(MAX_ID + 1), "9" * 40, "other school", "nobody"])
def test_a_bad_organizer_is_refused_with_the_whole_queue_and_changes_nothing(site, as_user, held, value):
    aid = held["act"]
    reviewer = as_user("reviewer")
    with site.app_context():
        people = {u.username: u.id for u in db.session.execute(select(User)).scalars()}
        # another school, its organiser's activity held in its own queue
        s2 = f.school("S2")
        theirs = f.staff(s2, "s2")
        start = utcnow() - timedelta(days=2)
        act = activities.plan_activity(
            s2, theirs["organizer"], "lecture", "别校讲座", start.isoformat(), (start + timedelta(hours=1)).isoformat(),
            "1", [{"user_id": theirs["t1"].id, "role": "attendee"}], {"topic": "作业设计"})
        walk(act, theirs["organizer"], theirs["reviewer"], Phase.AWAITING_REVIEW)
        db.session.commit()
        other = theirs["organizer"].id
    # another school's organiser; someone of the school who organises nothing in the queue
    value = {"other school": str(other), "nobody": str(people["teacher5"])}.get(value, value)
    before = _rows(site, aid)
    whole = _count(reviewer.get("/review?lang=en").get_data(as_text=True), "Waiting for review")
    r = reviewer.get("/review", query_string={"lang": "en", "organizer": value})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'data-testid="organizer-refused"' in page
    assert "There is no organizer" in page
    assert _count(page, "Waiting for review") == whole and f'data-testid="queue-item-{aid}"' in page
    assert not [link for link in _links(page) if "organizer=" in link]  # no link repeats it
    zh = reviewer.get("/review", query_string={"lang": "zh", "organizer": value}).get_data(as_text=True)
    assert "本校待审列表中没有组织者" in zh
    assert _rows(site, aid) == before


def test_a_refused_type_is_not_repeated_by_the_pages_links(site, as_user, held):
    reviewer = as_user("reviewer")
    with site.app_context():  # enough held activities for a second page
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        people = {u.username: u for u in db.session.execute(select(User)).scalars()}
        start = utcnow() - timedelta(days=3)
        for n in range(11):
            act = activities.plan_activity(
                school, people["organizer"], "lecture", f"翻页讲座{n}", (start + timedelta(minutes=n)).isoformat(),
                (start + timedelta(hours=1, minutes=n)).isoformat(), "1",
                [{"user_id": people["teacher1"].id, "role": "attendee"}], {"topic": "作业设计"})
            walk(act, people["organizer"], people["reviewer"], Phase.AWAITING_REVIEW)
        db.session.commit()
    first = reviewer.get("/review?type=nosuch&lang=en")
    assert first.status_code == 422
    page = first.get_data(as_text=True)
    assert 'data-testid="held-pager-next"' in page
    links = _links(page)
    assert any("after=" in link for link in links) and any("/review/bulk" in link for link in links)
    assert not [link for link in links if "type=" in link]
    assert "本校没有启用活动类型“nosuch”" in reviewer.get("/review?type=nosuch&lang=zh").get_data(as_text=True)
    assert "enabled at your school or in its review queue: it is shown for every type" in page
    nxt = re.search(r'href="([^"]*after=[^"]*)" data-testid="held-pager-next"', page)
    assert nxt
    second = reviewer.get(nxt[1].replace("&amp;", "&") + "&type=nosuch").get_data(as_text=True)
    assert not [link for link in _links(second) if "type=" in link]
    # a valid one is repeated
    page = reviewer.get("/review?type=lecture").get_data(as_text=True)
    assert [link for link in _links(page) if "after=" in link and "type=lecture" in link]


def test_a_type_no_longer_installed_with_cards_in_the_queue_can_be_filtered(site, as_user, held):
    aid = held["act"]
    with site.app_context():  # its plugin removed since: the rows keep its key
        db.session.execute(update(Activity).where(Activity.id == aid).values(type_key="retired"))
        db.session.commit()
    reviewer = as_user("reviewer")
    page = reviewer.get("/review?lang=zh").get_data(as_text=True)
    form = page.split('data-testid="type-filter-select">', 1)[1].split("</select>", 1)[0]
    assert '<option value="retired">已停用的活动类型</option>' in form  # named as the pages name it
    r = reviewer.get("/review?lang=zh&type=retired")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and f'data-testid="queue-item-{aid}"' in page
    assert 'value="retired" selected' in page


def test_a_held_activity_of_a_closed_year_says_approving_posts_no_hours(site, as_user, time_machine):
    aid = approved_back_then(site, time_machine, Phase.AWAITING_REVIEW)
    reviewer = as_user("reviewer")
    page = reviewer.get("/review?lang=zh").get_data(as_text=True)
    card = _card(page, aid)
    note = re.search(rf'data-testid="closed-year-{aid}">([^<]*)<', card)
    assert note and note[1].startswith("审核通过后也不会认定学时：2024—2025学年已结束"), note
    en = _card(reviewer.get("/review?lang=en").get_data(as_text=True), aid)
    assert "Approving it posts no hours: the 2024–2025 school year is over" in en
    # approved, it leaves the work to do for the closed list
    r = reviewer.post(f"/review/{aid}", data={**_fields(card), "action": "approve", "comment": ""})
    assert r.status_code == 302
    page = reviewer.get("/review?lang=en").get_data(as_text=True)
    assert f'data-testid="closed-{aid}"' in page and f'data-testid="queue-item-{aid}"' not in page
    assert f'data-testid="reviewed-{aid}"' not in page
