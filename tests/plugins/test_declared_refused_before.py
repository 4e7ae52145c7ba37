"""学时申报: a refused declaration may be declared again (deliberately: ``test_declared_once``),
and its reviewer is told. The review queue's card of a declaration whose teacher declared the
same training before — the same title, or days in common — and had it refused (不予认定) says
who refused it, when and why, in both languages (hDX's walk: the reviewer saw a new card with
nothing of the refusal). One statement for the page, however many cards."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import event

from portal.extensions import db
from portal.models import User
from portal.services import tokens, transitions
from portal.timeutil import local_text
from tests.credits.helpers import DETAILS
from tests.plugins.test_declared_hours import certificate, declare, past_start, s1, staff  # noqa: F401
from tests.support import factories as f
from tests.support.sessions import log_in

WHY = "证书不是<本学年>的"


def _card(page: str, aid: int) -> str:
    return page.split(f'data-testid="queue-item-{aid}"', 1)[1].split('data-testid="queue-item-', 1)[0]


def _note(page: str, aid: int) -> str | None:
    card = _card(page, aid)
    if f'data-testid="refused-before-{aid}"' not in card:
        return None
    return card.split(f'data-testid="refused-before-{aid}">', 1)[1].split("</div>", 1)[0]


def _submitted(act, who, scan: bytes):
    certificate(act, who, data=scan)
    f.fire(act, who, "hold")
    return act


def _refused_and_declared_again(s1, t1, rev, title, start, n):  # noqa: F811
    first = _submitted(declare(s1, t1, hours="3", start=start, title=title), t1, b"%PDF-1.4 scan " + bytes([n]))
    f.fire(first, rev, "refuse", WHY)
    again = _submitted(declare(s1, t1, hours="3", start=start, title=title), t1, b"%PDF-1.4 rescan " + bytes([n]))
    return first, again


def test_the_card_of_a_declaration_declared_again_says_who_refused_it_when_and_why(app, client, s1, staff):  # noqa: F811
    t1, t2, rev = staff["t1"], staff["t2"], staff["reviewer"]
    day = past_start(3)
    first, again = _refused_and_declared_again(s1, t1, rev, "区级骨干教师培训", day, 1)
    # the same training renamed, on the same day: its days give it away
    renamed = _submitted(declare(s1, t1, hours="2", start=day, title="骨干教师研修（区级）"), t1, b"%PDF-1.4 three")
    colleague = _submitted(declare(s1, t2, hours="3", start=day, title="区级骨干教师培训"), t2, b"%PDF-1.4 four")
    other = _submitted(declare(s1, t1, hours="3", start=day - timedelta(days=2), title="心理健康教育专题培训"), t1,
                       b"%PDF-1.4 five")
    refused_at = local_text(transitions.history_rows(first.id)[-1][0].created_at, s1.timezone)
    name = db.session.get(User, rev.id).display_name
    db.session.commit()
    log_in(client, staff["rev2"], s1.id)  # another reviewer: the one who refused is not the only one
    zh = client.get("/review").get_data(as_text=True)
    said = f"此前申报过并被不予认定：“区级骨干教师培训”（{day.date().isoformat()}），审核人{name}，{refused_at}："
    for aid in (again.id, renamed.id):
        note = _note(zh, aid)
        assert note is not None and said in note and "证书不是&lt;本学年&gt;的" in note, note
    for aid in (colleague.id, other.id):  # another teacher's; another training on other days
        assert _note(zh, aid) is None
    en = client.get("/review?lang=en").get_data(as_text=True)
    assert (f"Declared before and refused in review: “区级骨干教师培训” ({day.date().isoformat()}), by {name} at "
            f"{refused_at}: 证书不是&lt;本学年&gt;的") in (_note(en, again.id) or "")


def _statements(app, client, url: str) -> int:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_rest) -> None:
        if not re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)", statement, re.I):
            seen.append(statement)

    client.get(url)  # first-request work is not the page's
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_refusals_cost_one_statement_for_the_page_whatever_the_cards(app, client, s1, staff):  # noqa: F811
    t1, t2, t3, rev = staff["t1"], staff["t2"], staff["t3"], staff["reviewer"]
    _submitted(declare(s1, t1, hours="3", start=past_start(6), title="网络课程：大单元设计"), t1, b"%PDF-1.4 a")
    db.session.commit()
    log_in(client, staff["rev2"], s1.id)
    plain = _statements(app, client, "/review")  # a declaration waits, none refused before
    _refused_and_declared_again(s1, t1, rev, "区级骨干教师培训", past_start(3), 1)
    db.session.commit()
    one = _statements(app, client, "/review")
    for n, who in enumerate((t2, t3), start=2):
        _refused_and_declared_again(s1, who, rev, f"市级培训{n}", past_start(4), n)
    db.session.commit()
    page = client.get("/review").get_data(as_text=True)
    assert page.count('data-testid="refused-before-') == 3
    assert _statements(app, client, "/review") == one == plain


def _page_note(page: str) -> str | None:
    if 'data-testid="refused-before"' not in page:
        return None
    return page.split('data-testid="refused-before">', 1)[1].split("</div>", 1)[0]


def test_the_declarations_page_and_the_api_tell_its_reviewers_and_the_admin_not_its_peers(app, s1, staff):  # noqa: F811
    """The refusal was on the queue's card only: the declaration's own page, where the reviewer
    decides from its history and evidence, and the API's activity said nothing of it. Now both
    tell who may see it (``policy.may_see_refusals_before``: its reviewers, the school admin) —
    never the teacher's peers, nor an organiser; an activity that is no declaration has no such
    field."""
    t1, rev = staff["t1"], staff["reviewer"]
    day = past_start(3)
    first, again = _refused_and_declared_again(s1, t1, rev, "区级骨干教师培训", day, 1)
    lecture = f.plan(s1, staff["organizer"], "lecture", [(staff["t3"], "attendee")], DETAILS["lecture"])
    refused_at = local_text(transitions.history_rows(first.id)[-1][0].created_at, s1.timezone)
    name = db.session.get(User, rev.id).display_name
    aid, lecture_id = again.id, lecture.id
    tokens_of = {k: tokens.issue(staff[k]).token for k in ("rev2", "admin", "t2", "organizer")}
    db.session.commit()
    said_zh = f"此前申报过并被不予认定：“区级骨干教师培训”（{day.date().isoformat()}），审核人{name}，{refused_at}："
    said_en = (f"Declared before and refused in review: “区级骨干教师培训” ({day.date().isoformat()}), by {name} at "
               f"{refused_at}: 证书不是&lt;本学年&gt;的")
    api = app.test_client()

    def answer(who: str, activity_id: int) -> dict:
        got = api.get(f"/api/v1/activities/{activity_id}",
                      headers={"Authorization": f"Bearer {tokens_of[who]}", "X-School": "S1"})
        assert got.status_code == 200, got.get_data(as_text=True)[:300]
        return got.get_json()

    for who in ("rev2", "admin"):
        client = app.test_client()
        log_in(client, staff[who], s1.id)
        zh = _page_note(client.get(f"/activities/{aid}").get_data(as_text=True))
        assert zh is not None and said_zh in zh and "证书不是&lt;本学年&gt;的" in zh, (who, zh)
        assert said_en in (_page_note(client.get(f"/activities/{aid}?lang=en").get_data(as_text=True)) or ""), who
        (told,) = answer(who, aid)["refused_before"]
        assert told == {"title": "区级骨干教师培训", "day": day.date().isoformat(), "comment": WHY, "by": name,
                        "at": told["at"]} and told["at"].startswith(refused_at.replace(" ", "T")), (who, told)
        assert "refused_before" not in answer(who, lecture_id), who  # no declaration: no such field
    for who in ("t2", "organizer"):  # the teacher's peers, an organiser: not theirs to be told
        client = app.test_client()
        log_in(client, staff[who], s1.id)
        page = client.get(f"/activities/{aid}")
        assert page.status_code == 200 and _page_note(page.get_data(as_text=True)) is None, who
        assert "refused_before" not in answer(who, aid), who
