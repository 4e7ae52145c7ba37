"""Who handed in evidence for another's declaration does not decide it (four eyes,
``policy.hands_in_for_another``).

Found on an attacker's walk: a school admin standing in for the reviewer (the school's only
reviewer declared the training) uploaded a certificate into the teacher's declaration and then
approved it — the evidence and its approval one person's. Now the uploader is involved in it
(relation ``handed_in``, read with the handovers and the recorders: ``access.involved_before``):
offered no decision on the queue, the page and the API, refused one by the service in the
catalogue's words; another school admin decides it."""

from __future__ import annotations

import pytest

from portal.errors import Forbidden
from portal.extensions import db
from portal.models import Activity, Evidence, TransitionLog
from portal.services import access, activities, transitions
from tests.plugins.test_declared_hours import declare
from tests.support import factories as f
from tests.web.test_demoted_organizer_and_handover import _state, _web
from tests.web.test_handover_keeps_duties_apart import api_offers_no_approve


def test_the_admin_who_handed_in_the_certificate_does_not_approve_the_declaration(app):
    s = f.school("HI", types=("lecture", "declared"))
    admin = f.person(s, "hi.adm", "school_admin", "teacher", name="代传管理员")
    admin2 = f.person(s, "hi.adm2", "school_admin", "teacher", name="另一管理员")
    rev = f.person(s, "hi.rev", "reviewer", "teacher", name="审核人")  # the only reviewer: the declarer
    act = declare(s, rev)
    activities.add_evidence(act, admin, rev.id, "certificate", "结业证书", filename="cert.pdf", data=b"%PDF-1.4 x")
    f.fire(act, rev, "hold")
    db.session.commit()
    held = db.session.get(Activity, act.id)
    before = _state()
    assert transitions.allowed_triggers(held, admin.id) == []  # the old code offered approve, return, refuse
    assert access.involved_before([held.id])[held.id].handed_in == {admin.id}
    assert "handed_in" in access.activity_roles(held, admin.id, {"school_admin", "teacher"}, [rev.id])
    with pytest.raises(Forbidden) as refused:
        f.fire(held, admin, "approve", "证书齐全")
    db.session.rollback()
    assert refused.value.msg.code == "policy.handed_in"
    web = _web(app, "hi.adm")
    page = web.get(f"/activities/{held.id}").get_data(as_text=True)
    assert 'value="approve"' not in page
    r = web.post(f"/activities/{held.id}/trigger", data={"trigger": "approve", "comment": "证书齐全"})
    assert r.status_code == 403
    api_offers_no_approve(app, "hi.adm", "HI", held.id)
    assert _state() == before and db.session.get(Activity, held.id).state == "held"
    # another school admin, independent of it, stands in for the reviewer who declared it
    held = db.session.get(Activity, act.id)
    assert "approve" in transitions.allowed_triggers(held, admin2.id)
    f.fire(held, admin2, "approve", "证书齐全")
    last = db.session.execute(db.select(TransitionLog).where(TransitionLog.activity_id == held.id)
                              .order_by(TransitionLog.id.desc())).scalars().first()
    assert last is not None and last.actor_id == admin2.id and last.to_state == "reviewed"


def test_a_reviewer_and_admin_who_handed_in_the_certificate_is_told_why_on_the_queue(app):
    """A school admin who reviews too, having handed in the certificate, sees the card on the
    queue with why it has no decision (the catalogue's words, not "you organised or took part");
    the other reviewer decides it."""
    s = f.school("HK", types=("declared",))
    admin = f.person(s, "hk.adm", "school_admin", "reviewer", "teacher", name="代传管理员")
    rev = f.person(s, "hk.rev", "reviewer", "teacher", name="审核人")
    t1 = f.person(s, "hk.t1", "teacher", name="甲老师")
    act = declare(s, t1)
    activities.add_evidence(act, admin, t1.id, "certificate", "结业证书", filename="cert.pdf", data=b"%PDF-1.4 x")
    f.fire(act, t1, "hold")
    db.session.commit()
    queue = _web(app, "hk.adm").get("/review").get_data(as_text=True)
    assert f'data-testid="queue-item-{act.id}"' in queue and f'data-testid="approve-{act.id}"' not in queue
    assert f'data-testid="own-activity-{act.id}">您为此申报提交了佐证材料，须由其他审核人或学校管理员审核。' in queue
    assert f'data-testid="approve-{act.id}"' in _web(app, "hk.rev").get("/review").get_data(as_text=True)
    f.fire(db.session.get(Activity, act.id), rev, "approve", "证书齐全")
    assert db.session.get(Activity, act.id).state == "reviewed"


def test_the_page_reads_who_handed_in_as_the_queue_does(app):
    """The activity page reads the hand-in from the evidence it shows (``involved_before_in``):
    the same as the queue's statement; one's own certificate makes nobody else involved."""
    s = f.school("HJ", types=("declared",))
    admin = f.person(s, "hj.adm", "school_admin", "teacher", name="代传管理员")
    t1 = f.person(s, "hj.t1", "teacher", name="甲老师")
    act = declare(s, t1)
    activities.add_evidence(act, t1, t1.id, "certificate", "结业证书", filename="cert.pdf", data=b"%PDF-1.4 x")
    db.session.commit()
    assert access.involved_before([act.id]) == {}
    activities.add_evidence(act, admin, t1.id, "certificate", "补充证明", filename="more.pdf", data=b"%PDF-1.4 y")
    db.session.commit()
    evidence = db.session.execute(db.select(Evidence).where(Evidence.activity_id == act.id)
                                  .order_by(Evidence.id)).scalars().all()
    assert access.involved_before([act.id]).get(act.id, access.NOBODY_EARLIER).people == {admin.id}  # old: nobody
    read = access.involved_before_in([], evidence, declared=True)
    assert read == access.involved_before([act.id])[act.id] == access.Earlier(handed_in=frozenset({admin.id}))
    assert access.involved_before_in([], evidence, declared=False) == access.NOBODY_EARLIER
