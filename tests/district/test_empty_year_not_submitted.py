"""A school year over that the school recorded nothing of is not submitted to the district.

Review: the school admin could submit such a year (page, API, command line) and the district
received a round of 0 teachers — which it could accept, locking a year that is on no teacher's
record (``credits.years_on_record``). Now the submission is refused with the reason
(``submission.not_on_record``), in Chinese and English, and nothing is written; a year over that
the school holds something of is submitted as before."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.errors import Conflict
from portal.extensions import db
from portal.models import YearSubmission
from portal.services import access, credits, submissions, tokens
from tests.credits.helpers import hold_year, login

EMPTY = "2020-2021"  # S1 holds nothing of it
HELD = "2021-2022"  # S1 holds an activity planned in it, nothing more


def _count() -> int:
    return db.session.execute(select(func.count()).select_from(YearSubmission)).scalar_one()


def test_a_year_on_no_record_is_refused_by_the_service(app, world):
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    assert not credits.year_on_record(world.s1, EMPTY)
    with pytest.raises(Conflict) as err:
        submissions.submit(world.s1, EMPTY, by=admin)
    assert err.value.msg.code == "submission.not_on_record" and err.value.extra == {"school_year": EMPTY}
    assert err.value.msg.render("zh_Hans_CN").startswith("本校2020—2021学年没有任何记录")
    assert "nothing of it to submit" in err.value.msg.english
    db.session.rollback()
    assert _count() == 0
    # a year over that the school holds something of is submitted as before
    hold_year(world.s1, world.staff["admin"], HELD)
    db.session.commit()
    sub = submissions.submit(world.s1, HELD, by=admin)
    assert sub.status == "submitted" and sub.teachers > 0
    assert _count() == 1


def test_the_page_and_the_api_refuse_it_and_write_nothing(app, world):
    page = login(app.test_client(), world.staff["admin"], world.s1)
    r = page.post("/submission?lang=zh_Hans_CN", data={"year": EMPTY}, follow_redirects=True)
    assert "本校2020—2021学年没有任何记录" in r.get_data(as_text=True) and _count() == 0
    headers = {"Authorization": f"Bearer {tokens.issue(world.staff['admin']).token}", "X-School": "S1"}
    r = app.test_client().post("/api/v1/submissions", json={"year": EMPTY}, headers=headers)
    body = r.get_json()
    assert r.status_code == 409 and body["error"] == "conflict" and body["school_year"] == EMPTY, body
    assert "recorded nothing of the 2020–2021 school year" in body["message"], body
    r = app.test_client().post("/api/v1/submissions", json={"year": EMPTY},
                               headers={**headers, "Accept-Language": "zh-CN"})
    assert r.status_code == 409 and r.get_json()["message"].startswith("本校2020—2021学年没有任何记录"), r.get_json()
    assert _count() == 0


def test_the_page_offers_no_form_for_a_year_it_would_refuse(app, world):
    """The submission page offered its form for a year on no record and for a year not begun,
    and only the post was refused; now it says the refusal instead (the service's words) and
    offers the form for a year that may be submitted."""
    from lxml import html as lxml_html

    from portal.timeutil import current_school_year

    def page(year: str):
        r = login(app.test_client(), world.staff["admin"], world.s1).get(f"/submission?year={year}&lang=zh_Hans_CN")
        assert r.status_code == 200
        doc = lxml_html.fromstring(r.get_data(as_text=True))
        said = doc.xpath('.//*[@data-testid="submit-refused"]')
        return bool(doc.xpath('.//*[@data-testid="submit-form"]')), said[0].text_content().strip() if said else None

    form, said = page(EMPTY)
    assert not form and said is not None and said.startswith("本校2020—2021学年没有任何记录"), said
    start = int(current_school_year(world.s1.timezone)[:4]) + 1
    form, said = page(f"{start}-{start + 1}")
    assert not form and said is not None and f"{start}—{start + 1}" in said, said
    hold_year(world.s1, world.staff["admin"], HELD)
    db.session.commit()
    assert page(HELD) == (True, None)
    assert page(current_school_year(world.s1.timezone)) == (True, None)
