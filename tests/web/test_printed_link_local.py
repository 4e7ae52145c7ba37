"""A printed form's verification link and QR code lead to the portal's public address
(``YANXIU_PUBLIC_URL``), never to the request's ``Host`` (anyone may send one: a forged host
would print their site on a certificate). Production refuses to start without it; elsewhere the
address defaults to ``http://127.0.0.1:5000``, which nobody holding the paper can open: every
page that prints a form (the 学时证明, the 学分认定表, the summary with its job of every form)
says so beside its download, and says nothing once the address is one others reach."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Activity, School, User
from portal.registry import registry
from tests.support.sessions import log_in
from workflows.definition import Phase


@pytest.mark.parametrize(("address", "warned"), [
    ("http://127.0.0.1:5000", True),
    ("http://localhost:8000/yanxiu", True),
    ("https://yanxiu.example.edu.cn", False),
])
def test_a_page_that_prints_says_when_its_link_leads_to_this_computer_only(make_app, address, warned):
    app = make_app(demo=True, PUBLIC_URL=address)
    with app.app_context():
        teacher = db.session.execute(select(User).where(User.username == "teacher1")).scalar_one()
        credited = db.session.execute(select(func.min(Activity.id)).where(
            Activity.state.in_(registry().states_in(Phase.CREDITED)))).scalar_one()
        school = db.session.get_one(Activity, credited).school_id
        admin = db.session.execute(select(User).where(User.username == "admin")).scalar_one()
        client = log_in(app.test_client(), admin, school)
        pages = [f"/teachers/{teacher.id}/record", f"/activities/{credited}/certificate", "/reports/summary"]
    for url in pages:
        r = client.get(f"{url}?lang=zh_Hans_CN")
        assert r.status_code == 200, url
        page = r.get_data(as_text=True)
        assert ('data-testid="printed-link-local"' in page) is warned, url
        if warned:
            assert address in page and "仅本机可用" in page, url


def test_a_teacher_is_told_in_their_words_not_the_setting(make_app):
    """A teacher printing their 学时证明 cannot set the address: the page tells them what it means
    for the paper and whom to ask, without the setting's name or the address of this computer."""
    app = make_app(demo=True, PUBLIC_URL="http://127.0.0.1:5000")
    with app.app_context():
        teacher = db.session.execute(select(User).where(User.username == "teacher1")).scalar_one()
        school = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
        client = log_in(app.test_client(), teacher, school)
        url = f"/teachers/{teacher.id}/record"
    page = client.get(f"{url}?lang=zh_Hans_CN").get_data(as_text=True)
    assert 'data-testid="printed-link-local"' in page
    assert "请先联系学校管理员" in page
    assert "YANXIU_PUBLIC_URL" not in page and "127.0.0.1:5000" not in page
