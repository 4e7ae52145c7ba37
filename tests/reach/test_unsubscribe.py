"""One-click unsubscribe (RFC 8058): every notice email carries ``List-Unsubscribe`` and
``List-Unsubscribe-Post``; a POST to its link, with no session, stops that kind of email for that
person (still in the app), GET only asks, and a forged or altered link changes nothing."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from urllib.parse import urlsplit

from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from portal.extensions import db
from portal.models import NotificationSetting, TransitionLog
from portal.services import notifications, reminders, transitions, unsubscribe
from portal.services.delivery import deliver_now
from portal.services.notifications import NewNotification
from tests.reach.helpers import activity, notes, school, user
from tests.support.sessions import log_in
from workflows.definition import Phase

NOON_UTC = datetime(2026, 12, 1, 4, 0)  # 12:00 in Shanghai: outside the demo's quiet hours
T1 = "t1@school.test"


def _returned_mail_link(smtp) -> tuple[str, dict[str, str]]:
    """teacher1 is emailed the return of the demo's lecture awaiting review: (its unsubscribe
    link, the message's raw headers)."""
    notifications.save_setting(user("teacher1").id, T1, list(notifications.KINDS))
    act = activity("lecture", Phase.AWAITING_REVIEW)
    transitions.fire(act.id, school().id, user("reviewer"), "return", "请补充听课反思")
    log_id = db.session.execute(select(TransitionLog.id).where(TransitionLog.activity_id == act.id)
                                .order_by(TransitionLog.id.desc())).scalars().first()
    reminders.review_decision(log_id)
    [note] = notes("returned", "teacher1")
    assert deliver_now(note.id, NOON_UTC) == ["email"]
    [mail] = smtp.inbox.to(T1)
    raw = dict(mail.raw_items())  # as the server received them, not decoded
    found = re.fullmatch(r"<(\S+)>", raw["List-Unsubscribe"])
    assert found, raw["List-Unsubscribe"]  # one URL in <>, never RFC 2047 encoded words
    return found.group(1), raw


def _off(username: str) -> list[str]:
    db.session.commit()  # a fresh read: the request wrote in its own session
    row = db.session.get(NotificationSetting, user(username).id, populate_existing=True)
    return list(row.email_off or []) if row is not None else []


def _all_settings() -> list[tuple[int, str, list[str]]]:
    db.session.commit()
    rows = db.session.execute(select(NotificationSetting).order_by(NotificationSetting.user_id)
                              .execution_options(populate_existing=True)).scalars()
    return [(r.user_id, r.email, sorted(r.email_off or [])) for r in rows]


def _notice(kind: str, key: str, params: dict, link: str = "") -> int:
    [nid] = notifications.notify_many([NewNotification(user("teacher1").id, kind, key, params, link,
                                                       school().id)])
    return nid


def test_one_click_stops_that_kind_by_email_only_and_get_changes_nothing(queued_app, smtp):
    link, raw = _returned_mail_link(smtp)
    assert raw["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.startswith("https://yanxiu.test/notifications/unsubscribe/")  # PUBLIC_URL, not a request's host
    path = urlsplit(link).path + "?" + urlsplit(link).query
    client = queued_app.test_client()  # no session: what a mail provider sends

    asked = client.get(path)  # a mail scanner following the link
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'data-testid="unsubscribe-ask"' in page and "活动被退回修改" in page
    assert _off("teacher1") == []

    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and 'data-testid="unsubscribe-done"' in done.get_data(as_text=True)
    assert _off("teacher1") == ["returned"]
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # again: the same
    assert _off("teacher1") == ["returned"]

    [first] = notes("returned", "teacher1")
    again = _notice("returned", "unsubscribe-test:returned", dict(first.params), first.link)
    other = _notice("credited", "unsubscribe-test:credited", {"title": "T"})
    assert deliver_now(again, NOON_UTC) == []  # not mailed ...
    assert again in [n.id for n in notes("returned", "teacher1")]  # ... still in the portal
    assert deliver_now(other, NOON_UTC) == ["email"]  # another kind still is
    assert len(smtp.inbox.to(T1)) == 2

    settings = log_in(queued_app.test_client(), user("teacher1"), school().id).get("/notifications/settings")
    tags = re.findall(r'<input[^>]*name="email_kinds"[^>]*>', settings.get_data(as_text=True))
    boxes = {re.findall(r'value="(\w+)"', tag)[0]: tag for tag in tags}
    assert "checked" not in boxes["returned"] and "checked" in boxes["credited"]


def test_the_page_is_in_the_language_of_the_email(queued_app, smtp):
    notifications.save_setting(user("teacher1").id, T1, list(notifications.KINDS), "en")
    link, _raw = _returned_mail_link(smtp)
    assert "lang=en" in link
    page = queued_app.test_client().get(urlsplit(link).path + "?" + urlsplit(link).query).get_data(as_text=True)
    assert "An activity was returned for rework" in page and "活动被退回修改" not in page


def test_forged_altered_or_other_tokens_change_nothing(queued_app, smtp):
    link, _raw = _returned_mail_link(smtp)
    token = urlsplit(link).path.rsplit("/", 1)[1]
    payload, signature = token.split(".")
    me, other = user("teacher1").id, user("teacher2").id
    assert json.loads(base64.urlsafe_b64decode(payload + "==")) == [me, "returned"]
    swapped = base64.urlsafe_b64encode(json.dumps([other, "returned"], separators=(",", ":")).encode()).decode()
    forged = [
        "not-a-token",
        swapped.rstrip("=") + "." + signature,  # another person's id under teacher1's signature
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # the signature altered
        URLSafeSerializer(queued_app.secret_key, salt="another-use").dumps([other, "returned"]),
        URLSafeSerializer("not the portal's key", salt=unsubscribe.SALT).dumps([other, "returned"]),
        unsubscribe.token(other, "no-such-kind"),
        unsubscribe.token(2**31 - 1, "returned"),  # nobody
    ]
    before = _all_settings()
    anonymous = queued_app.test_client()
    signed_in = log_in(queued_app.test_client(), user("teacher2"), school().id)
    for value in forged:
        for client in (anonymous, signed_in):
            for answer in (client.get(f"/notifications/unsubscribe/{value}"),
                           client.post(f"/notifications/unsubscribe/{value}", data={"List-Unsubscribe": "One-Click"})):
                page = answer.get_data(as_text=True)
                assert answer.status_code == 404 and "此退订链接不是本平台发出的" in page, value
    assert _all_settings() == before
    english = anonymous.post(f"/notifications/unsubscribe/{forged[1]}?lang=en").get_data(as_text=True)
    assert "this unsubscribe link is not one the portal sent" in english and "退订" not in english
    # teacher1's genuine link, POSTed from teacher2's session, stops teacher1's email, never teacher2's
    assert signed_in.post(urlsplit(link).path).status_code == 200
    assert _off("teacher1") == ["returned"] and _off("teacher2") == []
