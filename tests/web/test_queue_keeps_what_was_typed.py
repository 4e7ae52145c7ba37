"""A refused decision on the review queue keeps what the reviewer typed. Lowering 应认定学时 and
pressing 审核通过 without a reason (or 退回修改 without a comment) is refused; the queue used to
come back with the old figure in the hours box and the comment gone. Now the card shows the
refusal beside it with the hours per person and the comment as typed, and nothing is written."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, Participation, TransitionLog


def _card(page: str, aid: int) -> str:
    card = re.search(rf'data-testid="queue-item-{aid}">(.*?)</form>', page, re.S)
    assert card, "no card"
    return card[1]


def _fields(card: str) -> dict[str, str]:
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', card))


def _rows(site, aid: int) -> tuple:
    with site.app_context():
        act = db.session.execute(select(Activity.state, Activity.version).where(Activity.id == aid)).one()
        people = db.session.execute(select(Participation).where(Participation.activity_id == aid)
                                    .order_by(Participation.user_id)).scalars()
        hours = [(p.user_id, p.attended_hours, p.adjusted_hours, p.adjust_reason, p.adjusted_by) for p in people]
        logs = db.session.execute(select(TransitionLog.id).where(TransitionLog.activity_id == aid)).all()
        return tuple(act), hours, len(logs)


@pytest.mark.parametrize(("lang", "refusal"), [("zh", "请填写调整原因"), ("en", "reason")])
def test_lowered_hours_without_a_reason_come_back_as_typed(site, as_user, held, lang, refusal):
    aid, t1, t2 = held["act"], held["t1"], held["t2"]
    reviewer = as_user("reviewer")
    shown = _fields(_card(reviewer.get(f"/review?lang={lang}").get_data(as_text=True), aid))
    assert shown[f"hours-{t1}"] == "1"
    before = _rows(site, aid)
    r = reviewer.post(f"/review/{aid}", data={**shown, f"hours-{t1}": "0.5", "action": "approve", "comment": ""})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    card = _card(page, aid)
    assert refusal in card  # beside the card, not only at the top
    typed = _fields(card)
    assert typed[f"hours-{t1}"] == "0.5" and typed[f"hours-{t2}"] == shown[f"hours-{t2}"]
    assert typed[f"would-{t1}"] == "1"  # what the figure is: approving as typed still adjusts it
    assert _rows(site, aid) == before
    # the next page shows the figures again, not what was typed on a card long gone
    again = _fields(_card(reviewer.get("/review").get_data(as_text=True), aid))
    assert again[f"hours-{t1}"] == "1"


def test_a_return_without_a_comment_keeps_the_hours_and_a_comment_typed_with_hours_stays(site, as_user, held):
    aid, t1 = held["act"], held["t1"]
    reviewer = as_user("reviewer")
    shown = _fields(_card(reviewer.get("/review").get_data(as_text=True), aid))
    before = _rows(site, aid)
    # 9 is over the activity's 4 hours: refused, the comment kept
    r = reviewer.post(f"/review/{aid}", data={**shown, f"hours-{t1}": "9", "action": "approve",
                                              "comment": "少了 <两> 节"})
    assert r.status_code == 422
    card = _card(r.get_data(as_text=True), aid)
    assert _fields(card)[f"hours-{t1}"] == "9"
    assert re.search(r'data-testid="comment-\d+">少了 &lt;两&gt; 节</textarea>', card)
    r = reviewer.post(f"/review/{aid}", data={**shown, f"hours-{t1}": "0.5", "action": "return", "comment": " "})
    assert r.status_code == 422
    card = _card(r.get_data(as_text=True), aid)
    assert "必须填写意见" in card and _fields(card)[f"hours-{t1}"] == "0.5"
    assert _rows(site, aid) == before


def test_the_attended_column_says_its_unit(as_user, held):
    reviewer = as_user("reviewer")
    for lang, word in (("zh", "出勤（学时）"), ("en", "Attended (hours)")):
        card = _card(reviewer.get(f"/review?lang={lang}").get_data(as_text=True), held["act"])
        assert f"<th class=\"text-end\">{word}</th>" in card
        assert f'data-label="{word}"' in card
