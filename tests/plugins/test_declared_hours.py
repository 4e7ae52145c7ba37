"""学时申报: a teacher declares outside training; a reviewer approves (maybe lower), returns or
refuses; approved hours reach the ledger. Bounded, never self-approved, bad input changes nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from portal.errors import Conflict, Forbidden, GuardFailedError, Invalid
from portal.extensions import db
from portal.models import Activity, CreditEntry, Participation
from portal.services import access, activities, schools, tokens, transitions
from portal.timeutil import parse_iso, school_year_of, to_local, utcnow
from tests.support import factories as f
from tests.support.at_once import at_once
from tests.support.sessions import log_in

KEY = "declared"
DETAILS = {"provider": "区教师进修学校", "category": "district"}


def past_start(days: int = 5) -> datetime:
    """A local start ``days`` ago, kept inside the current school year."""
    today = to_local(utcnow(), "Asia/Shanghai").date()
    first = date(int(school_year_of(today)[:4]), 9, 1)
    day = max(first, today - timedelta(days=days))
    return datetime(day.year, day.month, day.day, 0, 0)


def ended(start: datetime, length: timedelta) -> datetime:
    """The end of a training of ``length`` from ``start``, or a minute ago if that is sooner:
    on the first morning of a school year its first day has not had eight hours yet."""
    latest = to_local(utcnow(), "Asia/Shanghai").replace(tzinfo=None, second=0, microsecond=0) - timedelta(minutes=1)
    return min(start + length, latest) if start < latest else start + length


@pytest.fixture
def s1(app):
    return f.school("S1", types=("lecture", KEY))


@pytest.fixture
def staff(s1):
    out = f.staff(s1)
    out["rev2"] = f.person(s1, "rev2", "reviewer", "teacher")
    return out


def declare(school, who, hours="6", start=None, days=1, details=None, participants=None, title="区级骨干教师培训", **kw):
    start = start or past_start()
    end = ended(start, timedelta(days=days - 1, hours=8))
    return activities.plan_activity(
        school, who, KEY, title, start.isoformat(timespec="minutes"),
        end.isoformat(timespec="minutes"), hours, participants, DETAILS if details is None else details, **kw,
    )


def certificate(act, who, data=b"%PDF-1.4 x"):
    return activities.add_evidence(act, who, who.id, "certificate", "结业证书", filename="cert.pdf", data=data)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_teacher_declares_and_a_reviewer_approves_lower_with_reason(s1, staff):
    t1, rev = staff["t1"], staff["reviewer"]
    act = declare(s1, t1, hours="6")
    assert act.organizer_id == t1.id and act.state == "planned"
    parts = db.session.execute(select(Participation).where(Participation.activity_id == act.id)).scalars().all()
    assert [(p.user_id, p.role, p.attended_hours) for p in parts] == [(t1.id, "declarant", Decimal("6.0"))]
    with pytest.raises(GuardFailedError):  # submitted with its certificate only
        f.fire(act, t1, "hold")
    certificate(act, t1)
    f.fire(act, t1, "hold")
    with pytest.raises(Invalid):  # lowering needs a reason
        f.fire(act, rev, "approve", "", hours={str(t1.id): "4"})
    with pytest.raises(Invalid):  # never above what was declared
        f.fire(act, rev, "approve", "证书学时为8", hours={str(t1.id): "8"})
    f.fire(act, rev, "approve", "证书注明4学时", hours={str(t1.id): "4"})
    f.fire(act, rev, "credit")
    entries = db.session.execute(select(CreditEntry).where(CreditEntry.activity_id == act.id)).scalars().all()
    assert [(e.user_id, e.type_key, e.hours, e.reason) for e in entries] == [(t1.id, KEY, Decimal("4.0"), "证书注明4学时")]


def test_the_declarer_never_decides_even_as_a_reviewer(s1, staff):
    rev, rev2 = staff["reviewer"], staff["rev2"]
    act = declare(s1, rev)  # a reviewer declares their own training
    certificate(act, rev)
    f.fire(act, rev, "hold")
    for trigger, comment in (("approve", "好"), ("return", "补材料"), ("refuse", "不符合")):
        with pytest.raises(Forbidden):
            f.fire(act, rev, trigger, comment)
    assert "approve" not in transitions.allowed_triggers(act, rev.id)
    f.fire(act, rev2, "approve", "材料齐全")
    with pytest.raises(Forbidden):
        f.fire(act, rev, "credit")
    f.fire(act, rev2, "credit")
    assert db.session.scalar(select(func.sum(CreditEntry.hours)).where(CreditEntry.user_id == rev.id)) == Decimal("6.0")


def test_return_and_refuse(s1, staff):
    t1, rev = staff["t1"], staff["reviewer"]
    act = declare(s1, t1)
    certificate(act, t1)
    f.fire(act, t1, "hold")
    f.fire(act, rev, "return", "证书不清晰，请重新上传")
    assert act.state == "held"
    with pytest.raises(Invalid, match="not saved"):  # the same file again is not the clearer one asked for
        certificate(act, t1)
    certificate(act, t1, b"%PDF-1.4 clearer")  # still open for the teacher's evidence
    with pytest.raises(Invalid):
        f.fire(act, rev, "refuse", "")  # a refusal says why
    f.fire(act, rev, "refuse", "非教育类培训，不予认定")
    assert db.session.get(Activity, act.id).state == "refused"
    assert count(CreditEntry) == 0
    with pytest.raises(Conflict):
        certificate(act, t1)


@pytest.mark.parametrize(
    ("hours", "days", "start_shift", "field"),
    [
        ("0", 1, 0, "hours"),
        ("-2", 1, 0, "hours"),
        ("0.3", 1, 0, "hours"),
        ("41", 6, 0, "hours"),  # above the school's ceiling per declaration (40)
        ("9", 1, 0, "hours"),  # above 8 hours a day
        ("abc", 1, 0, "hours"),
        ("1e400", 1, 0, "hours"),
        ("4", 1, 3, "ends_at"),  # in the future
        ("4", 1, 400, "starts_at"),  # last school year
    ],
)
def test_bounds_refused_and_nothing_written(s1, staff, hours, days, start_shift, field):
    t1 = staff["t1"]
    before = count(Activity), count(Participation)
    if start_shift > 300:
        start = past_start(0) - timedelta(days=start_shift)
    elif start_shift:
        start = datetime.combine(to_local(utcnow(), "Asia/Shanghai").date() + timedelta(days=start_shift), datetime.min.time())
    else:
        start = past_start(days + 2)
    with pytest.raises(Invalid) as err:
        declare(s1, t1, hours=hours, days=days, start=start)
    assert field in err.value.fields
    assert (count(Activity), count(Participation)) == before


def test_only_ones_own_and_alone(s1, staff):
    t1, t2 = staff["t1"], staff["t2"]
    with pytest.raises(Invalid) as err:
        declare(s1, t1, participants=[{"user_id": t2.id, "role": "declarant"}])
    assert "participants" in err.value.fields
    with pytest.raises(Invalid) as err:
        declare(s1, t1, organizer_id=t2.id)
    assert "organizer_id" in err.value.fields
    with pytest.raises(Invalid) as err:
        declare(s1, t1, details={"provider": "", "category": "nonsense"})
    assert "details" in err.value.fields
    act = declare(s1, t1)
    with pytest.raises(Conflict):
        activities.set_participants(act, t1, [{"user_id": t2.id, "role": "declarant"}])
    with pytest.raises(Conflict):
        activities.record_attendance(act, t1, [{"user_id": t1.id, "attended_hours": "1", "absent_hours": "5"}])
    with pytest.raises(Forbidden):  # a teacher still plans no other type
        f.plan(s1, t1, "lecture", [(t2, "attendee")], {"topic": "x"})


def test_web_pages_declare_and_refuse_bad_input(app, client, s1, staff):
    t1 = staff["t1"]
    log_in(client, t1, s1.id)
    page = client.get("/activities/new")
    assert page.status_code == 200
    assert 'data-testid="type-declared"' in page.text and 'data-testid="type-lecture"' not in page.text
    assert client.get("/activities/new/lecture").status_code == 403
    form = client.get("/activities/new/declared")
    assert 'data-testid="participants"' not in form.text and "学时申报" in form.text
    start = past_start()
    data = {
        "title": "市级班主任培训", "starts_at": start.isoformat(timespec="minutes"),
        "ends_at": ended(start, timedelta(hours=6)).isoformat(timespec="minutes"), "hours": "50",
        "details-provider": "市教育学院", "details-category": "city",
    }
    before = count(Activity)
    # 50 hours over three days: more than a declaration may hold (the six hours would hold only 8)
    bad = client.post("/activities/new/declared", data={
        **data, "ends_at": ended(start, timedelta(days=3)).isoformat(timespec="minutes")})
    assert bad.status_code == 422 and "每次申报至多 40 学时" in bad.text
    bad = client.post("/activities/new/declared", data=data)
    assert bad.status_code == 422 and "至多 8 学时：活动时长 6 小时 0 分钟" in bad.text
    assert count(Activity) == before
    ok = client.post("/activities/new/declared", data={**data, "hours": "6"})
    assert ok.status_code == 302
    act = db.session.execute(select(Activity).order_by(Activity.id.desc())).scalars().first()
    assert act.organizer_id == t1.id and act.type_key == KEY
    # said as a declaration, with what comes next (it said 活动计划已保存, "the activity has been planned")
    saved = client.get(ok.headers["Location"]).text
    assert "申报已保存：请在下方上传所需材料，再提交审核。" in saved and "活动计划已保存" not in saved
    page = client.get(f"/activities/{act.id}?lang=en")
    assert "Submit the declaration" in page.text and "Certificate" in page.text
    assert 'data-testid="attendance-link"' not in page.text  # the declaration is the attendance
    assert client.post(f"/activities/{act.id}/attendance", data={f"attended-{t1.id}": "1"}).status_code == 409


def _api_declaration(client, hours: int, **details: str) -> tuple[dict[str, str], dict]:
    """t1's bearer headers and the body of an online course declared through the API."""
    from tests.support.factories import PASSWORD

    token = client.post("/api/v1/auth/token", json={"username": "t1", "password": PASSWORD}).get_json()["token"]
    start = past_start()
    body = {
        "type": KEY, "title": "网络课程：大单元设计", "starts_at": start.isoformat(timespec="minutes") + "+08:00",
        "ends_at": ended(start, timedelta(hours=4)).isoformat(timespec="minutes") + "+08:00", "hours": hours,
        "details": {"provider": "国家中小学智慧教育平台", "category": "online", **details},
    }
    return {"Authorization": f"Bearer {token}"}, body


def test_api_declares_with_the_generic_activity_endpoint(app, client, s1, staff):
    headers, body = _api_declaration(client, 4)
    before = count(Activity)
    r = client.post("/api/v1/activities", json={**body, "hours": 500}, headers=headers)
    assert r.status_code == 422 and "hours" in r.get_json()["fields"]
    r = client.post("/api/v1/activities", json={**body, "participants": [{"user_id": staff["t2"].id}]}, headers=headers)
    assert r.status_code == 422 and "participants" in r.get_json()["fields"]
    assert count(Activity) == before
    r = client.post("/api/v1/activities", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["organizer_id"] == staff["t1"].id


def test_a_day_declared_again_cannot_hold_more_than_the_ceiling(s1, staff):
    """Attack: the ceiling was 8 hours a day per declaration only, so declaring the same day's
    training three times (same certificate even) had 24 hours credited for one day. Now the
    teacher's standing declarations together must fit 8 hours a day, a certificate number is
    declared once, and a cancelled or refused declaration stands no longer."""
    t1, rev = staff["t1"], staff["reviewer"]
    day = past_start(3)
    numbered = {**DETAILS, "certificate_no": "ZS-2026-001"}
    first = declare(s1, t1, hours="8", start=day, details=numbered)
    certificate(first, t1)
    f.fire(first, t1, "hold")
    f.fire(first, rev, "approve", "")
    f.fire(first, rev, "credit")
    before = count(Activity), count(Participation)
    with pytest.raises(Invalid) as err:  # the same day again, same certificate: both refused
        declare(s1, t1, hours="8", start=day, details=numbered)
    assert "hours" in err.value.fields
    with pytest.raises(Invalid) as err:  # the same day again, no certificate number
        declare(s1, t1, hours="0.5", start=day)
    assert "more than 8 hours a day" in err.value.fields["hours"].en
    with pytest.raises(Invalid) as err:  # a three-day course overlapping the full day claims a day too many
        declare(s1, t1, hours="17", start=day, days=3)
    assert "hours" in err.value.fields
    with pytest.raises(Invalid) as err:  # the same certificate for another day
        declare(s1, t1, hours="2", start=day + timedelta(days=1), details={**DETAILS, "certificate_no": " zs-2026-001 "})
    assert "certificate_no" in err.value.fields["details"]
    # the same number written otherwise: full width, without its hyphens, with an invisible character
    for spelled in ("ＺＳ－２０２６－００１", "ZS2026001", "zs 2026 001", "ZS-2026-001\u200b", "ZS\u00ad-2026-001"):
        with pytest.raises(Invalid) as err:
            declare(s1, t1, hours="2", start=day + timedelta(days=1), details={**DETAILS, "certificate_no": spelled})
        assert "certificate_no" in err.value.fields["details"], spelled
    assert (count(Activity), count(Participation)) == before
    assert db.session.scalar(select(func.sum(CreditEntry.hours)).where(CreditEntry.user_id == t1.id)) == Decimal("8")
    # what still fits is accepted: the three-day course with the full day's 8 hours left out
    declare(s1, t1, hours="16", start=day, days=3, title="信息技术应用能力提升培训")
    # someone else's declarations are theirs
    declare(s1, staff["t2"], hours="8", start=day, details=numbered)


def test_a_lowered_ceiling_keeps_the_days_declared_and_blocks_no_other_day(s1, staff):
    """A teacher declared a full day of 8 hours; the school then lowered its ceiling to 4 hours a
    day. That day stays as it was accepted, a declaration of another day is judged on the days
    it shares (it was refused for the old, unrelated day), and the full day takes no more."""
    t1 = staff["t1"]
    day = past_start(5)
    declare(s1, t1, hours="8", start=day)
    schools.set_type(s1, KEY, settings={"max_hours_per_day": 4}, by=access.actor(staff["admin"].id, s1.id))
    db.session.commit()
    declare(s1, t1, hours="2", start=day + timedelta(days=3))  # another day: fits its own 4 hours
    with pytest.raises(Invalid) as err:  # the full day holds no more
        declare(s1, t1, hours="0.5", start=day)
    assert "more than 4 hours a day" in err.value.fields["hours"].en


def test_a_withdrawn_declaration_frees_its_day(s1, staff):
    t1, rev = staff["t1"], staff["reviewer"]
    day = past_start(3)
    first = declare(s1, t1, hours="6", start=day, details={**DETAILS, "certificate_no": "A-1"})
    certificate(first, t1)
    f.fire(first, t1, "hold")
    f.fire(first, rev, "refuse", "非教育类培训")
    declare(s1, t1, hours="8", start=day, details={**DETAILS, "certificate_no": "A-1"})  # refused: not standing
    with pytest.raises(Invalid):
        declare(s1, t1, hours="1", start=day)
    f.fire(db.session.execute(select(Activity).order_by(Activity.id.desc())).scalars().first(), t1, "cancel")
    declare(s1, t1, hours="4", start=day)
    declare(s1, t1, hours="4", start=day, title="心理健康教育专题培训")  # a morning and an afternoon course: 8 hours


def test_the_api_refuses_a_certificate_declared_twice(app, client, s1, staff):
    headers, body = _api_declaration(client, 2, certificate_no="NET-7")
    assert client.post("/api/v1/activities", json=body, headers=headers).status_code == 201
    r = client.post("/api/v1/activities", json=body, headers={**headers, "Accept-Language": "en"})
    assert r.status_code == 422
    assert "declared already" in r.get_json()["fields"]["details"]["certificate_no"][0]


def test_declarations_sent_at_the_same_moment_still_fit_the_day(app, s1, staff, monkeypatch):
    """Attack: the same day's 8 hours sent as four declarations at once (four tabs, a script):
    each checked the teacher's standing declarations before any of the others was written. The
    check is made again inside the write, one declaration of a teacher at a time: one is
    saved, the others refused (PostgreSQL when ``YANXIU_TEST_DATABASE_URL`` is set)."""
    import time

    from portal.models import School, User

    real = activities._standing

    def slow(*args, **kwargs):  # read, then dawdle: without the lock the others read the same
        found = real(*args, **kwargs)
        time.sleep(0.05)
        return found

    monkeypatch.setattr(activities, "_standing", slow)
    day, school_id, user_id = past_start(3), s1.id, staff["t1"].id
    db.session.commit()
    db.session.remove()

    def send():
        declare(db.session.get(School, school_id), db.session.get(User, user_id), hours="8", start=day)

    assert at_once(app, 4, send, Invalid) == [201, 422, 422, 422]
    assert db.session.scalar(select(func.count()).select_from(Activity).where(Activity.organizer_id == user_id)) == 1


def test_a_teacher_of_two_schools_declares_a_training_once(s1, staff):
    """Attack: a teacher on the staff of two schools (走教, a transfer within the year) declared
    the same district training — same day, same certificate — in each school; each school saw
    only its own declarations, approved it and credited it: one day's training counted twice
    (16 hours for an 8-hour day, each school's assessment believing them). The certificate
    counts once and a day holds at most its ceiling across all the teacher's declarations."""
    t1 = staff["t1"]
    s2 = f.school("S2", types=("lecture", KEY))
    f.person(s2, t1.username, "teacher")  # the same account, on the staff of S2 too
    day = past_start(3)
    numbered = {**DETAILS, "certificate_no": "QX-2026-118"}
    declare(s1, t1, hours="8", start=day, details=numbered)
    before = count(Activity), count(Participation)
    with pytest.raises(Invalid) as err:  # the same training in the other school
        declare(s2, t1, hours="8", start=day, details=numbered)
    assert "certificate_no" in err.value.fields["details"] and "hours" in err.value.fields
    with pytest.raises(Invalid) as err:  # the same day, no certificate number
        declare(s2, t1, hours="2", start=day)
    assert "more than 8 hours a day" in err.value.fields["hours"].en
    assert (count(Activity), count(Participation)) == before
    declare(s2, t1, hours="4", start=day + timedelta(days=1))  # another day's training is S2's to credit
    declare(s2, f.person(s2, "s2t9", "teacher"), hours="8", start=day, details=numbered)  # someone else's


def test_one_certificate_file_is_not_declared_twice(s1, staff):
    """Attack: a certificate without a number (an online course's screenshot, a 自学 record)
    was uploaded again to a second declaration of another day — a second title, the same
    certificate file — and both were credited: one training counted twice, within the ceiling
    a day. The same file on another of the teacher's standing declarations is refused (nothing
    written); a different file is taken, and once the first declaration is refused, the file
    is free for the one that stands."""
    from portal.models import Evidence

    t1, rev = staff["t1"], staff["reviewer"]
    day = past_start(4)
    scan = b"%PDF-1.4 certificate of one online course"
    first = declare(s1, t1, hours="3", start=day)
    activities.add_evidence(first, t1, t1.id, "certificate", "结业证书", filename="cert.pdf", data=scan)
    f.fire(first, t1, "hold")
    second = activities.plan_activity(
        s1, t1, KEY, "网络研修：作业设计", (day + timedelta(days=2)).isoformat(timespec="minutes"),
        (day + timedelta(days=2, hours=3)).isoformat(timespec="minutes"), "3", None,
        {"provider": "国家中小学智慧教育平台", "category": "online"},
    )
    before = count(Evidence)
    with pytest.raises(Invalid) as err:
        activities.add_evidence(second, t1, t1.id, "certificate", "证书", filename="again.pdf", data=scan)
    assert err.value.fields["file"].code == "declared.certificate_again"
    assert "区级骨干教师培训" in err.value.fields["file"].english  # names the declaration that has it
    assert count(Evidence) == before
    with pytest.raises(GuardFailedError):  # so it cannot be submitted with it
        f.fire(second, t1, "hold")
    f.fire(first, rev, "refuse", "证书与本人不符")
    activities.add_evidence(second, t1, t1.id, "certificate", "证书", filename="again.pdf", data=scan)
    # someone else's declaration may carry the same file (a district list naming everyone)
    other = declare(s1, staff["t2"], hours="3", start=day)
    activities.add_evidence(other, staff["t2"], staff["t2"].id, "certificate", "名单", filename="list.pdf", data=scan)
    assert count(Evidence) == before + 2


def _certificate_pdf(body: str, title: str = "", size: str = "14pt") -> bytes:
    """A one-page certificate printed by WeasyPrint: ``title`` (metadata) and ``size`` change
    the bytes, not the words."""
    from weasyprint import HTML

    return HTML(string=f"<html><head><title>{title}</title></head>"
                       f"<body style='font-size:{size}'><h1>结业证书</h1><p>{body}</p></body></html>").write_pdf()


def test_the_same_certificate_printed_again_is_the_same_certificate(s1, staff):
    """Attack: the certificate of one training, printed to PDF again (another title in its
    metadata, another font size: other bytes), was taken on a second declaration of another day
    and both were credited. Its words are those of the first (spacing, line breaks and
    full-width digits aside): refused, naming the declaration that has it, nothing written. A
    certificate of another course (other words) is taken, and a PDF of no words (a scan) is
    compared by its bytes only."""
    from portal.models import Evidence

    t1 = staff["t1"]
    day = past_start(6)
    words = "兹证明 林晓燕 老师参加“作业设计与实施”网络研修，完成 12 学时。"
    first_pdf = _certificate_pdf(words, "证书")
    again = _certificate_pdf(words.replace("12", "１２").replace(" ", "\n"), "重新打印", "12pt")
    other_course = _certificate_pdf(words.replace("作业设计与实施", "课堂观察与评价"), "证书")
    assert len({first_pdf, again, other_course}) == 3  # three different files
    first = declare(s1, t1, hours="3", start=day)
    activities.add_evidence(first, t1, t1.id, "certificate", "结业证书", filename="cert.pdf", data=first_pdf)
    second = declare(s1, t1, hours="3", start=day + timedelta(days=2), title="网络研修：作业设计")
    before = count(Evidence)
    with pytest.raises(Invalid) as err:
        activities.add_evidence(second, t1, t1.id, "certificate", "证书", filename="again.pdf", data=again)
    assert err.value.fields["file"].code == "declared.certificate_again"
    assert "区级骨干教师培训" in err.value.fields["file"].english
    assert count(Evidence) == before
    activities.add_evidence(second, t1, t1.id, "certificate", "证书", filename="other.pdf", data=other_course)
    third = declare(s1, t1, hours="3", start=day + timedelta(days=3), title="校外研修")
    scan = b"%PDF-1.4 a scanned page, no text layer"
    activities.add_evidence(third, t1, t1.id, "certificate", "扫描件", filename="scan.pdf", data=scan)
    assert count(Evidence) == before + 2


def test_two_certificates_of_one_course_on_other_days_are_two(s1, staff):
    """False refusal: a provider's certificates for two sessions of one course (1.5 学时 on
    2024.1.12, No. QX-2024-1-12; 15 学时 on 2024.11.2, No. QX-2024-11-2) had the same letters
    and digits, and the second training could not be declared. They are two; a certificate read
    by the earlier rule (``words:``) is read again at the teacher's next certificate, so the
    first printed again is still refused."""
    from portal.models import Evidence

    t1 = staff["t1"]
    day = past_start(8)
    words = "兹证明 林晓燕 老师于 {} 参加“大单元教学设计”专题培训，共计 {} 学时。证书编号：{}"
    first_pdf = _certificate_pdf(words.format("2024.1.12", "1.5", "QX-2024-1-12"))
    second_pdf = _certificate_pdf(words.format("2024.11.2", "15", "QX-2024-11-2"))
    first = declare(s1, t1, hours="1.5", start=day)
    kept = activities.add_evidence(first, t1, t1.id, "certificate", "结业证书", filename="a.pdf", data=first_pdf)
    second = declare(s1, t1, hours="3", start=day + timedelta(days=1), title="大单元教学设计（二）")
    activities.add_evidence(second, t1, t1.id, "certificate", "结业证书", filename="b.pdf", data=second_pdf)
    db.session.execute(update(Evidence).where(Evidence.id == kept.id).values(likeness="words:" + "0" * 64))
    db.session.commit()
    third = declare(s1, t1, hours="1", start=day + timedelta(days=2), title="再次申报")
    with pytest.raises(Invalid) as err:
        activities.add_evidence(third, t1, t1.id, "certificate", "证书", filename="c.pdf",
                                data=_certificate_pdf(words.format("2024.1.12", "1.5", "QX-2024-1-12"), "又一次", "12pt"))
    assert err.value.fields["file"].code == "declared.certificate_again"
    assert db.session.execute(select(Evidence.likeness).where(Evidence.id == kept.id)).scalar() == kept.likeness


def test_a_photo_of_the_certificate_saved_as_png_is_the_same_certificate(s1, staff):
    """Attack: a phone's photo of a certificate, saved again as PNG (other bytes, the same
    pixels), was taken on a second declaration. Refused like the same file; the photo's file
    on another teacher's declaration is taken."""
    from portal.models import Evidence
    from tests.support.pictures import certificate_photo, resaved

    t1 = staff["t1"]
    day = past_start(7)
    photo = certificate_photo()
    first = declare(s1, t1, hours="2", start=day, title="读书沙龙")
    kept = activities.add_evidence(first, t1, t1.id, "certificate", "证书照片", filename="cert.jpg", data=photo)
    shows = kept.likeness
    assert (shows or "").startswith("pixels:")  # read once, at its upload
    # as uploaded before ``Evidence.likeness``: read at the teacher's next certificate, and kept
    db.session.execute(update(Evidence).where(Evidence.id == kept.id).values(likeness=None))
    db.session.commit()
    second = declare(s1, t1, hours="2", start=day + timedelta(days=1), title="another")
    before = count(Evidence)
    with pytest.raises(Invalid) as err:
        activities.add_evidence(second, t1, t1.id, "certificate", "证书", filename="cert.png", data=resaved(photo, "PNG"))
    assert err.value.fields["file"].code == "declared.certificate_again" and "读书沙龙" in err.value.fields["file"].english
    assert count(Evidence) == before
    assert db.session.execute(select(Evidence.likeness).where(Evidence.id == kept.id)).scalar() == shows
    other = declare(s1, staff["t2"], hours="2", start=day)
    activities.add_evidence(other, staff["t2"], staff["t2"].id, "certificate", "证书", filename="c.png",
                            data=resaved(photo, "PNG"))
    assert count(Evidence) == before + 1


def test_a_certificate_is_a_file_not_a_typed_text(s1, staff):
    """Attack: the declaration's guard asks for its certificate, and a typed text of the kind
    "certificate" ("证书已上交教务处", or nothing but a few words through the API) passed it: the
    declaration was submitted, approved and credited without any certificate. A kind the type
    marks as a file (``EvidenceKind(written=False)``) of a declaration is taken only as a file
    (nothing written); the declaration stays unsubmittable until one comes."""
    from portal.models import Evidence

    t1 = staff["t1"]
    act = declare(s1, t1)
    before = count(Evidence)
    with pytest.raises(Invalid) as err:
        activities.add_evidence(act, t1, t1.id, "certificate", "结业证书", text="证书已上交教务处")
    assert err.value.fields["file"].code == "evidence.file_required"
    assert count(Evidence) == before
    with pytest.raises(GuardFailedError):
        f.fire(act, t1, "hold")
    certificate(act, t1)
    f.fire(act, t1, "hold")
    assert db.session.get(Activity, act.id).state == "held"


def test_a_training_ending_later_today_is_declared_once_it_has_ended(app, s1, staff):
    """Its end is compared with now to the minute, in the school's time: a training ending in an
    hour (today, as the school reads it) is refused by the service and the API; once it has
    ended it is declared (by date only, it passed this morning: its day was not after today)."""
    t1 = staff["t1"]
    now = utcnow().replace(second=0, microsecond=0)

    # two hours long, but never begun before this school year (at 00:30 on 1 September it began at midnight)
    year_began = parse_iso(f"{school_year_of(to_local(now, 'Asia/Shanghai').date())[:4]}-09-01T00:00", "Asia/Shanghai")

    def body(end: datetime) -> dict:
        start = max(end - timedelta(hours=2), min(year_began, end - timedelta(minutes=1)))
        return {"type": KEY, "title": "区级骨干教师培训", "hours": 1, "details": DETAILS,
                "starts_at": start.isoformat() + "+00:00", "ends_at": end.isoformat() + "+00:00"}

    later = now + timedelta(hours=1)
    before = count(Activity), count(Participation)
    with pytest.raises(Invalid) as err:
        activities.plan_activity(s1, t1, KEY, "区级骨干教师培训", body(later)["starts_at"], body(later)["ends_at"], "1",
                                 None, DETAILS)
    assert "ends_at" in err.value.fields
    head = {"Authorization": f"Bearer {tokens.issue(t1).token}", "X-School": "S1"}
    api = app.test_client()
    r = api.post("/api/v1/activities", json=body(later), headers=head)
    assert r.status_code == 422 and "ends_at" in r.get_json()["fields"]
    assert (count(Activity), count(Participation)) == before
    ended = now - timedelta(minutes=1)
    assert api.post("/api/v1/activities", json=body(ended), headers=head).status_code == 201


def test_one_certificate_sent_to_two_declarations_at_once_stands_on_one(app, s1, staff, monkeypatch):
    """Attack: the certificate and the same certificate printed again sent at the same moment to
    two declarations, by the teacher and by a school admin for them: each upload reads the teacher's standing certificates
    inside its write, one declaration of the teacher at a time, so one is taken and the other
    refused (PostgreSQL when ``YANXIU_TEST_DATABASE_URL`` is set)."""
    import threading
    import time

    from portal.models import Evidence, User

    real = activities._require_file_not_declared

    def slow(*args, **kwargs):  # checked, then dawdle: without the lock both find no certificate
        real(*args, **kwargs)
        time.sleep(0.2)

    monkeypatch.setattr(activities, "_require_file_not_declared", slow)
    t1, day = staff["t1"], past_start(9)
    words = "兹证明 林晓燕 老师参加“课堂观察与评价”网络研修，完成 6 学时。"
    files = iter([_certificate_pdf(words, "证书"), _certificate_pdf(words, "重新打印", "12pt")])
    ids = iter([declare(s1, t1, hours="3", start=day).id,
                declare(s1, t1, hours="3", start=day + timedelta(days=1), title="课堂观察").id])
    user_id = t1.id
    senders = [t1.id, staff["admin"].id]  # the admin's write does not lock the teacher's row itself
    db.session.commit()
    db.session.remove()
    pairs = list(zip(ids, files, senders, strict=True))
    lock = threading.Lock()

    def send():
        with lock:
            activity_id, data, sender = pairs.pop()
        by = db.session.get(User, sender)
        activities.add_evidence(db.session.get(Activity, activity_id), by, user_id, "certificate", "证书",
                                filename="cert.pdf", data=data)

    assert at_once(app, 2, send, Invalid) == [201, 422]
    assert db.session.scalar(select(func.count()).select_from(Evidence).where(Evidence.user_id == user_id)) == 1


def test_the_audit_logs_action_filter_names_a_plugins_own_step_in_words(app, client, s1, staff):
    """Attack: the audit log's 动作 filter lists the triggers of the school's log by name, asked
    with no type (a row of the filter is no one activity's): the declaration's own step
    ``refuse`` (in no core workflow) read 「未知步骤（refuse）」 though the installed type names it
    不予认定. A step no type names is asked of every installed workflow, as a state is."""
    from portal.registry import registry

    t1, rev = staff["t1"], staff["reviewer"]
    act = declare(s1, t1)
    certificate(act, t1)
    f.fire(act, t1, "hold")
    f.fire(act, rev, "refuse", "非教育类培训，不予认定")
    assert registry().step_name(None, "refuse", "zh") == "不予认定"
    assert registry().step_name(None, "refuse", "en") == "Refuse"
    assert registry().step_name(None, "no_such_step", "zh") == "已停用的步骤"  # words, never the key
    log_in(client, staff["admin"], s1.id)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert '<option value="refuse" >不予认定</option>' in page
    assert "已停用的步骤" not in page
