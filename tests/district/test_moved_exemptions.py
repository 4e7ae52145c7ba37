"""The school a teacher moved to does not exempt them for a year their old school judges
(``exemptions.set_exemption``).

Walker (hGD): the district moved 王雅琴 from 研修示范小学 to 东城实验小学 on 2026-12-08. 东城实验小学's
admin found her on the exemptions page of 2025—2026 (an active teacher may be exempted for a year
over before they joined: a school recording its past years late) and exempted her, 借调. The year
was 研修示范小学's — over before the move, it stays the old school's (``moves``) — and there she is
未达标; now the district's 2025—2026 counted her twice, 未达标 at one school and 免于考核 at the
other, and the new school's 学时汇总表 of a year she never taught there said 免于考核. Now the year
is refused, naming the school that judges it, and nothing is written; the year of the move,
which the new school judges from the day, and a past year of a teacher who taught nowhere on the
portal then are exempted as before."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.errors import Invalid
from portal.extensions import db
from portal.models import Exemption, StaffChange
from portal.policy import Actor
from portal.services import credits, exemptions, moves
from tests.district.test_teacher_moves import today  # noqa: F401 (fixture)
from tests.support import factories as f

DAY = "2026-11-02"  # in 2026-2027: 2025-2026 was over before it


def _written() -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.execute(select(func.count(Exemption.id))).scalar_one(),
            db.session.execute(select(func.count(StaffChange.id))).scalar_one())


def test_the_new_school_cannot_exempt_a_moved_teacher_for_the_old_schools_year(app, today):  # noqa: F811
    world = today
    t1, s1, s2 = world.staff["t1"], world.s1, world.s2
    moves.move_teacher(t1.id, s2.id, DAY, by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    newcomer = f.person(s2, "s2.newcomer", "teacher", since=None)  # new to the portal: no school's year before
    s2_admin = Actor.of(f.person(s2, "s2.adm", "school_admin").id, ["school_admin"])
    db.session.commit()
    assert credits.on_summary(s1.id, "2025-2026", t1.id)  # the old school's year of hers
    before = _written()
    with pytest.raises(Invalid) as refused:
        exemptions.set_exemption(s2, s2_admin, t1.id, "2025-2026", "借调")
    db.session.rollback()
    assert s1.name in refused.value.fields["year"].english
    assert _written() == before
    # the year of the move is the new school's: exempted there
    exemptions.set_exemption(s2, s2_admin, t1.id, "2026-2027", "借调")
    # one who taught at no school that year: the school records its past year late, as before
    exemptions.set_exemption(s2, s2_admin, newcomer.id, "2025-2026", "病假")
    db.session.commit()
    assert _written()[0] == before[0] + 2


def test_the_exemptions_page_offers_only_whom_it_may_exempt(app, today):  # noqa: F811
    """Offered equals allowed: the new school's exemptions page of the old school's year does not
    offer the moved teacher (saving would be refused, above); the year of the move still does, and
    a newcomer who taught nowhere that year is offered for it."""
    world = today
    t1, s1, s2 = world.staff["t1"], world.s1, world.s2
    moves.move_teacher(t1.id, s2.id, DAY, by=Actor.of(world.admin1.id, ["district_admin"]), district_id=world.d1.id)
    newcomer = f.person(s2, "s2.newcomer", "teacher", since=None)
    db.session.commit()
    offered_past = {u.id for u in exemptions.exemptible(s2, "2025-2026")}
    assert t1.id not in offered_past
    assert newcomer.id in offered_past
    assert t1.id in {u.id for u in exemptions.exemptible(s2, "2026-2027")}
    assert t1.id in {u.id for u in exemptions.exemptible(s1, "2025-2026")}  # the old school's year: hers there
