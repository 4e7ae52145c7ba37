"""No double credit: 20 simultaneous ``credit`` attempts on one reviewed activity.

Runs on PostgreSQL when ``YANXIU_TEST_DATABASE_URL`` is set, on a SQLite file otherwise.
Each attempt is its own thread with its own app context and database connection, all
released together by a barrier. When the JSON API's transition endpoint is installed, the
attempts go through it over real HTTP to a live threaded server; until then they call the
same service the endpoint calls.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter

from sqlalchemy import func, select
from werkzeug.serving import make_server

from portal.errors import DomainError
from portal.extensions import db
from portal.models import Activity, CreditEntry, TransitionLog, User
from portal.services import transitions
from tests.support import factories as f

ATTEMPTS = 20
API_RULE = "/api/v1/activities/<int:activity_id>/transitions"


def _reviewed_activity():
    s = f.school("DC")
    p = f.staff(s, "dc")
    people = [(p[k], "attendee") for k in ("t1", "t2", "t3", "t4")]
    act = f.plan(s, p["organizer"], "lecture", people, {"topic": "并发"}, hours="2.5")
    f.fire(act, p["organizer"], "hold")
    f.attend(act, p["organizer"])
    f.fire(act, p["reviewer"], "approve")
    db.session.remove()
    return s.id, act.id, p["reviewer"].id, len(people)


def _api_installed(app) -> bool:
    return any(rule.rule == API_RULE for rule in app.url_map.iter_rules())


def _attempt_via_service(app, barrier: threading.Barrier, school_id: int, activity_id: int, reviewer_id: int):
    with app.app_context():
        actor = db.session.get(User, reviewer_id)
        barrier.wait()
        try:
            transitions.fire(activity_id, school_id, actor, "credit")
            return 200
        except DomainError as exc:
            return exc.status
        finally:
            db.session.remove()


def _api_token(base: str, username: str) -> str:
    """A bearer token from the API's own login endpoint."""
    req = urllib.request.Request(
        f"{base}/api/v1/auth/token",
        data=json.dumps({"username": username, "password": f.PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["token"]


def _attempt_via_http(base: str, token: str, barrier: threading.Barrier, activity_id: int):
    req = urllib.request.Request(
        f"{base}/api/v1/activities/{activity_id}/transitions",
        data=json.dumps({"trigger": "credit"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    barrier.wait()
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_twenty_simultaneous_credits_write_one_set_of_entries(app, record_property):
    school_id, activity_id, reviewer_id, participants = _reviewed_activity()
    barrier = threading.Barrier(ATTEMPTS)
    results: list[int] = []
    lock = threading.Lock()
    via_http = _api_installed(app)
    server = None
    if via_http:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        token = _api_token(base, "dcrev")

    def run():
        if via_http:
            status = _attempt_via_http(base, token, barrier, activity_id)
        else:
            status = _attempt_via_service(app, barrier, school_id, activity_id, reviewer_id)
        with lock:
            results.append(status)

    threads = [threading.Thread(target=run) for _ in range(ATTEMPTS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        if server is not None:
            server.shutdown()
    statuses = Counter(results)
    db.session.remove()
    rows = db.session.execute(
        select(func.count(), func.sum(CreditEntry.hours)).where(CreditEntry.activity_id == activity_id)
    ).one()
    credit_logs = db.session.execute(
        select(func.count()).where(TransitionLog.activity_id == activity_id, TransitionLog.trigger == "credit")
    ).scalar_one()
    act = db.session.get(Activity, activity_id)
    succeeded = sum(n for code, n in statuses.items() if 200 <= code < 300)
    figure = (
        f"concurrent credit attempts: {len(results)}, succeeded: {succeeded}, "
        f"refused: {statuses.get(409, 0)}, ledger rows written: {rows[0]}"
        f" ({'HTTP' if via_http else 'service'}, {db.engine.dialect.name})"
    )
    record_property("figure", figure)
    assert len(results) == ATTEMPTS
    assert succeeded == 1, statuses
    assert statuses.get(409, 0) == ATTEMPTS - 1, statuses
    assert rows[0] == participants
    assert str(rows[1]) in ("10", "10.0")  # 4 attendees × 2.5 hours
    assert credit_logs == 1
    assert act.state == "credited" and act.credit_round == 1
