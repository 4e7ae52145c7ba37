"""Written evidence counts once in a teacher's year, wherever it is handed in: the same reflection
handed in at two activities (or twice at one) is one piece of writing, as own writing is
(``quotas.require_new_piece``, asked by ``writing`` and by ``activities.add_evidence`` alike)."""

from __future__ import annotations

from datetime import datetime

import pytest

from portal.errors import Invalid
from portal.extensions import db
from portal.services import activities
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.year.helpers import evidence_count, lectures, quota_done, reflection_at_three_activities_at_once

TEXT = "公开课后我发现提问的梯度不够，后进生几乎没有发言的机会。PBL 2"
TRADITIONAL = "公開課後我發現提問的梯度不夠，後進生幾乎沒有發言的機會。PBL 2"  # the same, as 繁體
JAPANESE_FORMS = "公開課後我発現提問的梯度不夠，後進生幾乎没有発言的機会。PBL 2"  # and on into 発, 会 (OpenCC t2jp)


@pytest.fixture
def school(app):
    s = f.school("E1")
    return s, f.staff(s)





def test_the_same_evidence_at_two_activities_counts_once(school):
    """Attack: a teacher hands in one reflection at activity A, then the same text (or spaced,
    punctuated, padded with invisible characters, in full-width letters) at activity B, or at A
    again (or with a sentence added): each counted one more of "5 reflections a semester". Refused, nothing saved; the
    organizer adding it for the teacher is refused the same; other teachers may hand in the
    same words."""
    s, staff = school
    t1, t2, org = staff["t1"], staff["t2"], staff["organizer"]
    a, b = lectures(s, org, [t1, t2])
    activities.add_evidence(a, t1, t1.id, "reflection", "听课反思", text=TEXT)
    n = evidence_count()
    for again in (
        TEXT,
        f"  {TEXT}\n",
        TEXT.replace("，", " ，  "),
        TEXT.replace("提问", "提\u200b问"),
        TEXT.replace("PBL", "ｐｂｌ").replace("2", "２") + "\u3000",
        TRADITIONAL,  # run through a converter into traditional characters
        JAPANESE_FORMS,  # and on into Japanese kanji forms
    ):
        for act in (b, a):
            with pytest.raises(Invalid) as err:
                activities.add_evidence(act, t1, t1.id, "reflection", "听课反思", text=again)
            assert err.value.msg.code == "evidence.refused" and err.value.fields["text"].code == "writing.duplicate"
    with pytest.raises(Invalid) as err:  # the same words as reading notes: one piece, counted as what it is
        activities.add_evidence(b, t1, t1.id, "reading_notes", "《给教师的建议》", text=TEXT)
    assert err.value.fields["text"].code == "writing.duplicate"
    with pytest.raises(Invalid) as err:  # the organizer hands it in for the teacher: the teacher's record
        activities.add_evidence(b, org, t1.id, "reflection", "听课反思", text=TEXT)
    assert err.value.fields["text"].code == "writing.duplicate"
    assert evidence_count() == n
    assert quota_done(t1, s, "reflections") == 1
    for longer in ("前言：" + TEXT, TEXT + "下次提问要分层。"):  # the same piece with words added: held whole
        with pytest.raises(Invalid) as err:
            activities.add_evidence(b, t1, t1.id, "reflection", "听课反思", text=longer)
        assert err.value.fields["text"].code == "writing.repeats"
    activities.add_evidence(b, t1, t1.id, "reflection", "听课反思",
                            text="下次提问要分层，给后进生留出发言的机会；小组合作的分工也要更清楚。")  # a new piece
    activities.add_evidence(b, org, t2.id, "reflection", "听课反思", text=TEXT)  # another teacher's record
    activities.add_evidence(b, t1, t1.id, "evaluation", "评课稿", text=TEXT)  # not writing the quotas count
    assert quota_done(t1, s, "reflections") == 2 and quota_done(t2, s, "reflections") == 1


def test_other_schools_and_years_are_other_records(school):
    """The rule is the year's record of one teacher in one school: the same words handed in
    in another school the teacher is on the staff of, or in another school year, are taken."""
    s, staff = school
    t1 = staff["t1"]
    (a,) = lectures(s, staff["organizer"], [t1], n=1)
    activities.add_evidence(a, t1, t1.id, "reflection", "听课反思", text=TEXT)
    (last_year,) = lectures(s, staff["organizer"], [t1], n=1, start=datetime(2025, 10, 15, 14, 0))
    activities.add_evidence(last_year, t1, t1.id, "reflection", "听课反思", text=TEXT)
    other = f.school("E2")
    f.person(other, t1.username, "teacher")
    org2 = f.person(other, "e2org", "organizer", "teacher")
    (there,) = lectures(other, org2, [t1], n=1)
    activities.add_evidence(there, t1, t1.id, "reflection", "听课反思", text=TEXT)
    assert quota_done(t1, s, "reflections") == 1 and quota_done(t1, other, "reflections") == 1


def test_the_page_and_the_api_refuse_it(app, client, school):
    """The evidence form shows the refusal on its text field; the API answers 422 with the
    field's message; nothing is saved."""
    s, staff = school
    t1 = staff["t1"]
    a, b = lectures(s, staff["organizer"], [t1])
    activities.add_evidence(a, t1, t1.id, "reflection", "听课反思", text=TEXT)
    db.session.commit()
    n = evidence_count()
    log_in(client, t1, s.id)
    r = client.post(f"/activities/{b.id}/evidence", data={"kind": "reflection", "title": "反思", "text": TEXT})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "这段文字已在您的记录中（“听课反思”）" in page and "already in your record" not in page
    token = client.post("/api/v1/auth/token", json={"username": t1.username, "password": f.PASSWORD}).get_json()
    r = client.post(f"/api/v1/activities/{b.id}/evidence", json={"kind": "reflection", "title": "反思", "text": TEXT},
                    headers={"Authorization": f"Bearer {token['token']}", "X-School": s.code, "Accept-Language": "en"})
    assert r.status_code == 422 and r.get_json()["fields"]["text"].startswith("this text is already in your record")
    assert evidence_count() == n and quota_done(t1, s, "reflections") == 1


def test_handed_in_at_two_activities_at_once_saves_one(app, school):
    """Attack: the same reflection sent to two activities at the same moment, each request
    looking for it before the other wrote it. The look is made inside the write, one piece of
    a teacher at a time (PostgreSQL when ``YANXIU_TEST_DATABASE_URL`` is set)."""
    s, staff = school
    assert reflection_at_three_activities_at_once(app, s, staff["organizer"], staff["t1"], text=TEXT) == 1
