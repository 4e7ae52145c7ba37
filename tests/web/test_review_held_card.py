"""A held card in the review queue (BENCHMARKS round 47, the product decision): it counts its
people as a reviewer decides on them and lists by name only those whose hours are not the plain
rule (absent, on leave, adjusted, attendance not recorded, evidence short), the others grouped by
role and hours; everyone, with the hours inputs, is one click away (``?people=<id>``)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.demo import phase_title, walk
from portal.extensions import db
from portal.hours import fmt
from portal.models import Activity, Membership, Participation, School, TransitionLog, User
from portal.services import activities
from portal.timeutil import utcnow
from workflows.definition import Phase


def _queue_with(client, aid: int, query: str = "") -> tuple[str, str]:
    """The queue's page holding the card of ``aid`` (its held pager followed), and its address."""
    url = f"/review?{query}"
    for _ in range(10):
        page = client.get(url).get_data(as_text=True)
        if f'data-testid="queue-item-{aid}"' in page:
            return page, url
        url = re.search(r'href="([^"]+)"[^>]*data-testid="held-pager-next"', page)[1].replace("&amp;", "&")
    raise AssertionError("no page holds the card")


def _card(page: str, aid: int) -> str:
    card = re.search(rf'data-testid="queue-item-{aid}">(.*?)</form>', page, re.S)
    assert card, "no card"
    return card[1]


def _everyone_held(title: str, start) -> dict:
    """A held lecture of every teacher of the demo school (4 hours) starting at ``start``: the first
    absent 3 of them, the second on leave for all 4, the rest attended all 4."""
    school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
    users = {u.username: u for u in db.session.execute(select(User)).scalars()}
    teachers = list(db.session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_id == school.id, Membership.role == "teacher", Membership.until.is_(None),
               User.username.like("teacher%"))
        .order_by(User.id)).scalars().unique())
    act = activities.plan_activity(
        school, users["organizer"], "lecture", title,
        start.isoformat(timespec="minutes") + "+00:00",
        (start + timedelta(hours=4)).isoformat(timespec="minutes") + "+00:00", "4",
        [{"user_id": t.id, "role": "attendee"} for t in teachers], {"topic": "作业设计"})
    walk(act, users["organizer"], users["reviewer"], Phase.AWAITING_REVIEW)
    activities.record_attendance(act, users["organizer"], [
        {"user_id": teachers[0].id, "attended_hours": "1", "absent_hours": "3", "excused_hours": "0"},
        {"user_id": teachers[1].id, "attended_hours": "0", "absent_hours": "0", "excused_hours": "4"},
        *({"user_id": t.id, "attended_hours": "4", "absent_hours": "0", "excused_hours": "0"} for t in teachers[2:])])
    db.session.commit()
    return {"act": act.id, "people": [(t.id, t.username) for t in teachers]}


@pytest.fixture
def big(site) -> dict:
    """:func:`_everyone_held`, the newest held card: on the queue's last page."""
    with site.app_context():
        return _everyone_held("人人都在的讲座", utcnow() - timedelta(days=2))


@pytest.mark.parametrize(("lang", "tally", "group", "whole"), [
    ("zh", "人：出勤", "每人 4", "列出全部"),
    ("en", "people: ", "4 each", "List all"),
])
def test_a_held_card_lists_by_name_only_those_not_on_the_plain_rule(as_user, big, lang, tally, group, whole):
    aid, people = big["act"], big["people"]
    assert len(people) >= 6
    reviewer = as_user("reviewer")
    page, url = _queue_with(reviewer, aid, f"lang={lang}")
    card = _card(page, aid)
    named = re.findall(rf'data-testid="queue-participant-{aid}-([^"]+)"', card)
    assert named == sorted(named, key=named.index) and set(named) == {people[0][1], people[1][1]}
    assert f'name="hours-{people[0][0]}"' in card and f'name="hours-{people[2][0]}"' not in card
    counted = re.search(rf'data-testid="queue-tally-{aid}">([^<]*)<', card)[1]
    assert tally in counted and str(len(people)) in counted
    assert re.findall(rf'data-testid="queue-plain-{aid}-\d+"', card) == [f'data-testid="queue-plain-{aid}-0"']
    assert group in card and f"{len(people) - 2} " in card  # the others: one row, how many, 4 hours each
    link = re.search(rf'<a href="([^"]+)" data-testid="all-people-{aid}">([^<]*)<', card)
    assert link[1].startswith("/review?") and link[1].endswith(f"people={aid}#activity-{aid}") and whole in link[2]
    # one click: everyone by name, each with the hours input, on the same page of the queue
    everyone = _card(reviewer.get(link[1].split("#")[0].replace("&amp;", "&") + f"&lang={lang}").get_data(as_text=True), aid)
    assert set(re.findall(rf'data-testid="queue-participant-{aid}-([^"]+)"', everyone)) == {u for _i, u in people}
    assert all(f'name="hours-{uid}"' in everyone for uid, _u in people)
    assert "queue-plain-" not in everyone and "all-people-" not in everyone


@pytest.mark.parametrize(("lang", "absent", "excused"), [
    ("zh", "缺席（未请假）3", "请假 4"),
    ("en", "absent without leave 3", "on leave 4"),
])
def test_a_named_person_says_why_their_hours_are_not_the_plain_figure(as_user, big, lang, absent, excused):
    """The card names those not on the plain rule: each says why (hours missed without leave, on
    leave), as the activity page's columns do, so the reviewer need not open it to decide."""
    aid, people = big["act"], big["people"]
    for listed in (f"lang={lang}", f"lang={lang}&people={aid}"):  # named, and with everyone listed
        card = _card(_queue_with(as_user("reviewer"), aid, listed)[0], aid)
        first = re.search(rf'data-testid="queue-why-{aid}-{people[0][1]}">([^<]*)<', card)
        second = re.search(rf'data-testid="queue-why-{aid}-{people[1][1]}">([^<]*)<', card)
        assert first and first[1] == absent and second and second[1] == excused
        assert f'queue-why-{aid}-{people[3][1]}"' not in card  # attended all: nothing to say


def test_a_plain_person_is_adjusted_from_the_card_listed_whole(site, as_user, big):
    aid, (uid, _name) = big["act"], big["people"][3]
    reviewer = as_user("reviewer")
    card = _card(_queue_with(reviewer, aid, f"people={aid}")[0], aid)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', card))
    assert fields[f"would-{uid}"] == "4"
    r = reviewer.post(re.search(rf'action="([^"]+)" data-testid="decide-form-{aid}"', card)[1].replace("&amp;", "&"),
                      data={**fields, f"hours-{uid}": "3", "action": "approve", "comment": "早退一小时"})
    assert r.status_code == 302
    with site.app_context():
        assert db.session.execute(select(Participation.adjusted_hours).where(
            Participation.activity_id == aid, Participation.user_id == uid)).scalar_one() == 3
        assert db.session.get(Activity, aid).state == "reviewed"


@pytest.mark.parametrize("raw", ["abc", "-1", "0", "1.5", "１", "99999999999999999999", "<b>x</b>", ""])
def test_a_people_value_that_is_no_card_lists_no_one_whole_and_changes_nothing(site, as_user, big, raw):
    """A value that is no activity's id is refused with why (422); an empty one asks nothing, and an
    id of no card on the page (a link kept from before a decision) lists no one whole (200)."""
    aid = big["act"]
    reviewer = as_user("reviewer")

    def steps() -> int:
        with site.app_context():
            return db.session.execute(select(func.count()).select_from(TransitionLog)).scalar_one()

    before = steps()
    plain, url = _queue_with(reviewer, aid)
    r = reviewer.get(f"{url}&people={raw}")
    page = r.get_data(as_text=True)
    assert r.status_code == (200 if raw == "" else 422) and f'data-testid="queue-plain-{aid}-0"' in page
    assert ('data-testid="people-refused"' in page) is (raw != "")
    assert "<b>x</b>" not in page
    assert _card(page, aid) == _card(plain, aid)
    r = reviewer.get(f"{url}&people=999999")  # an id, of no card here
    assert r.status_code == 200 and 'data-testid="people-refused"' not in r.get_data(as_text=True)
    assert _card(r.get_data(as_text=True), aid) == _card(plain, aid)
    assert steps() == before


def test_listing_a_second_card_whole_keeps_the_first_listed_whole(site, as_user, big):
    """全部列出 on a second card kept only that one open (``?people=`` was replaced): its link keeps
    those open already, so both cards list everyone; a value that is no id is still refused (422)."""
    with site.app_context():
        other = _everyone_held("人人都在的第二场讲座", utcnow() - timedelta(days=2, hours=-5))["act"]
    aid, people = big["act"], big["people"]
    reviewer = as_user("reviewer")
    page, url = _queue_with(reviewer, aid)
    assert f'data-testid="queue-item-{other}"' in page  # both on the queue's last page

    def listed_whole(html: str, card: int) -> bool:
        return (set(re.findall(rf'data-testid="queue-participant-{card}-([^"]+)"', _card(html, card)))
                == {u for _i, u in people})

    def follow(html: str, card: int) -> str:
        link = re.search(rf'<a href="([^"]+)" data-testid="all-people-{card}"', _card(html, card))[1]
        r = reviewer.get(link.split("#")[0].replace("&amp;", "&"))
        assert r.status_code == 200
        return r.get_data(as_text=True)

    first = follow(page, aid)
    assert listed_whole(first, aid) and not listed_whole(first, other)
    both = follow(first, other)
    assert listed_whole(both, aid) and listed_whole(both, other)
    # the decide forms carry both, so a decision on a third card comes back with them open
    action = re.search(rf'action="([^"]+)" data-testid="decide-form-{aid}"', both)[1].replace("&amp;", "&")
    assert f"people={min(aid, other)}&people={max(aid, other)}" in action
    refused = reviewer.get(f"{url}&people={aid}&people=abc&people={other}")
    assert refused.status_code == 422 and 'data-testid="people-refused"' in refused.get_data(as_text=True)


@pytest.mark.parametrize(("lang", "short"), [("zh", "材料不足"), ("en", "Evidence short")])
def test_one_short_of_the_evidence_their_role_requires_is_named_with_what_is_missing(site, as_user, lang, short):
    """The demo's held observation lacks its observers' evaluations (its approval is refused for them):
    its card names them, each with what is missing, before the reviewer tries."""
    with site.app_context():
        aid = db.session.execute(select(Activity.id).where(
            Activity.state == "held", Activity.type_key == "observation").order_by(Activity.id)).scalars().first()
    reviewer = as_user("reviewer")
    page, _url = _queue_with(reviewer, aid, f"lang={lang}")
    card = _card(page, aid)
    missing = re.findall(rf'data-testid="short-{aid}-([^"]+)">([^<]*)<', card)
    assert missing and all(text.startswith(short) and "× 1" in text for _u, text in missing)
    assert {u for u, _t in missing} <= set(re.findall(rf'data-testid="queue-participant-{aid}-([^"]+)"', card))
    counted = re.search(rf'data-testid="queue-tally-{aid}">([^<]*)<', card)
    assert counted is None or str(len(missing)) in counted[1]
    r = reviewer.post(f"/review/{aid}", data={"action": "approve", "comment": ""})  # refused for that evidence
    with site.app_context():
        assert db.session.get(Activity, aid).state == "held"
    assert r.status_code in (302, 422)


@pytest.mark.parametrize(("lang", "short"), [("zh", "材料不足：结题报告 × 1"), ("en", "Evidence short: Final report × 1")])
def test_a_research_leader_without_the_final_report_is_named_before_the_approval_is_refused(site, as_user, lang, short):
    """The demo's held research project has no final report (结题报告) from its leader: its card said
    「材料不足 0 人」 and named no one, yet its approval was refused for the report. The report is
    required as every type requires evidence, so the card names the leader with it, and the
    approval is refused for it and changes nothing."""
    with site.app_context():
        aid = db.session.execute(select(Activity.id).where(
            Activity.state == "held", Activity.type_key == "research").order_by(Activity.id)).scalars().first()
        leader = db.session.execute(select(User.username).join(Participation, Participation.user_id == User.id).where(
            Participation.activity_id == aid, Participation.role == "leader")).scalar_one()
    reviewer = as_user("reviewer")
    page, _url = _queue_with(reviewer, aid, f"lang={lang}")
    card = _card(page, aid)
    missing = re.findall(rf'data-testid="short-{aid}-([^"]+)">([^<]*)<', card)
    assert missing == [(leader, short)]
    counted = re.search(rf'data-testid="queue-tally-{aid}">([^<]*)<', card)
    assert counted is None or ("材料不足 1 人" if lang == "zh" else "1 short of evidence") in counted[1]
    with site.app_context():
        version = db.session.get(Activity, aid).version
    reviewer.post(f"/review/{aid}", data={"action": "approve", "comment": "", "version": str(version)})
    with site.app_context():
        assert db.session.get(Activity, aid).state == "held"


def test_a_card_that_grouping_would_not_shorten_names_everyone(site, as_user):
    """The demo's held mentorship, a mentor and a mentee on the plain rule: two groups would be two
    rows, so the card names both, each with the hours input, and has no link to itself."""
    with site.app_context():
        aid = db.session.execute(select(Activity.id).where(
            Activity.state == "held", Activity.type_key == "mentorship")).scalars().first()
        people = db.session.execute(select(Participation.user_id).where(Participation.activity_id == aid)).scalars().all()
    reviewer = as_user("reviewer")
    card = _card(_queue_with(reviewer, aid)[0], aid)
    assert len(people) == len(re.findall(rf'data-testid="queue-participant-{aid}-', card)) >= 2
    assert all(f'name="hours-{uid}"' in card for uid in people)
    assert f"queue-plain-{aid}-" not in card and f"all-people-{aid}" not in card


@pytest.mark.parametrize(("lang", "said"), [
    ("zh", "：已审核通过，核定 1 人共 {h} 学时，当前状态为“已审核”。"),
    ("en", ": step “Approve” taken, {h} hours approved for 1 person; it is now “Reviewed”.")])
def test_a_decision_says_the_step_taken_and_where_it_left_the_activity(site, as_user, lang, said):
    """The queue said 「“…”：已完成。」 after any step: approved, returned, refused or credited alike.
    It names the step and the state it left the activity in, in the workflow's words, and the
    hours it approved (its declarant's, as the approval recorded them)."""
    with site.app_context():
        act = db.session.execute(select(Activity).where(  # the demo's declaration, its certificate attached
            Activity.state == "held", Activity.type_key == "declared",
            Activity.title == phase_title("declared", Phase.AWAITING_REVIEW))).scalar_one()
        aid, title, version = act.id, act.title, act.version
    reviewer = as_user("reviewer")
    reviewer.get(f"/review?lang={lang}")
    r = reviewer.post(f"/review/{aid}", data={"action": "approve", "comment": "", "version": str(version)},
                      follow_redirects=True)
    page = r.get_data(as_text=True)
    with site.app_context():
        assert db.session.get(Activity, aid).state == "reviewed"
        approved = db.session.execute(select(TransitionLog.payload).where(
            TransitionLog.activity_id == aid, TransitionLog.trigger == "approve")).scalar_one()["approved_hours"]
    (hours,) = approved.values()
    said = said.format(h=fmt(Decimal(hours)))
    assert r.status_code == 200 and f"“{title}”{said}" in page, re.findall(r"alert-success[^>]*>([^<]*)", page)
