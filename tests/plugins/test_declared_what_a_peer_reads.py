"""学时申报: what the school's other teachers read of a colleague's declaration. An outside walk
found a peer opening a colleague's declaration (page and API) and reading its certificate number
and the reviewer's reason for lowering its hours. Now ``policy.may_read_private`` (one rule, asked
by the page, its template and the API) keeps the fields the type declares private
(``private_details``: its certificate number), the reasons of an adjustment and the history's
comments for its declarer, the reviewers and the school admin; a peer reads the declaration, its
hours and its status. A shared activity's details and reasons stay everyone's of the school."""

from __future__ import annotations

from portal.extensions import db
from portal.policy import Actor
from portal.registry import registry
from portal.services import tokens
from tests.plugins.test_declared_hours import DETAILS, certificate, declare, s1, staff  # noqa: F401
from tests.support import factories as f
from tests.support.sessions import log_in

NUMBER = "SZ-2026-4471"
WHY = "证书注明4学时，另2学时为自学"


def _declared_lowered(s1, staff):  # noqa: F811
    t1, rev = staff["t1"], staff["reviewer"]
    act = declare(s1, t1, hours="6", details={**DETAILS, "certificate_no": NUMBER})
    certificate(act, t1)
    f.fire(act, t1, "hold")
    f.fire(act, rev, "approve", WHY, hours={str(t1.id): "4"})
    return act


def test_the_rule_is_one_function_of_the_policy(app, s1, staff):  # noqa: F811
    act = _declared_lowered(s1, staff)
    assert registry().types["declared"].decl.private_details == frozenset({"certificate_no"})
    from portal import policy

    roles = {"t1": ["teacher"], "reviewer": ["reviewer", "teacher"], "admin": ["school_admin"], "t2": ["teacher"],
             "organizer": ["organizer", "teacher"]}

    def actor(who: str) -> Actor:
        return Actor.of(staff[who].id, roles[who])

    assert [policy.may_read_private(actor(w), act) for w in ("t1", "reviewer", "admin", "t2", "organizer")] == [
        True, True, True, False, False]


def test_a_peer_reads_the_declaration_without_its_number_and_the_reasons_page_and_api(app, s1, staff):  # noqa: F811
    act = _declared_lowered(s1, staff)
    aid = act.id
    tokens_of = {k: tokens.issue(staff[k]).token for k in ("t1", "reviewer", "admin", "t2", "organizer")}
    db.session.commit()
    api = app.test_client()

    def get(who: str, path: str):
        got = api.get(path, headers={"Authorization": f"Bearer {tokens_of[who]}", "X-School": "S1"})
        assert got.status_code == 200, got.get_data(as_text=True)[:300]
        return got.get_json()

    for who, reads in (("t1", True), ("reviewer", True), ("admin", True), ("t2", False), ("organizer", False)):
        client = app.test_client()
        log_in(client, staff[who], s1.id)
        page = client.get(f"/activities/{aid}")
        assert page.status_code == 200, who
        html = page.get_data(as_text=True)
        assert "区教师进修学校" in html, who  # the declaration itself is theirs to read
        assert (NUMBER in html) is reads and (WHY in html) is reads, who
        one = get(who, f"/api/v1/activities/{aid}")
        assert one["details"]["provider"] == "区教师进修学校" and one["state"] == act.state, who
        assert ("certificate_no" in one["details"]) is reads, (who, one["details"])
        (person,) = one["participants"]
        assert person["adjusted_hours"] == 4.0, who  # the hours, adjusted, are everyone's
        assert person["adjust_reason"] == (WHY if reads else None), (who, person)
        history = get(who, f"/api/v1/activities/{aid}/history")
        assert (WHY in [h["comment"] for h in history]) is reads, who
        listed = [a for a in get(who, "/api/v1/activities?per_page=100")["items"] if a["id"] == aid]
        assert [("certificate_no" in a["details"]) for a in listed] == [reads], who
        assert (NUMBER in str(listed)) is reads, who


def test_a_shared_activity_keeps_its_details_and_reasons_for_everyone(app, s1, staff):  # noqa: F811
    from tests.credits.helpers import DETAILS as SHARED

    lecture = f.plan(s1, staff["organizer"], "lecture", [(staff["t3"], "attendee")], SHARED["lecture"])
    from portal import policy

    peer = Actor.of(staff["t2"].id, ["teacher"])
    assert policy.may_read_private(peer, lecture)
