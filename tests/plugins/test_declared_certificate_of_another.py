"""学时申报: one teacher's certificate on another teacher's declaration. The same file may stand on
declarations of two teachers (a district's list naming everyone who took part is one file for
all: ``activities._require_file_not_declared``), so it is not refused — but nobody was told:
t2 uploaded t1's certificate (t1's name on it) to a declaration of his own, and its reviewer,
who saw one file and one teacher, approved t2's hours. The declaration's page now tells its
reviewers and the school admin whose declarations carry the same certificate (the same bytes,
or a PDF of the same words: ``same_certificate``), and tells the declarer and their peers nothing."""

from __future__ import annotations

import re

from portal.extensions import db
from portal.models import Evidence
from tests.plugins.test_declared_hours import KEY, count, declare, past_start, s1, staff  # noqa: F401
from tests.support import factories as f
from tests.support.pictures import certificate_photo, resaved
from tests.support.sessions import log_in

T1_CERTIFICATE = b"%PDF-1.4 certificate of t1, 3 hours, 2026"


def _upload(act, who, data: bytes):
    from portal.services import activities

    return activities.add_evidence(act, who, who.id, "certificate", "结业证书", filename="cert.pdf", data=data)


def note_of(page: str) -> str:
    """The shared-certificate note of a declaration's page ("" when there is none)."""
    found = re.search(r'data-testid="shared-certificate">(.*?)</div>', page, re.S)
    return found.group(1) if found else ""


def _page(app, who, school, act_id: int) -> str:
    client = log_in(app.test_client(), who, school.id)
    r = client.get(f"/activities/{act_id}?lang=zh_Hans_CN")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_a_certificate_on_another_teachers_declaration_is_told_to_its_reviewer(app, s1, staff):  # noqa: F811
    t1, t2, t3 = staff["t1"], staff["t2"], staff["t3"]
    day = past_start(3)
    theirs = declare(s1, t1, hours="3", start=day, title="区级骨干教师培训")
    _upload(theirs, t1, T1_CERTIFICATE)
    f.fire(theirs, t1, "hold")
    borrowed = declare(s1, t2, hours="3", start=day, title="市级骨干教师培训")
    files = count(Evidence)
    _upload(borrowed, t2, T1_CERTIFICATE)  # taken: the same file may stand for two teachers
    assert count(Evidence) == files + 1
    honest = declare(s1, t3, hours="3", start=day, title="网络课程：大单元设计")
    _upload(honest, t3, b"%PDF-1.4 certificate of t3, 3 hours, 2026")
    db.session.commit()
    ids = {"theirs": theirs.id, "borrowed": borrowed.id, "honest": honest.id}
    t1_name, t2_name = t1.display_name, t2.display_name

    for who in (staff["reviewer"], staff["admin"]):
        note = note_of(_page(app, who, s1, ids["borrowed"]))
        assert "其他教师申报中的证书" in note and t1_name in note, who.username
        assert "区级骨干教师培训" in note and f'/activities/{ids["theirs"]}"' in note
        both = _page(app, who, s1, ids["theirs"])  # and the other way round
        assert 'data-testid="shared-certificate"' in both and t2_name in both
        assert 'data-testid="shared-certificate"' not in _page(app, who, s1, ids["honest"])
    for who in (t2, t1):  # the declarers: not told of anyone else's declaration
        own = ids["borrowed"] if who is t2 else ids["theirs"]
        assert 'data-testid="shared-certificate"' not in _page(app, who, s1, own)
    # the API's activity says it to the same people (``policy.may_see_shared_certificates``)
    said = _api(app, staff["reviewer"], ids["borrowed"])
    assert said["shared_certificate"] == [{"activity_id": ids["theirs"], "title": "区级骨干教师培训",
                                           "teacher": t1_name, "day": said["shared_certificate"][0]["day"], "by": ["file"]}]
    assert _api(app, staff["reviewer"], ids["honest"])["shared_certificate"] == []
    assert "shared_certificate" not in _api(app, t2, ids["borrowed"])


def _api(app, who, act_id: int) -> dict:
    from tests.support.factories import PASSWORD

    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": who.username, "password": PASSWORD}).get_json()["token"]
    r = client.get(f"/api/v1/activities/{act_id}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return r.get_json()


def test_the_same_picture_in_other_bytes_is_the_same_certificate(app, s1, staff):  # noqa: F811
    """Saved again as PNG (other bytes, the same pixels): one certificate, told as such."""
    photo = certificate_photo()
    again = resaved(photo, "PNG")
    assert again != photo
    t1, t2 = staff["t1"], staff["t2"]
    day = past_start(3)
    theirs = declare(s1, t1, hours="3", start=day, title="区级骨干教师培训")
    from portal.services import activities

    activities.add_evidence(theirs, t1, t1.id, "certificate", "证书", filename="cert.jpg", data=photo)
    borrowed = declare(s1, t2, hours="3", start=day, title="市级骨干教师培训")
    activities.add_evidence(borrowed, t2, t2.id, "certificate", "证书", filename="cert.png", data=again)
    db.session.commit()
    page = _page(app, staff["reviewer"], s1, borrowed.id)
    assert 'data-testid="shared-certificate"' in page and t1.display_name in page


def _card_note(page: str, act_id: int) -> str:
    """The shared-certificate note on the review queue's card of ``act_id`` ("" when there is none)."""
    card = re.search(rf'data-testid="queue-item-{act_id}">(.*?)</form>', page, re.S)
    assert card, "no card"
    found = re.search(rf'data-testid="shared-certificate-{act_id}">(.*?)</div>', card.group(1), re.S)
    return found.group(1) if found else ""


def test_the_queue_cards_tell_it_as_the_declarations_pages_in_one_statement(app, s1, staff):  # noqa: F811
    """The review queue's card of a held declaration says what its page says (who else declared the
    certificate, linked, with what it shares), each card of the page read together: sharing
    declarations added to the page add no statement; the declarer's peers are told nothing."""
    from tests.support.spies import selects

    t1, t2, t3, t4 = staff["t1"], staff["t2"], staff["t3"], staff["t4"]
    day = past_start(3)
    held = []
    for who, title, data in ((t1, "区级骨干教师培训", T1_CERTIFICATE), (t4, "网络课程：大单元设计", b"%PDF-1.4 t4's own")):
        act = declare(s1, who, hours="3", start=day, title=title)
        _upload(act, who, data)
        f.fire(act, who, "hold")
        held.append(act.id)
    db.session.commit()
    reviewer = log_in(app.test_client(), staff["reviewer"], s1.id)

    def queue() -> tuple[str, int]:
        reviewer.get("/review?lang=zh_Hans_CN")  # first-request work is not the page's
        with selects() as seen:
            page = reviewer.get("/review?lang=zh_Hans_CN").get_data(as_text=True)
        return page, len(seen)

    alone, statements = queue()
    assert 'data-testid="shared-certificate-' not in alone  # nothing shared yet: no note
    for who, title in ((t2, "市级骨干教师培训"), (t3, "省级骨干教师培训")):  # t1's certificate, twice more
        act = declare(s1, who, hours="3", start=day, title=title)
        _upload(act, who, T1_CERTIFICATE)
        f.fire(act, who, "hold")
        held.append(act.id)
    db.session.commit()
    page, shared = queue()
    assert shared == statements  # three cards told, one reading for the page as for none
    for act_id in held:
        note = _card_note(page, act_id)
        told = note_of(_page(app, staff["reviewer"], s1, act_id))
        assert (note == "") is (act_id == held[1])  # t4's own certificate: nothing to tell
        assert re.findall(r'href="(/activities/\d+)"', note) == re.findall(r'href="(/activities/\d+)"', told)
        assert re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", note)) == re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", told))
    assert len(re.findall(r"<li>", _card_note(page, held[0]))) == 2 and t2.display_name in _card_note(page, held[0])
