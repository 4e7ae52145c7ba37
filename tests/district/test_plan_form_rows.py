"""The school plan's form offers its saved lines and 12 empty rows beyond them (up to 211 rows
for a plan of 199 lines); every row it offers is read. A line typed in a row numbered 200 or
more was dropped without a word (the page said "saved"), and a 201st line typed there was saved
away instead of refused with the plan's limit of 200 lines."""

from __future__ import annotations

from portal.extensions import db
from portal.services import school_plans
from tests.credits.helpers import login
from tests.district.conftest import YEAR
from tests.district.test_school_plans import _admin


def _lines(n: int) -> list[dict]:
    return [{"type": "lecture", "month": 10, "title": f"讲座{i:03d}", "hours": "1", "responsible": ""}
            for i in range(n)]


def _form(lines: list[dict]) -> dict[str, str]:
    data = {"year": YEAR, "aims": "目标", "target_hours": "50"}
    for n, line in enumerate(lines):
        data.update({f"type-{n}": line["type"], f"month-{n}": str(line["month"]), f"title-{n}": line["title"],
                     f"hours-{n}": line["hours"], f"responsible-{n}": line["responsible"]})
    return data


def _titles(world) -> list[str]:
    db.session.expire_all()
    plan = school_plans.get_plan(world.s1.id, YEAR)
    assert plan is not None
    return sorted(line.title for line in school_plans.lines_of(plan.id))


def test_a_line_typed_in_an_offered_row_past_the_200th_is_saved(app, world):
    school_plans.save_plan(world.s1, YEAR, "目标", "50", _lines(195), by=_admin(world))
    db.session.commit()
    client = login(app.test_client(), world.staff["admin"], world.s1)
    page = client.get(f"/school-plan?year={YEAR}").get_data(as_text=True)
    assert 'name="title-205"' in page  # an empty row the page offers
    data = _form(_lines(195))
    data.update({"type-205": "lecture", "month-205": "11", "title-205": "新增讲座", "hours-205": "2",
                 "responsible-205": ""})
    assert client.post("/school-plan", data=data).status_code == 303
    assert len(_titles(world)) == 196 and "新增讲座" in _titles(world)


def test_a_201st_line_is_refused_not_dropped(app, world):
    school_plans.save_plan(world.s1, YEAR, "目标", "50", _lines(200), by=_admin(world))
    db.session.commit()
    client = login(app.test_client(), world.staff["admin"], world.s1)
    data = _form(_lines(200))
    data.update({"type-200": "lecture", "month-200": "11", "title-200": "第201条", "hours-200": "2",
                 "responsible-200": ""})
    answer = client.post("/school-plan", data=data)
    assert answer.status_code == 422
    assert "最多 200 项计划活动" in answer.get_data(as_text=True)  # the limit, said on the page
    assert "第201条" not in _titles(world) and len(_titles(world)) == 200
