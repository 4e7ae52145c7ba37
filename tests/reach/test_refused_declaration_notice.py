"""A teacher's declaration (学时申报) refused in review (不予认定, with a reason) is closed for
good, and its declarer was told nothing: the review decisions people hear of were approval,
return, credit and revocation, and a refusal was none of them. Now the declarer is told it was
refused and why, in the app and by email as their settings ask, in their language."""

from __future__ import annotations

from portal.services import notifications, transitions
from tests.reach.conftest import wait_for
from tests.reach.helpers import activity, no_quiet_hours, notes, school, user
from workflows.definition import Phase


def test_the_declarer_of_a_refused_declaration_is_told_why(queued_app, smtp, worker):
    no_quiet_hours()
    declared = activity("declared", Phase.AWAITING_REVIEW)
    declarer = declared.organizer_id
    notifications.save_setting(declarer, "decl@school.test", list(notifications.KINDS), "en")
    transitions.fire(declared.id, school().id, user("reviewer"), "refuse", "证书不是本学年的")
    wait_for(lambda: smtp.inbox.to("decl@school.test"))
    [mail] = smtp.inbox.to("decl@school.test")
    assert f"{declared.title}" in mail.get_content() and "was refused: 证书不是本学年的" in mail.get_content()
    [told] = [n for n in notes("refused") if n.params.get("title") == declared.title]
    assert told.user_id == declarer
    assert "未获认定：证书不是本学年的" in notifications.text(told).render("zh_Hans_CN")
    assert notes("refused", "reviewer") == []  # not the person who decided
