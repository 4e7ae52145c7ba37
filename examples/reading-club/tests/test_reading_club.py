"""The reading club's rules, tested without the portal's database: guards and credit rules
see plain snapshots (and ``ctx.data``, what the plugin's ``portal_transition_data`` hook
supplies), so a plugin's own tests need only ``workflows`` and the type itself."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal

from werkzeug.datastructures import MultiDict

from workflows import (
    ActivitySnapshot,
    EvidenceSnapshot,
    GuardFailed,
    ParticipantSnapshot,
    TransitionContext,
    WorkflowEngine,
    build_definition,
)

import yanxiu_reading_club
from yanxiu_reading_club.reading_club import ReadingClub, ReadingClubForm

START = datetime(2026, 10, 15, 6, 0)


def ctx(evidence=(), settings=None, participants=None, logged=None) -> TransitionContext:
    activity = ActivitySnapshot(7, "reading_club", "planned", START, START, Decimal("2"), 1, {"book_title": "x"})
    people = participants or [
        ParticipantSnapshot(11, "member", Decimal("2"), name="甲"),
        ParticipantSnapshot(12, "leader", Decimal("2"), name="乙"),
    ]
    return TransitionContext(
        activity=activity,
        participants=people,
        evidence=[EvidenceSnapshot(uid, kind, START, chars) for uid, kind, chars in evidence],
        settings=ReadingClub().settings_with_defaults(settings),
        actor_id=1,
        actor_roles=frozenset({"owner", "organizer"}),
        now=START,
        data={"logged_chars": logged or {}},
    )


def test_hold_is_refused_until_every_member_has_written_enough():
    club = ReadingClub()
    c = ctx(evidence=[(11, "reading_notes", 5_999), (12, "reading_notes", 10_000), (12, "reflection", 50_000)],
            logged={11: 4_000, 99: 10_000})  # 99 is no member
    assert club.notes_complete(c) == ["甲: reading notes 9999 of 10000 characters"]

    c = ctx(evidence=[(11, "reading_notes", 6_000), (12, "reading_notes", 10_000)], logged={11: 4_000})
    assert club.notes_complete(c) == []


def test_the_threshold_is_the_school_setting():
    club = ReadingClub()
    c = ctx(evidence=[(11, "reading_notes", 3_000), (12, "reading_notes", 2_999)], settings={"chars_per_year": 3_000})
    assert club.notes_complete(c) == ["乙: reading notes 2999 of 3000 characters"]


def test_the_guard_is_part_of_the_workflow():
    club = ReadingClub()
    engine = WorkflowEngine(build_definition(club.workflow()))
    try:
        engine.fire("planned", "hold", ctx())
    except GuardFailed as exc:
        assert len(exc.missing) == 2
    else:  # pragma: no cover - the assertion below documents the failure
        raise AssertionError("hold should have been refused")
    done = ctx(evidence=[(11, "reading_notes", 10_000), (12, "reading_notes", 10_000)])
    assert engine.fire("planned", "hold", done) == "held"


def test_credit_rule_attended_times_role_plus_reading_hours():
    club = ReadingClub()
    settings = club.settings_with_defaults({})
    act = ctx().activity
    member = ParticipantSnapshot(11, "member", Decimal("2"))
    leader = ParticipantSnapshot(12, "leader", Decimal("1.5"))
    absent = ParticipantSnapshot(13, "member", Decimal("0"))
    assert club.credit_hours(member, act, settings) == Decimal("4")  # 2 + 2
    assert club.credit_hours(leader, act, settings) == Decimal("5")  # 1.5 × 2 + 2
    assert club.credit_hours(absent, act, settings) == Decimal("0")
    assert club.credit_hours(member, act, {**settings, "reading_hours": 0.7}) == Decimal("2.5")


def test_the_extra_hours_go_by_the_half_hour():
    """``reading_hours`` is a number of hours (``Setting(hours=True)``, contract 1.23): a school saves
    half hours only, and one saved off that grid before reads down to the half hour."""
    club = ReadingClub()
    assert club.validate_settings({"reading_hours": 1.5}) == {}
    assert club.validate_settings({"reading_hours": 0.7})["reading_hours"].english == (
        "must be a number of hours from 0 to 10, in steps of 0.5")
    assert club.settings_json_schema()["properties"]["reading_hours"]["multipleOf"] == 0.5
    assert club.settings_with_defaults({"reading_hours": 0.7})["reading_hours"] == 0.5


def test_credit_rule_reads_only_role_and_hours_as_declared():
    """``credit_by_role_and_hours``: the portal asks the rule once per role and hours of a club and
    passes it no user id or name; the answers must be the ones the members themselves get."""
    club = ReadingClub()
    assert club.credit_by_role_and_hours is True
    settings = club.settings_with_defaults({"leader_multiplier": 3})
    act = ctx().activity
    for uid, role, attended in [(11, "member", "2"), (12, "leader", "1.5"), (13, "member", "0"), (14, "leader", "3")]:
        who = ParticipantSnapshot(uid, role, Decimal(attended), name="赵子涵")
        anyone = dataclasses.replace(who, user_id=0, name="")
        assert club.credit_hours(who, act, settings) == club.credit_hours(anyone, act, settings)


def test_form_requires_a_book():
    assert not ReadingClubForm(MultiDict({})).validate()
    form = ReadingClubForm(MultiDict({"book_title": "给教师的建议"}))
    assert form.validate(), form.errors


def test_hooks_return_existing_folders():
    for hook in (yanxiu_reading_club.portal_migration_dirs, yanxiu_reading_club.portal_template_dirs,
                 yanxiu_reading_club.portal_translation_dirs):
        [folder] = hook()
        assert __import__("os").path.isdir(folder), folder
    [catalogs] = yanxiu_reading_club.portal_translation_dirs()
    assert __import__("os").path.exists(f"{catalogs}/zh_Hans_CN/LC_MESSAGES/messages.mo")

