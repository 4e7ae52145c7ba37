"""学时申报: a training is declared once. The certificate number and the certificate file are
declared once already (``test_declared_hours.py``); a training declared again with a re-scanned
certificate and no number is caught by its title and days (``activities._declared_again``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Activity, Evidence, Participation
from portal.timeutil import school_year_of
from tests.plugins.test_declared_hours import DETAILS, KEY, count, declare, past_start, s1, staff  # noqa: F401
from tests.support import factories as f
from tests.support.at_once import at_once
from tests.support.sessions import log_in

TITLE = "区级骨干教师培训"


def _scan(act, who, data: bytes):
    from portal.services import activities

    return activities.add_evidence(act, who, who.id, "certificate", "结业证书", filename="cert.pdf", data=data)


def _refused_as_again(call) -> None:
    with pytest.raises(Invalid) as err:
        call()
    assert err.value.fields["title"].code == "declared.again"


def test_a_training_declared_again_with_a_new_scan_is_refused(s1, staff):  # noqa: F811
    """Attack: a teacher declares training X on day D (3 hours, a certificate without a number:
    file F1) and submits it; then declares X again — same title, same day, same hours — with a
    re-scanned certificate F2. The number check has no number, the file check sees other bytes,
    and 3 + 3 hours stay under the day's ceiling of 8: both were credited, one training counted
    twice. A declaration with the title of a standing one (spacing, punctuation, full-width
    letters, case folded), on days they share, is now refused, nothing written — in another
    school of the teacher too."""
    t1 = staff["t1"]
    day = past_start(3)
    first = declare(s1, t1, hours="3", start=day, title=TITLE + " 2026")
    _scan(first, t1, b"%PDF-1.4 scan one")
    f.fire(first, t1, "hold")
    before = count(Activity), count(Participation), count(Evidence)
    for again in (TITLE + " 2026", f"《{TITLE}》2026", f"{TITLE}（２０２６）", f" {TITLE}\u200b 2026 "):
        _refused_as_again(lambda again=again: declare(s1, t1, hours="3", start=day, title=again))
    if day.date() - timedelta(days=1) >= date(int(school_year_of(day.date())[:4]), 9, 1):
        _refused_as_again(  # a longer course holding that day
            lambda: declare(s1, t1, hours="6", start=day - timedelta(days=1), days=2, title=TITLE + "2026"))
    s2 = f.school("S2", types=("lecture", KEY))
    f.person(s2, t1.username, "teacher")
    _refused_as_again(lambda: declare(s2, t1, hours="3", start=day, title=TITLE + " 2026"))
    assert (count(Activity), count(Participation), count(Evidence)) == before


def test_honest_declarations_are_taken(s1, staff):  # noqa: F811
    """What the rule leaves alone: two trainings of one day (each its own title), a course of
    the same name on another day, another teacher's declaration of the same training, and a
    training declared again once the first declaration was refused or cancelled."""
    t1, t2, rev = staff["t1"], staff["t2"], staff["reviewer"]
    day = past_start(4)
    first = declare(s1, t1, hours="3", start=day, title=TITLE)
    declare(s1, t1, hours="3", start=day, title="心理健康教育专题培训")  # the afternoon's
    declare(s1, t1, hours="2", start=day + timedelta(days=2), title=TITLE)  # its next session
    declare(s1, t2, hours="3", start=day, title=TITLE)  # a colleague at the same training
    _scan(first, t1, b"%PDF-1.4 scan one")
    f.fire(first, t1, "hold")
    f.fire(first, rev, "refuse", "证书不清晰")
    again = declare(s1, t1, hours="3", start=day, title=TITLE)  # declared anew after the refusal
    f.fire(again, t1, "cancel")
    declare(s1, t1, hours="3", start=day, title=TITLE)


def test_the_page_and_the_api_refuse_it(app, client, s1, staff):  # noqa: F811
    t1 = staff["t1"]
    start = past_start()
    declare(s1, t1, hours="3", start=start, title="网络课程：大单元设计")
    db.session.commit()
    before = count(Activity)
    log_in(client, t1, s1.id)
    data = {
        "title": "网络课程 大单元设计", "starts_at": start.isoformat(timespec="minutes"),
        "ends_at": (start + timedelta(hours=3)).isoformat(timespec="minutes"), "hours": "3",
        "details-provider": "国家中小学智慧教育平台", "details-category": "online",
    }
    r = client.post("/activities/new/declared", data=data)
    assert r.status_code == 422 and "您已申报过该培训（“网络课程：大单元设计”" in r.text and "declared already" not in r.text
    from tests.support.factories import PASSWORD

    token = client.post("/api/v1/auth/token", json={"username": t1.username, "password": PASSWORD}).get_json()["token"]
    body = {"type": KEY, "title": "网络课程：大单元设计", "starts_at": start.isoformat(timespec="minutes") + "+08:00",
            "ends_at": (start + timedelta(hours=3)).isoformat(timespec="minutes") + "+08:00", "hours": 3,
            "details": {"provider": "国家中小学智慧教育平台", "category": "online"}}
    r = client.post("/api/v1/activities", json=body, headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"})
    assert r.status_code == 422 and r.get_json()["fields"]["title"].startswith("you declared this training already")
    assert count(Activity) == before


def test_declared_twice_at_the_same_moment_saves_one(app, s1, staff):  # noqa: F811
    """The same training sent as two declarations at once (3 hours each: together within the
    day's ceiling): the check is made again inside the write, one declaration of a teacher at
    a time (PostgreSQL when ``YANXIU_TEST_DATABASE_URL`` is set)."""
    from portal.models import School, User

    day, school_id, user_id = past_start(3), s1.id, staff["t1"].id
    db.session.commit()
    db.session.remove()

    def send():
        declare(db.session.get(School, school_id), db.session.get(User, user_id), hours="3", start=day, title=TITLE)

    assert at_once(app, 2, send, Invalid) == [201, 422]


def _morning(school, who, title: str, hours: str, day, length=timedelta(hours=3), hour=9):
    from portal.services import activities

    start = day.replace(hour=hour)
    return activities.plan_activity(school, who, KEY, title, start.isoformat(timespec="minutes"),
                                    (start + length).isoformat(timespec="minutes"), hours, None, DETAILS)


def test_declarations_overlapping_in_time_fit_the_time_they_cover(s1, staff):  # noqa: F811
    """Attack: two trainings of 09:00-12:00 declared under two titles at 4 hours each were both
    credited: 8 hours of one morning. Each fits its own length (3 hours give 4), and 8 hours
    stay under the day's ceiling; together they are refused, naming the other declaration and
    what is left, nothing written — in another school of the teacher too."""
    t1 = staff["t1"]
    day = past_start(6)
    first = _morning(s1, t1, "区级班主任培训", "4", day)
    before = count(Activity), count(Participation)
    with pytest.raises(Invalid) as err:
        _morning(s1, t1, "心理健康教育专题培训", "4", day)
    assert err.value.fields["hours"].english == (
        "at most 0 hours: this training overlaps your declaration “区级班主任培训”, and the time they cover together"
        " holds at most 4 hours")
    s2 = f.school("S2", types=("lecture", KEY))
    f.person(s2, t1.username, "teacher")
    with pytest.raises(Invalid) as err:
        _morning(s2, t1, "心理健康教育专题培训", "1", day, length=timedelta(hours=1), hour=10)
    assert err.value.fields["hours"].code == "declared.overlap"
    assert (count(Activity), count(Participation)) == before
    f.fire(first, t1, "cancel")  # the first withdrawn: the morning is free again
    assert _morning(s1, t1, "心理健康教育专题培训", "4", day).hours == 4


def test_parallel_courses_over_the_same_days_are_taken(s1, staff):  # noqa: F811
    """Two online courses of the same week, 10 hours each, fit the week; a morning's training
    and an afternoon's reading circle of the same day do not overlap at all."""
    t1 = staff["t1"]
    day = past_start(9)
    week = timedelta(days=4, hours=8)
    _morning(s1, t1, "网络研修：作业设计", "10", day, length=week)
    assert _morning(s1, t1, "网络研修：课堂评价", "10", day, length=week).hours == 10
    t2 = staff["t2"]
    _morning(s1, t2, "区级班主任培训", "4", day)
    assert _morning(s1, t2, "午后读书会", "2", day, length=timedelta(hours=2), hour=12).hours == 2
