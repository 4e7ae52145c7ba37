"""The exemptions of a year the district accepted (locked): the page offers no "remove" and
says why; a change tried anyway is refused beside the year on the same page (it answered a bare
409 "conflict" page that lost what the admin had typed), and nothing changes."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Exemption, StaffChange, User, YearLock
from tests.web.test_locked_year_steps import _accept_demo_year


def test_a_locked_years_exemptions_are_refused_beside_the_year(site, as_user):
    with site.app_context():
        _accept_demo_year()
        year = db.session.execute(select(YearLock.school_year)).scalars().one()
        ids = dict(db.session.execute(select(User.username, User.id)
                                      .where(User.username.in_(["teacher2", "teacher3"]))).all())
        exemptions, lines = (db.session.scalar(select(func.count()).select_from(t)) for t in (Exemption, StaffChange))
    c = as_user("admin")
    for data in ({"action": "set", "user_id": str(ids["teacher2"]), "year": year, "reason": "病假"},
                 {"action": "clear", "user_id": str(ids["teacher3"]), "year": year}):
        r = c.post("/admin/exemptions", data=data)
        html = r.get_data(as_text=True)
        assert r.status_code == 422
        beside = html.split('id="ex-year"')[1].split('class="invalid-feedback">')[1]
        heading = year.replace("-", "—") + "学年"  # the school year as the school writes it
        assert beside.startswith(f"{heading}已由区里审核通过并锁定")
        assert f'<small class="text-muted">{heading}</small>' in html and 'data-testid="exemptions-locked"' in html
        if data["action"] == "set":
            assert 'value="病假"' in html  # what was typed is kept
    with site.app_context():
        assert db.session.scalar(select(func.count()).select_from(Exemption)) == exemptions
        assert db.session.scalar(select(func.count()).select_from(StaffChange)) == lines
    page = c.get(f"/admin/exemptions?year={year}").get_data(as_text=True)
    assert 'value="clear"' not in page and "区里已审核通过本学年" in page
