"""A piece made long by repeating itself is no more writing: "学习" pasted 2,500 times counted
5,000 characters towards a 10,000-character reading quota. Refused, with the share repeated, on
the page in Chinese, in the API and in the service, and nothing is saved."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from portal.errors import Invalid
from portal.extensions import db
from portal.models import OwnWriting
from portal.services import activities, quotas, writing
from portal.textcount import counted_text
from tests.support import factories as f
from tests.support.sessions import log_in
from tests.support.texts import prose
from tests.year.helpers import evidence_count, lectures, quota_done

PROSE = Path(__file__).resolve().parents[2] / "docs" / "teachers-year.md"  # ~4,900 counted characters
# invented; each sentence its own
PARAGRAPH = ("本学期我在七年级二班尝试了小组合作学习。开始时学生分工不明，讨论常常偏离主题；后来我给每组设计了"
             "角色卡，记录员、汇报员和计时员轮流担任，课堂秩序明显好转。期中测验后，我发现基础薄弱的学生参与度"
             "提高了，但优等生觉得等待时间太长。下学期准备引入分层任务单，让不同水平的学生各有挑战。")


@pytest.fixture
def school(app):
    s = f.school("P1")
    return s, f.staff(s)


def test_the_share_repeated_is_small_in_real_writing_and_large_in_padding():
    prose = PROSE.read_text(encoding="utf-8")  # long writing: its terms and headings again
    assert len(counted_text(prose)) > 4000 and quotas.repeated_share(prose) < quotas.REPEATED_SHARE
    assert quotas.repeated_share(PARAGRAPH) == 0
    assert quotas.repeated_share("学习" * 2500) > 0.99
    assert quotas.repeated_share(PARAGRAPH * 2) == pytest.approx(0.5, abs=0.01)
    assert quotas.repeated_share("学习学习学") == 0  # too short to tell


# invented: honest English, its phrases ("the students in the reading group") met again and again
ENGLISH = ("In my reading group this term the students read one chapter of the novel each week. "
           "At the beginning of the term the students in the reading group were shy, and the students who read "
           "the chapter at home talked while the students who had not read the chapter said nothing. "
           "In the middle of the term I asked the students in the reading group to write one question about the "
           "chapter before the meeting of the reading group, and the students who had not read the chapter began "
           "to read it. At the end of the term the students in the reading group chose the next novel themselves. "
           "Next term I will ask the students in the reading group to lead the meeting of the reading group in turn.")


def test_the_share_is_of_what_counts_not_of_letters(school):
    """Measured in what the quota counts (a word of other letters is one character): English is
    not read letter by letter, where 12 letters are two words any writing says again; and a word
    of 20,000 letters added to padding is one character more, not four fifths of the piece."""
    s, staff = school
    t1 = staff["t1"]
    assert quotas.repeated_share(ENGLISH) < quotas.REPEATED_SHARE
    writing.add_writing(s, t1, "reflection", "Reading group", text=ENGLISH)
    letters = "".join(chr(ord("a") + (i * 7 + i // 26) % 26) for i in range(20_000))  # no 12 of them twice
    diluted = "学习" * 2500 + " " + letters
    assert quotas.repeated_share(diluted) > 0.99
    with pytest.raises(Invalid) as err:
        writing.add_writing(s, t1, "reading_notes", "《给教师的建议》", text=diluted)
    assert err.value.fields["text"].code == "writing.padded"


def test_a_phrase_pasted_with_a_character_changed_every_eleven_is_padding(school):
    s, staff = school
    t1 = staff["t1"]
    changed = prose(500, seed="changed")  # one character of its own after each copy of the phrase
    padded = "".join("学习学习学习学习学习" + c for c in changed)
    assert quotas.repeated_share(padded) > 0.9
    with pytest.raises(Invalid) as err:
        writing.add_writing(s, t1, "reading_notes", "《给教师的建议》", text=padded)
    assert err.value.fields["text"].code == "writing.padded"
    alternating = "".join(("学习" if i % 2 else "學習") + "很重要" for i in range(1000))  # 繁體 reads as 简体
    assert quotas.repeated_share(alternating) > 0.99


@pytest.mark.parametrize("padded", ["学习" * 2500, PARAGRAPH + PARAGRAPH, PARAGRAPH + "\n" + PARAGRAPH.replace("。", "！")])
def test_padding_is_refused_as_evidence_and_as_own_writing(school, padded):
    s, staff = school
    t1 = staff["t1"]
    (act,) = lectures(s, staff["organizer"], [t1], n=1)
    n, pieces = evidence_count(), db.session.query(OwnWriting).count()
    with pytest.raises(Invalid) as err:
        activities.add_evidence(act, t1, t1.id, "reflection", "听课反思", text=padded)
    assert err.value.msg.code == "evidence.refused" and err.value.fields["text"].code == "writing.padded"
    with pytest.raises(Invalid) as err:
        writing.add_writing(s, t1, "reading_notes", "《给教师的建议》", text=padded)
    assert err.value.fields["text"].code == "writing.padded"
    assert evidence_count() == n and db.session.query(OwnWriting).count() == pieces
    assert quota_done(t1, s, "reading_notes") == 0
    writing.add_writing(s, t1, "reading_notes", "《给教师的建议》", text=PARAGRAPH)  # the paragraph once is taken
    assert quota_done(t1, s, "reading_notes") == len(counted_text(PARAGRAPH))


def test_the_page_and_the_api_say_so(app, school):
    s, staff = school
    t1 = staff["t1"]
    client = log_in(app.test_client(), t1, s.id)
    r = client.post("/writing", data={"kind": "reading_notes", "title": "笔记", "text": "学习" * 2500})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "这段文字有 100% 重复了前面已有的段落" in page and "repeats passages" not in page
    r = client.post("/writing", data={"kind": "reading_notes", "title": "笔记",
                                      "file": (io.BytesIO((PARAGRAPH * 3).encode()), "笔记.txt")},
                    content_type="multipart/form-data")
    assert r.status_code == 422 and "67% 重复了前面已有的段落" in r.get_data(as_text=True)
    token = client.post("/api/v1/auth/token", json={"username": t1.username, "password": f.PASSWORD}).get_json()
    r = client.post("/api/v1/me/writing", json={"kind": "reading_notes", "title": "笔记", "text": PARAGRAPH * 2},
                    headers={"Authorization": f"Bearer {token['token']}", "X-School": s.code, "Accept-Language": "en"})
    assert r.status_code == 422 and r.get_json()["fields"]["text"].startswith("50% of this text repeats passages")
    assert db.session.query(OwnWriting).count() == 0
