"""The queue's card of a declaration whose certificate is on another teacher's standing
declaration says so, as the declaration's page does (``shared_certificates``): who else declared
it, linked to theirs, with what it shares. The demo's (``portal.demo_shared``): 孙嘉怡 declared a
training with the file of 王雅琴's credited declaration, and it waits for review."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, School
from tests.web.test_review_held_card import _card, _queue_with


def _demo_shared() -> int:
    school_id = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
    return db.session.execute(select(Activity.id).where(
        Activity.school_id == school_id, Activity.title.endswith("（补报）"))).scalar_one()


@pytest.mark.parametrize(("lang", "file_said", "badge"), [
    ("zh", "本申报的文件也是其他教师申报中的证书", "同一文件"),
    ("en", "A file of this declaration is also the certificate of another teacher&#39;s declaration", "the same file"),
])
def test_the_demo_queue_card_names_the_declaration_sharing_its_certificate(site, as_user, lang, file_said, badge):
    with site.app_context():
        aid = _demo_shared()
    reviewer = as_user("reviewer")
    page, _url = _queue_with(reviewer, aid, f"lang={lang}")
    assert page.count('data-testid="shared-certificate-') == 1  # the demo's one, on its card only
    note = re.search(rf'data-testid="shared-certificate-{aid}">(.*?)</div>', _card(page, aid), re.S)
    assert note, "no note on the card"
    assert file_said in note[1] and badge in note[1] and "王雅琴" in note[1]
    assert f'data-testid="shared-certificate-number-{aid}"' not in note[1]
    theirs = int(re.search(r'href="/activities/(\d+)"', note[1])[1])
    # the note is the page's: the same declaration named, and theirs names this one back
    shown = reviewer.get(f"/activities/{aid}?lang={lang}").get_data(as_text=True)
    assert f'href="/activities/{theirs}"' in shown.split('data-testid="shared-certificate">', 1)[1].split("</div>")[0]
    with site.app_context():
        assert db.session.get(Activity, theirs).organizer_id != db.session.get(Activity, aid).organizer_id
