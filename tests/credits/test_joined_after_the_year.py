"""A school year is its teachers' from when their accounts existed (``credits.year_over_at``).

Auditor: a teacher whose account was created this school year was on last year's 学时汇总表, its
CSV and XLSX, the district's export and the API as 0 / 50 h 未达标, and the school could print
a verified 学时证明 of that year — while their own record listed no such year. Now a year that
was over before the account existed is not theirs unless something of it is recorded for them
(an exemption a school records late, an activity): the summaries leave them out, the home
and the API say so, and no certificate of it is issued."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from portal.extensions import db
from portal.models import School, User
from portal.services import credits, exemptions, tokens, users
from portal.timeutil import current_school_year
from tests.credits.conftest import build_school_and_staff
from tests.credits.helpers import PAST_STARTS, login, rows_are_a_rebuild, staff_and
from tests.support import factories as f
from tests.support.prepared import prepared_by

PAST = "2025-2026"


def _build() -> dict:
    """S1 and its staff of long standing; ``new`` joined now; ``late`` joined now too, and the
    school records last year's exemption of theirs (借调) late."""
    facts = build_school_and_staff()
    s1 = db.session.get_one(School, facts["s1"])
    new = f.person(s1, "new", "teacher", name="新来的", since=None)
    late = f.person(s1, "late", "teacher", name="补录的", since=None)
    admin = db.session.get_one(User, facts["staff"]["admin"])
    exemptions.set_exemption(s1, admin, late.id, PAST, "借调")
    return {**facts, "new": new.id, "late": late.id}


prepared = prepared_by(_build)


@pytest.fixture
def people(s1, staff, make_app, prepared) -> dict[str, User]:
    return staff_and(staff, make_app.facts(prepared), "new", "late")


def _listed(client, year: str) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/summary.csv?year={year}").data.decode("utf-8-sig"))))
    at = rows[0].index("考核结果")
    return {r[0]: r[at] for r in rows[1:]}


def test_a_year_over_before_the_account_existed_is_not_theirs(app, s1, people):
    new, late, admin = people["new"], people["late"], people["admin"]
    now = current_school_year(s1.timezone)
    client = login(app.test_client(), admin, s1)
    past = _listed(client, PAST)
    assert "new" not in past and past["late"] == "免于考核" and past["t1"] == "未达标"  # staff of long standing
    assert "new" in _listed(client, now)
    assert [ty.user.username for ty in credits.school_summary(s1, PAST)] == list(past)
    assert credits.summary_row_count(PAST, school_id=s1.id) == len(past)
    ty = credits.teacher_year(new, s1, PAST)
    assert ty.joined_after_year and not credits.teacher_year(late, s1, PAST).joined_after_year
    assert not credits.teacher_year(new, s1, now).joined_after_year
    # no certificate of it: the record PDF is refused with the reason, as the record lists no such year
    r = client.get(f"/teachers/{new.id}/record.pdf?year={PAST}")
    assert r.status_code == 409 and "学年结束时，该教师不在本校任教" in r.get_data(as_text=True)
    assert client.get(f"/teachers/{late.id}/record.pdf?year={PAST}").status_code == 200
    assert PAST not in {y.school_year for y in credits.teacher_record(new, s1)}
    # the API: no assessment, and why
    token = tokens.issue(admin).token
    body = app.test_client().get(f"/api/v1/users/{new.id}/credits?year={PAST}",
                                 headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["status"] is None and body["joined_after_year"] is True and body["joined_after_acceptance"] is False
    body = app.test_client().get(f"/api/v1/reports/credits?year={PAST}",
                                 headers={"Authorization": f"Bearer {token}"}).get_json()
    assert "new" not in {t["username"] for t in body["teachers"]}
    # their home, asked for that year: no 0 / 50 h, no warnings
    home = login(app.test_client(), new, s1).get(f"/?year={PAST}&lang=zh_Hans_CN").get_data(as_text=True)
    assert 'data-testid="joined-after-year"' in home and "学年结束时，您不在本校任教" in home
    assert 'data-testid="warnings"' not in home and 'data-testid="quotas"' not in home
    assert 'data-testid="home-plan"' not in home  # nor a plan to write for it
    rows_are_a_rebuild(s1, (PAST, now))


def test_something_of_the_year_makes_it_theirs(app, s1, people):
    """An activity of last year recorded late puts the year on the new teacher's record and summary."""
    new = people["new"]
    f.attend(act := f.plan(s1, people["organizer"], "lecture", [(new, "attendee")], {"topic": "补录"}, hours="2",
                           start=PAST_STARTS[0]), people["organizer"])
    f.fire(act, people["organizer"], "hold")
    f.fire(act, people["reviewer"], "approve", "补录")
    f.fire(act, people["reviewer"], "credit")
    ty = credits.teacher_year(new, s1, PAST)
    assert not ty.joined_after_year and ty.facts.total_hours == 2
    assert "new" in _listed(login(app.test_client(), people["admin"], s1), PAST)


def test_the_exemptions_page_offers_whom_the_service_takes(app, s1, people):
    """A school recording a past year late may exempt today's teachers for it: the page offers them."""
    page = login(app.test_client(), people["admin"], s1).get(f"/admin/exemptions?year={PAST}").get_data(as_text=True)
    offered = page.split('id="user_id" name="user_id"', 1)[1].split("</select>", 1)[0]
    assert f'value="{people["new"].id}"' in offered and f'value="{people["t1"].id}"' in offered


def test_it_is_when_they_joined_this_school_not_when_the_account_was_made(app, s1, people):
    """Review: the rule followed the account, so a teacher of long standing elsewhere who moved to
    S1 this year was on S1's last year as 0 / 50 h 未达标, with a verified 学时证明 of it. It is the
    teacher role's date at the school (``Membership.since``); the year ends at midnight of
    1 September in the school's zone (07:30 that morning in Beijing is the new year)."""
    moved = f.person(f.school("S9"), "moved", "teacher", name="调入的")  # an account of 2020
    users.add_role(moved, s1, "teacher")  # joins S1 now
    client = login(app.test_client(), people["admin"], s1)
    assert "moved" not in _listed(client, PAST) and "moved" in _listed(client, current_school_year(s1.timezone))
    assert credits.teacher_year(moved, s1, PAST).joined_after_year
    assert client.get(f"/teachers/{moved.id}/record.pdf?year={PAST}").status_code == 409
    assert credits.year_over_at(PAST) == datetime(2026, 8, 31, 16, 0)  # 00:00 on 1 September, Asia/Shanghai
