"""A type a school switches off takes no new activities, and those already under way go on to
their credits: hours a teacher has earned are not lost because the school stopped running the
format afterwards (README, "Plugins")."""

from __future__ import annotations

import pytest

from portal.errors import DomainError
from portal.policy import SYSTEM
from portal.services import schools
from tests.credits.helpers import DETAILS, credited, ledger_total
from tests.support import factories as f


def test_a_type_switched_off_credits_what_was_held_and_plans_nothing_new(s1, staff):
    t1, t2 = staff["t1"], staff["t2"]
    act = credited(s1, staff, "lecture", [(t1, "speaker"), (t2, "attendee")], hours="2", until="held")
    before = ledger_total(t2.id, s1.id)
    schools.set_type(s1, "lecture", enabled=False, by=SYSTEM)

    with pytest.raises(DomainError) as refused:
        f.plan(s1, staff["organizer"], "lecture", [(t2, "attendee")], DETAILS["lecture"], hours="2")
    assert refused.value.message == "activity type Lecture is not enabled for this school"
    assert refused.value.msg.render("zh_Hans_CN") == "本校未启用活动类型 专题讲座"  # its name, not its key
    f.fire(act, staff["reviewer"], "approve", "材料齐全")
    assert f.fire(act, staff["reviewer"], "credit").state == "credited"
    assert ledger_total(t2.id, s1.id) == before + 2
