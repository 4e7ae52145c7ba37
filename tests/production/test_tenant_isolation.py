"""Tenant isolation: every route of the app, walked as school A with school B's ids.

The routes come from ``app.url_map``, so a route added later is walked automatically.
Integer URL parameters get B's objects by name (``activity_id`` → B's activities, …); an
unknown integer parameter gets every id B owns. Every answer must be 403/404 (405 for a
method the rule lacks), never B's data, and B's rows must be unchanged afterwards. The same
walk without logging in must answer 401/404/405 or redirect to the login page.
"""

from __future__ import annotations

import itertools
import json
from types import SimpleNamespace

import pytest
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter, PathConverter

from portal.extensions import db
from portal.models import School, User
from portal.services import tokens
from tests.production.helpers import login_as
from tests.production.two_schools import Tenant, ask_a_correction, build_tenant, tenant_snapshot
from tests.support import factories as f

B_MARKER = "乙校QZX"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: an id and a school code nothing holds: what B's answer is compared with (a refusal must not
#: tell that B's thing exists: another school's thing is not found, as a missing one)
MISSING_ID, MISSING_CODE = 987654321, "NOSUCHQZ"
ALLOWED_AS_A = {403, 404, 405}
ALLOWED_ANONYMOUS = {401, 403, 404, 405}


@pytest.fixture
def walk_app(make_app):
    """An app with no app context left pushed: each request gets its own, as in production."""
    return make_app()


@pytest.fixture
def tenants(walk_app):
    with walk_app.app_context():
        return _build()


def _build():
    a = build_tenant("ISA", "aa", "甲校AAA")
    super_a = f.person(
        db.session.get(School, a.school.id), "aasuper", "school_admin", "reviewer", "organizer", "teacher", name="甲校全能"
    )
    super_a = SimpleNamespace(id=super_a.id)
    b = build_tenant("ISB", "bzq", B_MARKER)
    ask_a_correction(b, B_MARKER)
    db.session.remove()
    return a, super_a, b


def _user(app, user_id: int) -> User:
    with app.app_context():
        return db.session.get(User, user_id)


def _b_values(b: Tenant) -> dict[str, list]:
    users = [u.id for u in b.people.values()]
    return {
        "activity_id": [a.id for a in b.activities],
        "evidence_id": [e.id for e in b.evidence],
        "user_id": users,
        "school_id": [b.school.id],
        "school_code": [b.school.code],
        "code": [b.school.code],
        "request_id": b.corrections,
    }


def _a_ids(a: Tenant, super_a: User) -> set[int]:
    return {x.id for x in a.activities} | {e.id for e in a.evidence} | {u.id for u in a.people.values()} | {
        super_a.id, a.school.id}


def _candidates(rule: Rule, b: Tenant, b_values: dict[str, list]) -> list[tuple[dict, bool]]:
    """(URL values, strict?) pairs: strict when every int value is known to be B's."""
    choices: list[list[tuple[str, object, bool]]] = []
    all_b_ids = sorted({v for k, vs in b_values.items() for v in vs if isinstance(v, int)})
    for name, conv in rule._converters.items():
        if isinstance(conv, NumberConverter):  # int and float, whatever subclass the app installs
            if name in b_values:
                choices.append([(name, v, True) for v in b_values[name]])
            else:
                choices.append([(name, v, False) for v in all_b_ids])
        elif isinstance(conv, PathConverter):
            choices.append([(name, e.stored_name, True) for e in b.evidence if e.stored_name])
        elif name in ("code", "school_code", "school"):
            choices.append([(name, b.school.code, False)])
        elif name in ("key", "type_key"):
            choices.append([(name, "lecture", False)])
        else:
            choices.append([(name, b.school.code, False)])
    out = []
    for combo in itertools.product(*choices):
        out.append(({n: v for n, v, _ in combo}, all(s for _, _, s in combo)))
    return out or [({}, False)]


def _body(b: Tenant) -> dict:
    return {
        "user_id": b.people["t1"].id,
        "activity_id": b.activities[0].id,
        "evidence_id": b.evidence[0].id,
        "school_id": b.school.id,
        "school": b.school.code,
        "ids": [a.id for a in b.activities],
        "activity_ids": [a.id for a in b.activities],
        "trigger": "credit",
        "comment": "walk",
        "kind": "reflection",
        "text": "walk text",
        "title": "walk",
        "hours": "1",
    }


def _leaks(response, markers: list[str]) -> list[str]:
    text = response.get_data(as_text=False).decode("utf-8", "replace")
    text += " ".join(f"{k}: {v}" for k, v in response.headers.items())
    return [m for m in markers if m and m in text]


def _is_login_redirect(response) -> bool:
    return response.status_code in (301, 302, 303, 307, 308) and "login" in response.headers.get("Location", "")


def _redirect_away(response, values: dict) -> bool:
    """A redirect whose target names none of the B ids the request carried."""
    if response.status_code not in (302, 303):
        return False
    target = response.headers.get("Location", "").split("#")[0]
    return not any(f"/{v}" in target for v in values.values())


def _missing(app, rule: Rule, values: dict, url: str, b: Tenant) -> str:
    """``url`` with every id and school code of B replaced by one nothing holds."""
    gone = {k: MISSING_ID if isinstance(v, int) else MISSING_CODE if v == b.school.code else v for k, v in values.items()}
    with app.test_request_context():
        out = app.url_for(rule.endpoint, **gone, _method="GET")
    return out + url[len(url.split("?")[0]):] if "?" in url and "?" not in out else out


def _walk(app, a, super_a, b, logged_in: bool) -> tuple[int, list[str]]:
    b_values = _b_values(b)
    a_ids = _a_ids(a, super_a)
    body = _body(b)
    problems: list[str] = []
    requests = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        is_api = rule.rule.startswith("/api/")
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        for values, strict in _candidates(rule, b, b_values):
            with app.test_request_context():
                url = app.url_for(rule.endpoint, **values, _method=methods[0] if methods else None)
            strict = strict or any(isinstance(v, int) and v not in a_ids for v in values.values())
            if not rule.arguments:
                url += ("&" if "?" in url else "?") + f"activity={b.activities[0].id}&user={b.people['t1'].id}"
            for method in methods:
                for header_school in ((None, b.school.code) if is_api else (None,)):
                    client = app.test_client()
                    headers = {}
                    if logged_in and is_api:
                        with app.app_context():
                            headers["Authorization"] = "Bearer " + tokens.issue(db.session.get(User, super_a.id)).token
                    elif logged_in:
                        login_as(client, _user(app, super_a.id), a.school.id)
                    if header_school:
                        headers["X-School"] = header_school
                    kwargs = {"headers": headers}
                    if method in WRITE_METHODS:
                        if is_api:
                            kwargs["data"] = json.dumps(body)
                            kwargs["content_type"] = "application/json"
                        else:
                            kwargs["data"] = {k: (v if not isinstance(v, list) else v[0]) for k, v in body.items()}
                    requests += 1
                    try:
                        r = client.open(url, method=method, **kwargs)
                    except Exception as exc:  # TESTING propagates a view's crash: count it as a 5xx
                        problems.append(f"5xx (exception {exc!r}): {method} {url} logged_in={logged_in}")
                        continue
                    where = f"{method} {url} (X-School={header_school}, logged_in={logged_in}) → {r.status_code}"
                    if r.status_code >= 500:
                        problems.append(f"5xx: {where}")
                    leaked = _leaks(r, b.markers)
                    if leaked:
                        problems.append(f"leak {leaked}: {where}")
                    if not strict or not rule.arguments:
                        continue
                    if logged_in and not is_api and method in WRITE_METHODS and _redirect_away(r, values):
                        continue  # a form post refused with a flash and a redirect back (B unchanged: checked)
                    if logged_in and r.status_code not in ALLOWED_AS_A:
                        problems.append(f"status: {where}")
                    if logged_in and method == "GET" and r.status_code == 403:
                        missing = _missing(app, rule, values, url, b)
                        m = client.get(missing, headers=headers)
                        if m.status_code != r.status_code:
                            problems.append(f"tells it exists: {where}, but {missing} → {m.status_code}")
                    if not logged_in and r.status_code not in ALLOWED_ANONYMOUS and not _is_login_redirect(r):
                        problems.append(f"status: {where}")
    return requests, problems


def test_walk_every_route_with_another_schools_ids(walk_app, tenants, record_property):
    app = walk_app
    a, super_a, b = tenants
    with app.app_context():
        before = tenant_snapshot(b.school.id)
    total, problems = 0, []
    for logged_in in (True, False):
        n, p = _walk(app, a, super_a, b, logged_in)
        total += n
        problems += p
    with app.app_context():
        after = tenant_snapshot(b.school.id)
    leaks = [p for p in problems if p.startswith("leak")]
    record_property("figure", f"isolation walk: {total} requests, {len(leaks)} leaks")
    assert total > 50
    assert not problems, "\n".join(problems)
    assert after == before, "school B's data changed during the walk"


def test_walk_is_not_vacuous(walk_app, tenants):
    app = walk_app
    """B's own admin does see B's data on the same routes: the markers would be caught."""
    _a, _super_a, b = tenants
    client = login_as(app.test_client(), _user(app, b.people["admin"].id), b.school.id)
    r = client.get(f"/activities/{b.activities[1].id}")
    assert r.status_code == 200
    assert any(m in r.get_data(as_text=True) for m in b.markers)
    r = client.get(f"/evidence/{b.evidence[1].id}")
    assert r.status_code == 200 and b"PDFCONTENT" in r.data
    r = client.get(f"/corrections/{b.corrections[0]}")  # the walk gives the correction pages B's request
    assert r.status_code == 200 and f"{B_MARKER}更正理由" in r.get_data(as_text=True)
