"""A teacher on the staff since before the school's deadline for personal plans (31 October)
opens their plan page in December (the test clock: 7 December 2026): the page showed the form
under "截止日期 2026-10-31", and saving it was refused (``plan.deadline_passed``). The page now
says the deadline has passed and offers no form (one rule: ``plans.closed_by_deadline``, which
the save asks); a returned plan is still revised, and a later deadline opens the form again."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict
from portal.extensions import db
from portal.models import DevelopmentPlan
from portal.services import plans
from tests.support.sessions import log_in
from tests.year.helpers import actor
from tests.year.test_plan_joined_late import GOALS, YEAR, sch  # noqa: F401  (the school: deadline 31 October)


def test_the_page_says_the_deadline_has_passed_and_offers_no_form(client, sch):  # noqa: F811
    s, p = sch
    t1 = p["t1"]
    log_in(client, t1, s.id)
    for lang, words in (("zh_Hans_CN", "个人发展计划的截止日期 2026-10-31 已过"),
                        ("en", "The deadline for plans, 2026-10-31, has passed")):
        page = client.get(f"/plan?year={YEAR}&lang={lang}").get_data(as_text=True)
        assert 'data-testid="plan-deadline-passed"' in page and words in page, lang
        assert 'data-testid="plan-form"' not in page
    with pytest.raises(Conflict) as late:  # what the page says: the save refuses it
        plans.save(s, t1, YEAR, GOALS, by=actor(t1, s))
    assert late.value.msg.code == "plan.deadline_passed"
    assert db.session.scalar(select(func.count()).select_from(DevelopmentPlan)) == 0
    plans.set_deadline(s, YEAR, "2027-01-31", by=actor(p["admin"], s))  # the admin gives more time
    db.session.commit()
    page = client.get(f"/plan?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="plan-form"' in page and 'data-testid="plan-deadline-passed"' not in page


def test_a_returned_plan_is_revised_after_the_deadline(client, sch):  # noqa: F811
    s, p = sch
    t1 = p["t1"]
    plans.set_deadline(s, YEAR, "2027-01-31", by=actor(p["admin"], s))
    plan = plans.save(s, t1, YEAR, GOALS, by=actor(t1, s), submit=True)
    plans.decide(plan, "return", "请补充读书计划", by=actor(p["admin"], s))
    plans.set_deadline(s, YEAR, "2026-10-31", by=actor(p["admin"], s))  # passed again
    db.session.commit()
    page = log_in(client, t1, s.id).get(f"/plan?year={YEAR}").get_data(as_text=True)
    assert 'data-testid="plan-form"' in page and 'data-testid="plan-deadline-passed"' not in page
