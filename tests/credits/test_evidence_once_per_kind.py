"""A type's count of evidence is a count of pieces: 师徒结对 asks two articles a term of each of
the pair (seed 001: 每学期撰写、修改两篇教育文章) and a meeting log for each week and month of the
pairing. A mentee handed one article in twice — re-spaced, or the same file again — and the
guard read "文章 2/2"; the same meeting log pasted five times read as five weeks of meetings.
The same piece again, by the same person at the same activity as the same kind, is refused
(``evidence.handed_in_again``) and nothing is written; another piece of the kind, or the same
words handed in by another person, is taken — except a kind that is the activity's record (a
meeting log: ``EvidenceKind.of_the_activity``), taken once whoever hands it in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.api.typed_schemas import DATA_RULES
from portal.errors import GuardFailedError, Invalid
from portal.extensions import db
from portal.models import Evidence
from portal.services import activities
from tests.credits.helpers import DETAILS, TEXT
from tests.support import factories as f

ARTICLE = "作业设计要从学生的实际出发，分层布置，让每个孩子都能在练习中获得成功的体验。"


def _pairing(s1, staff):
    org = staff["organizer"]
    people = [(staff["t1"], "mentor"), (staff["t2"], "mentee")]
    act = f.plan(s1, org, "mentorship", people, DETAILS["mentorship"], hours="20")
    return act, org


def _count(act_id: int) -> int:
    return db.session.scalar(select(func.count(Evidence.id)).where(Evidence.activity_id == act_id))


def test_one_article_handed_in_twice_is_one_article(s1, staff):
    act, org = _pairing(s1, staff)
    mentee = staff["t2"]
    activities.add_evidence(act, mentee, mentee.id, "article", "文章一", text=ARTICLE)
    before = _count(act.id)
    for again in (ARTICLE, "  " + ARTICLE.replace("，", ",") + "\n", ARTICLE.replace("作业", "作 业")):
        with pytest.raises(Invalid) as err:
            activities.add_evidence(act, mentee, mentee.id, "article", "文章二", text=again)
        said = err.value.fields["text"]
        assert "文章一" in str(said), err.value.fields
        # as the API document says (x-data-rules): a refusal it lists, never one it does not
        rules = [r["message"] for r in DATA_RULES["add_evidence"] if r["field"] == "text"]
        assert any(re.search(rule, said.english) for rule in rules), said.english
        with pytest.raises(Invalid):  # nor by the organiser for her
            activities.add_evidence(act, org, mentee.id, "article", "文章二", text=again)
    assert _count(act.id) == before
    # the mentor may hand in words of his own that happen to be hers; she another article
    activities.add_evidence(act, staff["t1"], staff["t1"].id, "article", "文章", text=ARTICLE)
    activities.add_evidence(act, mentee, mentee.id, "article", "文章二", text=TEXT)
    assert _count(act.id) == before + 2


def test_the_same_file_again_is_refused(s1, staff):
    act, org = _pairing(s1, staff)
    mentee = staff["t2"]
    scan = b"%PDF-1.4\n% meeting log, week 1\n"
    activities.add_evidence(act, org, mentee.id, "meeting_log", "第1周", filename="week1.pdf", data=scan)
    before = _count(act.id)
    with pytest.raises(Invalid) as err:
        activities.add_evidence(act, org, mentee.id, "meeting_log", "第2周", filename="week2.pdf", data=scan)
    assert "第1周" in str(err.value.fields["file"]), err.value.fields
    assert _count(act.id) == before
    activities.add_evidence(act, org, mentee.id, "meeting_log", "第2周", filename="week2.pdf",
                            data=b"%PDF-1.4\n% meeting log, week 2\n")
    assert _count(act.id) == before + 1


def test_the_guard_counts_pieces_not_copies(s1, staff):
    """Four copies of one meeting log no longer pass the hold guard's 4 meetings: the fourth
    distinct log does."""
    act, org = _pairing(s1, staff)
    mentee = staff["t2"]
    for i in range(3):
        activities.add_evidence(act, org, mentee.id, "meeting_log", f"研讨{i}", text=f"{TEXT}第{i + 1}次研讨。")
    with pytest.raises(Invalid):
        activities.add_evidence(act, org, mentee.id, "meeting_log", "研讨3", text=f"{TEXT}第1次研讨。")
    f.attend(act, org)
    with pytest.raises(GuardFailedError, match="3/4"):
        f.fire(act, org, "hold")
    activities.add_evidence(act, org, mentee.id, "meeting_log", "研讨3", text=f"{TEXT}第4次研讨。")
    f.fire(act, org, "hold")
    assert act.state == "held"


def test_one_meeting_log_is_one_meeting_whoever_hands_it_in(s1, staff):
    """A meeting log is the pairing's record of a meeting (``EvidenceKind.of_the_activity``): the
    mentee's log handed in again by the mentor, or by the organiser for the mentor, counted the
    same meeting two or three times towards the hold guard's weeks. Refused, nothing written; the
    mentor's own log of another meeting is taken (an article stays each person's own: above)."""
    act, org = _pairing(s1, staff)
    mentor, mentee = staff["t1"], staff["t2"]
    log = f"{TEXT}第1周互听互评。"
    activities.add_evidence(act, mentee, mentee.id, "meeting_log", "第1周", text=log)
    scan = b"%PDF-1.4\n% meeting log, week 2\n"
    activities.add_evidence(act, org, mentee.id, "meeting_log", "第2周", filename="week2.pdf", data=scan)
    before = _count(act.id)
    for uploader, kwargs in ((mentor, {"text": log}), (org, {"text": " " + log}),
                             (org, {"filename": "w2.pdf", "data": scan})):
        with pytest.raises(Invalid) as err:
            activities.add_evidence(act, uploader, mentor.id, "meeting_log", "第3周", **kwargs)
        assert "第1周" in str(err.value.fields) or "第2周" in str(err.value.fields), err.value.fields
    assert _count(act.id) == before
    activities.add_evidence(act, mentor, mentor.id, "meeting_log", "第3周", text=f"{TEXT}第3周互听互评。")
    assert _count(act.id) == before + 1


def test_no_meeting_log_before_the_pairing_begins(s1, staff):
    """A meeting log is of a meeting that took place in the pairing: before its first day none
    is taken (the hold guard counted logs of weeks still to come, written beforehand)."""
    from datetime import timedelta

    from portal.timeutil import utcnow

    org, mentee = staff["organizer"], staff["t2"]
    start = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    act = f.plan(s1, org, "mentorship", [(staff["t1"], "mentor"), (mentee, "mentee")], DETAILS["mentorship"],
                 hours="20", start=start)
    with pytest.raises(Invalid) as err:
        activities.add_evidence(act, org, mentee.id, "meeting_log", "第1周", text=f"{TEXT}第1周。")
    assert "kind" in err.value.fields, err.value.fields
    assert _count(act.id) == 0
