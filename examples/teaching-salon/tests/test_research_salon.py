"""The 教研沙龙 salon's own tests, as its author runs them (docs/plugins.md §5): its rules on plain
snapshots (no database, no app), then inside a real portal through the fixtures the portal installs
for pytest (``yanxiu_*``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import yanxiu_research_salon
from werkzeug.datastructures import MultiDict
from yanxiu_research_salon import ResearchSalon, ResearchSalonForm, has_a_host, outlines_in

from portal.activity_types import Text
from portal.testing import DomainError, GuardFailedError
from workflows import (
    ActivitySnapshot,
    EvidenceSnapshot,
    GuardFailed,
    IllegalTransition,
    ParticipantSnapshot,
    Phase,
    TransitionContext,
    WorkflowEngine,
    build_definition,
)

WHEN = datetime(2026, 10, 15, 6, 0)
SALON = ResearchSalon()


def context(participants, evidence=(), settings=None, state="planned") -> TransitionContext:
    activity = ActivitySnapshot(1, "research_salon", state, WHEN, WHEN, Decimal("2"), 1, {"topic": "x"})
    return TransitionContext(
        activity=activity, participants=list(participants), evidence=list(evidence),
        settings=SALON.settings_with_defaults(settings or {}), actor_id=1, actor_roles=frozenset({"owner"}), now=WHEN,
        type_roles=frozenset(SALON.roles), type_kinds=frozenset(SALON.all_evidence_kinds()),
    )


def speaker(uid: int, name: str) -> ParticipantSnapshot:
    return ParticipantSnapshot(uid, "speaker", None, name=name)


def outline(uid: int, chars: int) -> EvidenceSnapshot:
    return EvidenceSnapshot(uid, "talk_outline", WHEN - timedelta(days=2), chars)


# -- the rules, on plain snapshots --------------------------------------------------------------


def test_the_hook_returns_the_type():
    [t] = yanxiu_research_salon.portal_activity_types()
    assert (t.key, t.default_role, t.name_zh) == ("research_salon", "listener", "教研沙龙")


def test_the_form():
    assert not ResearchSalonForm(MultiDict({"speakers_planned": "2"})).validate()            # no topic
    assert not ResearchSalonForm(MultiDict({"topic": "作业设计", "speakers_planned": "9"})).validate()
    assert not ResearchSalonForm(MultiDict({"topic": "作业设计", "speakers_planned": "2", "venue": "moon"})).validate()
    assert ResearchSalonForm(MultiDict({"topic": "作业设计", "speakers_planned": "2", "venue": "online"})).validate()


def test_outlines_are_closed_only_with_every_speakers_outline_long_enough():
    engine = WorkflowEngine(build_definition(SALON.workflow()))
    with pytest.raises(GuardFailed) as none:
        engine.fire("planned", "close_outlines", context([ParticipantSnapshot(5, "listener", None)]))
    assert none.value.missing == [Text("至少需要一位主讲人", "at least one speaker is required")]
    people = [speaker(2, "王芳"), speaker(3, "李强")]
    with pytest.raises(GuardFailed) as short:
        engine.fire("planned", "close_outlines", context(people, [outline(2, 80)]))
    assert short.value.missing == [
        Text("王芳：发言提纲 80/100 字", "王芳: talk outline 80 of 100 characters"),
        Text("李强：尚未提交发言提纲", "李强: no talk outline yet"),
    ]
    # the school lowered the bar: 80 characters are enough now
    assert engine.fire("planned", "close_outlines",
                       context(people, [outline(2, 80), outline(3, 400)], {"outline_min_chars": 80})) == "outlines_in"


def test_a_salon_is_held_only_after_its_outlines_and_with_a_host():
    definition = build_definition(SALON.workflow())
    engine = WorkflowEngine(definition)
    with pytest.raises(IllegalTransition):
        engine.fire("planned", "hold", context([ParticipantSnapshot(1, "host", None)]))
    assert has_a_host(context([speaker(2, "王芳")])) == [Text("需要一位主持人", "a host is required")]
    assert engine.fire("outlines_in", "hold", context([ParticipantSnapshot(1, "host", None)], state="outlines_in")) == "held"
    assert outlines_in  # the guard is the one the workflow names
    assert definition.phase("outlines_in") is Phase.OPEN


@pytest.mark.parametrize(("role", "attended", "settings", "expected"), [
    ("speaker", "1.5", {}, "3"),                            # × 2
    ("speaker", "3", {}, "4"),                              # 6, capped at 4
    ("speaker", "3", {"speaker_cap": 5.5}, "5.5"),
    ("speaker", "3", {"speaker_multiplier": 1}, "3"),
    ("host", "2", {}, "3"),                                 # × 1.5
    ("host", "1.5", {}, "2"),                               # 2.25, down to a half hour
    ("listener", "2", {}, "2"),
    ("listener", None, {}, "0"),
])
def test_the_credit_rule(role, attended, settings, expected):
    p = ParticipantSnapshot(0, role, None if attended is None else Decimal(attended))
    assert SALON.credit_hours(p, context([]).activity, SALON.settings_with_defaults(settings)) == Decimal(expected)


def test_the_settings_a_school_may_save():
    assert SALON.validate_settings({"speaker_cap": 6}) == {}
    assert "speaker_cap" in SALON.validate_settings({"speaker_cap": 2.3})       # not whole half hours
    assert SALON.validate_settings({"speaker_cap": 2.3})["speaker_cap"].english == (
        "must be a number of hours from 0.5 to 20, in steps of 0.5")           # the core's words (1.23)
    assert SALON.settings_json_schema()["properties"]["speaker_cap"]["multipleOf"] == 0.5
    assert "speaker_cap" in SALON.validate_settings({"speaker_cap": 21})        # out of range (the core's)
    assert "outline_min_chars" in SALON.validate_settings({"outline_min_chars": 1.5})
    assert "nonsense" in SALON.validate_settings({"nonsense": 1})


# -- inside a portal: a temporary SQLite database, the demo school with this plugin enabled -------------

OUTLINE = "本次发言围绕作业分层设计展开，" * 20          # 300 characters as the portal counts them
MINUTES = "沙龙纪要：三位教师发言，讨论了作业的分层与反馈。"


def hand_in_outlines(act, yanxiu_evidence):
    for who in ("teacher2", "teacher3"):                   # sample_roles(): teacher2, teacher3 speak
        yanxiu_evidence(act, "talk_outline", text=OUTLINE + who, as_=who)


def test_the_whole_salon(yanxiu_plan, yanxiu_evidence, yanxiu_attend, yanxiu_fire, yanxiu_credits, yanxiu_client):
    act = yanxiu_plan(hours="2")               # teacher1 hosts, teacher2–3 speak, teacher4–5 listen
    hand_in_outlines(act, yanxiu_evidence)
    assert yanxiu_fire(act, "close_outlines").state == "outlines_in"
    yanxiu_attend(act)
    assert yanxiu_fire(act, "hold").state == "held"
    yanxiu_evidence(act, "salon_minutes", text=MINUTES, as_="teacher1")
    for who in ("teacher4", "teacher5"):
        yanxiu_evidence(act, "reflection", text=f"{who}的反思：分层作业让每位学生都有收获。", as_=who)
    assert yanxiu_fire(act, "approve", as_="reviewer").state == "reviewed"
    assert yanxiu_fire(act, "credit", as_="reviewer").state == "credited"
    assert yanxiu_credits(act) == {"teacher1": Decimal("3"), "teacher2": Decimal("4"), "teacher3": Decimal("4"),
                                   "teacher4": Decimal("2"), "teacher5": Decimal("2")}
    client = yanxiu_client("teacher")
    zh = client.get(f"/activities/{act.id}").get_data(as_text=True)
    en = client.get(f"/activities/{act.id}?lang=en").get_data(as_text=True)
    assert "教研沙龙" in zh and "主讲人发言提纲" in zh and "提纲已收齐" in zh     # its own state, in the diagram
    assert "Teaching-research salon" in en and "Speakers&#39; talk outlines" in en and "Salon topic" in en


def test_a_school_caps_its_speakers(yanxiu_settings, yanxiu_plan, yanxiu_evidence, yanxiu_attend, yanxiu_fire,
                                    yanxiu_credits):
    assert yanxiu_settings({"speaker_cap": 3})["speaker_cap"] == 3
    act = yanxiu_plan(hours="2")
    hand_in_outlines(act, yanxiu_evidence)
    yanxiu_fire(act, "close_outlines")
    yanxiu_attend(act)
    yanxiu_fire(act, "hold")
    yanxiu_evidence(act, "salon_minutes", text=MINUTES, as_="teacher1")
    for who in ("teacher4", "teacher5"):
        yanxiu_evidence(act, "reflection", text=f"{who}的反思：作业反馈要及时。", as_=who)
    yanxiu_fire(act, "approve", as_="reviewer")
    yanxiu_fire(act, "credit", as_="reviewer")
    assert yanxiu_credits(act)["teacher2"] == Decimal("3")


def test_a_setting_out_of_bounds_changes_nothing(yanxiu_settings):
    before = yanxiu_settings()
    for bad in ({"speaker_cap": 2.3}, {"speaker_multiplier": 40}, {"outline_min_chars": "many"}, {"speaker_cap": None}):
        with pytest.raises(DomainError) as refused:
            yanxiu_settings(bad)
        assert set(refused.value.to_dict()["fields"]) == {f"settings.{next(iter(bad))}"}
    assert yanxiu_settings() == before


def test_the_guard_refuses_through_the_portal(yanxiu_plan, yanxiu_evidence, yanxiu_fire):
    act = yanxiu_plan()
    yanxiu_evidence(act, "talk_outline", text="太短的提纲", as_="teacher2")
    with pytest.raises(GuardFailedError) as refused:
        yanxiu_fire(act, "close_outlines")
    missing = refused.value.extra["missing"]                # outside a request: Chinese, the default
    assert len(missing) == 2
    assert sum("发言提纲 5/100 字" in m for m in missing) == 1 and sum("尚未提交发言提纲" in m for m in missing) == 1
    with pytest.raises(DomainError):                        # hold starts only from outlines_in
        yanxiu_fire(act, "hold")


def test_the_minutes_are_one_record_of_the_salon(yanxiu_plan, yanxiu_evidence):
    act = yanxiu_plan()
    yanxiu_evidence(act, "salon_minutes", text=MINUTES, as_="teacher1")
    with pytest.raises(DomainError):                        # the same minutes, by a listener: taken once
        yanxiu_evidence(act, "salon_minutes", text=MINUTES, as_="teacher4")


def test_outlines_come_before_the_salon_and_minutes_after(yanxiu_plan, yanxiu_evidence, yanxiu_fire):
    tomorrow = datetime.now().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
    act = yanxiu_plan(starts_at=tomorrow)
    hand_in_outlines(act, yanxiu_evidence)                                # before: taken
    with pytest.raises(DomainError):                                      # after_start: refused before it
        yanxiu_evidence(act, "salon_minutes", text=MINUTES, as_="teacher1")
    assert yanxiu_fire(act, "close_outlines").state == "outlines_in"     # open to open: before the start too
    with pytest.raises(DomainError) as early:                             # into review: not before the start
        yanxiu_fire(act, "hold")
    assert early.value.to_dict()["error"] == "conflict"


def test_a_salon_of_more_than_four_hours_is_refused(yanxiu_plan):
    with pytest.raises(DomainError) as refused:                       # check_plan, nothing planned
        yanxiu_plan(hours="4.5")
    assert refused.value.to_dict()["fields"] == {"hours": "a salon lasts at most 4 hours"}


def test_the_school_admin_reads_the_settings_in_both_languages(yanxiu_client):
    admin = yanxiu_client("school_admin")
    zh = admin.get("/admin/types").get_data(as_text=True)
    en = admin.get("/admin/types?lang=en").get_data(as_text=True)
    assert "主讲人每次最多认定学时" in zh and "发言提纲最少字数" in zh
    assert "Most hours a speaker is credited per salon" in en and "Fewest characters of a talk outline" in en
