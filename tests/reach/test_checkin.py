"""QR check-in: rotating codes (HMAC over the activity and a 30 s window) tested with an explicit
clock, the check-in window of the school's rules, only the person themselves and only a
participant, the flow from scan to login to confirmation, and check-ins on the attendance page
and the printable sign-in sheet."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from portal.demo_reach import checkin_title
from portal.errors import Conflict, Forbidden, Invalid, NotFound
from portal.extensions import db
from portal.models import CheckIn, Participation, YearSubmission
from portal.policy import SYSTEM, Actor
from portal.services import access, activities, checkin, schools, staff, submissions
from portal.timeutil import to_local, utcnow
from tests.reach.helpers import activity, school, user
from tests.support.sessions import forged_host, log_in
from workflows.definition import Phase

T0 = datetime.fromtimestamp(60_000_000 * 30, UTC).replace(tzinfo=None)  # the start of a 30 s window


def _today(db_session=db):
    from portal.models import Activity

    return db.session.execute(select(Activity).where(Activity.title == checkin_title())).scalar_one()


def count_checkins(act_id: int) -> int:
    db.session.commit()
    return db.session.execute(select(func.count(CheckIn.id)).where(CheckIn.activity_id == act_id)).scalar_one()


# -- codes, with the clock passed in ----------------------------------------------------------


def test_a_code_works_in_its_window_and_the_next_then_expires(app):
    code = checkin.make_code(7, T0)
    assert checkin.make_code(7, T0 + timedelta(seconds=29)) == code  # the same for 30 s
    assert checkin.make_code(7, T0 + timedelta(seconds=30)) != code  # then the screen shows a new one
    for later in (0, 29, 30, 59):
        assert checkin.verify_code(7, code, T0 + timedelta(seconds=later)) == checkin.window_of(T0)
    with pytest.raises(Conflict) as expired:
        checkin.verify_code(7, code, T0 + timedelta(seconds=60))  # a photo sent on: dead within a minute
    assert expired.value.msg.code == "checkin.code_expired"
    assert checkin.seconds_left(T0) == 30 and checkin.seconds_left(T0 + timedelta(seconds=25)) == 5


@pytest.mark.parametrize("bad", [
    "", "abc", "1.2.3", "x.y", "9" * 13 + ".abc", None, 12, "٣٤.abc", "60000000.0000000000000000000000",
    "².abc", "1².abc", "1.é", "60000000.ü",
])
def test_forged_or_garbled_codes_are_refused(app, bad):
    with pytest.raises(Invalid) as refused:
        checkin.verify_code(7, bad, T0)
    assert refused.value.msg.code == "checkin.code_invalid"


def test_a_code_names_one_activity_and_cannot_come_from_the_future(app):
    with pytest.raises(Invalid):
        checkin.verify_code(8, checkin.make_code(7, T0), T0)  # another activity's code
    with pytest.raises(Invalid):
        checkin.verify_code(7, checkin.make_code(7, T0 + timedelta(minutes=5)), T0)
    other = app.config["SECRET_KEY"]
    code = checkin.make_code(7, T0)
    app.config["SECRET_KEY"] = "another-secret-key-0123456789"
    try:
        with pytest.raises(Invalid):  # made with another key: forged
            checkin.verify_code(7, code, T0)
    finally:
        app.config["SECRET_KEY"] = other


# -- the window and who may check in ---------------------------------------------------------


def test_check_in_opens_and_closes_by_the_schools_rules(app, demo):
    act = _today()
    start = act.starts_at
    with pytest.raises(Conflict) as early:
        checkin.require_open(act, demo, start - timedelta(minutes=31))
    local_open = to_local(start - timedelta(minutes=30), demo.timezone).strftime("%H:%M")
    assert early.value.msg.code == "checkin.not_open_yet" and local_open in early.value.msg.english
    checkin.require_open(act, demo, start - timedelta(minutes=30))
    checkin.require_open(act, demo, start + timedelta(minutes=30))
    with pytest.raises(Conflict) as late:
        checkin.require_open(act, demo, start + timedelta(minutes=31))
    assert late.value.msg.code == "checkin.closed"
    schools.update_rules(demo, {"checkin_opens_minutes": 60, "checkin_closes_minutes": 10}, by=SYSTEM)
    checkin.require_open(act, demo, start - timedelta(minutes=45))
    with pytest.raises(Conflict):
        checkin.require_open(act, demo, start + timedelta(minutes=11))


def test_check_in_closes_when_the_activity_ends_whatever_the_rule(app, demo):
    """Attack: the school lets check-in close 24 hours after the start (the rule's most), and a
    participant who missed a two-hour lecture scanned the code a colleague photographed at the
    door and confirmed three hours after it ended. They were marked present, and the attendance
    page offered the organizer their full hours for one who was not there. Check-in now closes
    at the activity's end at the latest; nothing is written after it."""
    act = _today()
    schools.update_rules(demo, {"checkin_closes_minutes": 24 * 60}, by=SYSTEM)
    db.session.commit()
    assert act.ends_at < act.starts_at + timedelta(hours=24)
    checkin.require_open(act, demo, act.ends_at)  # up to its end
    after = act.ends_at + timedelta(hours=3)
    with pytest.raises(Conflict) as late:
        checkin.check_in(act, user("teacher5"), after, after)
    assert late.value.msg.code == "checkin.closed"
    assert to_local(act.ends_at, demo.timezone).strftime("%H:%M") in late.value.msg.english
    db.session.rollback()
    assert count_checkins(act.id) == 2


def test_bad_window_rules_are_refused_and_change_nothing(app, demo):
    for bad in ({"checkin_opens_minutes": -1}, {"checkin_closes_minutes": 2000}, {"quiet_hours_start": 24},
                {"quiet_hours_end": 6.5}, {"checkin_opens_minutes": "30"}):
        with pytest.raises(Invalid):
            schools.update_rules(demo, bad, by=SYSTEM)
    db.session.rollback()
    assert demo.rule("checkin_opens_minutes") == 30 and demo.rule("quiet_hours_start") == 22


def test_only_a_participant_checks_in_once_while_open(app, demo):
    act = _today()
    now = act.starts_at - timedelta(minutes=5)
    first = checkin.check_in(act, user("teacher1"), now - timedelta(seconds=20), now)
    again = checkin.check_in(act, user("teacher1"), now, now + timedelta(minutes=1))
    assert again.id == first.id and count_checkins(act.id) == 3  # with the demo's two
    with pytest.raises(Forbidden) as stranger:
        checkin.check_in(act, user("teacher4"), now, now)  # not in the activity
    assert stranger.value.msg.code == "checkin.not_participant"
    with pytest.raises(Conflict):  # a scan kept too long before confirming
        checkin.check_in(act, user("teacher5"), now - timedelta(minutes=6), now)
    with pytest.raises(Conflict) as future:  # a future session: the window is not open yet
        checkin.check_in(act, user("teacher5"), act.starts_at - timedelta(days=1), act.starts_at - timedelta(days=1))
    assert future.value.msg.code == "checkin.not_open_yet"
    held = activity("lecture", Phase.AWAITING_REVIEW)
    member = db.session.execute(select(Participation).where(Participation.activity_id == held.id)).scalars().first()
    with pytest.raises(Conflict) as closed:  # no longer open: attendance is the organizer's now
        checkin.check_in(held, db.session.get(type(user("teacher1")), member.user_id), held.starts_at, held.starts_at)
    assert closed.value.msg.code == "checkin.not_open_state"
    assert count_checkins(act.id) == 3


def test_an_accepted_year_takes_no_check_in(app, demo):
    """Attack: the district accepts the demo school's year while today's lecture, one of its
    activities, is still open (the acceptance freezes it uncredited). The screen went on showing
    a code and a participant checked in: a row added to the accepted year's activity, printed
    on its sign-in sheet and offered as full attendance on the attendance page once the year
    is reopened — as written evidence and the roster, refused. Now the screen shows no code and
    a check-in is refused as locked; reopened, it works again."""
    act = _today()
    pending = db.session.execute(select(YearSubmission).where(
        YearSubmission.school_id == demo.id, YearSubmission.school_year == act.school_year,
        YearSubmission.status == submissions.SUBMITTED)).scalar_one()
    district = Actor.of(user("dreviewer").id, ["district_reviewer"])
    submissions.decide(pending.id, True, by=district, district_id=demo.district_id)
    db.session.commit()
    now = act.starts_at - timedelta(minutes=5)
    with pytest.raises(Conflict) as screen:  # what the screen asks before it shows a code
        checkin.require_open(act, demo, now)
    assert screen.value.msg.code == "year.locked"
    with pytest.raises(Conflict) as locked:
        checkin.check_in(act, user("teacher1"), now, now)
    assert locked.value.msg.code == "year.locked"
    db.session.rollback()
    assert count_checkins(act.id) == 2
    submissions.reopen(pending.id, "补录签到", by=Actor.of(user("district").id, ["district_admin"]),
                       district_id=demo.district_id)
    db.session.commit()
    checkin.check_in(act, user("teacher1"), now, now)
    assert count_checkins(act.id) == 3


def test_a_teacher_who_left_the_school_cannot_check_in_to_its_activity(app, demo):
    """Attack: teacher1 leaves the school (the admin ends their roles) but stays on today's
    lecture's roster, as history stays. The pages answer 404 (the activity is not of their
    schools), but the check-in service, which enforces, asked only for the roster: called with
    the scan of a code, it marked someone present at a school they no longer belong to. Now
    refused as the pages refuse it (not found); nothing is written."""
    act = _today()
    leaver = user("teacher1")
    staff.deactivate(demo, leaver.id, by=access.actor(user("admin").id, demo.id))
    db.session.commit()
    assert db.session.execute(select(Participation.id).where(
        Participation.activity_id == act.id, Participation.user_id == leaver.id)).first() is not None
    now = act.starts_at - timedelta(minutes=5)
    with pytest.raises(NotFound) as gone:
        checkin.check_in(act, leaver, now, now)
    assert gone.value.msg.code == "activity.not_found"
    db.session.rollback()
    assert count_checkins(act.id) == 2


def test_a_teacher_deactivated_as_the_check_in_writes_is_not_checked_in(app, demo, monkeypatch):
    """Attack: teacher1 confirms a scan while the admin ends their roles at the same moment.
    The check-in read their membership before its write and so went through: a person of no
    school of ours marked present. Their memberships are now read, locked, inside the write
    (``access.roles_now``): refused as the pages refuse them (not found); nothing is written."""
    from tests.support.at_once import just_before_the_write

    act, leaver, admin = _today(), user("teacher1"), access.actor(user("admin").id, demo.id)
    just_before_the_write(monkeypatch, checkin, lambda: staff.deactivate(demo, leaver.id, by=admin))
    now = act.starts_at - timedelta(minutes=5)
    with pytest.raises(NotFound) as gone:
        checkin.check_in(act, leaver, now, now)
    assert gone.value.msg.code == "activity.not_found"
    db.session.rollback()
    assert count_checkins(act.id) == 2 and not access.school_roles(leaver.id, demo.id)


# -- pages ----------------------------------------------------------------------------------


def _screen_code(client, act_id: int) -> str:
    state = client.get(f"/activities/{act_id}/checkin/screen.json").get_json()
    assert state["open"] is True and "<svg" in state["svg"]
    path = urlsplit(state["url"]).path
    assert path.startswith(f"/checkin/{act_id}/")
    return path


def test_the_qr_code_leads_to_the_public_address_whatever_the_host_header(make_app):
    """The link in the QR code is built from ``PUBLIC_URL``, never from the request's ``Host``."""
    app = make_app(demo=True, PUBLIC_URL="https://yanxiu.example.edu.cn")
    with app.app_context():
        act = _today()
        organizer = log_in(app.test_client(), user("organizer"), school().id)
    r = organizer.get(f"/activities/{act.id}/checkin/screen.json", headers=forged_host(organizer, "evil.example"))
    assert r.status_code == 200, r.status_code
    state = r.get_json()
    assert state["url"].startswith(f"https://yanxiu.example.edu.cn/checkin/{act.id}/"), state["url"]
    assert "evil.example" not in state["svg"] + state["url"]


@pytest.mark.parametrize(("address", "warned"), [
    ("http://127.0.0.1:5000", True),
    ("http://localhost:5000", True),
    ("http://[::1]:8000/yanxiu", True),
    ("http://192.168.1.20:5000", False),
    ("https://yanxiu.example.edu.cn", False),
])
def test_the_screen_warns_when_its_code_leads_to_this_computer_only(make_app, address, warned):
    """A phone that scans a code for 127.0.0.1 opens its own loopback: the organiser reads why
    (in Chinese) before the room tries to check in, and where the address is set."""
    app = make_app(demo=True, PUBLIC_URL=address)
    with app.app_context():
        act = _today()
        organizer = log_in(app.test_client(), user("organizer"), school().id)
    page = organizer.get(f"/activities/{act.id}/checkin/screen").get_data(as_text=True)
    assert ('data-testid="checkin-local-address"' in page) is warned
    if warned:
        assert "手机" in page and address.rstrip("/") in page
        assert "could not" not in page and "phone that scans" not in page


def test_scan_log_in_confirm_marks_the_person_present(make_app):
    app = make_app(demo=True)
    with app.app_context():
        act = _today()
        organizer = log_in(app.test_client(), user("organizer"), school().id)
    screen = organizer.get(f"/activities/{act.id}/checkin/screen").get_data(as_text=True)
    assert 'data-testid="checkin-count">2<' in screen and "<svg" in screen
    phone = app.test_client()  # not logged in
    scanned = phone.get(_screen_code(organizer, act.id))
    assert scanned.status_code == 302 and scanned.headers["Location"].endswith(f"/checkin/{act.id}")
    to_login = phone.get(f"/checkin/{act.id}")
    assert to_login.status_code == 302 and "/login" in to_login.headers["Location"]
    logged = phone.post("/login?next=" + f"/checkin/{act.id}", data={"username": "teacher1", "password": "yanxiu-demo"})
    assert logged.status_code == 302 and logged.headers["Location"].endswith(f"/checkin/{act.id}")
    page = phone.get(f"/checkin/{act.id}").get_data(as_text=True)
    assert 'data-testid="checkin-submit"' in page and "王雅琴" in page
    done = phone.post(f"/checkin/{act.id}")
    assert done.status_code == 200 and 'data-testid="checkin-done"' in done.get_data(as_text=True)
    assert organizer.get(f"/activities/{act.id}/checkin/screen.json").get_json()["count"] == 3
    again = phone.get(f"/checkin/{act.id}").get_data(as_text=True)
    assert 'data-testid="checkin-done"' in again  # and no second row
    with app.app_context():
        assert count_checkins(act.id) == 3


def test_expired_forged_or_foreign_scans_are_refused_clearly_and_change_nothing(make_app):
    app = make_app(demo=True)
    with app.app_context():
        act = _today()
        old = checkin.make_code(act.id, utcnow() - timedelta(seconds=90))
        teacher = log_in(app.test_client(), user("teacher1"), school().id)
        stranger = log_in(app.test_client(), user("teacher4"), school().id)
        organizer = log_in(app.test_client(), user("organizer"), school().id)
    r = teacher.get(f"/checkin/{act.id}/{old}")
    assert r.status_code == 409 and "签到码已过期" in r.get_data(as_text=True)
    r = teacher.get(f"/checkin/{act.id}/{old[:-2]}zz")
    assert r.status_code == 404 and "签到码无效" in r.get_data(as_text=True)  # forged: no such code
    assert teacher.get("/checkin/99999999999/1.abc").status_code == 404
    r = teacher.get(f"/checkin/{act.id}")  # no scan in this browser: asked to scan
    assert r.status_code == 200 and 'data-testid="checkin-need-scan"' in r.get_data(as_text=True)
    assert teacher.post(f"/checkin/{act.id}").status_code == 200  # nothing to confirm
    code = _screen_code(organizer, act.id)
    stranger.get(code)
    r = stranger.get(f"/checkin/{act.id}")
    assert r.status_code == 403 and "您不是本活动的参与者" in r.get_data(as_text=True)
    assert stranger.post(f"/checkin/{act.id}").status_code == 403
    assert teacher.get(f"/activities/{act.id}/checkin/screen").status_code == 403  # not theirs to show
    assert teacher.get(f"/activities/{act.id}/sign-in-sheet").status_code == 403
    with app.app_context():
        assert count_checkins(act.id) == 2


def test_attendance_shows_check_ins_and_the_organizers_correction(make_app):
    app = make_app(demo=True)
    with app.app_context():
        act = _today()
        act.starts_at = utcnow() - timedelta(minutes=20)  # it has begun: attendance may be recorded
        act.ends_at = act.starts_at + timedelta(hours=2)
        db.session.commit()
        act_id = act.id
        organizer = log_in(app.test_client(), user("organizer"), school().id)
        ids = {u: user(u).id for u in ("teacher1", "teacher2", "teacher3", "teacher5", "teacher6", "reviewer")}
    page = organizer.get(f"/activities/{act_id}/attendance").get_data(as_text=True)
    assert re.search(r'data-testid="checked-in-teacher2">\d{4}-', page)
    assert 'data-testid="checked-in-teacher1">—' in page
    assert re.search(rf'name="attended-{ids["teacher2"]}"\s+value="2"', page)  # offered: full hours
    assert re.search(rf'name="attended-{ids["teacher1"]}"\s+value=""', page)
    form = {f"attended-{uid}": "2" for uid in ids.values()}
    form[f"attended-{ids['teacher3']}"] = "0"  # checked in, but the organizer saw them leave
    form[f"absent-{ids['teacher3']}"] = "2"
    assert organizer.post(f"/activities/{act_id}/attendance", data=form).status_code == 302
    page = organizer.get(f"/activities/{act_id}/attendance").get_data(as_text=True)
    row = page.split('data-testid="checked-in-teacher3">', 1)[1].split("</td>", 1)[0]
    assert "未到" in row or "recorded absent" in row or "记为缺席" in row
    with app.app_context():
        assert count_checkins(act_id) == 2  # the check-ins stay beside the record


def test_marking_it_held_while_check_in_is_open_asks_first(make_app):
    """At the door, a minute after the start, the organiser pressed 标记为已举行: check-in closed at
    once (the activity left the open phase) though its window ran 30 minutes more, with no
    question asked and no way back for whoever came late. The button now asks first, saying until
    when check-in is open and how many have not checked in; once the window is over it asks
    nothing (hold is not one of the steps that always confirm)."""
    app = make_app(demo=True)
    with app.app_context():
        act = _today()
        act.starts_at = utcnow() - timedelta(minutes=5)
        act.ends_at = act.starts_at + timedelta(hours=2)
        db.session.commit()
        act_id, closes = act.id, to_local(act.starts_at + timedelta(minutes=30), school().timezone)
        organizer = log_in(app.test_client(), user("organizer"), school().id)

    def hold_button(lang: str = "zh") -> str:
        page = organizer.get(f"/activities/{act_id}" + ("?lang=en" if lang == "en" else "")).get_data(as_text=True)
        return page.split('data-testid="trigger-hold"', 1)[1].split(">", 1)[0]

    asked = hold_button()
    assert f"扫码签到开放至 {closes:%Y-%m-%d %H:%M}，共 6 人中还有 4 人未签到" in asked, asked
    assert "Check-in is open until" in hold_button("en") and "4 of 6 participants" in hold_button("en")
    with app.app_context():
        act = db.session.get(type(act), act_id)
        act.starts_at = utcnow() - timedelta(minutes=31)  # its window is over: nothing to warn of
        db.session.commit()
    assert "data-confirm" not in hold_button()


def test_the_sign_in_sheet_lists_everyone_by_pinyin_with_a_signature_column(make_app):
    app = make_app(demo=True)
    with app.app_context():
        act = _today()
        organizer = log_in(app.test_client(), user("organizer"), school().id)
    html = organizer.get(f"/activities/{act.id}/sign-in-sheet").get_data(as_text=True)
    assert "签到表" in html and "签名" in html and html.count('class="sheet-signature"') == 7
    order = re.findall(r'data-testid="sheet-row-(\w+)"', html)
    # 何立新 He, 孙嘉怡 Sun, 王雅琴 Wang, 赵子涵 Zhao, 郑佳慧 Zheng, 周明轩 Zhou
    assert order == ["teacher6", "teacher3", "teacher1", "teacher2", "teacher5", "reviewer"]


@pytest.mark.parametrize("code", ["².abc", "1².abc", "1.é"])
def test_a_made_up_link_with_other_digits_or_letters_is_not_found_not_an_error(make_app, code):
    """Anyone may open ``/checkin/<activity>/<code>`` without logging in: a code spelt with
    superscript digits or accented letters is no code (404), never a server error."""
    app = make_app(demo=True)
    with app.app_context():
        act = _today()
    r = app.test_client().get(f"/checkin/{act.id}/{code}")
    assert r.status_code == 404 and "签到码无效" in r.get_data(as_text=True)
    with app.app_context():
        assert count_checkins(act.id) == 2


def test_a_teacher_of_two_schools_checks_in_whichever_school_is_chosen(make_app):
    """The scan finds the activity in any of the person's schools; confirming did not (404 with
    the other school chosen, or after logging in into their first school). Someone of neither
    school still gets 404."""
    from tests.support import factories as f

    app = make_app(demo=True)
    with app.app_context():
        act_id = _today().id
        other = f.school("S2")
        f.person(other, "teacher1", "teacher")
        f.person(other, "outsider", "teacher")
        db.session.commit()
        organizer = log_in(app.test_client(), user("organizer"), school().id)
        phone = log_in(app.test_client(), user("teacher1"), other.id)  # the other school chosen
        outsider = log_in(app.test_client(), user("outsider"), other.id)
    assert phone.get(_screen_code(organizer, act_id)).status_code == 302
    page = phone.get(f"/checkin/{act_id}")
    assert page.status_code == 200 and 'data-testid="checkin-submit"' in page.get_data(as_text=True)
    done = phone.post(f"/checkin/{act_id}")
    assert done.status_code == 200 and 'data-testid="checkin-done"' in done.get_data(as_text=True)
    assert outsider.get(f"/checkin/{act_id}").status_code == 404
    assert outsider.post(f"/checkin/{act_id}").status_code == 404
    with app.app_context():
        assert count_checkins(act_id) == 3


@pytest.mark.parametrize("username", ["teacher3", "organizer"])
def test_a_declaration_has_no_check_in_nor_sign_in_sheet(make_app, username):
    """A teacher's own declaration (学时申报) of a training held elsewhere offered its declarer a
    扫码签到屏 and a 签到表 with their own name, on the phone, while its hours were on: check-in is
    attendance, and a declaration's participant and hours are fixed when it is declared
    (``declared.fixed``). Neither link is shown, both pages are refused, and a code of the
    moment checks nobody in — for an organiser's own declaration too."""
    app = make_app(demo=True)
    with app.app_context():
        declarer = user(username)
        start = (utcnow() - timedelta(minutes=10)).replace(second=0, microsecond=0)
        act = activities.plan_activity(school(), declarer, "declared", "区级培训：整本书阅读教学",
                                       start.isoformat(timespec="minutes"),
                                       (start + timedelta(hours=2)).isoformat(timespec="minutes"), "2", None,
                                       {"provider": "区教师进修学校", "category": "district"})
        act_id = act.id
        client = log_in(app.test_client(), declarer, school().id)
    page = client.get(f"/activities/{act_id}").get_data(as_text=True)
    assert 'data-testid="participants"' in page  # the page is the declarer's to run
    assert 'data-testid="checkin-screen-link"' not in page and 'data-testid="sign-in-sheet-link"' not in page
    assert "扫码签到屏" not in page and "签到表" not in page
    assert client.get(f"/activities/{act_id}/checkin/screen").status_code == 403
    assert client.get(f"/activities/{act_id}/checkin/screen.json").status_code == 403
    assert client.get(f"/activities/{act_id}/sign-in-sheet").status_code == 403
    with app.app_context():
        act = db.session.get(type(act), act_id)
        now = utcnow()
        with pytest.raises(Conflict) as refused:
            checkin.require_open(act, school(), now)
        assert refused.value.msg.code == "declared.fixed"
        with pytest.raises(Conflict) as refused:
            checkin.check_in(act, user(username), now, now)
        assert refused.value.msg.code == "declared.fixed"
        assert count_checkins(act_id) == 0
        assert checkin.open_until(db.session.get(type(act), act_id), school(), utcnow()) is None
