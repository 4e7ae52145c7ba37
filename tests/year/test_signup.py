"""Sign-up (报名): capacity, closing time, waiting list moving up, the organiser's confirmation;
bad input changes nothing; concurrent withdrawals promote each waiting person exactly once
(PostgreSQL when ``YANXIU_TEST_DATABASE_URL`` is set: row locks; SQLite otherwise)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict, DomainError, Forbidden, Invalid
from portal.extensions import db
from portal.models import Activity, Participation, Signup, SignupWindow, User
from portal.services import access, signup
from portal.timeutil import utcnow
from tests.support import factories as f
from tests.year.helpers import actor, closes_in, future_activity, school_with_teachers


def _statuses(activity_id: int) -> dict[str, str]:
    rows = db.session.execute(
        select(User.username, Signup.status).join(User, User.id == Signup.user_id).where(Signup.activity_id == activity_id)
    )
    return dict(rows.all())


def _open(capacity=2):
    s, p, ts = school_with_teachers("SU", 6)
    act = future_activity(s, p["organizer"])
    signup.open_signup(act, capacity, closes_in(7), by=actor(p["organizer"], s), tz=s.timezone)
    return s, p, ts, act


def test_seats_then_waiting_list_then_promotion_in_order(app):
    s, p, ts, act = _open(capacity=2)
    for t in ts[:5]:
        signup.sign_up(act, t, by=actor(t, s))
    st = _statuses(act.id)
    assert [st[t.username] for t in ts[:5]] == ["seat", "seat", "waiting", "waiting", "waiting"]
    view = signup.view(act, ts[3].id)
    assert view is not None and view.position == 2 and view.free == 0
    signup.withdraw(act, ts[0], by=actor(ts[0], s))  # a seat frees: the first waiting moves up
    st = _statuses(act.id)
    assert st[ts[0].username] == "withdrawn" and st[ts[2].username] == "seat" and st[ts[3].username] == "waiting"
    signup.withdraw(act, ts[4], by=actor(ts[4], s))  # a waiting person leaves: no seat changes hands
    st = _statuses(act.id)
    assert st[ts[3].username] == "waiting" and sum(v == "seat" for v in st.values()) == 2
    signup.sign_up(act, ts[0], by=actor(ts[0], s))  # back again: the end of the queue
    assert signup.view(act, ts[0].id).position == 2


def test_confirmation_makes_participants_and_closes_the_list(app):
    s, p, ts, act = _open(capacity=2)
    for t in ts[:3]:
        signup.sign_up(act, t, by=actor(t, s))
    with pytest.raises(Forbidden):
        signup.confirm(act, by=actor(ts[0], s))  # a teacher does not run the sign-up
    version = db.session.get(Activity, act.id).version
    assert signup.confirm(act, by=actor(p["organizer"], s)) == 2
    # new participants are a change a reviewer who read the activity before must see
    assert db.session.get(Activity, act.id).version > version
    parts = set(db.session.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars())
    assert parts == {ts[0].id, ts[1].id}
    for step in (lambda: signup.withdraw(act, ts[0], by=actor(ts[0], s)),
                 lambda: signup.sign_up(act, ts[4], by=actor(ts[4], s)),
                 lambda: signup.confirm(act, by=actor(p["organizer"], s))):
        with pytest.raises(Conflict) as exc:
            step()
        assert exc.value.msg.code == "signup.confirmed"


def test_signing_up_twice_after_closing_and_when_not_open_change_nothing(app):
    s, p, ts, act = _open(capacity=1)
    signup.sign_up(act, ts[0], by=actor(ts[0], s))
    before = _statuses(act.id)
    with pytest.raises(Conflict) as exc:
        signup.sign_up(act, ts[0], by=actor(ts[0], s))
    assert exc.value.msg.code == "signup.twice" and _statuses(act.id) == before
    with pytest.raises(Forbidden):  # nobody signs up someone else
        signup.sign_up(act, ts[1], by=actor(ts[0], s))
    window = db.session.get(SignupWindow, act.id)
    window.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        signup.sign_up(act, ts[1], by=actor(ts[1], s))
    assert exc.value.msg.code == "signup.closed" and _statuses(act.id) == before
    other = future_activity(s, p["organizer"])
    with pytest.raises(Conflict) as exc:
        signup.sign_up(other, ts[1], by=actor(ts[1], s))
    assert exc.value.msg.code == "signup.not_open"
    with pytest.raises(Conflict) as exc:
        signup.withdraw(other, ts[1], by=actor(ts[1], s))
    assert exc.value.msg.code == "signup.not_open"


@pytest.mark.parametrize(
    ("capacity", "closes", "field"),
    [
        (0, 7, "capacity"),
        (-1, 7, "capacity"),
        ("x", 7, "capacity"),
        (10**6, 7, "capacity"),
        (True, 7, "capacity"),
        (3, 30, "closes_at"),  # after the start
        (3, -1, "closes_at"),  # already passed
        (3, None, "closes_at"),
    ],
)
def test_bad_sign_up_settings_are_refused_and_change_nothing(app, capacity, closes, field):
    s, p, _ts = school_with_teachers("SB", 0)
    act = future_activity(s, p["organizer"])
    when = closes_in(closes) if closes is not None else "not a time"
    with pytest.raises(Invalid) as exc:
        signup.open_signup(act, capacity, when, by=actor(p["organizer"], s), tz=s.timezone)
    assert field in exc.value.fields
    assert db.session.get(SignupWindow, act.id) is None


def test_capacity_can_grow_not_shrink_below_seats_and_growing_promotes(app):
    s, p, ts, act = _open(capacity=1)
    for t in ts[:3]:
        signup.sign_up(act, t, by=actor(t, s))
    with pytest.raises(Forbidden):
        signup.open_signup(act, 5, closes_in(7), by=actor(ts[0], s), tz=s.timezone)
    signup.open_signup(act, 2, closes_in(6), by=actor(p["organizer"], s), tz=s.timezone)
    assert _statuses(act.id)[ts[1].username] == "seat"
    with pytest.raises(Invalid) as exc:
        signup.open_signup(act, 1, closes_in(6), by=actor(p["organizer"], s), tz=s.timezone)
    assert "capacity" in exc.value.fields and db.session.get(SignupWindow, act.id).capacity == 2


def test_a_participant_cannot_also_sign_up(app):
    s, p, ts, act = _open(capacity=3)
    db.session.add(Participation(activity_id=act.id, user_id=ts[0].id, role="attendee"))
    db.session.commit()
    with pytest.raises(Conflict) as exc:
        signup.sign_up(act, ts[0], by=actor(ts[0], s))
    assert exc.value.msg.code == "signup.participant"


def _in_thread(app, barrier, step, school_id, activity_id, user_id, out):
    with app.app_context():
        try:
            act = access.get_activity(activity_id, school_id)
            user = db.session.get(User, user_id)
            who = access.actor(user_id, school_id)
            barrier.wait()
            (signup.withdraw if step == "withdraw" else signup.sign_up)(act, user, by=who)
            out.append(200)
        except DomainError as exc:
            out.append(exc.status)
        finally:
            db.session.remove()


def _all_at_once(app, steps: list[tuple[str, int]], school_id: int, activity_id: int) -> list[int]:
    db.session.commit()
    db.session.remove()
    barrier = threading.Barrier(len(steps))
    out: list[int] = []
    threads = [
        threading.Thread(target=_in_thread, args=(app, barrier, step, school_id, activity_id, uid, out))
        for step, uid in steps
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return out


@pytest.fixture
def slow_seat_count(monkeypatch):
    """Counting the seats is slowed down so that, without the lock on the sign-up row, the
    transactions would overlap between counting and writing (and give a seat twice)."""
    count_seats = signup._seats

    def slow_count(s, activity_id):
        n = count_seats(s, activity_id)
        time.sleep(0.05)
        return n

    monkeypatch.setattr(signup, "_seats", slow_count)


def _seat_ids(activity_id: int) -> list[int]:
    return list(
        db.session.execute(
            select(Signup.user_id).where(Signup.activity_id == activity_id, Signup.status == "seat")
        ).scalars()
    )


def test_concurrent_withdrawals_promote_each_waiting_person_once(app, slow_seat_count):
    """8 seat holders withdraw at the same moment: the first 8 of 12 waiting get the seats,
    in order, nobody twice, and the seats never exceed the capacity."""
    s, p, ts, act = _open(capacity=8)
    people = [*ts, *(f.person(s, f"suw{i:02d}", "teacher") for i in range(14))]
    for t in people:
        signup.sign_up(act, t, by=actor(t, s))
    holder_ids = [t.id for t in people[:8]]
    waiting_ids = [t.id for t in people[8:]]
    activity_id = act.id
    out = _all_at_once(app, [("withdraw", uid) for uid in holder_ids], s.id, activity_id)
    assert out == [200] * len(holder_ids)
    seats = _seat_ids(activity_id)
    assert len(seats) == 8 == len(set(seats))
    assert set(seats) == set(waiting_ids[:8])
    still = db.session.scalar(select(func.count()).where(Signup.activity_id == activity_id, Signup.status == "waiting"))
    assert still == len(waiting_ids) - 8


def test_concurrent_sign_ups_and_withdrawals_never_exceed_the_capacity(app, slow_seat_count):
    """12 sign up and 2 seat holders withdraw at the same moment, with 3 seats left: in the
    end exactly the capacity holds seats, and whoever waits is behind every seat holder."""
    s, p, ts, act = _open(capacity=5)
    for t in ts[:2]:
        signup.sign_up(act, t, by=actor(t, s))
    newcomers = [f.person(s, f"suc{i:02d}", "teacher") for i in range(12)]
    steps = [("sign_up", t.id) for t in newcomers] + [("withdraw", t.id) for t in ts[:2]]
    activity_id = act.id
    out = _all_at_once(app, steps, s.id, activity_id)
    assert out == [200] * len(steps)
    seats = _seat_ids(activity_id)
    assert len(seats) == 5 == len(set(seats))
    rows = db.session.execute(select(Signup).where(Signup.activity_id == activity_id, Signup.status == "waiting")).scalars()
    assert len(list(rows)) == 7


def test_a_declaration_takes_no_sign_up(app):
    """Attack: a teacher declaring training later today (学时申报: they are its organiser) opened
    a sign-up on their own declaration, colleagues signed up and the teacher's "confirm" made them
    participants of it — a plain teacher adding people to an activity, and a declaration that is
    the declarer's own alone. A self-declared activity now takes no sign-up (409, nothing
    written), as it takes no participants."""
    from portal.database import write_transaction
    from portal.services import activities

    s, p, ts = school_with_teachers("SD", 2)
    declarer = ts[0]
    today = utcnow()
    act = activities.plan_activity(
        s, declarer, "declared", "晚间网络课程", (today - timedelta(hours=2)).isoformat(timespec="minutes") + "+00:00",
        (today - timedelta(hours=1)).isoformat(timespec="minutes") + "+00:00", "1", None,
        {"provider": "国家中小学智慧教育平台", "category": "online"},
    )
    with write_transaction():  # the course is later today (the declaration's day is not over)
        act.starts_at, act.ends_at = today + timedelta(hours=3), today + timedelta(hours=4)
    windows = db.session.scalar(select(func.count()).select_from(SignupWindow))
    with pytest.raises(Conflict) as err:
        signup.open_signup(act, 5, (today + timedelta(hours=2)).isoformat(timespec="minutes") + "+00:00",
                           by=actor(declarer, s), tz=s.timezone)
    assert err.value.msg.code == "declared.fixed"
    with pytest.raises(Conflict):
        signup.confirm(act, by=actor(declarer, s))
    assert db.session.scalar(select(func.count()).select_from(SignupWindow)) == windows
    assert [u for (u,) in db.session.execute(select(Participation.user_id).where(
        Participation.activity_id == act.id))] == [declarer.id]


def test_a_cancelled_activity_takes_no_sign_up(app):
    """Attack: the organiser cancelled an activity whose sign-up was open; a teacher still signed
    up and was told "you have a seat" (the list still counted seats, withdrawing still moved the
    waiting list) for something that will not take place. A cancelled activity's sign-up is
    closed like its page: signing up and withdrawing are refused (409, nothing written)."""
    s, p, ts, act = _open(capacity=1)
    signup.sign_up(act, ts[0], by=actor(ts[0], s))
    signup.sign_up(act, ts[1], by=actor(ts[1], s))
    f.fire(act, p["organizer"], "cancel", "活动取消")
    before = _statuses(act.id)
    for step in (lambda: signup.sign_up(act, ts[2], by=actor(ts[2], s)),
                 lambda: signup.withdraw(act, ts[0], by=actor(ts[0], s))):
        with pytest.raises(Conflict) as exc:
            step()
        assert exc.value.msg.code == "signup.not_open"
    assert _statuses(act.id) == before
    assert signup.view(act, ts[2].id).is_closed  # the page and the API offer no sign-up
    with pytest.raises(Conflict) as exc:  # nor does its organiser confirm the list into participants
        signup.confirm(act, by=actor(p["organizer"], s))
    assert exc.value.msg.code == "signup.not_open"
    assert not db.session.execute(select(Participation.id).where(Participation.activity_id == act.id)).first()


def test_confirmation_adds_seat_holders_signed_up_at_the_same_moment_in_the_order_they_signed_up(app):
    """Row order: the confirmation read the seat holders by ``signed_at`` alone; two signed up at
    the same instant became participants in whatever order the database returned (PostgreSQL:
    the row updated last comes last), and the roster's ties and the history's list with them.
    Now by sign-up (``signed_at``, then its id), as the sign-up page lists them."""
    s, p, ts, act = _open(capacity=3)
    for t in ts[:3]:
        signup.sign_up(act, t, by=actor(t, s))
    ids = list(db.session.execute(select(Signup.id).where(Signup.activity_id == act.id)
                                  .order_by(Signup.id)).scalars())
    at = utcnow() - timedelta(minutes=5)
    for signup_id in reversed(ids):  # the first sign-up's row written last (PostgreSQL: moved to the end)
        db.session.get(Signup, signup_id).signed_at = at
        db.session.flush()
    db.session.commit()
    assert signup.confirm(act, by=actor(p["organizer"], s)) == 3
    added = list(db.session.execute(select(Participation.user_id).where(Participation.activity_id == act.id)
                                    .order_by(Participation.id)).scalars())
    assert added == [t.id for t in ts[:3]]


def test_confirmation_adds_no_one_who_has_left_the_school(app):
    """Attack: a teacher signed up, then left the school (the admin ended their roles) and kept
    the seat; the organiser's confirmation made them a participant of an activity of a school
    they no longer belong to — credited there later, while planning or adding them by hand
    refuses a non-member. The confirmation adds only the school's teachers still on its staff."""
    from portal.services import staff

    s, p, ts, act = _open(capacity=3)
    for t in ts[:3]:
        signup.sign_up(act, t, by=actor(t, s))
    staff.deactivate(s, ts[1].id, by=actor(p["admin"], s))
    db.session.commit()
    version = db.session.get(Activity, act.id).version
    assert signup.confirm(act, by=actor(p["organizer"], s)) == 2
    # new participants are a change a reviewer who read the activity before must see
    assert db.session.get(Activity, act.id).version > version
    parts = set(db.session.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars())
    assert parts == {ts[0].id, ts[2].id}


def test_one_who_left_holds_no_seat_and_is_moved_up_into_none(app):
    """Attack: a teacher on the waiting list left the school; when a seat freed, the waiting
    list gave it to them — a seat the confirmation then fills with nobody, while the colleague
    behind them stayed waiting. And a seat holder who left kept the seat from the waiting list.
    Now only the staff's sign-ups hold or are given seats: a seat freed by one who leaves goes
    to the first waiting on the staff at once, and one who left is moved up into none."""
    from portal.services import staff

    s, p, ts, act = _open(capacity=1)
    for t in ts[:4]:
        signup.sign_up(act, t, by=actor(t, s))
    assert [_statuses(act.id)[t.username] for t in ts[:4]] == ["seat", "waiting", "waiting", "waiting"]
    staff.deactivate(s, ts[1].id, by=actor(p["admin"], s))  # first on the waiting list leaves
    signup.withdraw(act, ts[0], by=actor(ts[0], s))
    st = _statuses(act.id)
    assert (st[ts[1].username], st[ts[2].username], st[ts[3].username]) == ("waiting", "seat", "waiting")
    staff.deactivate(s, ts[2].id, by=actor(p["admin"], s))  # the seat holder leaves: the next moves up
    st = _statuses(act.id)
    assert (st[ts[2].username], st[ts[3].username]) == ("withdrawn", "seat")  # the seat is given up for good
    shown = signup.view(act, ts[3].id)
    assert shown is not None
    assert [u.id for _r, u in shown.seats] == [ts[3].id] and shown.waiting == [] and shown.free == 0
    assert signup.sign_up(act, ts[4], by=actor(ts[4], s)).status == "waiting"  # the one seat is a colleague's
    assert signup.confirm(act, by=actor(p["organizer"], s)) == 1
    parts = set(db.session.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars())
    assert parts == {ts[3].id}



def test_one_who_left_and_came_back_finds_their_seat_given_and_the_capacity_kept(app):
    """Attack: a seat holder left the school and their seat went to the first waiting; the admin
    gave them their role back before the activity, and their old sign-up held a seat again beside
    the colleague's — two seats of one, and the confirmation made both participants of a room
    for one. The seat given on leaving is given for good: the one who comes back signs up again,
    at the end of the queue."""
    from portal.services import staff

    s, p, ts, act = _open(capacity=1)
    for t in ts[:2]:
        signup.sign_up(act, t, by=actor(t, s))
    staff.deactivate(s, ts[0].id, by=actor(p["admin"], s))  # the seat holder leaves: the next moves up
    staff.set_roles(s, ts[0].id, ["teacher"], by=actor(p["admin"], s))  # and is back before it starts
    db.session.commit()
    st = _statuses(act.id)
    assert (st[ts[0].username], st[ts[1].username]) == ("withdrawn", "seat")
    shown = signup.view(act, ts[0].id)
    assert shown is not None and [u.id for _r, u in shown.seats] == [ts[1].id] and shown.free == 0
    assert signup.sign_up(act, ts[0], by=actor(ts[0], s)).status == "waiting"  # again, at the end
    assert signup.confirm(act, by=actor(p["organizer"], s)) == 1
    parts = set(db.session.execute(select(Participation.user_id).where(Participation.activity_id == act.id)).scalars())
    assert parts == {ts[1].id}


def test_whoever_moves_up_from_the_waiting_list_is_told_they_have_a_seat(app):
    """teacher4 moved up from the waiting list when teacher1 withdrew, and nothing told her: a
    waiting place may never become one, so she had no reason to look. Each person moved up (a
    withdrawal, a raised capacity) is told once, in the app and by email if they chose, with the
    activity's time; nobody else is."""
    from flask_babel import force_locale

    from portal import jobs
    from portal.models import Notification
    from portal.services import notifications, reminders

    s, p, ts, act = _open(capacity=1)
    for t in ts[:4]:
        signup.sign_up(act, t, by=actor(t, s))

    def told() -> list[tuple[int, str]]:
        db.session.commit()
        for job in [t for t in jobs.queue(app).huey.pending() if t.name == "notifications.signup_seat"]:
            reminders.signup_seat(*job.args)  # the worker's run; again (a retry, or queued twice) tells nobody twice
        return [(n.user_id, n.kind) for n in db.session.execute(
            select(Notification).where(Notification.kind == "signup_seat").order_by(Notification.id)).scalars()]

    assert told() == []
    signup.withdraw(act, ts[3], by=actor(ts[3], s))  # a waiting place freed: nobody moves up
    assert told() == []
    signup.withdraw(act, ts[0], by=actor(ts[0], s))  # the seat frees: ts[1] moves up
    assert told() == [(ts[1].id, "signup_seat")]
    signup.open_signup(act, 2, closes_in(6), by=actor(p["organizer"], s), tz=s.timezone)  # one more seat: ts[2]
    assert told() == [(ts[1].id, "signup_seat"), (ts[2].id, "signup_seat")]
    note = db.session.execute(select(Notification).where(Notification.user_id == ts[2].id)).scalar_one()
    assert note.link == f"/activities/{act.id}" and note.school_id == s.id
    with force_locale("zh_Hans_CN"):
        said = str(notifications.text(note))
    assert said.startswith(f"您已由候补转为正式名额：{act.title}（") and "）" in said
    assert notifications.still_stands(note)
    signup.withdraw(act, ts[2], by=actor(ts[2], s))
    assert not notifications.still_stands(note)  # withdrew before the email went: nothing to tell
