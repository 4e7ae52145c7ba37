"""The activity page of one who may ask the school's admins for a correction (their own row
recorded by someone else: ``corrections.offered``) costs a pinned number of statements, the same
whether a request of theirs is open or not: the page says "asked on …, waiting" instead of the
link from one more statement (``corrections.open_of``), read only where a request is offered."""

from __future__ import annotations

from portal.extensions import db
from portal.services import access, corrections
from tests.perf.conftest import QueryCounter, login
from tests.support import factories

#: the page as the activity page's own pin ("activity page" in test_page_queries, of an activity
#: not credited) and, where a request is offered, the school's admins who would close it and the
#: viewer's open requests on it (one each)
ASKING_PAGE = 8


def _page(app, queries: QueryCounter, client, act_id: int) -> tuple[int, str]:
    with app.app_context():
        assert client.get(f"/activities/{act_id}").status_code == 200  # compiled templates are not the page's
    with app.app_context(), queries.counting():
        r = client.get(f"/activities/{act_id}?lang=zh_CN")
    assert r.status_code == 200
    return queries.count, r.get_data(as_text=True)


def test_the_page_offering_a_correction_costs_the_same_once_one_is_open(app, queries):
    school = factories.school("S1")
    staff = factories.staff(school)
    factories.person(school, "adm2", "school_admin", name="郑晓梅")
    p = staff
    act = factories.plan(school, p["organizer"], "lecture", [(p["organizer"], "speaker"), (p["t1"], "attendee")],
                         details={"topic": "单元整体教学"}, title="新课标专题讲座")
    factories.attend(act, p["admin"], hours={p["t1"].id: "0"}, absent={p["t1"].id: str(act.hours)})
    db.session.commit()
    client = login(app.test_client(), p["t1"], school.id)
    before, page = _page(app, queries, client, act.id)
    assert 'data-testid="ask-correction-link"' in page, page
    corrections.ask(act, access.actor(p["t1"].id, school.id), corrections.ROW, "出席 3 小时", "签到表漏签")
    db.session.commit()
    after, page = _page(app, queries, client, act.id)
    report = queries.report()
    assert 'data-testid="ask-correction-link"' not in page and 'data-testid="correction-asked"' in page
    assert "申请，待处理" in page and f"/corrections/{corrections.listed(school.id)[0].request.id}" in page
    assert (before, after) == (ASKING_PAGE, ASKING_PAGE), report
