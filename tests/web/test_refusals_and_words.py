"""What a school user reads: refusals beside the action, in words, with the page's own URL
kept; no English codes (type keys, triggers, states, evidence kinds) on Chinese pages."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, User
from portal.timeutil import utcnow

CODE_IN_BRACKETS = re.compile(r"[（(](?:article|reflection|evaluation|handbook|meeting_log|report|[a-z_]{4,})[)）]")
ASCII_WORD = re.compile(r"[A-Za-z_]{4,}")


def _cells(html: str, column: str) -> list[str]:
    return re.findall(rf'<td class="col-{column}"[^>]*>([^<]*)</td>', html)  # data-label: the phone's card


def test_a_refused_step_is_shown_in_place_beside_the_buttons(site, as_user):
    with site.app_context():
        act_id = db.session.execute(
            select(Activity.id).join(User, User.id == Activity.organizer_id)
            .where(Activity.state == "planned", Activity.starts_at > utcnow() + timedelta(days=1),
                   User.username == "organizer")
            .order_by(Activity.id)
        ).scalars().first()
    c = as_user("organizer")
    page = c.get(f"/activities/{act_id}").get_data(as_text=True)
    assert f'action="/activities/{act_id}#actions"' in page and f"/activities/{act_id}/trigger" not in page
    r = c.post(f"/activities/{act_id}", data={"trigger": "hold", "comment": ""})
    assert r.status_code in (409, 422)  # rendered in place: the address stays /activities/<id>
    html = r.get_data(as_text=True)
    assert 'id="actions"' in html, html[-3000:]
    actions = html.split(' id="actions"')[1].split("</section>")[0]
    assert 'data-testid="trigger-error"' in actions
    error = actions.split('data-testid="trigger-error"')[1].split("</div>")[0]
    assert not ASCII_WORD.search(re.sub(r"<[^>]+>", "", error)), error


def test_review_refusals_sit_on_the_card_in_words(site, as_user):
    with site.app_context():
        held = list(db.session.execute(select(Activity.id).where(Activity.state == "held")).scalars())
    reviewer = as_user("reviewer")
    r = reviewer.post("/review/bulk", data={"action": "approve", "ids": [str(i) for i in held]})
    assert r.status_code == 302
    html = reviewer.get("/review").get_data(as_text=True)
    with site.app_context():
        refused = list(db.session.execute(
            select(Activity.id).where(Activity.id.in_(held), Activity.state == "held")).scalars())
    assert refused
    for act_id in refused:
        card = html.split(f'id="activity-{act_id}"')[1].split('class="card mb-3"')[0]
        assert 'data-testid="flash-danger"' in card
        message = card.split('data-testid="flash-danger"')[1].split("</div>")[0]
        assert not CODE_IN_BRACKETS.search(message), message
        assert f"活动 {act_id}" not in message and str(act_id) not in re.sub(r"\d+/\d+", "", message)
    # one refusal, by its own decide form (its address anchored at the card): answered in place, on the card
    assert f'action="/review/{refused[0]}#activity-{refused[0]}"' in html
    r = reviewer.post(f"/review/{refused[0]}", data={"action": "approve"})
    assert r.status_code == 422
    card = r.get_data(as_text=True).split(f'id="activity-{refused[0]}"')[1].split('class="card mb-3"')[0]
    assert 'data-testid="flash-danger"' in card


def test_a_bulk_approval_says_at_the_top_why_each_was_not_done(site, as_user):
    """「已完成 0 / 5 项活动」 said nothing of why: the top says each refusal's words (those on the
    card, the catalogue's) after the titles it refused, and one not found by its words alone."""
    with site.app_context():
        held = list(db.session.execute(
            select(Activity.id, Activity.title).where(Activity.state == "held").order_by(Activity.id)).all())
    reviewer = as_user("reviewer")
    ids = [str(aid) for aid, _title in held] + ["999999"]
    page = reviewer.post("/review/bulk?lang=zh_CN", data={"action": "approve", "ids": ids},
                         follow_redirects=True).get_data(as_text=True)
    with site.app_context():
        refused = list(db.session.execute(select(Activity.id, Activity.title).where(
            Activity.id.in_([aid for aid, _t in held]), Activity.state == "held").order_by(Activity.id)).all())
    assert refused
    top = [re.sub(r"\s+", " ", m).strip() for m in re.findall(
        r'alert-dismissible fade show" role="alert" data-testid="flash-warning">(.*?)<button', page, re.S)]
    assert top and all(m.startswith("未完成：") for m in top), top
    cards = {aid: page.split(f'id="activity-{aid}"')[1].split('data-testid="flash-danger"')[1].split("</div>")[0]
             for aid, _title in refused}  # the card's own words, there as before
    for aid, title in refused:
        line = next(m for m in top if f"“{title}”" in m)
        assert re.sub(r"\s+", " ", cards[aid].split(">", 1)[1]).strip() in line, (line, cards[aid])
    assert "未完成：找不到该活动" in top  # the id no activity has: the words alone
    assert not any(ASCII_WORD.search(m) or "999999" in m for m in top), top


def test_no_english_codes_on_chinese_pages(site, as_user):
    admin = as_user("admin")
    html = admin.get("/admin/audit").get_data(as_text=True)
    for column in ("type_key", "trigger", "from_state", "to_state"):
        cells = _cells(html, column)
        assert cells, column
        assert not any(ASCII_WORD.search(c) for c in cells), (column, cells[:5])
    ledger = admin.get("/admin/audit?view=ledger").get_data(as_text=True)
    assert not any(ASCII_WORD.search(c) for c in _cells(ledger, "kind") + _cells(ledger, "role"))
    types = admin.get("/admin/types").get_data(as_text=True)
    for key in ("lecture", "mentorship", "observation"):
        assert f">{key}<" not in types
    queue = as_user("reviewer").get("/review").get_data(as_text=True)
    for code in ("handbook 1", "meeting_log 1", "reflection 1", "(handbook"):
        assert code not in queue
    assert "/activities/" in queue and "《" in queue  # the demo's evidence has titles in words


def test_audit_filter_errors_in_words(as_user):
    r = as_user("admin").get("/admin/audit?from=yesterday&activity=-3")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "请写成 2026-10-15 或 2026年10月15日" in html and "请填正整数" in html
    assert "a date such" not in html and "<code>from</code>" not in html


def test_a_step_no_later_step_puts_back_says_what_it_loses(site, as_user):
    """Cancelling an activity and revoking its credited hours asked only 确定吗？ (Are you sure?):
    the question now says what is lost — the activity ends for good, or the participants'
    credited hours come off their records — in Chinese and in English; a step forward asks nothing."""
    with site.app_context():
        planned, credited = (db.session.execute(
            select(Activity.id).where(Activity.type_key == "lecture", Activity.state == state).order_by(Activity.id)
        ).scalars().first() for state in ("planned", "credited"))

    def question(who: str, act_id: int, trigger: str, lang: str = "zh") -> str | None:
        page = as_user(who).get(f"/activities/{act_id}" + ("?lang=en" if lang == "en" else "")).get_data(as_text=True)
        button = page.split(f'data-testid="trigger-{trigger}"', 1)[1].split(">", 1)[0]
        found = re.search(r'data-confirm="([^"]*)"', button)
        return found.group(1) if found else None

    assert question("organizer", planned, "cancel") == "此步之后活动即告结束，无法恢复。确定继续吗？"
    assert question("organizer", planned, "cancel", "en") == "This ends the activity: no later step brings it back. Go on?"
    assert question("reviewer", credited, "revoke") == "参加人员已认定的学时将从其记录中撤销。确定继续吗？"
    assert "taken off their records" in (question("reviewer", credited, "revoke", "en") or "")


def test_a_forged_type_key_on_the_districts_type_form_is_refused_once(site, as_user):
    """The type switch of the district's settings page, its key forged: the refusal (its why and
    its field's reason, the same words) read twice, 「未知的活动类型“nope”；未知的活动类型“nope”」."""
    web = as_user("district")
    for lang, said in (("zh_CN", "未知的活动类型“nope”"), ("en", "unknown activity type &#39;nope&#39;")):
        r = web.post(f"/district/settings?lang={lang}", data={"form": "type", "type_key": "nope", "enabled": "1"})
        assert r.status_code == 422 and r.get_data(as_text=True).count(said) == 1, lang
