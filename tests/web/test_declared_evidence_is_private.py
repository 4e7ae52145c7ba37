"""A teacher's own declaration is theirs to show: its certificate opens for the declarer, the
reviewers and the school admins only. Attack: any teacher of the school downloaded a colleague's
training certificate (``GET /evidence/<id>``: the route asked the school only). The evidence of
a shared activity (a lecture's handouts, its reflections) stays open to the school."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, Evidence, User


def _files(site, type_key: str) -> list[tuple[int, int, str]]:
    """(evidence id, activity id, owner's username) of the stored files of ``type_key``'s activities."""
    with site.app_context():
        rows = db.session.execute(
            select(Evidence.id, Evidence.activity_id, User.username)
            .join(Activity, Activity.id == Evidence.activity_id).join(User, User.id == Evidence.user_id)
            .where(Activity.type_key == type_key, Evidence.stored_name.is_not(None)).order_by(Evidence.id)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def test_a_declarations_certificate_opens_for_its_declarer_reviewers_and_admins(site, as_user):
    files = _files(site, "declared")
    assert files, "the demo declares trainings with certificates"
    evidence_id, activity_id, owner = files[0]
    others = [u for u in ("teacher1", "teacher2", "teacher3", "teacher4") if u != owner]
    for username in (owner, "reviewer", "admin"):
        assert as_user(username).get(f"/evidence/{evidence_id}").status_code == 200, username
    for username in others[:2]:
        client = as_user(username)
        assert client.get(f"/evidence/{evidence_id}").status_code == 403, username
        page = client.get(f"/activities/{activity_id}").get_data(as_text=True)
        assert f'data-testid="evidence-private-{evidence_id}"' in page  # listed, not opened
        assert f'data-testid="evidence-download-{evidence_id}"' not in page
    page = as_user(owner).get(f"/activities/{activity_id}").get_data(as_text=True)
    assert f'data-testid="evidence-download-{evidence_id}"' in page


def test_a_shared_activitys_evidence_stays_open_to_the_school(site, as_user):
    files = [f for f in _files(site, "lecture") + _files(site, "observation") if f[2] != "teacher5"]
    assert files
    evidence_id, _activity_id, _owner = files[0]
    assert as_user("teacher5").get(f"/evidence/{evidence_id}").status_code == 200


def test_the_api_tells_no_more_of_a_declarations_certificate_than_the_page(site):
    """Attack: the page listed a colleague's certificate as private, but ``GET
    /api/v1/activities/<id>`` told any teacher of the school its file name (a certificate saved as
    its holder's ID number or course), type, size and character count. The API now tells what
    the page tells — kind, title, owner, time — to those who may not open it, and all of it to
    the declarer and the reviewers."""
    evidence_id, activity_id, owner = _files(site, "declared")[0]
    other = next(u for u in ("teacher1", "teacher2", "teacher3", "teacher4") if u != owner)

    def listed(username: str) -> dict:
        c = site.test_client()
        token = c.post("/api/v1/auth/token", json={"username": username, "password": "yanxiu-demo"}).get_json()
        r = c.get(f"/api/v1/activities/{activity_id}", headers={"Authorization": f"Bearer {token['token']}"})
        assert r.status_code == 200, r.get_json()
        return next(e for e in r.get_json()["evidence"] if e["id"] == evidence_id)

    hidden = listed(other)
    assert hidden["title"] and hidden["kind"] and hidden["user_id"]  # listed, as on the page
    assert hidden["filename"] is None and hidden["content_type"] is None
    assert hidden["size"] is None and hidden["char_count"] is None
    for username in (owner, "reviewer"):
        shown = listed(username)
        assert shown["filename"] and shown["content_type"] == "application/pdf" and shown["size"] > 0, username
