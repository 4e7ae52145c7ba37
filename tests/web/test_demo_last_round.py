"""The demo shows the features of the last round (README: "keep the demo data showing every
feature"), each to the person who would look for it: a declaration credited at 0 h with the
reviewer's reason on its teacher's record and its PDF; its certificate number and that reason hidden
from a colleague; the deputy head's queue card of a declaration whose certificate she handed in,
saying why she does not decide it; correction requests closed by the credit (moved on), by the
district's acceptance (locked) and once their year was over (year over), beside the open and the
declined one; an hours setting stored off the half-hour grid, said on the admin's page and in the API."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from portal.demo_corrections import BEFORE_ACCEPTANCE, BEFORE_CREDIT, IN_ITS_YEAR
from portal.demo_declarations import DEPUTY, HANDED_IN, ZERO, declaration
from portal.demo_settings import off_grid
from portal.extensions import db
from portal.models import Activity, CorrectionRequest, CreditEntry, Notification, School, User
from portal.registry import registry
from portal.services import corrections
from workflows.definition import Phase


def _zero() -> tuple[int, str, int]:
    act = declaration(ZERO[1])
    assert act is not None
    return act.id, act.title, act.school_year


def test_a_declaration_credited_at_0_hours_is_on_its_teachers_record_and_pdf_with_the_reason(site, as_user):
    declarer, _subject, _number, reason = ZERO
    with site.app_context():
        act_id, title, year = _zero()
        uid = db.session.execute(select(User.id).where(User.username == declarer)).scalar_one()
        lines = db.session.execute(select(CreditEntry.user_id, CreditEntry.hours, CreditEntry.reason)
                                   .where(CreditEntry.activity_id == act_id)).all()
        assert [(u, float(h), r) for u, h, r in lines] == [(uid, 0.0, reason)]
    web = as_user(declarer)
    page = web.get(f"/teachers/{uid}/record?year={year}").get_data(as_text=True)
    assert title in page and reason in page
    pdf = web.get(f"/teachers/{uid}/record.pdf?year={year}")
    assert pdf.status_code == 200
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert title in text and reason in text  # a table's cell may break a line anywhere


def test_a_colleague_reads_the_declaration_without_its_certificate_number_and_reason(site, as_user):
    """teacher2, a peer of teacher4's, opens her declaration: its title and status, not its number
    nor the reviewer's reason (``policy.may_read_private``); she, the reviewer and the admin read both."""
    _declarer, _subject, number, reason = ZERO
    with site.app_context():
        act_id, title, _year = _zero()
    peer = as_user("teacher2").get(f"/activities/{act_id}").get_data(as_text=True)
    assert title in peer and number not in peer and reason not in peer
    for username in (ZERO[0], "reviewer", "admin"):
        page = as_user(username).get(f"/activities/{act_id}").get_data(as_text=True)
        assert number in page and reason in page, username


def test_the_deputy_who_handed_in_the_certificate_is_told_on_her_queue_why_she_does_not_decide(site, as_user):
    with site.app_context():
        act = declaration(HANDED_IN[1])
        assert act is not None
        act_id, declarer = act.id, act.organizer_id
        assert registry().phase(act.type_key, act.state) is Phase.AWAITING_REVIEW
    # on the first page on most days (oldest first); asked by its declarer whatever the day
    queue = as_user(DEPUTY[0]).get(f"/review?organizer={declarer}").get_data(as_text=True)
    assert f'data-testid="queue-item-{act_id}"' in queue and f'data-testid="approve-{act_id}"' not in queue
    assert (f'data-testid="own-activity-{act_id}">您为此申报提交了佐证材料，须由其他审核人或学校管理员审核。'
            in queue)
    assert f'data-testid="approve-{act_id}"' in as_user("reviewer").get(f"/review?organizer={declarer}").get_data(as_text=True)


def test_correction_requests_closed_by_the_credit_and_by_the_districts_acceptance(site, as_user):
    """Beside the open and the declined request: one closed as moved on by the credit of its
    activity, one at NORTH1 closed as locked (the district accepted the year while it was open);
    each requester reads it on their request's page and was told."""
    from portal.demo_district import load_district_demo

    with site.app_context():
        load_district_demo()
        rows = db.session.execute(
            select(CorrectionRequest.id, CorrectionRequest.status, CorrectionRequest.wanted, School.code, User.username)
            .join(School, School.id == CorrectionRequest.school_id)
            .join(User, User.id == CorrectionRequest.requester_id).order_by(CorrectionRequest.id)).all()
        by_status = {status: (rid, wanted, code, username) for rid, status, wanted, code, username in rows}
        # every way a request ends but done
        assert sorted(by_status) == sorted((corrections.OPEN, corrections.DECLINED, corrections.MOVED_ON,
                                            corrections.LOCKED, corrections.YEAR_OVER))
        assert len(rows) == 5
        moved = by_status[corrections.MOVED_ON]
        locked = by_status[corrections.LOCKED]
        over = by_status[corrections.YEAR_OVER]
        assert moved[1:3] == (BEFORE_CREDIT[0], "DEMO") and locked[1:3] == (BEFORE_ACCEPTANCE[0], "NORTH1")
        assert over[1:3] == (IN_ITS_YEAR[0], "DEMO")
        told = set(db.session.execute(select(Notification.link).where(
            Notification.kind == "correction_closed")).scalars())
        assert {f"/corrections/{moved[0]}", f"/corrections/{locked[0]}", f"/corrections/{over[0]}"} <= told
    for (rid, _wanted, _code, username), words in ((moved, "已关闭：活动已先行认定学时或已取消"),
                                                   (locked, "已关闭：学期已验收，无法更改"),
                                                   (over, "已关闭：该学年已结束，无法更改")):
        page = as_user(username).get(f"/corrections/{rid}").get_data(as_text=True)
        assert words in page.split('data-testid="correction-status">', 1)[1][:40], username
        assert f"/corrections/{rid}" in as_user(username).get("/notifications").get_data(as_text=True)
    # the year over one: asked the day its talk was held, in the school year before the last
    page = as_user(over[3]).get(f"/corrections/{over[0]}?lang=zh_CN").get_data(as_text=True)
    assert 'data-testid="correction-own-year-over"' in page
    with site.app_context():
        req = db.session.get_one(CorrectionRequest, over[0])
        act = db.session.get_one(Activity, req.activity_id)
        assert act.starts_at < req.created_at < act.starts_at + timedelta(days=1)
    told = as_user("admin").get("/notifications")  # the admin's notice of it, dated back with it
    assert told.status_code == 200 and f"/corrections/{over[0]}" in told.get_data(as_text=True)


def test_an_hours_setting_stored_off_the_grid_is_said_on_the_admins_page_and_in_the_api(site, as_user):
    with site.app_context():
        found = off_grid()
    assert found is not None
    key, name, stored = found
    page = as_user("admin").get("/admin/types?lang=zh_CN").get_data(as_text=True)
    said = page.split(f'data-testid="read-otherwise-{key}-{name}">', 1)[1].split("</div>", 1)[0]
    assert f"此项原保存为 {stored:g}" in said
    client = site.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "admin", "password": "yanxiu-demo"}).get_json()["token"]
    listed = {t["key"]: t for t in client.get("/api/v1/activity-types",
                                              headers={"Authorization": f"Bearer {token}"}).get_json()}
    assert listed[key]["settings_read_otherwise"][name]["stored"] == stored
    assert listed[key]["settings"][name] == listed[key]["settings_read_otherwise"][name]["read"] < stored
