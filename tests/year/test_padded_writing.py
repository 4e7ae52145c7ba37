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
    prose = counted_text(PROSE.read_text(encoding="utf-8"))  # long writing: its terms and headings again
    assert len(prose) > 4000 and quotas.repeated_share(prose) < quotas.REPEATED_SHARE
    assert quotas.repeated_share(counted_text(PARAGRAPH)) == 0
    assert quotas.repeated_share(counted_text("学习" * 2500)) > 0.99
    assert quotas.repeated_share(counted_text(PARAGRAPH * 2)) == pytest.approx(0.5, abs=0.01)
    assert quotas.repeated_share(counted_text("学习学习学习")) == 0  # too short to tell


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
