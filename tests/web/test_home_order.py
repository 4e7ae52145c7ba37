"""The teacher home on a phone: what the teacher must still do (待办事项) comes right after their
hours, before the forecast, and the forecast shows its next five activities with the rest folded
in a ``<details>`` whose summary counts them (a plural through the catalogue). The demo teacher's
forecast listed seventeen activities, two and a half phone screens above the to-do list."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from portal.database import write_transaction
from portal.extensions import db
from portal.models import Activity, Participation, School, User
from portal.timeutil import current_school_year, to_local, utcnow
from portal.web import home

PENDING = re.compile(r'data-testid="pending-(\d+)"')
SHOWN = 5  # the forecast's activities before the fold


def _forecast(html: str) -> tuple[list[int], list[int], str | None]:
    """The forecast's activities before the ``<details>`` and inside it, and its summary's text."""
    section = html.split('data-testid="forecast"', 1)[1].split("</section>", 1)[0]
    before, _, folded = section.partition("<details")
    summary = re.search(r"<summary[^>]*>([^<]*)</summary>", folded)
    return ([int(n) for n in PENDING.findall(before)], [int(n) for n in PENDING.findall(folded)],
            summary.group(1).strip() if summary else None)


@pytest.mark.parametrize("lang", ["en", "zh_Hans_CN"])
def test_the_to_do_list_comes_right_after_the_hours(as_user, lang):
    html = as_user("teacher1").get(f"/?lang={lang}").get_data(as_text=True)
    hours, todo, forecast, by_type = (html.index(f'data-testid="{t}"')
                                      for t in ("hours-card", "waiting-list", "forecast", "by-type-chart"))
    assert hours < todo < forecast < by_type, (hours, todo, forecast, by_type)
    assert ("Waiting on you" if lang == "en" else "待办事项") in html


@pytest.mark.parametrize(("lang", "words"), [("en", "{n} more activities"), ("zh_Hans_CN", "其余 {n} 项活动")])
def test_the_forecast_shows_five_and_folds_the_rest(as_user, lang, words):
    html = as_user("teacher1").get(f"/?lang={lang}").get_data(as_text=True)
    shown, folded, summary = _forecast(html)
    assert len(shown) == SHOWN and len(folded) > 1, (shown, folded)  # the demo teacher is in seventeen
    assert summary == words.format(n=len(folded))
    assert not set(shown) & set(folded)
    assert "<details open" not in html  # folded for everyone: the body is cached per teacher, not per visit


def _keep_pending(site, html: str, keep: int) -> None:
    """teacher1 takes part in only the first ``keep`` activities of their forecast."""
    _shown, folded, _summary = _forecast(html)
    drop = folded[keep - SHOWN:]
    with site.app_context():
        me = db.session.execute(select(User.id).where(User.username == "teacher1")).scalar_one()
        with write_transaction():
            db.session.execute(delete(Participation).where(Participation.user_id == me,
                                                           Participation.activity_id.in_(drop)))


@pytest.mark.parametrize(("lang", "words"), [("en", "1 more activity"), ("zh_Hans_CN", "其余 1 项活动")])
def test_one_folded_activity_is_counted_in_the_singular(site, as_user, lang, words):
    client = as_user("teacher1")
    _keep_pending(site, client.get("/?lang=en").get_data(as_text=True), SHOWN + 1)
    shown, folded, summary = _forecast(client.get(f"/?lang={lang}").get_data(as_text=True))
    assert (len(shown), len(folded), summary) == (SHOWN, 1, words)


def test_five_activities_or_fewer_are_not_folded(site, as_user):
    client = as_user("teacher1")
    _keep_pending(site, client.get("/?lang=en").get_data(as_text=True), SHOWN)
    html = client.get("/?lang=en").get_data(as_text=True)
    shown, folded, summary = _forecast(html)
    assert (len(shown), folded, summary) == (SHOWN, [], None)
    assert 'data-testid="forecast-more"' not in html


def _days(site, ids: list[int]) -> tuple[str, dict[int, tuple[datetime, date]]]:
    """teacher1's school's time zone, and each activity's start and local last day."""
    with site.app_context():
        tz = db.session.execute(select(School.timezone).where(School.id == Activity.school_id)
                                .where(Activity.id == ids[0])).scalar_one()
        rows = db.session.execute(select(Activity.id, Activity.starts_at, Activity.ends_at)
                                  .where(Activity.id.in_(ids))).all()
    return tz, {aid: (starts, to_local(ends, tz).date()) for aid, starts, ends in rows}


@pytest.mark.parametrize("lang", ["en", "zh_Hans_CN"])
def test_the_forecast_shows_what_is_ahead_first(site, as_user, lang):
    """In date order over the year the five shown were the demo's past activities (waiting for
    review or credit) and the six still ahead were folded: now what is ahead comes first, the
    soonest first, then what was held, the latest first."""
    shown, folded, _summary = _forecast(as_user("teacher1").get(f"/?lang={lang}").get_data(as_text=True))
    tz, days = _days(site, shown + folded)
    today = to_local(utcnow(), tz).date()
    ahead = sorted((a for a in days if days[a][1] >= today), key=lambda a: days[a][0])
    held = sorted((a for a in days if days[a][1] < today), key=lambda a: days[a][0], reverse=True)
    assert len(ahead) >= SHOWN and held, (ahead, held)  # the demo: six ahead, eleven held
    assert shown == ahead[:SHOWN]
    assert folded == ahead[SHOWN:] + held


def test_the_cached_home_shows_the_order_of_its_day(site, as_user, monkeypatch):
    """The body is cached per teacher and day (the year fixed in the address, so the later day
    shows the same year): the day after the soonest activity ends, it is no longer the first
    (it waits for review behind what is still ahead)."""
    client = as_user("teacher1")
    year = current_school_year(_days(site, _forecast(client.get("/").get_data(as_text=True))[0])[0])
    shown, _folded, _summary = _forecast(client.get(f"/?lang=en&year={year}").get_data(as_text=True))
    tz, days = _days(site, shown)
    noon = datetime.combine(days[shown[0]][1] + timedelta(days=1), time(12, 0), ZoneInfo(tz))
    later = noon.astimezone(UTC).replace(tzinfo=None)  # stored times are naive UTC
    monkeypatch.setattr(home, "utcnow", lambda: later)
    again, folded, _summary = _forecast(client.get(f"/?lang=en&year={year}").get_data(as_text=True))
    assert again[:SHOWN - 1] == shown[1:]
    assert shown[0] not in again and shown[0] in folded
