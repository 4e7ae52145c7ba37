"""``overlaps.clash`` adds each other activity to the stretches it lies in once (round 34): the same answer
as asking every stretch for the others wholly within it, as it did before."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.hours import most_hours_between, most_hours_of_seconds
from portal.services import overlaps
from portal.services.overlaps import ZERO, Attended, Clash

BASE = datetime(2026, 10, 5, 8, 0)


def every_stretch(start: datetime, end: datetime, hours: Decimal, others: list[Attended]) -> Clash | None:
    """The rule as written before round 34: each stretch, each other."""
    if not others or hours <= 0:
        return None
    starts = sorted({start, *(o.start for o in others if o.start <= start)})
    ends = sorted({end, *(o.end for o in others if o.end >= end)})
    tightest: tuple[Decimal, Decimal, str] | None = None
    for since in starts:
        for until in ends:
            inside = [o for o in others if o.start >= since and o.end <= until]
            if not inside:
                continue
            most = most_hours_between(since, until)
            left = most - sum((o.hours for o in inside), ZERO)
            if tightest is None or left < tightest[0]:
                tightest = (left, most, inside[0].title)
    if tightest is None or hours <= tightest[0]:
        return None
    return Clash(tightest[2], tightest[1], max(tightest[0], ZERO))


# quarter hours over three days: ties of starts and ends, nesting, chains and gaps all come up
_quarter = st.integers(0, 3 * 96)
_hours = st.integers(0, 30).map(lambda n: Decimal(n) / 2)


@st.composite
def _span(draw) -> tuple[datetime, datetime]:
    a = draw(_quarter)
    b = draw(st.integers(a, a + 48))
    return BASE + timedelta(minutes=15 * a), BASE + timedelta(minutes=15 * b)


@st.composite
def _other(draw) -> Attended:
    start, end = draw(_span())
    return Attended(draw(st.sampled_from(["讲座", "教研", "课例", "读书"])) + str(draw(st.integers(0, 9))),
                    start, end, draw(_hours))


@settings(max_examples=400, deadline=None)
@given(span=_span(), hours=_hours, others=st.lists(_other(), max_size=12))
def test_clash_answers_as_every_stretch_asked(span, hours, others):
    _answers_as_every_stretch(span, hours, others)


def _answers_as_every_stretch(span: tuple[datetime, datetime], hours: Decimal, others: list[Attended]) -> None:
    start, end = span
    new, old = overlaps.clash(start, end, hours, others), every_stretch(start, end, hours, others)
    assert new == old
    if new is not None:  # the same figures written the same way
        assert (str(new.most), str(new.left)) == (str(old.most), str(old.left))


def test_a_clash_names_the_first_other_of_the_tightest_stretch():
    day = BASE
    others = [Attended("晚间讲座", day + timedelta(hours=10), day + timedelta(hours=13), Decimal("3")),
              Attended("上午教研", day, day + timedelta(hours=3), Decimal("4"))]
    found = overlaps.clash(day + timedelta(hours=1), day + timedelta(hours=2), Decimal("1"), others)
    assert found == every_stretch(day + timedelta(hours=1), day + timedelta(hours=2), Decimal("1"), others)
    assert found is not None and found.title == "上午教研" and found.left == ZERO


# any second and microsecond, stretches a microsecond short of a half-hour step and longer than
# the most an activity gives (round 52 asks each stretch's length as whole seconds)
_instant = st.integers(0, 3 * 86_400 * 1_000_000).map(lambda us: BASE + timedelta(microseconds=us))


@st.composite
def _odd_span(draw) -> tuple[datetime, datetime]:
    a = draw(_instant)
    return a, a + draw(st.one_of(st.integers(0, 12 * 3_600_000_000).map(lambda us: timedelta(microseconds=us)),
                                 st.integers(1, 80).map(lambda n: timedelta(minutes=22.5 * n, microseconds=-1)),
                                 st.integers(1, 4).map(lambda n: timedelta(days=200 * n))))


@st.composite
def _odd_other(draw) -> Attended:
    start, end = draw(_odd_span())
    return Attended(draw(st.sampled_from(["讲座", "教研"])) + str(draw(st.integers(0, 9))), start, end, draw(_hours))


@settings(max_examples=300, deadline=None)
@given(span=_odd_span(), hours=_hours, others=st.lists(_odd_other(), max_size=16))
def test_clash_answers_as_every_stretch_asked_at_any_second(span, hours, others):
    _answers_as_every_stretch(span, hours, others)


def test_the_most_of_a_stretch_is_one_rule_whatever_its_length_is_written_as():
    for seconds in (-5, 0, 1, 1349, 1350, 1351, 2699, 2700, 2701, 86_400, 10**9):
        at = BASE + timedelta(seconds=seconds)
        assert most_hours_of_seconds(seconds) == most_hours_between(BASE, at)
        assert str(most_hours_of_seconds(seconds)) == str(most_hours_between(BASE, at))
    assert most_hours_of_seconds(1350) == Decimal("0.5") and most_hours_of_seconds(1351) == Decimal("1.0")
    assert most_hours_of_seconds(10**9) == Decimal("999.5") and most_hours_of_seconds(-5) == ZERO


def _counting(name: str):
    """``datetime``'s comparison ``name``, counting each time it is asked."""
    compare = getattr(datetime, name)

    def method(self, other):
        _Counted.asked += 1
        return compare(self, other)
    return method


class _Counted(datetime):
    """An instant that counts how often it is compared: the work ``clash`` does per other."""

    asked = 0
    __lt__ = _counting("__lt__")
    __le__ = _counting("__le__")
    __gt__ = _counting("__gt__")
    __ge__ = _counting("__ge__")


def _counted(at: datetime) -> _Counted:
    return _Counted(at.year, at.month, at.day, at.hour, at.minute)


def test_each_other_joins_its_stretches_once_and_long_stretches_are_not_walked(monkeypatch):
    """A year's outlook (round 62): 40 others on 40 days, a planned activity on the first. Each
    other joins at its own end (a bisection, not a look at every end), and once a stretch's most
    less all joined hours exceeds the least left, its start walks no later end. Round 62: 541
    instants compared and 4 stretches' most asked; before, 1,923 and all 40 ends'."""
    others = [Attended(f"讲座{n}", _counted(BASE + timedelta(days=n, hours=1)),
                       _counted(BASE + timedelta(days=n, hours=3)), Decimal("2")) for n in range(40)]
    most_asked: list[int] = []

    def counted_most(seconds: int) -> Decimal:
        most_asked.append(seconds)
        return most_hours_of_seconds(seconds)

    monkeypatch.setattr(overlaps, "most_hours_of_seconds", counted_most)
    start, end = _counted(BASE + timedelta(hours=1)), _counted(BASE + timedelta(hours=3))
    _Counted.asked = 0
    found = overlaps.clash(start, end, Decimal("2"), others)
    compared, asked_most = _Counted.asked, len(most_asked)
    assert found == every_stretch(start, end, Decimal("2"), others)
    assert found is not None and found.title == "讲座0" and found.left == Decimal("1.0")
    assert compared <= 700, compared
    assert asked_most <= 4, asked_most
