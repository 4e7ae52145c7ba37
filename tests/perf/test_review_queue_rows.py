"""The review queue cold: activities, participants and evidence read as rows (no ORM objects), one
activity snapshot per activity (not one per participant, twice), and the hours of a row the
same as the ledger's rule gives the participant's object; the reviewed section (counts and
totals) reads no evidence and works out no ceilings."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.activity_types import ActivityType
from portal.extensions import db
from portal.models import Activity, Evidence, Membership, Participation, User
from portal.registry import registry
from portal.services import access, activities, ledger, overview, schools, snapshots, transitions
from portal.services.ledger import credit_ceiling, credit_hours_for
from tests.perf.conftest import site
from workflows.definition import Phase
from workflows.engine import WorkflowEngine


@pytest.fixture
def queue(app, generated):
    """(school id, the held and reviewed activities with their organizers) of a generated school."""
    [code] = generated(teachers=30, years=1, seed=4)
    s = site(code)
    db.session.expunge_all()  # the pages below read rows: nothing of theirs may be in the session
    held = overview.review_page(s.school.id, Phase.AWAITING_REVIEW).items
    reviewed = overview.review_page(s.school.id, Phase.CONFIRMED).items
    assert held and reviewed
    return s.school.id, held, reviewed


def test_rows_not_objects_and_one_snapshot_per_activity(queue, queries, monkeypatch):
    school_id, held, reviewed = queue
    taken = []
    real = snapshots.activity_snapshot
    for module in (overview, ledger):  # the queue's own, and the rule's when no snapshot is given
        monkeypatch.setattr(module, "activity_snapshot", lambda act, *a: taken.append(act.id) or real(act, *a))
    with queries.counting():
        items = overview.queue_items(school_id, held + reviewed, detailed=[a.id for a, _u in held])
    assert queries.count == 3  # participants, evidence of the held, the school's type settings
    loaded = {type(obj) for obj in db.session.identity_map.values()}
    assert not loaded & {Activity, Participation, Evidence}  # rows: nothing built for hundreds of people
    # at most once per activity: only when its rule is asked (answers the page knows take none)
    assert len(taken) == len(set(taken)) and set(taken) <= {a.id for a, _u in held + reviewed}
    assert sum(i.size for i in items) > len(items) * 2


@pytest.mark.parametrize("counted", [True, False])
def test_hours_and_ceilings_are_the_ledgers(queue, monkeypatch, counted):
    """Each row gets what ``credit_hours_for``/``credit_ceiling`` give the participant's ORM
    object: one rule; the held section has evidence and ceilings; the reviewed section, under a
    rule that gives alike participants alike hours, only the number of people and the total the
    rule gives them one by one (``counted``), else its participants with their hours."""
    if not counted:  # a type with its own rule (it may read who the participant is)
        monkeypatch.setattr(overview, "rule_ignores_identity", lambda _type: False)
    school_id, held, reviewed = queue
    items = overview.queue_items(school_id, held + reviewed, detailed=[a.id for a, _u in held])
    settings = schools.all_type_settings(school_id)
    held_ids = {a.id for a, _u in held}
    evidence_seen = counted_seen = 0
    for item in items:
        act = item.activity
        rule = registry().get(act.type_key).type
        parts = {p.user_id: p for p in db.session.execute(
            select(Participation).where(Participation.activity_id == act.id)).scalars()}
        assert item.size == len(parts)
        assert not item.takes_part  # no viewer given
        if counted and act.id not in held_ids and overview._countable(act.type_key):
            each = [credit_hours_for(rule, act, p, settings[act.type_key]) for p in parts.values()]
            assert item.participants == [] and item.counted == (len(parts), sum((h for h in each if h), 0))
            assert item.would_get_total == item.counted[1]
            counted_seen += 1
            continue
        assert item.counted is None
        assert sorted(qp.person.user_id for qp in item.participants) == sorted(parts)
        for qp in item.participants:
            p = parts[qp.person.user_id]
            assert qp.would_get == credit_hours_for(rule, act, p, settings[act.type_key])
            assert qp.person.role == p.role and qp.person.attended_hours == p.attended_hours
            name = db.session.execute(select(User.display_name).where(User.id == p.user_id)).scalar_one()
            assert qp.account.display_name == name
            if act.id in held_ids:
                assert qp.max_hours == credit_ceiling(rule, act, p, settings[act.type_key])
                stored = db.session.execute(select(Evidence.id).where(
                    Evidence.activity_id == act.id, Evidence.user_id == p.user_id).order_by(Evidence.id)).scalars()
                assert [e.id for e in qp.evidence] == list(stored)
                evidence_seen += len(qp.evidence)
            else:
                assert qp.max_hours is None and qp.evidence == []
        assert item.would_get_total == sum((qp.would_get for qp in item.participants if qp.would_get), 0)
    assert evidence_seen > 0
    assert counted_seen > 0 if counted else counted_seen == 0


def test_buttons_from_what_the_page_read_are_allowed_triggers(queue):
    """The queue's buttons come from what its statements read (who takes part, counted or not; no
    activity of a locked year is on it): for viewers who reviewed, organised or took part, the
    same triggers as ``allowed_triggers`` reading the participants and the lock itself."""
    school_id, held, reviewed = queue
    ids = [a.id for a, _u in held + reviewed]
    reviewers = db.session.execute(select(Membership.user_id).where(
        Membership.school_id == school_id, Membership.role == "reviewer", Membership.active.is_(True))).scalars()
    first_of_each = db.session.execute(select(func.min(Participation.user_id)).where(
        Participation.activity_id.in_(ids)).group_by(Participation.activity_id)).scalars()
    viewers = {*reviewers, held[0][0].organizer_id, reviewed[0][0].organizer_id, *first_of_each}
    seen: set[tuple[str, ...]] = set()
    for viewer in sorted(viewers):
        items = overview.queue_items(school_id, held + reviewed, detailed=[a.id for a, _u in held], viewer=viewer)
        roles = access.school_roles(viewer, school_id)
        got = transitions.allowed_triggers_each([i.activity for i in items], viewer, roles,
                                                {i.activity.id: i.takes_part for i in items},
                                                dict.fromkeys(ids, False))
        for activity_id in ids:
            act = db.session.get(Activity, activity_id)
            assert got[activity_id] == transitions.allowed_triggers(act, viewer), (viewer, activity_id)
            seen.add(tuple(got[activity_id]))
    assert len(seen) > 2  # buttons and none: the viewers differ


def test_buttons_read_the_clock_once_and_ask_the_engine_once_per_kind(queue, monkeypatch):
    """``allowed_triggers_each`` reads the clock once for the page, not twice per activity, and asks
    the workflow engine once per (type, state, the viewer's roles, started, ended) of the page —
    a page of activities in a few states has a few — each activity still getting its own list."""
    school_id, held, reviewed = queue
    acts = [a for a, _u in held + reviewed]
    viewer = acts[0].organizer_id
    items = overview.queue_items(school_id, held + reviewed, detailed=[a.id for a in acts], viewer=viewer)
    roles = access.school_roles(viewer, school_id)
    clock, asked = [], []
    real_now = transitions.utcnow
    for module in (transitions, activities):  # the page's, and ``has_started``/``has_ended``'s
        monkeypatch.setattr(module, "utcnow", lambda: clock.append(1) or real_now())
    real_ask = WorkflowEngine.allowed_triggers
    monkeypatch.setattr(WorkflowEngine, "allowed_triggers",
                        lambda self, state, *a, **k: asked.append(state) or real_ask(self, state, *a, **k))
    got = transitions.allowed_triggers_each([i.activity for i in items], viewer, roles,
                                            {i.activity.id: i.takes_part for i in items},
                                            dict.fromkeys((a.id for a in acts), False))
    assert len(clock) == 1
    assert len(asked) < len(acts)  # before: once per activity
    assert len({id(found) for found in got.values()}) == len(acts)  # a list of its own for each


def test_buttons_ask_whether_a_year_may_be_credited_once_per_year(queue, monkeypatch):
    """``allowed_triggers_each`` asks whether hours of a school year may be posted now (the school
    read, its year now worked out) once per school and year of the page, not once per activity
    whose buttons could post them — the reviewed section's ten each asked it — and the answers
    are still ``allowed_triggers``'s (``test_buttons_from_what_the_page_read_are_allowed_triggers``)."""
    school_id, held, reviewed = queue
    acts = [a for a, _u in held + reviewed]
    viewer = db.session.execute(select(Membership.user_id).where(
        Membership.school_id == school_id, Membership.role == "reviewer", Membership.active.is_(True))).scalars().first()
    items = overview.queue_items(school_id, held + reviewed, detailed=[a.id for a, _u in held], viewer=viewer)
    asked = []
    real = transitions.may_credit_in
    monkeypatch.setattr(transitions, "may_credit_in", lambda year, school: asked.append(year) or real(year, school))
    got = transitions.allowed_triggers_each([i.activity for i in items], viewer, access.school_roles(viewer, school_id),
                                            {i.activity.id: i.takes_part for i in items},
                                            dict.fromkeys((a.id for a in acts), False))
    posting = [a.id for a in acts if any(registry().types[a.type_key].engine.definition.transition(t).posts_credits
                                         for t in got[a.id])]
    assert len(posting) > 1  # the reviewer may credit several of the page's activities
    assert sorted(asked) == sorted({a.school_year for a in acts if a.id in posting})  # before: once per activity


def test_every_activity_detailed_by_default(queue):
    """Without ``detailed`` (``review_queue``) every activity has its evidence and ceilings."""
    school_id, held, reviewed = queue
    everything = overview.queue_items(school_id, held + reviewed)
    assert all(qp.max_hours is not None for item in everything for qp in item.participants)
    by_id = {i.activity.id: i for i in overview.review_queue(school_id, (Phase.AWAITING_REVIEW, Phase.CONFIRMED))}
    for item in everything:
        assert [(qp.person.user_id, qp.would_get) for qp in item.participants] == [
            (qp.person.user_id, qp.would_get) for qp in by_id[item.activity.id].participants]


def test_rows_as_named_tuples_and_statements_built_once(queue):
    """The tuples' fields are the statements' columns, in order (``_make`` reads by position);
    the activities' and counts' statements are built once per set of states, with the school a
    bound parameter (a second school's page gets its own activities from the same statement)."""
    for statement in (activities.PARTICIPANTS_OF, activities._PARTICIPANT_ROWS):
        assert [c.name for c in statement.selected_columns] == [*activities.ParticipantRow._fields,
                                                               *activities.NameRow._fields]
    assert list(overview.QUEUE_EVIDENCE.selected_columns.keys()) == list(overview.QueueEvidence._fields)
    states = tuple(registry().states_in(Phase.AWAITING_REVIEW))
    assert overview._queue_query(states) is overview._queue_query(states)
    assert overview._counts_query(states) is overview._counts_query(states)
    school_id, held, _reviewed = queue
    items = overview.queue_items(school_id, held)
    assert all(isinstance(qp.person, activities.ParticipantRow) and isinstance(qp.account, activities.NameRow)
               and qp.person.user_id == qp.account.id for i in items for qp in i.participants)
    assert {a.school_id for a, _u in held} == {school_id}
    assert overview.queue_counts(school_id, (Phase.AWAITING_REVIEW,))[Phase.AWAITING_REVIEW] >= len(held)
    nobody = school_id + 10_000  # no such school: the bound school, not the first one asked for
    assert overview.review_page(nobody, Phase.AWAITING_REVIEW).items == []
    assert overview.queue_counts(nobody, (Phase.AWAITING_REVIEW,)) == {Phase.AWAITING_REVIEW: 0}


def test_organizer_materials_only_when_not_a_participant(queue):
    """A held activity's card lists its organizer's own files ("materials") unless the organizer
    also took part (then the files are theirs as a participant, on their row)."""
    school_id, held, _reviewed = queue
    (first, _u), (second, _v) = held[:2]
    for act in (first, second):
        db.session.add(Evidence(activity_id=act.id, user_id=act.organizer_id, kind="slides", title="讲稿",
                                uploaded_by=act.organizer_id))
    part = db.session.execute(select(Participation).where(Participation.activity_id == second.id)).scalars().first()
    part.user_id = second.organizer_id  # the organizer took part in the second
    db.session.commit()
    db.session.expunge_all()
    items = {i.activity.id: i for i in overview.queue_items(school_id, held[:2])}
    assert [e.title for e in items[first.id].activity_evidence] == ["讲稿"]
    assert items[second.id].activity_evidence == []
    mine = [qp for qp in items[second.id].participants if qp.person.user_id == second.organizer_id]
    assert [e.title for qp in mine for e in qp.evidence] == ["讲稿"]


def test_a_counted_activity_reads_only_the_viewers_own_row(queue, queries):
    """Whether the viewer takes part in an activity the reviewed section only counts is read as
    the viewer's own row (none when they do not take part), not a row per person taking part:
    the buttons need no more (a stand-in's check asks the database who else is involved)."""
    school_id, held, reviewed = queue
    grouped = [a.id for a, _u in reviewed if overview._countable(a.type_key)]
    assert grouped
    people = db.session.execute(select(Participation.activity_id, Participation.user_id).where(
        Participation.activity_id.in_(grouped))).all()
    assert len(people) > len(grouped)
    for viewer in sorted({uid for _a, uid in people})[:5] + [held[0][0].organizer_id]:
        rows = db.session.connection().execute(
            activities.PARTICIPANTS_OR_COUNTS, {"ids": [], "grouped": grouped, "viewer": viewer}).all()
        mine = sorted(r[1] for r in rows if r[0] is None and not r[-1])  # the n = 0 rows: who takes part
        assert mine == sorted(a for a, uid in people if uid == viewer)
        items = overview.queue_items(school_id, reviewed, detailed=[], viewer=viewer)
        # the counted ones (a type whose rule may read who takes part lists its people, and is not asked)
        assert {i.activity.id for i in items if i.takes_part and i.activity.id in grouped} == {
            a for a, uid in people if uid == viewer}


def test_each_types_rule_boundary_set_up_once_per_page(queue, monkeypatch):
    """The credit rule's plugin boundary (``plugin_data.hours_rule``) is set up once per type of
    the page, not once per activity (and again for the ceilings); each call still crosses it."""
    from portal import plugin_data

    school_id, held, reviewed = queue
    set_up: list[str] = []
    real = plugin_data._running
    monkeypatch.setattr(plugin_data, "_running", lambda t, method: set_up.append(method) or real(t, method))
    overview.queue_items(school_id, held + reviewed, detailed=[a.id for a, _u in held])
    types = {a.type_key for a, _u in held + reviewed}
    assert len(held + reviewed) > len(types)
    assert set_up.count("credit_hours") == len(types)


def test_the_core_rule_is_asked_once_per_role_and_hours_for_hours_and_ceilings(queue, monkeypatch):
    """The held section's hours and ceilings share the core rule's answers: a ceiling is the rule's
    answer for the hours not missed, the same question as the hours of whoever attended them all."""
    school_id, held, reviewed = queue
    asked: list[tuple] = []
    real = ActivityType.credit_hours

    def counting(self, p, a, settings):
        asked.append((a.type_key, p.role, p.attended_hours, p.absent_hours, p.excused_hours))
        return real(self, p, a, settings)

    monkeypatch.setattr(ActivityType, "credit_hours", counting)
    items = overview.queue_items(school_id, held + reviewed, detailed=[a.id for a, _u in held])
    assert asked and len(asked) == len(set(asked))
    # and some participant's hours and ceiling were the one answer
    assert any(qp.would_get == qp.max_hours and qp.person.adjusted_hours is None
               for item in items for qp in item.participants if qp.max_hours is not None)


def test_an_activity_whose_answers_are_known_takes_no_snapshot(queue, monkeypatch):
    """The core rule's answers are the page's by type: an activity whose every participant's
    role and hours were asked already (here: the same activities listed twice) makes no snapshot
    of itself, and its figures are the ones given the first time."""
    school_id, held, _reviewed = queue
    taken = []
    real = snapshots.activity_snapshot
    for module in (overview, ledger):
        monkeypatch.setattr(module, "activity_snapshot", lambda act, *a: taken.append(act.id) or real(act, *a))
    items = overview.queue_items(school_id, held + held)
    core = {a.id for a, _u in held if ledger.core_rule(registry().types[a.type_key].type)}
    assert core and len(items) == 2 * len(held)
    assert sorted(i for i in taken if i in core) == sorted(core)  # once each, not twice
    first, again = items[: len(held)], items[len(held):]
    assert [[(qp.would_get, qp.max_hours) for qp in i.participants] for i in first] == [
        [(qp.would_get, qp.max_hours) for qp in i.participants] for i in again]


def test_the_sections_activities_are_named_tuples_of_the_pages_rows(queue):
    """``review_sections`` gives each page's activities as ``QueueRow`` named tuples (round 58: a
    SQLAlchemy row looks each attribute up by name at ~10× the cost, and the page reads them some
    40 times each), with the values, by name, that ``review_page`` reads for the same activities;
    its counts and type settings read by position are what ``queue_counts`` and the school's
    stored settings say."""
    school_id, held, reviewed = queue
    sections = overview.review_sections(school_id, ((Phase.AWAITING_REVIEW, None, None), (Phase.CONFIRMED, None, None)))
    (held_page, reviewed_page), names = sections.pages, [*(c.key for c in overview.QUEUE_COLUMNS), "organizer_name"]
    for page, rows in ((held_page, held), (reviewed_page, reviewed)):
        assert [type(a) for a, _u in page.items] == [overview.QueueRow] * len(rows)
        assert [(a._asdict(), u) for a, u in page.items] == [
            ({name: getattr(a, name) for name in names}, u) for a, u in rows]
    assert sections.counts == overview.queue_counts(school_id, (Phase.AWAITING_REVIEW, Phase.CONFIRMED))
    assert all(isinstance(w.n, int) and w.n > 0 and w.type_key in registry().keys() for w in sections.waiting)
    assert {w.organizer_id for w in sections.waiting} >= {a.organizer_id for a, _u in held + reviewed}
    stored = schools.all_type_settings(school_id)
    assert {key: sections.settings[key] for key in {a.type_key for a, _u in held}} == {
        key: stored[key] for key in {a.type_key for a, _u in held}}
