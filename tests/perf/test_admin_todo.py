"""The school admin's to-do list on the home (``services.school_todo``) costs a fixed number of
statements, the same at 10 and 100 teachers, with every item asked (plans waiting, the deadline
near with teachers not sent, a round sent and waiting for the district, compared); a teacher's
home asks none of them (its own pin: ``test_page_queries``' "teacher home")."""

from __future__ import annotations

from datetime import timedelta

from portal import policy
from portal.extensions import cache, db
from portal.services import access, plans, submissions
from portal.timeutil import current_school_year, to_local, utcnow
from tests.perf.conftest import QueryCounter, Site, login

#: the todo's own: the plans waiting and the teachers not sent (one: ``plans.waiting_and_unsent``),
#: the year's rounds with its accepted periods (``submissions.rounds_and_locks``); the waiting
#: whole year's round compared as /submission compares it (``submissions.changed_since``: the
#: teachers' year rows, ``credits.year_rows``: hours by type, absence, exemptions, writing, the
#: teachers — no semester's hours, not a whole year's figures); the correction requests waiting
#: (one). It was 3 + 7 (+ 1): the plans and the teachers apart, the locks and the semesters' hours
#: read again
TODO_STATEMENTS = 2 + 5 + 1
#: the admin's cold home in all: the user, the teacher's own part of the home (their year's
#: figures with their plan — apart before round 59 —, activities, ledger, evidence) and the to-do
#: list — 17 before (3 + 7 + 1 of the list)
HOME_STATEMENTS = 5 + TODO_STATEMENTS


def _admin_home(app, queries: QueryCounter, s: Site, asked: bool = True) -> tuple[int, str]:
    school = s.school
    year = current_school_year(school.timezone)
    today = to_local(utcnow(), school.timezone).date()
    plans.set_deadline(school, year, (today + timedelta(days=3)).isoformat(), by=policy.SYSTEM)
    if submissions.latest(school.id, year, 0) is None:
        submissions.submit(school, year, by=access.actor(s.admin.id, school.id))
    db.session.commit()
    client = login(app.test_client(), s.admin, school.id)
    with app.app_context():
        assert client.get("/").status_code == 200
        cache.clear()
    with app.app_context(), queries.counting():
        page = client.get("/").get_data(as_text=True)
    assert ('data-testid="todo-plans_not_sent"' in page) == asked  # the items were asked, not skipped
    return queries.count, page


def test_the_admins_home_with_its_todo_is_flat(app, queries, sizes, monkeypatch):
    """The todo's statements are the admin's home with it less the same home without it."""
    def measure(s: Site) -> tuple[int, int]:
        with_todo = _admin_home(app, queries, s)[0]
        monkeypatch.setattr(policy, "may_see_school_todo", lambda actor: False)
        without = _admin_home(app, queries, s, asked=False)[0]
        monkeypatch.undo()
        return with_todo, with_todo - without

    result = sizes(measure)
    assert len(set(result)) == 1, (result, queries.report())
    assert result[0] == (HOME_STATEMENTS, TODO_STATEMENTS), (result, queries.report())
