"""What an activity page offers is what the server allows, for every demo role, both ways.

For each demo person of each role (and nobody logged in) and one demo activity of each (type,
state), the activity page's step buttons are read, then every trigger of the type's workflow
(asked of the definition, never listed here) is posted the way the page posts it: to the page's
own address, with the CSRF token from the page and the form's fields (``trigger``, ``comment``).

* Not offered: refused (403, 409; anonymous: sent to the login page), the refusal in Chinese on
  the Chinese page, and nothing changed — the activity row, the transition log, the ledger and
  the participants' hours are what they were.
* Offered: taken. A refusal only for input the page asked for (the comment, with the form's
  comment field and its hint) is a clear 422 in Chinese; posting again with it takes the step.
  A type's guards are asked when a step is taken, not to draw its button: a step whose evidence
  is still missing is a 422 listing what is missing, in Chinese, and changes nothing.
* The API's ``allowed_triggers`` for the same person (their own token) equals the page's buttons.
* The review queue's buttons, bulk selections and "post credits" forms are steps the API allows.

The school roles are checked again once the district has accepted (locked) the demo's year.
Every offered step is taken on a database where that activity is still as the demo left it:
the k-th offered step of each activity on the k-th fresh copy of the demo (a refused attempt
changes nothing, which is asserted, so one copy serves every refusal).
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.demo import DEMO_PASSWORD
from portal.extensions import db
from portal.models import Activity, CreditEntry, Participation, School, TransitionLog, User, YearSubmission
from portal.policy import Actor
from portal.registry import registry
from portal.services import submissions

#: A demo person of each role (``portal.demo``); None: nobody logged in.
PEOPLE: dict[str, str | None] = {
    "teacher": "teacher1",
    "organizer": "organizer",
    "reviewer": "reviewer",
    "school_admin": "admin",
    "district_admin": "district",
    "district_reviewer": "dreviewer",
    "anonymous": None,
}
SCHOOL = "DEMO"
COMMENT = "测试：理由写在这里"
CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
BUTTON = re.compile(r'<button type="submit" name="trigger" value="([^"]+)"')
CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
TAGS = re.compile(r"<[^>]+>")


def _text(found: re.Match[str] | None) -> str:
    return " ".join(htmllib.unescape(TAGS.sub(" ", found.group(1))).split()) if found else ""


def refusal(page: str) -> str:
    """The refusal a page shows: beside the buttons, on the error page, or as a message."""
    for pattern in (r'data-testid="trigger-error">(.*?)</div>', r'data-testid="error-message">(.*?)</p>',
                    r'data-testid="error-comment">(.*?)</div>'):
        text = _text(re.search(pattern, page, re.S))
        if text:
            return text
    return ""


def assert_chinese(text: str, where: object) -> None:
    """A refusal on the Chinese page, in Chinese: no English word of a service message."""
    assert text and CJK.search(text), (where, text)
    assert not ENGLISH_WORD.search(text), (where, text)


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def offered(page: str) -> list[str]:
    return BUTTON.findall(page)


@dataclass
class Copy:
    """A fresh copy of the demo and a browser on it (logged in as ``username``, or nobody)."""

    app: Flask
    client: FlaskClient

    def facts(self, activity_id: int) -> dict[str, Any]:
        """What a refused step must leave as it was: the activity row, the transition log,
        the ledger and the participants' attendance and adjusted hours."""
        with self.app.app_context():
            act = db.session.get(Activity, activity_id)
            assert act is not None
            found = {
                "activity": (act.state, act.version, act.updated_at, act.credit_round),
                "log": db.session.scalar(select(func.count(TransitionLog.id))),
                "ledger": tuple(db.session.execute(
                    select(func.count(CreditEntry.id), func.sum(CreditEntry.hours))
                ).one()),
                "participants": sorted(db.session.execute(
                    select(Participation.user_id, Participation.attended_hours, Participation.adjusted_hours)
                    .where(Participation.activity_id == activity_id)
                ).all()),
            }
            db.session.remove()
            return found


@dataclass
class Role:
    """One role's run: the demo person, their copies of the demo (made as needed) and their API token."""

    make_app: Callable[..., Flask]
    username: str | None
    copies: list[Copy] = field(default_factory=list)
    token: str | None = None
    on: Flask | None = None  # the first copy: another role's (for checks that change nothing)
    prepare: Callable[[], None] | None = None  # run in each new copy before logging in (the year accepted)

    def copy(self, index: int) -> Copy:
        while len(self.copies) <= index:
            app = self.on if self.on is not None and not self.copies else self.make_app(demo=True, WTF_CSRF_ENABLED=True)
            client = app.test_client()
            if self.prepare is not None:
                with app.app_context():
                    self.prepare()
                    db.session.remove()
            if self.username is not None:
                token = csrf_of(client.get("/login").get_data(as_text=True))
                r = client.post("/login", data={"username": self.username, "password": DEMO_PASSWORD,
                                                "csrf_token": token})
                assert r.status_code == 302 and "/login" not in r.headers["Location"], self.username
            self.copies.append(Copy(app, client))
        return self.copies[index]

    def api_allowed(self, activity_id: int) -> list[str] | None:
        """The API's ``allowed_triggers`` for this person (None: the API does not show them the activity)."""
        client = self.copy(0).client
        if self.username is None:
            r = client.get(f"/api/v1/activities/{activity_id}", headers={"X-School": SCHOOL})
            assert r.status_code == 401
            return None
        if self.token is None:
            r = client.post("/api/v1/auth/token", json={"username": self.username, "password": DEMO_PASSWORD})
            assert r.status_code == 200, r.get_json()
            self.token = r.get_json()["token"]
        r = client.get(f"/api/v1/activities/{activity_id}",
                       headers={"Authorization": f"Bearer {self.token}", "X-School": SCHOOL})
        if r.status_code in (403, 404):
            return None
        assert r.status_code == 200, r.get_json()
        return list(r.get_json()["allowed_triggers"])


def sample(app: Flask) -> list[tuple[int, str, str]]:
    """One demo activity of each (type, state): the first by id."""
    with app.app_context():
        rows = db.session.execute(select(Activity.id, Activity.type_key, Activity.state).order_by(Activity.id)).all()
        db.session.remove()
    first: dict[tuple[str, str], int] = {}
    for activity_id, key, state in rows:
        first.setdefault((key, state), activity_id)
    assert len(first) >= 20, sorted(first)  # every type of the demo in each of its states
    return [(activity_id, key, state) for (key, state), activity_id in first.items()]


def definition(app: Flask, key: str):
    with app.app_context():
        return registry().definition(key)


def read_page(role: Role, copy: Copy, activity_id: int) -> tuple[int, str]:
    r = copy.client.get(f"/activities/{activity_id}")
    page = r.get_data(as_text=True)
    if role.username is None:
        assert r.status_code == 302 and "/login" in r.headers["Location"]
    return r.status_code, page


def token_for(role: Role, copy: Copy, page: str) -> str:
    """The CSRF token the page carries; a page that carries none (the error page of someone who
    may not open it, the login page's visitor) — the token of a page they can open."""
    found = CSRF.search(page)
    if found:
        return found.group(1)
    return csrf_of(copy.client.get("/login" if role.username is None else "/password").get_data(as_text=True))


def post_step(copy: Copy, activity_id: int, token: str, trigger: str, comment: str):
    return copy.client.post(f"/activities/{activity_id}", data={"csrf_token": token, "comment": comment,
                                                                 "trigger": trigger})


def assert_refused(role: Role, copy: Copy, activity_id: int, token: str, trigger: str, before: dict[str, Any]) -> None:
    """A step the page does not offer: refused, in Chinese, and nothing changed — the facts are
    ``before``, read before the first step of this activity was refused (the caller reads them
    once: each refusal is asserted to leave them as they were, so they are also the facts before
    the next one)."""
    where = (role.username, activity_id, trigger)
    r = post_step(copy, activity_id, token, trigger, COMMENT)  # with a comment: refused for who or when, not for it
    after = copy.facts(activity_id)
    assert after == before, where
    if role.username is None:
        assert r.status_code == 302 and "/login" in r.headers["Location"], where
        return
    assert r.status_code in (403, 404, 409), (where, r.status_code, refusal(r.get_data(as_text=True)))
    assert_chinese(refusal(r.get_data(as_text=True)), where)


def take_step(role: Role, index: int, activity_id: int, trigger: str, expected: list[str], comment_required: bool,
              reason_for_others: bool, dest: str) -> bool:
    """An offered step, on a copy where the activity is as the demo left it: taken (True); asked
    for a comment first only where the page asked for one; refused only for evidence the type's
    guards still miss (False)."""
    copy = role.copy(index)
    status, page = read_page(role, copy, activity_id)
    assert status == 200 and offered(page) == expected, (role.username, activity_id, offered(page), expected)
    where = (role.username, activity_id, trigger)
    token = csrf_of(page)
    before = copy.facts(activity_id)
    r = post_step(copy, activity_id, token, trigger, "")  # the button clicked with the comment box left empty
    if r.status_code == 422 and (comment_required or reason_for_others):
        answer = r.get_data(as_text=True)
        # the page asked for it: its comment box, with the hint that returning or revoking needs
        # one, or (a cancel once others take part or signed up) that they are told the reason
        hint = "退回或撤销时必须填写" if comment_required else "参加或已报名的老师会收到这条原因"
        assert 'data-testid="trigger-comment"' in page and hint in page, where
        assert copy.facts(activity_id) == before, where
        assert_chinese(refusal(answer), where)
        r = post_step(copy, activity_id, token, trigger, COMMENT)
    if r.status_code == 422 and 'data-testid="guard-missing"' in (answer := r.get_data(as_text=True)):
        # the type's guards: what is still missing (participants' papers …), listed in Chinese, as
        # the page's evidence section shows; guards are asked when a step is taken, not to draw buttons
        assert re.search(r'data-testid="guard-missing"><li>', answer), where
        assert copy.facts(activity_id) == before, where
        assert_chinese(refusal(answer), where)
        return False
    assert r.status_code == 302, (where, r.status_code, refusal(r.get_data(as_text=True)))
    after = copy.facts(activity_id)
    assert after["activity"][0] == dest and after["log"] == before["log"] + 1, (where, after)
    return True


def accept_the_demo_year() -> None:
    """The district accepts the DEMO school's submitted year: it is locked."""
    school = db.session.execute(select(School).where(School.code == SCHOOL)).scalar_one()
    sub = db.session.execute(select(YearSubmission).where(YearSubmission.school_id == school.id)
                             .order_by(YearSubmission.id.desc())).scalars().first()
    assert sub is not None
    reviewer = db.session.execute(select(User).where(User.username == "dreviewer")).scalar_one()
    submissions.decide(sub.id, True, by=Actor.of(reviewer.id, ["district_reviewer"]), district_id=school.district_id)
    db.session.commit()


#: Roles also checked on the demo once the district has accepted (locked) its year.
LOCKED = ("teacher", "organizer", "reviewer", "school_admin")


@pytest.mark.parametrize(("role_name", "locked"), [(r, False) for r in PEOPLE] + [(r, True) for r in LOCKED],
                         ids=[*PEOPLE, *(f"{r}-year-locked" for r in LOCKED)])
def test_what_the_page_offers_is_what_the_server_allows(make_app, role_name, locked):
    role = Role(make_app, PEOPLE[role_name], prepare=accept_the_demo_year if locked else None)
    first = role.copy(0)
    pending: list[tuple[int, int, str, list[str], bool, str]] = []  # offered steps, taken after the refusals
    opened = 0
    for activity_id, key, _state in sample(first.app):
        workflow = definition(first.app, key)
        status, page = read_page(role, first, activity_id)
        buttons = offered(page) if status == 200 else []
        if status == 200:
            opened += 1
        elif role.username is not None:
            assert status in (403, 404), (role.username, activity_id, status)
            assert_chinese(refusal(page), (role.username, activity_id))
        # the API agrees with the page (district staff: the API shows them the activity, the page
        # does not, and neither offers a step)
        api = role.api_allowed(activity_id)
        assert (api or []) == buttons, (role.username, activity_id, api, buttons)
        if api is not None:
            assert status == 200 or api == [], (role.username, activity_id, status, api)
        assert set(buttons) <= set(workflow.triggers), buttons
        token = token_for(role, first, page)
        before = first.facts(activity_id)
        for trigger in workflow.triggers:
            if trigger not in buttons:
                assert_refused(role, first, activity_id, token, trigger, before)
        for index, trigger in enumerate(buttons):
            step = workflow.transition(trigger)
            pending.append((index, activity_id, trigger, buttons, step.comment_required, step.comment_when_others,
                            step.dest))
    if role.username in ("district", "dreviewer") or role.username is None:
        assert opened == 0
    else:
        assert opened > 0
    taken = [take_step(role, index, activity_id, trigger, buttons, comment_required, others, dest)
             for index, activity_id, trigger, buttons, comment_required, others, dest in sorted(pending)]
    assert any(taken) or not taken, role.username  # not every offered step stopped by a guard


def _queue(page: str) -> tuple[dict[int, list[str]], set[int], set[int], set[int]]:
    """The review queue as offered: each held card's buttons, the held activities selectable for
    bulk approval, the reviewed ones selectable for bulk crediting, and their "post credits" forms."""
    cards = {}
    for chunk in page.split('data-testid="queue-item-')[1:]:
        aid = int(chunk[: chunk.index('"')])
        form = chunk[: chunk.index("</form>")]
        cards[aid] = re.findall(r'<button type="submit" name="action" value="([^"]+)"', form)
    return (cards, {int(x) for x in re.findall(r'data-testid="select-(\d+)"', page)},
            {int(x) for x in re.findall(r'data-testid="select-credit-(\d+)"', page)},
            {int(x) for x in re.findall(r'data-testid="credit-(\d+)"', page)})


def test_the_review_queue_offers_what_the_server_allows(make_app):
    """The queue's buttons and bulk selections are steps the API allows the reviewer; a bulk
    action sent for an activity it does not apply to is refused beside it, in Chinese, and changes
    nothing; the queue and its bulk actions are refused to everyone else."""
    role = Role(make_app, "reviewer")
    copy = role.copy(0)
    page = copy.client.get("/review").get_data(as_text=True)
    cards, bulk_approve, bulk_credit, credit_forms = _queue(page)
    assert cards and bulk_credit, "the demo has held and reviewed activities in the queue"
    allowed = {aid: role.api_allowed(aid) or [] for aid in {*cards, *bulk_approve, *bulk_credit, *credit_forms}}
    for aid, buttons in cards.items():
        assert buttons == allowed[aid], (aid, buttons, allowed[aid])
    for aid in bulk_approve:
        assert "approve" in allowed[aid], (aid, allowed[aid])
    for aid in bulk_credit | credit_forms:
        assert "credit" in allowed[aid], (aid, allowed[aid])
    token = csrf_of(page)
    # the bulk actions sent for activities they do not apply to: approve a reviewed one, credit a held one
    for action, ids in (("approve", sorted(bulk_credit)[:2]), ("credit", sorted(cards)[:2])):
        for aid in ids:
            before = copy.facts(aid)
            r = copy.client.post("/review/bulk", data={"csrf_token": token, "action": action, "ids": [str(aid)]})
            assert r.status_code == 302 and copy.facts(aid) == before, (action, aid)
            shown = copy.client.get("/review").get_data(as_text=True)
            refused = [_text(m) for m in re.finditer(r'data-testid="flash-danger">(.*?)</div>', shown, re.S)]
            assert len(refused) == 1, (action, aid, refused)
            assert_chinese(refused[0], (action, aid))
    # what the queue offers is taken, in bulk: each selected activity moves on, or (its type's guards:
    # evidence still missing) is refused beside it in Chinese and left as it was
    for action, ids in (("approve", sorted(bulk_approve)), ("credit", sorted(bulk_credit))):
        before = {aid: copy.facts(aid) for aid in ids}
        r = copy.client.post("/review/bulk", data={"csrf_token": token, "action": action, "ids": [str(i) for i in ids]})
        assert r.status_code == 302
        shown = copy.client.get("/review").get_data(as_text=True)
        moved = 0
        for aid in ids:
            after = copy.facts(aid)
            if after["activity"] == before[aid]["activity"]:
                card = shown[shown.index(f'id="activity-{aid}"'):]
                assert_chinese(_text(re.search(r'data-testid="flash-danger">(.*?)</div>', card, re.S)), (action, aid))
            else:
                moved += 1
        assert moved, (action, ids)
    # nobody else works the queue
    for username in ("teacher1", "organizer", "admin", "district", "dreviewer", None):
        other = Role(make_app, username, on=copy.app).copy(0)
        token = csrf_of(other.client.get("/login" if username is None else "/password").get_data(as_text=True))
        aid = min(bulk_credit)
        before = other.facts(aid)
        r = other.client.post("/review/bulk", data={"csrf_token": token, "action": "credit", "ids": [str(aid)]})
        assert other.facts(aid) == before, username
        if username is None:
            assert r.status_code == 302 and "/login" in r.headers["Location"]
        else:
            assert r.status_code == 403, (username, r.status_code)
            assert_chinese(refusal(r.get_data(as_text=True)), username)
