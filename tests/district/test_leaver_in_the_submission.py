"""A teacher who had left the school when the year was sent is marked 已离校 wherever the
district reads the submission, as the school's summary sent with it marks them.

Audit: t1 left S1 with 4 hours credited; the 学时汇总表 frozen in the submission said
"未达标 · 已离校", but the district's CSV and workbook of submitted figures gave an empty 说明, and
the submission's page and its teacher drill-in showed t1 as one of the school's teachers."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from portal.extensions import db
from portal.models import YearSubmission
from portal.policy import Actor
from portal.services import access, staff, submissions, tokens
from tests.credits.helpers import login
from tests.district.conftest import YEAR


def _notes(rows: list[list], user_col: int, note_col: int) -> dict[str, str]:
    return {str(r[user_col]): str(r[note_col] or "") for r in rows[1:]}


def test_a_leaver_is_marked_in_every_reading_of_the_submission(app, world):
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    t1 = world.staff["t1"]
    staff.deactivate(world.s1, t1.id, by=admin)
    sub = submissions.submit(world.s1, YEAR, by=admin)
    db.session.commit()
    frozen = {r["username"]: r for r in sub.rows}
    assert frozen["t1"]["left_school"] is True and frozen["t2"]["left_school"] is False
    # the school's 学时汇总表 as sent: the reference
    sent = list(load_workbook(io.BytesIO(sub.summary_xlsx)).worksheets[0].iter_rows(values_only=True))
    school_notes = _notes(sent, 0, sent[0].index("说明"))
    assert school_notes["t1"] == "已离校"
    reviewer = login(app.test_client(), world.reviewer1)
    rows = list(csv.reader(io.StringIO(reviewer.get(f"/district/submitted.csv?year={YEAR}")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert _notes(rows, rows[0].index("账号"), rows[0].index("说明")) == school_notes
    book = load_workbook(io.BytesIO(reviewer.get(f"/district/submitted.xlsx?year={YEAR}").data))
    sheet = list(book["S1"].iter_rows(values_only=True))
    assert _notes(sheet, 0, sheet[0].index("说明")) == school_notes
    page = reviewer.get(f"/district/submissions/{sub.id}").get_data(as_text=True)
    assert 'data-testid="left-school-t1">已离校<' in page and "left-school-t2" not in page
    drill = reviewer.get(f"/district/submissions/{sub.id}/teachers/{t1.id}").get_data(as_text=True)
    assert 'data-testid="left-school">已离校<' in drill
    head = {"Authorization": f"Bearer {tokens.issue(world.reviewer1).token}"}
    body = app.test_client().get(f"/api/v1/district/submissions/{sub.id}", headers=head).get_json()
    assert {r["username"]: r["left_school"] for r in body["rows"]}["t1"] is True
    # not a figure: the district may accept it as sent
    assert submissions.changed_since(sub) == 0
    decided = submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]),
                                 district_id=world.d1.id)
    assert decided.status == "accepted"
    assert db.session.execute(select(YearSubmission.status)).scalar_one() == "accepted"


def test_a_round_sent_before_leavers_were_kept_says_nothing_of_them(app, world):
    """A frozen row without the mark (a round sent before it was kept): no 已离校, no error."""
    admin = access.actor(world.staff["admin"].id, world.s1.id)
    sub = submissions.submit(world.s1, YEAR, by=admin)
    sub.rows = [{k: v for k, v in r.items() if k != "left_school"} for r in sub.rows]
    db.session.commit()
    reviewer = login(app.test_client(), world.reviewer1)
    assert reviewer.get(f"/district/submissions/{sub.id}").status_code == 200
    body = reviewer.get(f"/district/submitted.csv?year={YEAR}").get_data(as_text=True)
    assert "已离校" not in body and submissions.changed_since(sub) == 0
