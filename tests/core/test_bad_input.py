"""Bad input gets a clear error and changes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from portal.errors import Invalid
from portal.extensions import db
from portal.hours import BadHours, floor_half, parse_hours
from portal.models import Activity, CreditEntry, Evidence, Participation, School, TransitionLog
from portal.policy import SYSTEM
from portal.services import activities, schools
from portal.timeutil import BadTime, parse_iso
from tests.support import factories as f
from tests.support.prepared import prepared_by


def counts() -> tuple:
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Activity, Participation, Evidence, TransitionLog, CreditEntry)
    )


def _build_world() -> dict:
    s = f.school(types=("lecture", "observation"))
    return {"school": s.id, "staff": f.ids(f.staff(s))}


prepared = prepared_by(_build_world)


@pytest.fixture
def world(app, make_app, prepared):
    ids = make_app.facts(prepared)
    return db.session.get(School, ids["school"]), f.people_of(ids["staff"])


@pytest.mark.parametrize("value", [-1, "-0.5", "abc", "NaN", "inf", None, True, "0.3", 1000, "1e400", [], {},
                                   float("inf"), float("-inf"), float("nan"), json.loads("1e400"), 10**400,
                                   "1e999999999999", "-1e999999999999", "1e-999999999999", "sNaN", b"3",
                                   "1_5", "0_5"])  # Decimal's digit grouping: 15 and 5 hours
def test_hours_parser_refuses(value):
    with pytest.raises(BadHours):
        parse_hours(value)


def test_negative_zero_hours_are_zero_in_the_log_and_the_api(app, world):
    """A reviewer's -0 ("-0", or -0.0 in JSON) is 0 hours: the transition log, kept for good, and
    the API's history say 0, never "-0.0"."""
    from tests.credits.helpers import credited

    school, staff = world
    t1, t2 = staff["t1"], staff["t2"]
    assert [str(parse_hours(v)) for v in ("-0", "-0.0", -0.0, "-0e5")] == ["0.0"] * 4
    act = credited(school, staff, "lecture", [(t1, "attendee"), (t2, "attendee")], until="held")
    f.fire(act, staff["reviewer"], "approve", "未到场", hours={str(t1.id): "-0"})
    log = db.session.execute(select(TransitionLog).where(TransitionLog.activity_id == act.id)
                             .order_by(TransitionLog.id.desc())).scalars().first()
    assert log.payload["adjusted"] == {str(t1.id): "0.0"}
    assert log.payload["approved_hours"][str(t1.id)] == "0.0"
    from portal.services import tokens

    headers = {"Authorization": f"Bearer {tokens.issue(staff['reviewer']).token}", "X-School": school.code}
    history = app.test_client().get(f"/api/v1/activities/{act.id}/history", headers=headers).get_json()
    assert history[-1]["payload"]["adjusted"] == {str(t1.id): 0}  # a number, as every hours of the API


def test_hours_parser_refuses_an_int_too_long_to_print():
    with pytest.raises(BadHours, match="not a number"):
        parse_hours(10**5000)


@pytest.mark.parametrize("text", ["9999-12-31T23:59", "0001-01-01T00:00", "0001-01-01T00:00+14:00",
                                  "1999-12-31T23:59", "2100-01-01T00:00", "9999-12-31T23:59:59-23:59"])
def test_times_outside_2000_to_2099_are_refused(text):
    with pytest.raises(BadTime, match="2000–2099"):
        parse_iso(text, "Asia/Shanghai")


@pytest.mark.parametrize("text,utc", [("2000-01-01T00:00", "1999-12-31T16:00"), ("2099-12-31T23:59", "2099-12-31T15:59"),
                                      ("2026-10-15T14:00+00:00", "2026-10-15T14:00")])
def test_times_at_the_ends_of_the_range_are_accepted(text, utc):
    assert parse_iso(text, "Asia/Shanghai").isoformat(timespec="minutes") == utc


@pytest.mark.parametrize(("text", "said"), [("2027-02-29T14:00", "there is no day 2027-02-29"),
                                           ("2026-04-31", "there is no day 2026-04-31"),
                                           ("2026-13-01T09:00", "there is no day 2026-13-01"),
                                           ("2026-10-15T25:00", "not a date and time that can be read"),
                                           ("15/10/2026", "not a date and time that can be read")])
def test_a_day_that_does_not_exist_is_named_as_such(text, said):
    """Attack: 29 February of a common year was "not an ISO 8601 date-time", though ISO-shaped."""
    with pytest.raises(BadTime) as refused:
        parse_iso(text, "Asia/Shanghai")
    assert refused.value.msg.english.startswith(said), refused.value.msg.english


def test_text_problems_name_every_bad_string():
    from portal.input_guard import text_problems

    value = {"a": "ok", "b": ["x", "y\x00"], "c\ud800": 1, "d": {"e": "\udfff"}}
    assert text_problems(value, []) == {
        "b.1": "must not contain NUL characters",
        "(key)": "must not contain invalid Unicode (unpaired surrogates)",
        "d.e": "must not contain invalid Unicode (unpaired surrogates)",
    }
    assert text_problems({"fine": ["中文", "tab\tnew\nline", 1.5]}, []) == {}


@pytest.mark.parametrize("value,expected", [(0, "0.0"), ("2.5", "2.5"), (3, "3.0"), ("999.5", "999.5")])
def test_hours_parser_accepts_half_hours(value, expected):
    assert str(parse_hours(value)) == expected


def test_floor_half():
    from decimal import Decimal

    assert floor_half(Decimal("4.74")) == Decimal("4.5") and floor_half(Decimal("5")) == Decimal("5.0")


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"starts_at": "9999-12-31T23:59", "ends_at": "9999-12-31T23:59"}, "starts_at"),
        ({"starts_at": "0001-01-01T00:00", "ends_at": "0001-01-01T03:00"}, "starts_at"),
        ({"ends_at": "9999-12-31T23:59"}, "ends_at"),
        ({"hours": float("inf")}, "hours"),
        ({"type_key": "nonexistent"}, "type"),
        ({"type_key": "research"}, "type"),  # installed, but not enabled for this school
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"hours": "-2"}, "hours"),
        ({"hours": "abc"}, "hours"),
        ({"hours": "0"}, "hours"),
        ({"hours": "1.25"}, "hours"),
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"ends_at": "2026-10-14T10:00"}, "ends_at"),
        ({"participants": [{"user_id": "7", "role": "attendee"}]}, "participants"),
        ({"participants": [{"user_id": 999999, "role": "attendee"}]}, "participants"),
        ({"participants": "everyone"}, "participants"),
        ({"details": {"topic": ""}}, "details"),
        ({"details": {"topic": "ok", "color": "red"}}, "details"),
    ],
)
def test_planning_refuses_bad_input_and_writes_nothing(world, changes, field):
    s, p = world
    args = dict(
        type_key="lecture",
        title="讲座",
        starts_at="2026-10-15T14:00",
        ends_at="2026-10-15T17:00",
        hours="3",
        participants=[{"user_id": p["t1"].id, "role": "attendee"}],
        details={"topic": "单元教学"},
    )
    args.update(changes)
    before = counts()
    with pytest.raises(Invalid) as err:
        activities.plan_activity(s, p["organizer"], **args)
    assert field in err.value.fields, err.value.fields
    assert counts() == before


def test_participant_from_another_school_is_refused(world):
    s, p = world
    other = f.school("S2")
    stranger = f.person(other, "stranger", "teacher")
    with pytest.raises(Invalid, match="could not be planned"):
        f.plan(s, p["organizer"], "lecture", [(stranger, "attendee")], {"topic": "x"})


def test_teacher_cannot_plan(world):
    from portal.errors import Forbidden

    s, p = world
    with pytest.raises(Forbidden):
        f.plan(s, p["t1"], "lecture", [], {"topic": "x"})


def test_attendance_is_all_or_nothing(world):
    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee"), (p["t2"], "attendee")], {"topic": "x"})
    good = {"user_id": p["t1"].id, "attended_hours": "3"}
    for bad in (
        {"user_id": p["t2"].id, "attended_hours": "2", "absent_hours": "1", "excused_hours": "1"},  # 4 > 3
        {"user_id": p["t2"].id, "attended_hours": "-1"},
        {"user_id": p["t2"].id, "attended_hours": "x"},
        {"user_id": 424242, "attended_hours": "1"},
        {"user_id": p["t1"].id, "attended_hours": "1"},  # listed twice
        "nonsense",
    ):
        with pytest.raises(Invalid):
            activities.record_attendance(act, p["organizer"], [good, bad])
        db.session.expire_all()
        assert all(x.attended_hours is None for x, _ in activities.participants_with_users(act.id))
    with pytest.raises(Invalid):
        activities.record_attendance(act, p["organizer"], [])


def test_disabling_a_type_refuses_new_activities_but_keeps_old(world):
    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
    schools.set_type(s, "lecture", enabled=False, by=SYSTEM)
    with pytest.raises(Invalid, match="not enabled"):
        f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
    f.attend(act, p["organizer"])
    f.fire(act, p["organizer"], "hold")  # existing activities carry on


def test_type_settings_are_validated(world):
    s, _ = world
    with pytest.raises(Invalid) as err:
        schools.set_type(s, "lecture", settings={"speaker_multiplier": "two", "colour": 1}, by=SYSTEM)
    assert set(err.value.fields) == {"settings.speaker_multiplier", "settings.colour"}
    with pytest.raises(Invalid):
        schools.set_type(s, "no_such_type", enabled=True, by=SYSTEM)
    schools.set_type(s, "lecture", settings={"speaker_multiplier": 3}, by=SYSTEM)
    assert schools.type_settings(s.id, "lecture")["speaker_multiplier"] == 3


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"kind": "poem", "text": "x"}, "kind"),
        ({"kind": "reflection", "text": ""}, "text"),
        ({"kind": "reflection", "text": None}, "text"),
        ({"kind": "reflection", "filename": "a.exe", "data": b"MZ..."}, "file"),
        ({"kind": "attachment", "filename": "a.pdf", "data": b"not a pdf"}, "file"),
        ({"kind": "attachment", "filename": "a.pdf", "data": b""}, "file"),
        # GBK text is read (``file_text.decode_text``); bytes neither UTF-8 nor GB18030 are not
        ({"kind": "attachment", "filename": "a.txt", "data": b"\x80\xff"}, "file"),
        ({"kind": "attachment", "filename": "x" * 252 + ".pdf", "data": b"%PDF-1.4"}, "file"),
        ({"kind": "attachment", "filename": "invoice\u202eexe.pdf", "data": b"%PDF-1.4"}, "file"),
        ({"kind": "attachment", "filename": "a\u2067b.pdf", "data": b"%PDF-1.4"}, "file"),
        ({"kind": "attachment", "filename": "a\u200eb.pdf", "data": b"%PDF-1.4"}, "file"),
        ({"kind": "attachment", "filename": "a\x1bb.pdf", "data": b"%PDF-1.4"}, "file"),
        ({"kind": "attachment", "filename": "a\ud800b.pdf", "data": b"%PDF-1.4"}, "file"),
    ],
)
def test_evidence_refused(world, kwargs, field):
    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
    before = counts()
    with pytest.raises(Invalid) as err:
        activities.add_evidence(act, p["t1"], p["t1"].id, **kwargs)
    assert field in err.value.fields
    assert counts() == before


def test_an_unknown_evidence_kind_is_refused_with_the_kinds_in_words(world):
    """The refusal lists the type's kinds by their labels in the viewer's language, no key."""
    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
    with pytest.raises(Invalid) as err:
        activities.add_evidence(act, p["t1"], p["t1"].id, kind="poem", text="x")
    zh, en = err.value.fields["kind"].render("zh_Hans_CN"), err.value.fields["kind"].render("en")
    assert zh.startswith("可选材料类型：") and "反思" in zh and "reflection" not in zh, zh
    assert "Reflection" in en and "reflection," not in en, en


def test_evidence_file_too_large(make_app):
    app = make_app(UPLOAD_MAX_BYTES=1024)
    with app.app_context():
        s = f.school(types=("lecture",))
        p = f.staff(s)
        act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
        with pytest.raises(Invalid, match="too large"):
            activities.add_evidence(act, p["t1"], p["t1"].id, "attachment", filename="a.pdf", data=b"%PDF-" + b"0" * 2000)
        ev = activities.add_evidence(act, p["t1"], p["t1"].id, "attachment", filename="a.pdf", data=b"%PDF-1.4 ok")
        path = activities.evidence_path(ev)
        assert path.read_bytes() == b"%PDF-1.4 ok" and path.name != "a.pdf" and "static" not in str(path)


def test_teacher_cannot_add_evidence_for_someone_else(world):
    from portal.errors import Forbidden

    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee"), (p["t2"], "attendee")], {"topic": "x"})
    with pytest.raises(Forbidden):
        activities.add_evidence(act, p["t1"], p["t2"].id, "reflection", text="x")


def test_ledger_rows_cannot_be_changed(world):
    from sqlalchemy import delete, update

    from portal.services.ledger import AppendOnlyViolation

    s, p = world
    act = f.plan(s, p["organizer"], "lecture", [(p["t1"], "attendee")], {"topic": "x"})
    f.attend(act, p["organizer"])
    f.fire(act, p["organizer"], "hold")
    f.fire(act, p["reviewer"], "approve")
    f.fire(act, p["reviewer"], "credit")
    entry = db.session.scalars(select(CreditEntry)).one()
    entry.hours = 99
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyViolation):
        db.session.execute(update(CreditEntry).values(hours=1))
    with pytest.raises(AppendOnlyViolation):
        db.session.execute(delete(TransitionLog))
    db.session.rollback()
    log = db.session.scalars(select(TransitionLog)).first()
    db.session.delete(log)
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("text", ["²", "①", "١٢", "2026²", "", " 1", "-1"])
def test_digits_int_would_refuse_or_read_otherwise_are_not_numbers(text):
    """``str.isdigit()`` is true of "²" and "①", which ``int()`` refuses (a 500 where a refusal
    was due); every parser of numbers and school years asks ``is_digits`` instead."""
    from portal.security import is_digits
    from portal.timeutil import valid_school_year

    assert not is_digits(text)
    assert not valid_school_year(f"{text}-2027") and not valid_school_year(f"2026-{text}")


def test_superscript_ids_in_an_audience_or_a_feed_scope_are_refused_not_an_error(app, world):
    from portal.services import calendar_feeds, groups

    school, staff = world
    ids, errors = groups.audience_ids(school.id, ["g:²", "u:①", "u:1²"])
    assert ids == [] and [e.code for e in errors] == ["audience.bad"]  # said once, in words
    with pytest.raises(Invalid):
        calendar_feeds.regenerate(staff["admin"], "school:²")
