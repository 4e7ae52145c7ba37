"""Opening a printed form again (an attacker's and an auditor's look at the PDF links).

Found: every ``GET`` of ``certificate.pdf``, ``summary.pdf`` or ``record.pdf`` wrote a new
verification row with a new code: a link or an ``<img>`` on another site made a signed-in person
"print" one, and every reload added a row. Now a code is one per printed version of the figures
(:func:`verification.code_for`): the same paper opened again gives the code it had and writes
nothing; a paper whose figures changed gets a new code; the old code still shows what it
printed, and says what differs now. Who printed it is part of the paper (``/verify`` names them).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Activity, IssuedDocument, User
from portal.services import verification
from tests.credits.helpers import login
from tests.credits.test_paper import YEAR, _build_world, _code, _pdf
from tests.credits.test_verify_figures import _absence_recorded_as_leave
from tests.support.at_once import just_before_the_write


@pytest.fixture
def prepared():  # the lecture's world, as the other tests of printed forms
    return _build_world


@pytest.fixture
def world(s1, staff, make_app, prepared) -> dict[str, Any]:
    return {"act": db.session.get(Activity, make_app.facts(prepared)["act"])}


def _rows() -> list[tuple[str, int, Any]]:
    db.session.expire_all()
    return [tuple(r) for r in db.session.execute(
        select(IssuedDocument.code_hash, IssuedDocument.issued_by, IssuedDocument.content).order_by(IssuedDocument.id))]


def _print(client, path: str) -> str:
    r = client.get(path)
    assert r.status_code == 200, r.status_code
    return _code(_pdf(r.data)[1]).replace("-", "")


@pytest.mark.parametrize("kind", ["certificate", "summary", "record"])
def test_opening_a_form_again_gives_its_code_and_adds_no_row(client, world, staff, s1, kind):
    path = {"certificate": f"/activities/{world['act'].id}/certificate.pdf", "summary": f"/reports/summary.pdf?year={YEAR}",
            "record": f"/teachers/{staff['t1'].id}/record.pdf?year={YEAR}"}[kind]
    login(client, staff["admin"], s1)
    assert _rows() == []
    code = _print(client, path)
    first = _rows()
    assert len(first) == 1 and first[0][0] == verification.digest(code)
    assert [_print(client, path) for _ in range(3)] == [code] * 3  # reloads: the same code
    assert _rows() == first  # and not a row more (the first's figures and when they were read kept)
    html = client.application.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-testid="verify-genuine"' in html and 'data-testid="verify-unchanged"' in html


def test_changed_figures_give_a_new_code_and_the_old_one_shows_its_own(client, world, staff, s1):
    act, t3 = world["act"], staff["t3"]
    path = f"/activities/{act.id}/certificate.pdf"
    login(client, staff["admin"], s1)
    old = _print(client, path)
    _absence_recorded_as_leave(act, staff)  # 周建国's unexcused absence recorded as leave, credited again
    db.session.commit()
    new = _print(client, path)
    assert new != old and _print(client, path) == new
    rows = _rows()
    assert [r[0] for r in rows] == [verification.digest(old), verification.digest(new)]
    printed = {int(line["user_id"]): line for line in rows[0][2]["lines"]}
    assert printed[t3.id]["absent"] == "3" and printed[t3.id]["excused"] == "0"  # the old paper's figures, kept
    assert {int(line["user_id"]): line for line in rows[1][2]["lines"]}[t3.id]["excused"] == "3"
    anonymous = client.application.test_client()
    old_page = anonymous.get(f"/verify/{old}").get_data(as_text=True)
    assert 'data-testid="verify-genuine"' in old_page and 'data-testid="verify-unchanged"' not in old_page
    assert "verify-figures-changed" in old_page  # still genuine, and says what differs now
    new_page = anonymous.get(f"/verify/{new}").get_data(as_text=True)
    assert 'data-testid="verify-genuine"' in new_page and 'data-testid="verify-unchanged"' in new_page


def test_the_same_form_printed_by_another_person_is_theirs(client, world, staff, s1):
    """The verify page names who printed the paper: the teacher's own 学时证明 and the one the
    admin printed of the same figures have a code each, each naming its printer."""
    t1, admin = staff["t1"], staff["admin"]
    path = f"/teachers/{t1.id}/record.pdf?year={YEAR}"
    login(client, t1, s1)
    own = _print(client, path)
    login(client, admin, s1)
    admins = _print(client, path)
    assert own != admins and [r[1] for r in _rows()] == [t1.id, admin.id]
    anonymous = client.application.test_client()
    for code, who in ((own, t1), (admins, admin)):
        html = anonymous.get(f"/verify/{code}?lang=en").get_data(as_text=True)
        assert f"<th>Issued by</th><td>{db.session.get_one(User, who.id).display_name}</td>" in html


def test_the_same_paper_printed_twice_at_once_is_one_row(app, world, staff, s1, monkeypatch):
    """Two requests printing the same paper at the same moment: the second's insert meets the
    first's row (its code's digest is unique) and answers with the code, as a reload does."""
    content = {"title": s1.name, "lines": [{"user_id": staff["t1"].id, "name": "何立新", "hours": "6", "status": "met"}]}
    school_id, admin_id = s1.id, staff["admin"].id

    def elsewhere() -> None:
        with app.app_context():
            from portal.models import School

            verification.issue("summary", db.session.get_one(School, school_id), YEAR, admin_id, content)
            db.session.remove()

    just_before_the_write(monkeypatch, verification, elsewhere)
    code = verification.issue("summary", s1, YEAR, admin_id, content)
    assert [r[0] for r in _rows()] == [verification.digest(code)]
    assert db.session.execute(select(func.count(IssuedDocument.id))).scalar_one() == 1
