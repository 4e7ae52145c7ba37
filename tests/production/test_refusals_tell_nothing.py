"""A refusal tells nothing of another tenant: walked on the demo (two districts, five schools).

The rule, the same on every page and API path that names a thing by id: a thing of another
school or another district is not found (404), as one that does not exist; a thing of one's own
school that one may not see is refused (403, with the refusal's words). So, for someone of
another school or district, every id answers as a missing id does; for someone of the same
school, a refusal is a 403. (``test_tenant_isolation`` walks two bare schools' ids the same way.)
"""

from __future__ import annotations

import itertools

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.routing.converters import NumberConverter

from portal.demo_district import load_district_demo
from portal.extensions import db
from portal.messages import msg
from portal.models import User
from portal.services import tokens
from tests.support.sessions import log_in

MISSING_ID = 987654321
IDS = range(1, 13)  # the demo's first ids of each table: its schools' users, activities, plans, rounds …


def _walk(app: Flask, username: str, api: bool, suffix: str = "") -> dict[str, dict[int, str]]:
    """Each GET path whose parameters are all ids, asked with the demo's ids as ``username`` (the
    API with a token and ``X-School: DEMO``; a page with ``suffix`` added): path → status → a URL
    answering it, where some id is refused otherwise than :data:`MISSING_ID` is."""
    client, headers = app.test_client(), {}
    with app.app_context():
        user = db.session.execute(select(User).where(User.username == username)).scalar_one()
        if api:
            headers = {"Authorization": f"Bearer {tokens.issue(user).token}", "X-School": "DEMO"}
        else:
            log_in(client, user, None)
    out: dict[str, dict[int, str]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        ints = [n for n, conv in rule._converters.items() if isinstance(conv, NumberConverter)]
        if "GET" not in (rule.methods or ()) or not ints or len(ints) != len(rule.arguments) \
                or rule.rule.startswith("/api/") != api:
            continue
        with app.test_request_context():
            missing = app.url_for(rule.endpoint, **dict.fromkeys(ints, MISSING_ID), _method="GET")
            urls = [app.url_for(rule.endpoint, **dict(zip(ints, combo, strict=True)), _method="GET")
                    for combo in itertools.product(IDS, repeat=len(ints))]
        gone = client.get(missing + suffix, headers=headers).status_code
        for url in urls:
            status = client.get(url + suffix, headers=headers).status_code
            if status != gone and status >= 400:  # a refusal unlike the missing id's (a 200 or redirect: their own)
                out.setdefault(rule.rule, {}).setdefault(status, url)
    return out


def test_another_schools_or_districts_thing_is_not_found_as_a_missing_one(make_app) -> None:
    app = make_app(demo=True)
    with app.app_context():
        load_district_demo()
        db.session.commit()
    # district staff of the second district: DEMO's things (a page naming the school, the API
    # naming it); a teacher of EAST1, another school of DEMO's district
    for username, api, suffix in (("dreviewer2", False, "?school=DEMO"), ("dreviewer2", False, ""),
                                  ("dreviewer2", True, ""), ("east1.t0", False, ""), ("east1.t0", True, "")):
        assert _walk(app, username, api, suffix) == {}, (username, api, suffix)
    # the walk is not vacuous: in their own school, a teacher is refused another teacher's plan
    # and record (403), where an id nothing holds is not found
    own = _walk(app, "teacher1", False) | _walk(app, "teacher1", True)
    for path in ("/plans/<int:plan_id>", "/teachers/<int:user_id>/record", "/api/v1/plans/<int:plan_id>",
                 "/api/v1/users/<int:user_id>/credits"):
        assert 403 in own.get(path, {}), (path, own.get(path))
    # … with the refusal's words, in Chinese
    client = app.test_client()
    with app.app_context():
        log_in(client, db.session.execute(select(User).where(User.username == "teacher1")).scalar_one(), None)
        with force_locale("zh_CN"):
            words = str(msg("policy.read_plan"))
    refused = client.get(own["/plans/<int:plan_id>"][403], headers={"Accept-Language": "zh-CN"})
    assert refused.status_code == 403 and words in refused.get_data(as_text=True)
