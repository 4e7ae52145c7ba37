"""The 成长档案's statements per year it lists. It lists every year over that the school holds
anything of while the teacher was on its staff (``credits.record_years``): each costs its
:func:`credits.teacher_year` — its one UNION ALL, and, for a year with nothing of theirs, the
question whether they were on the staff at its end — and nothing else; the entries and absences
of every year are read once. A year over before the teacher first joined costs nothing: it is
not asked."""

from __future__ import annotations

from portal.extensions import db
from portal.models import Membership, User
from portal.services import credits, exemptions
from portal.timeutil import current_school_year, school_year_after
from tests.perf.conftest import QueryCounter
from tests.support import factories as f
from tests.support.sessions import log_in

#: statements of the record page with the current year alone: the user, the membership, the
#: record's years, the year's teacher_year, its entries, absences, plan, who teaches here, when
#: they were away (measured 10)
PAGE_FIXED = 10
#: the teacher's stretches on its staff (which years over could be theirs, and whether the current
#: year is theirs when nothing of theirs counts in it), whatever the number of years
STRETCHES = 1
#: statements of each year over listed with nothing of theirs: its teacher_year (one UNION ALL),
#: whether they were on the staff at its end, and the year's development plan the page shows
PER_YEAR = 3


def _page(app, client, user_id: int, queries: QueryCounter, query: str = "") -> int:
    with queries.counting():
        r = client.get(f"/teachers/{user_id}/record{query}")
    assert r.status_code == 200
    return queries.count


def test_each_year_listed_costs_its_teacher_year_alone(app, queries):
    s = f.school("P1", types=("lecture",))
    staff = f.staff(s)
    t1, admin = staff["t1"], staff["admin"]
    newcomer = f.person(s, "newt", "teacher", name="韩新")
    now = current_school_year(s.timezone)
    # the newcomer joined this year: no year over is theirs
    db.session.execute(db.update(Membership).where(Membership.user_id == newcomer.id).values(
        since=credits.year_over_at(school_year_after(now, -1), s.timezone)))
    db.session.commit()
    ids = (t1.id, newcomer.id)
    counts: dict[int, list[int]] = {uid: [] for uid in ids}
    for years_back in range(4):  # 0 to 3 years over that the school holds something of
        if years_back:  # someone else's exemption: the school holds that year
            exemptions.set_exemption(s, admin, staff["t2"].id, school_year_after(now, -years_back), "借调")
            db.session.commit()
        for uid in ids:
            user = db.session.get_one(User, uid)
            assert len(credits.record_years(user, s)) == (1 + years_back if uid == t1.id else 1)
            client = log_in(app.test_client(), user, s.id)
            counts[uid].append(_page(app, client, uid, queries))
    # nothing of theirs counts this year: their stretches say whether it is theirs (on the staff today)
    assert counts[t1.id] == [PAGE_FIXED + STRETCHES + PER_YEAR * n for n in range(4)], counts
    # years over before the newcomer joined are not asked, however many the school holds
    assert counts[newcomer.id] == [PAGE_FIXED + STRETCHES] * 4, counts
    # one year of the record (?year=) judges that year alone
    client = log_in(app.test_client(), db.session.get_one(User, t1.id), s.id)
    assert _page(app, client, t1.id, queries, f"?year={now}") == PAGE_FIXED + STRETCHES, queries.report()
