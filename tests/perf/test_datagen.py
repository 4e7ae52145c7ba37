"""The district data generator writes data the rules could have written."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from bench.datagen import generate, main, table_counts
from portal.extensions import db
from portal.models import Activity, CreditEntry, Membership, Participation, School, TransitionLog, User
from portal.registry import registry
from portal.services import credits, schools, teacher_years, transitions
from portal.services.ledger import credit_hours_for
from portal.timeutil import school_year_of, semester_of, to_local, utcnow
from workflows.definition import CORE_STATES


def test_every_type_in_every_state(app, generated):
    generated(teachers=10, years=2)
    seen = set(db.session.execute(select(Activity.type_key, Activity.state).distinct()).all())
    for key in registry().keys():
        for state in CORE_STATES:
            assert (key, state.name) in seen, (key, state.name)


def test_generated_activities_keep_the_bounds_on_hours(app, generated):
    """As planning asks (``flask credits check-hours`` lists none): hours fit the length, the
    end is in the start's semester, no role past a record; research projects of 20-30 hours
    ran 8 hours and were listed."""
    from portal.services import hours_check

    generated(teachers=10, years=2)
    assert db.session.scalar(select(func.max(Activity.hours))) > 8  # long ones were made
    assert list(hours_check.out_of_bounds()) == []


def test_no_teacher_takes_part_in_two_activities_at_once(app, generated):
    """No teacher is a participant in two activities whose times overlap, whatever their states:
    each starting before the other ends is the overlap ``portal.services.overlaps`` reads (one
    ending as the next starts is not at once). Checked in SQL over every pair of a teacher's
    participations, then by the operator's own check (``flask credits check-hours``)."""
    from portal.services import hours_check

    generated(schools=2, teachers=12, years=2)
    p, q = aliased(Participation), aliased(Participation)
    a, b = aliased(Activity), aliased(Activity)
    at_once = (
        select(p.user_id, a.id, a.starts_at, a.ends_at, b.id, b.starts_at, b.ends_at)
        .join(q, (q.user_id == p.user_id) & (q.activity_id > p.activity_id))
        .join(a, a.id == p.activity_id)
        .join(b, b.id == q.activity_id)
        .where(a.starts_at < b.ends_at, b.starts_at < a.ends_at)
        .limit(5)
    )
    assert db.session.execute(at_once).all() == []
    # a small staff in two years of activities: every teacher is in several and most in many, so
    # there was room to clash. (A floor, not one teacher's count: the generator draws each type's
    # details from its form, so a field added to or taken from a form moves every later draw.
    # Taking the mentorship's term out moved the least count from 10 to 9; the median is 26.)
    per_teacher = sorted(db.session.execute(
        select(func.count()).select_from(Participation).group_by(Participation.user_id)).scalars())
    assert per_teacher[0] >= 5 and statistics.median(per_teacher) >= 15, per_teacher
    assert list(hours_check.at_once()) == []


def test_no_organizer_runs_two_activities_at_once_nor_takes_part_meanwhile(app, generated):
    """An organizer runs one activity at a time, and is not a participant of another while
    running one. Two years of a 12-teacher school have one organizer for all of its activities,
    so a draw that ignored the organizer would put them in two places at once."""
    generated(schools=2, teachers=12, years=2)
    a, b = aliased(Activity), aliased(Activity)
    overlapping = (a.starts_at < b.ends_at) & (b.starts_at < a.ends_at)
    two_run = (
        select(a.organizer_id, a.id, b.id)
        .join(b, (b.organizer_id == a.organizer_id) & (b.id > a.id))
        .where(overlapping)
        .limit(5)
    )
    assert db.session.execute(two_run).all() == []
    running_and_in = (
        select(a.organizer_id, a.id, b.id)
        .join(Participation, Participation.user_id == a.organizer_id)
        .join(b, (b.id == Participation.activity_id) & (b.id != a.id))
        .where(overlapping)
        .limit(5)
    )
    assert db.session.execute(running_and_in).all() == []
    per_organizer = db.session.execute(select(func.count()).select_from(Activity).group_by(Activity.organizer_id))
    assert min(per_organizer.scalars()) >= 20  # each organizer ran many: there was room to clash


def test_activities_are_held_on_working_days(app, generated):
    """No generated activity starts on a weekend or a public holiday of a fixed date (National
    Day, Labour Day, Qingming, New Year's Day), in the schools' local time."""
    from bench.datagen import working_day

    generated(schools=2, teachers=12, years=2)
    starts = db.session.scalars(select(Activity.starts_at)).all()
    days = [to_local(s, "Asia/Shanghai").date() for s in starts]
    assert len(days) > 100
    assert [d for d in days if not working_day(d)] == []
    assert not working_day(date(2025, 10, 3)) and not working_day(date(2026, 5, 1))  # a Friday, a Friday
    assert working_day(date(2025, 10, 9))


def test_volumes_grow_with_teachers_and_years(app):
    small = generate(1, 10, 1, seed=1).rows
    big = generate(1, 40, 2, seed=1).rows
    assert big["user_account"] == 40 and small["user_account"] == 10
    assert big["participation"] > 3 * small["participation"]
    assert big["credit_entry"] > 2 * small["credit_entry"]
    assert table_counts()["user_account"] == 50
    assert db.session.scalar(select(func.count(School.id))) == 2


def test_ledger_follows_each_types_credit_rule(app, generated):
    generated(teachers=12, years=2)
    acts = {a.id: a for a in db.session.execute(select(Activity)).scalars()}
    parts = defaultdict(list)
    for p in db.session.execute(select(Participation)).scalars():
        parts[p.activity_id].append(p)
    ledger = defaultdict(lambda: defaultdict(Decimal))  # (activity, round, kind) -> user -> hours
    for e in db.session.execute(select(CreditEntry)).scalars():
        act = acts[e.activity_id]
        assert (e.school_id, e.school_year, e.semester, e.type_key) == (
            act.school_id, act.school_year, act.semester, act.type_key)
        assert 1 <= e.round <= act.credit_round
        ledger[(e.activity_id, e.round, e.kind)][e.user_id] += e.hours
    credited_rounds = 0
    for act in acts.values():
        if act.credit_round == 0:
            assert not any(k[0] == act.id for k in ledger), f"activity {act.id} never credited has ledger rows"
            continue
        reg = registry().get(act.type_key)
        settings = schools.type_settings(act.school_id, act.type_key)
        expected = {p.user_id: credit_hours_for(reg.type, act, p, settings) for p in parts[act.id]}
        expected = {u: h for u, h in expected.items() if h > 0}
        for r in range(1, act.credit_round + 1):
            credited_rounds += 1
            assert dict(ledger[(act.id, r, "credit")]) == expected
        reversed_ = dict(ledger.get((act.id, act.credit_round, "reversal"), {}))
        if act.state == "credited":
            assert reversed_ == {}  # the current round stands
        else:  # revoked: the last round is reversed exactly
            assert act.state == "reviewed"
            assert reversed_ == {u: -h for u, h in expected.items()}
    assert credited_rounds > 10


def test_years_semesters_and_logs_are_consistent(app, generated):
    generated(teachers=10, years=3)
    logs = defaultdict(list)
    for log in db.session.execute(select(TransitionLog).order_by(TransitionLog.id)).scalars():
        logs[log.activity_id].append(log)
    for act in db.session.execute(select(Activity)).scalars():
        day = to_local(act.starts_at, "Asia/Shanghai").date()
        assert act.school_year == school_year_of(day) and act.semester == semester_of(day)
        chain = logs[act.id]
        assert act.version == 1 + len(chain)
        state = "planned"
        for log in chain:
            assert log.from_state == state
            state = log.to_state
        assert state == act.state
        participant_ids = set(
            db.session.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars()
        )
        for log in chain:
            if log.trigger in ("approve", "credit", "revoke"):  # separation of duties
                assert log.actor_id not in participant_ids and log.actor_id != act.organizer_id
        if act.state in ("held", "reviewed", "credited"):
            assert all(p is not None for p in db.session.execute(
                select(Participation.attended_hours).where(Participation.activity_id == act.id)).scalars())


def test_summary_totals_equal_the_ledger(app, generated):
    [code] = generated(teachers=15, years=1)
    school = db.session.execute(select(School).where(School.code == code)).scalar_one()
    year = db.session.scalar(
        select(CreditEntry.school_year).group_by(CreditEntry.school_year).order_by(func.count().desc()).limit(1))
    rows = credits.school_summary(school, year)
    assert len(rows) == 15
    ledger_total = db.session.scalar(select(func.sum(CreditEntry.hours)).where(CreditEntry.school_year == year))
    assert sum((r.facts.total_hours for r in rows), Decimal("0")) == Decimal(str(ledger_total)).quantize(Decimal("0.1"))


def test_generated_activities_go_on_through_the_real_services(app, generated):
    [code] = generated(teachers=10, years=1)
    school = db.session.execute(select(School).where(School.code == code)).scalar_one()
    reviewer = db.session.execute(select(User).where(User.username == f"{code.lower()}-t002")).scalar_one()
    assert db.session.execute(select(Membership.id).where(
        Membership.user_id == reviewer.id, Membership.role == "reviewer")).first()
    act = db.session.execute(
        select(Activity).where(Activity.state == "credited", Activity.school_id == school.id)
        .where(~Activity.id.in_(select(Participation.activity_id).where(Participation.user_id == reviewer.id)))
        .where(Activity.organizer_id != reviewer.id).limit(1)
    ).scalar_one()
    before = db.session.scalar(select(func.sum(CreditEntry.hours)).where(CreditEntry.activity_id == act.id))
    assert before > 0
    transitions.fire(act.id, school.id, reviewer, "revoke", "复核")
    after = db.session.scalar(select(func.sum(CreditEntry.hours)).where(CreditEntry.activity_id == act.id))
    assert after == 0
    planned = db.session.execute(
        select(Activity).where(Activity.state == "planned", Activity.school_id == school.id).limit(1)).scalar_one()
    organizer = db.session.get(User, planned.organizer_id)
    assert transitions.fire(planned.id, school.id, organizer, "cancel", "改期").state == "cancelled"


def test_the_generator_script_adds_schools_and_plain_demo_still_loads(app, capsys):
    assert main(["--schools", "2", "--teachers", "5", "--years", "1"], app=app) == 0
    out = capsys.readouterr().out
    assert "G0001" in out and "G0002" in out
    main(["--schools", "1", "--teachers", "5"], app=app)
    assert "G0003" in capsys.readouterr().out  # codes never collide
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0 and "DEMO" in result.output
    with pytest.raises(SystemExit):
        main(["--schools", "1", "--teachers", "2"], app=app)
    assert "at least 4" in capsys.readouterr().err
    codes = list(db.session.execute(select(School.code).order_by(School.code)).scalars())
    demo_district = ["EAST1", "NORTH1", "SOUTH1", "WEST1"]  # flask demo's district schools
    assert codes == sorted(["DEMO", *demo_district, "G0001", "G0002", "G0003"])


def test_teacher_year_rows_equal_a_rebuild_from_scratch(app):
    """The rows the generator writes in bulk (several schools per batch, ids handed out up
    front, COPY on PostgreSQL) are the rows ``flask credits rebuild-year-rows`` computes, and
    the pages' own reads agree with them; so are the schools' type totals (the district chart's)."""
    report = generate(5, 8, 2, seed=3, batch=2)  # batches of 2, 2 and 1 schools
    assert report.rows["teacher_year"] == len(teacher_years.stored())
    assert report.rows["school_year_type_hours"] == len(teacher_years.stored_type_hours()) > 0
    now = utcnow()  # nothing generated is dated in the future (a load run counts what it wrote since)
    for column in (TransitionLog.created_at, Activity.created_at, Activity.updated_at, CreditEntry.created_at):
        assert db.session.scalar(select(func.max(column))) <= now
    generate(1, 6, 1, seed=4, batch=4)  # a second run continues the ids after the first
    kept = teacher_years.stored()
    kept_types = teacher_years.stored_type_hours()
    years = {row[1] for row in kept}
    assert len(years) >= 2
    teachers = dict(db.session.execute(
        select(Membership.school_id, func.count()).where(Membership.role == "teacher").group_by(Membership.school_id)
    ).all())
    per_school_year = defaultdict(int)
    for row in kept:
        per_school_year[(row[0], row[1])] += 1
    assert set(per_school_year.values()) <= set(teachers.values())
    assert all(n == teachers[sid] for (sid, _year), n in per_school_year.items())  # whole schools
    result = app.test_cli_runner().invoke(args=["credits", "rebuild-year-rows"])
    assert result.exit_code == 0, result.output
    db.session.remove()
    rebuilt = teacher_years.stored()
    assert rebuilt == kept
    assert teacher_years.stored_type_hours() == kept_types
    school = db.session.execute(select(School).where(School.code == report.school_codes[0])).scalar_one()
    year = max(years)
    ledger = {  # the ledger itself, summed in SQL, against the stored totals
        uid: Decimal(str(h)).quantize(Decimal("0.1")) for uid, h in db.session.execute(
            select(CreditEntry.user_id, func.sum(CreditEntry.hours)).where(
                CreditEntry.school_id == school.id, CreditEntry.school_year == year).group_by(CreditEntry.user_id))
    }
    stored_totals = {row[2]: row[3] for row in kept if row[0] == school.id and row[1] == year}
    assert {u: h for u, h in stored_totals.items() if h} == {u: h for u, h in ledger.items() if h}


def test_ids_follow_the_tables_own_counters(app):
    """Ids are handed out before the rows are written: whatever is inserted afterwards the
    usual way gets the next free id (on PostgreSQL the sequence moved on with the COPY)."""
    generate(1, 5, 1, seed=5)
    top = db.session.scalar(select(func.max(User.id)))
    user = User(username="after-the-generator", display_name="后来者", password_hash="x")
    db.session.add(user)
    db.session.commit()
    assert user.id > top


def test_fates_follow_each_types_own_workflow():
    """The generator asks the workflow definition for the way to each fate, so a type's own
    states are gone through (no list of trigger names of its own)."""
    from bench.datagen import fate_steps
    from tests.plugins.test_added_state import Reflective
    from workflows import build_definition
    from workflows.definition import CORE

    core = [t.trigger for t in fate_steps(CORE, "recredited")]
    assert core == ["hold", "approve", "credit", "revoke", "credit"]
    reflective = build_definition(Reflective().workflow())
    assert [t.trigger for t in fate_steps(reflective, "credited")] == ["hold", "reflect", "approve", "credit"]
    assert [t.dest for t in fate_steps(reflective, "held")] == ["held"]
    assert [t.trigger for t in fate_steps(reflective, "cancelled")] == ["cancel"]
    assert fate_steps(reflective, "planned") == ()


def test_a_types_profile_is_asked_through_the_facade_and_a_failure_is_reported(make_app):
    """The generator asks each type's volumes as a third party does (``Portal.sample_profile``):
    inside its plugin's boundary. A type whose ``sample_profile`` raises is reported with its
    plugin's name and generated at the default volumes; it called the method bare, and the
    RuntimeError stopped the whole generation."""
    from tests.plugins.test_broken_plugins import failures
    from tests.plugins.test_request_time_failures import Plugin, one_role_type, raising

    exploding = one_role_type("rt_profile", "测验课", "Quiz course", sample_profile=raising("profile exploded"))
    app = make_app(EXTRA_PLUGINS=[("yx_profile", Plugin(exploding))])
    with app.app_context():
        generate(1, 10, 1, seed=1)
        assert failures()["yx_profile"] == ("sample_profile of activity type 'rt_profile' raised RuntimeError: "
                                            "profile exploded; the type was given the default volumes")
        assert db.session.scalar(select(func.count(Activity.id)).where(Activity.type_key == "rt_profile")) > 0
