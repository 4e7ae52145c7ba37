"""An exemption (免于考核) is set or cleared for anyone on the school year's summary — also a
teacher who has left but whom the year still lists — and for no one else.

The service looked its teacher up among the people with an active role only: t2, who left after
being exempted in 2025-2026, stayed "免于考核" on that year's summary while the admin could
neither remove nor change the exemption ("not found"), and the page did not offer t2."""

from __future__ import annotations

import pytest

from portal.errors import NotFound
from portal.extensions import db
from portal.models import Exemption, User
from portal.services import credits, exemptions
from tests.credits import test_leavers_on_the_summary as leavers
from tests.credits.helpers import login
from tests.support import factories as f

PAST = leavers.PAST
prepared, people = leavers.prepared, leavers.people  # its school, staff and leavers (fixtures)


def _reasons(s1, year: str) -> dict[str, str]:
    return {user.username: ex.reason for ex, user in exemptions.list_exemptions(s1, year)}


def _statuses(s1, year: str) -> dict[str, str]:
    return {ty.user.username: ty.assessment.status for ty in credits.school_summary(s1, year)}


def test_the_exemption_of_one_who_left_can_be_changed_and_removed(app, s1, people):
    admin, t1, t2 = people["admin"], people["t1"], people["t2"]
    assert _statuses(s1, PAST)["t2"] == "exempt"
    exemptions.set_exemption(s1, admin, t2.id, PAST, "病假")
    assert _reasons(s1, PAST) == {"t2": "病假"}
    exemptions.clear_exemption(s1, admin, t2.id, PAST)
    assert _reasons(s1, PAST) == {}
    # nothing of theirs counts that year any more, but they left after it was over: still theirs
    assert _statuses(s1, PAST)["t2"] == "short"
    # t1 left, but their absence keeps them on the year: they can be exempted
    exemptions.set_exemption(s1, admin, t1.id, PAST, "借调")
    assert _statuses(s1, PAST)["t1"] == "exempt"


def test_no_one_off_the_years_summary_is_exempted(app, s1, people):
    admin = people["admin"]
    s2 = f.school("S2")
    other = f.person(s2, "s2t", "teacher")
    with pytest.raises(NotFound):  # t4 left this year, with nothing in it
        exemptions.set_exemption(s1, admin, people["t4"].id, "2026-2027", "借调")
    with pytest.raises(NotFound):  # t2 left; nothing of theirs counts this year
        exemptions.set_exemption(s1, admin, people["t2"].id, "2026-2027", "借调")
    with pytest.raises(NotFound):  # never of this school
        exemptions.set_exemption(s1, admin, other.id, PAST, "借调")
    with pytest.raises(NotFound):
        exemptions.clear_exemption(s1, admin, other.id, PAST)
    assert db.session.execute(db.select(Exemption.user_id)).scalars().all() == [people["t2"].id]


def test_the_page_offers_those_the_years_summary_lists(app, s1, people):
    client = login(app.test_client(), people["admin"], s1)
    page = client.get(f"/admin/exemptions?year={PAST}").get_data(as_text=True)
    offered = page.split('id="user_id"', 1)[1].split("</select>", 1)[0]
    listed = {u.username for u in credits.school_teachers(s1.id, PAST)}
    for user in db.session.execute(db.select(User)).scalars():
        if user.username in listed and user.id != people["admin"].id:
            assert f'value="{user.id}"' in offered, user.username
        else:
            assert f'value="{user.id}"' not in offered, user.username
    assert {"t1", "t2", "t4"} <= listed  # t4 left after the year, with nothing in it
    t2 = people["t2"]
    r = client.post("/admin/exemptions", data={"action": "set", "user_id": t2.id, "year": PAST, "reason": "病假"})
    assert r.status_code == 302
    assert _reasons(s1, PAST) == {"t2": "病假"}
    r = client.post("/admin/exemptions", data={"action": "clear", "user_id": t2.id, "year": PAST})
    assert r.status_code == 302
    assert _reasons(s1, PAST) == {}
    for action in ("zzz", "", None):  # attack: any action but "clear" saved an exemption
        data = {"user_id": t2.id, "year": PAST, "reason": "病假"} | ({} if action is None else {"action": action})
        assert client.post("/admin/exemptions", data=data).status_code == 400
    assert _reasons(s1, PAST) == {}
    r = client.post("/admin/exemptions", data={"action": "set", "user_id": people["t4"].id, "year": "2026-2027",
                                               "reason": "x"})
    assert r.status_code == 404  # not on this year's summary
