"""A declaration (学时申报) refused in review (不予认定) showed 未通过 on its declarer's page with
the reason only in the history at the foot: its next steps now open with who refused it, when
and why, as a returned activity's do. Which step is a refusal is the workflow definition's answer
(out of review into the closed phase), not a state's name."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, User
from portal.registry import registry
from portal.services import transitions
from tests.reach.helpers import activity, school, user
from workflows.definition import Phase


def _note(page: str) -> str | None:
    if 'data-testid="refused-note">' not in page:
        return None
    return page.split('data-testid="refused-note">', 1)[1].split("</div>", 1)[0]


@pytest.mark.parametrize(("lang", "said"), [("zh", "已由周明轩于"), ("en", "Refused in review by 周明轩 at")])
def test_the_declarer_reads_who_refused_it_and_why(site, as_user, lang, said):
    with site.app_context():
        declared = activity("declared", Phase.AWAITING_REVIEW)
        aid = declared.id
        declarer = db.session.get(User, declared.organizer_id).username
    mine = as_user(declarer)
    assert _note(mine.get(f"/activities/{aid}?lang={lang}").get_data(as_text=True)) is None
    with site.app_context():
        transitions.fire(aid, school().id, user("reviewer"), "refuse", "证书不是<本学年>的")
        db.session.commit()
        act = db.session.get(Activity, aid)
        assert registry().definition("declared").phase(act.state) is Phase.CLOSED
    note = _note(mine.get(f"/activities/{aid}?lang={lang}").get_data(as_text=True))
    assert note is not None and said in note and "证书不是&lt;本学年&gt;的" in note
    assert 'data-testid="returned-note"' not in mine.get(f"/activities/{aid}").get_data(as_text=True)


def test_an_activity_cancelled_before_it_took_place_has_no_refusal_note(site, as_user):
    """Out of the open phase into the closed one is a cancellation, not a refusal in review."""
    with site.app_context():
        act = activity("lecture", Phase.OPEN)
        aid, organizer = act.id, db.session.get(User, act.organizer_id)
        name = organizer.username
        transitions.fire(aid, school().id, organizer, "cancel", "改期另办")
        db.session.commit()
        state = db.session.execute(select(Activity.state).where(Activity.id == aid)).scalar_one()
        assert registry().definition("lecture").phase(state) is Phase.CLOSED
    assert _note(as_user(name).get(f"/activities/{aid}").get_data(as_text=True)) is None


@pytest.mark.parametrize(("lang", "said", "not_said"), [
    ("zh", "提交申报（申报教师）", "活动组织者"), ("en", "Submit the declaration (the declaring teacher)", "organizer")])
def test_the_declarer_is_named_as_such_in_the_next_step(site, as_user, lang, said, not_said):
    """On her own declaration, the next step named the declaring teacher 活动组织者 (the ``owner``
    of the workflow's step, as a lecture's organiser is named): the declaration's words are hers."""
    with site.app_context():
        declared = activity("declared", Phase.OPEN)
        aid, declarer = declared.id, db.session.get(User, declared.organizer_id).username
        lecture = activity("lecture", Phase.OPEN)
        lid, organizer = lecture.id, db.session.get(User, lecture.organizer_id).username
    page = as_user(declarer).get(f"/activities/{aid}?lang={lang}").get_data(as_text=True)
    following = page.split('data-testid="workflow-next">', 1)[1].split("</p>", 1)[0]
    assert said in following and not_said not in following, following
    # a lecture's organiser is still its organiser
    page = as_user(organizer).get(f"/activities/{lid}?lang={lang}").get_data(as_text=True)
    following = page.split('data-testid="workflow-next">', 1)[1].split("</p>", 1)[0]
    assert not_said in following, following
