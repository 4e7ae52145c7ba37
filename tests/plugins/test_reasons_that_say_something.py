"""A reason a step asks for says something: a reviewer lowering a declaration to 0 h, refusing
it, returning it or revoking its credits with a "reason" of spaces, punctuation or invisible
characters only (U+200B, "。", "...") is refused as one without a reason, on the service, the
review page and the API alike, and nothing is written — as a correction's reason already was."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Activity, CreditEntry, Participation, TransitionLog
from tests.plugins.test_declared_hours import certificate, declare, s1, staff  # noqa: F401 - fixtures
from tests.support import factories as f
from tests.support.factories import PASSWORD
from tests.support.sessions import log_in

SAY_NOTHING = ("\u200b", "。", "...", "——", "\u2060 \u3000")


def _held(s1, t1):  # noqa: F811
    act = declare(s1, t1, hours="6")
    certificate(act, t1)
    return f.fire(act, t1, "hold")


def _logs(act_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(TransitionLog).where(TransitionLog.activity_id == act_id))


def test_a_reason_of_no_words_is_no_reason(s1, staff):  # noqa: F811
    t1, rev = staff["t1"], staff["reviewer"]
    act = _held(s1, t1)
    logs = _logs(act.id)
    for reason in SAY_NOTHING:
        for trigger, hours, field in (("approve", {str(t1.id): "0"}, "adjustment of hours needs a reason"),
                                      ("refuse", None, "Refuse needs a comment"),
                                      ("return", None, "Return needs a comment")):
            try:
                f.fire(act, rev, trigger, reason, hours=hours)
            except Exception as exc:  # noqa: BLE001 - the refusal's words are what is asserted
                assert field in str(exc), (reason, trigger, str(exc))
            else:
                raise AssertionError(f"{trigger} with {reason!r} was taken")
            db.session.rollback()
    act = db.session.get(Activity, act.id)
    part = db.session.execute(select(Participation).where(Participation.activity_id == act.id)).scalar_one()
    assert (act.state, _logs(act.id), part.adjusted_hours, part.adjust_reason) == ("held", logs, None, None)
    f.fire(act, rev, "approve", "证书：0学时", hours={str(t1.id): "0"})  # a reason in words is taken
    f.fire(act, rev, "credit")
    for reason in SAY_NOTHING:
        try:
            f.fire(act, rev, "revoke", reason)
        except Exception as exc:  # noqa: BLE001
            assert "Revoke credits needs a comment" in str(exc)
        else:
            raise AssertionError(f"revoke with {reason!r} was taken")
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CreditEntry).where(CreditEntry.activity_id == act.id)) == 1


def test_the_review_page_and_the_api_refuse_it_too(app, client, s1, staff):  # noqa: F811
    t1, rev = staff["t1"], staff["reviewer"]
    act = _held(s1, t1)
    logs = _logs(act.id)
    log_in(client, rev, s1.id)
    r = client.post(f"/review/{act.id}", data={"action": "approve", "comment": "\u200b",
                                               f"hours-{t1.id}": "0", f"would-{t1.id}": "6"})
    assert r.status_code == 422
    r = client.post(f"/review/{act.id}", data={"action": "refuse", "comment": "。。"})
    assert r.status_code == 422
    api = app.test_client()
    token = api.post("/api/v1/auth/token", json={"username": rev.username, "password": PASSWORD}).get_json()["token"]
    r = api.post(f"/api/v1/activities/{act.id}/transitions", headers={"Authorization": f"Bearer {token}"},
                 json={"trigger": "approve", "comment": "...", "hours": {str(t1.id): 0}})
    assert r.status_code == 422 and "comment" in r.get_json()["fields"], r.get_json()
    db.session.expire_all()
    assert (db.session.get(Activity, act.id).state, _logs(act.id)) == ("held", logs)
