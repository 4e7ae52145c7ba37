"""A year still under way is not "未达标": in December teacher1 (25.5 of 50 hours) read 未达标 on
her 成长档案, on the 学时证明 she printed (考核结果：未达标) and its ``/verify``, on the school's
summary, its exports and the API — while her home said 还差 24.5 学时. A verdict of short is read
as in progress (进行中（学年结束时评定）) until the year is over or the district closes it
(``assessment.so_far``, asked of ``TeacherYear.shown``); a met year reads met as soon as it is.
The district's counts and the rounds sent keep the verdict. Once the year is over, the same
year reads 未达标 everywhere, as past years always did."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from portal.assessment import IN_PROGRESS, SHORT
from portal.demo_district import load_district_demo
from portal.extensions import db
from portal.messages import status_label
from portal.models import School, User, YearSubmission
from portal.models.district import WHOLE_YEAR
from portal.policy import DISTRICT_REVIEWER, Actor
from portal.services import credits, locks, submissions, tokens
from portal.timeutil import year_bounds
from tests.web.conftest import login

YEAR = "2026-2027"
CODE = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){7}")


def _ids(app) -> tuple[int, int]:
    with app.app_context():
        uid = db.session.execute(select(User.id).where(User.username == "teacher1")).scalar_one()
        sid = db.session.execute(select(School.id).where(School.code == "DEMO")).scalar_one()
        return uid, sid


def _read_everywhere(app, uid: int) -> dict[str, str]:
    """teacher1's status of 2026-2027 as each surface says it (a status key, read back from its words)."""
    with app.app_context():
        words = {status_label(s, "zh"): s for s in ("met", SHORT, "not_recognised", "exempt", IN_PROGRESS)}
        token = tokens.issue(db.session.get_one(User, uid)).token
    out: dict[str, str] = {}
    teacher, admin = app.test_client(), app.test_client()
    login(teacher, "teacher1")
    login(admin, "admin")
    page = teacher.get(f"/teachers/{uid}/record?year={YEAR}").get_data(as_text=True)
    home = teacher.get(f"/?year={YEAR}").get_data(as_text=True)  # its badge: hours to go, or the verdict
    out["home"] = re.search(r'data-testid="hours-status" data-status="([a-z_]+)"', home).group(1)
    out["record"] = re.search(rf'data-testid="record-status-{YEAR}" data-status="([a-z_]+)"', page).group(1)
    pdf = teacher.get(f"/teachers/{uid}/record.pdf?year={YEAR}")
    assert pdf.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages).replace(" ", "")
    said = [s for label, s in words.items() if f"考核结果{label}" in text.replace("\n", "")]
    out["certificate"] = said[0] if len(said) == 1 else f"?{said}"
    code = CODE.search(text.replace("\n", "")).group(0)
    verify = app.test_client().get(f"/verify/{code}").get_data(as_text=True)
    out["verify"] = words[re.search(r'data-testid="verify-status">([^<]+)<', verify).group(1).strip()]
    rows = list(csv.reader(io.StringIO(admin.get(f"/reports/summary.csv?year={YEAR}").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    status_at = next(i for i, h in enumerate(rows[0]) if h in ("考核结果", "状态"))
    out["summary.csv"] = words[next(r for r in rows[1:] if r[0] == "teacher1")[status_at]]
    summary = admin.get(f"/reports/summary?year={YEAR}").get_data(as_text=True)
    row = summary.split('data-user="teacher1"', 1)[1] if 'data-user="teacher1"' in summary else \
        summary.split(f"/teachers/{uid}/record", 1)[1]
    out["summary"] = re.search(r"report-status-([a-z_]+)", row).group(1)
    api = app.test_client().get(f"/api/v1/users/{uid}/credits?year={YEAR}",
                                headers={"Authorization": f"Bearer {token}"}).get_json()
    out["api"] = api["status"] if "status" in api else api["year"]["status"]
    return out


def test_a_year_under_way_reads_in_progress_everywhere_and_short_once_it_is_over(make_app, time_machine):
    app = make_app(demo=True)
    uid, sid = _ids(app)
    with app.app_context():  # the verdict itself is short (the district's counts keep it)
        ty = credits.teacher_year(db.session.get_one(User, uid), db.session.get_one(School, sid), YEAR)
        assert ty.assessment.status == SHORT
    now = _read_everywhere(app, uid)
    assert set(now.values()) == {IN_PROGRESS}, now
    # the year is over (1 September 2027 in the school's zone): short, everywhere
    time_machine.move_to(datetime(2027, 9, 2, 4, 0, tzinfo=UTC))
    after = _read_everywhere(app, uid)
    assert set(after.values()) == {SHORT}, after


@pytest.mark.parametrize("kept_rules", [True, False], ids=["its round kept the rules", "a round sent before rules were kept"])
def test_a_year_the_district_closed_before_its_end_reads_its_verdict_everywhere(make_app, kept_rules):
    """In December the district accepts DEMO's year (sent to it, waiting): closed before its end,
    nothing more counts in it, so teacher1's year reads 未达标 — not 进行中 — on every surface
    (``assessment.so_far``, asked whether the locks close the year: ``locks.covers``). A round
    sent before a round kept its rules (``year_submission.rules`` empty, migration ``d5a1c7e3b902``)
    closes the year all the same: its year was read 进行中, the closure being taken from the rules
    kept rather than from the lock."""
    app = make_app(demo=True)
    uid, sid = _ids(app)
    with app.app_context():
        load_district_demo()
        school = db.session.get_one(School, sid)
        sub = submissions.latest(sid, YEAR, WHOLE_YEAR)
        assert sub is not None and sub.status == submissions.SUBMITTED
        reviewer = db.session.execute(select(User).where(User.username == "dreviewer")).scalar_one()
        submissions.decide(sub.id, True, by=Actor.of(reviewer.id, [DISTRICT_REVIEWER]), district_id=school.district_id)
        db.session.commit()
        if not kept_rules:  # as a round of before the rules were kept reads
            db.session.execute(update(YearSubmission).where(YearSubmission.id == sub.id).values(rules=None))
            db.session.commit()
        assert locks.covers(locks.accepted_periods(sid, YEAR), WHOLE_YEAR)
        assert date.today() < year_bounds(YEAR)[1]  # before the year's last day
    now = _read_everywhere(app, uid)
    assert set(now.values()) == {SHORT}, now
