"""The months short of reading notes (``reading_notes_per_month``) on every surface that speaks of
the monthly item, from one list (``QuotaFact.short``, put in words by ``year_texts.quota_short``):

* the "behind schedule" badge says behind when a month already over (and asked) is short, not
  when the year's months spread evenly say so: with September and October written and November
  short, in mid-December, the even spread expected none and the home showed no badge;
* the reminder (in the app and by email) names the short months, as the home does;
* the teacher's 学时证明 prints them;
* the stored year submission keeps them, and the district's page of the teacher's frozen year
  shows them; a round stored before it kept them is not "changed" for that alone.

Each test sets its own day on the test clock.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from pypdf import PdfReader

from portal import year_texts
from portal.extensions import db
from portal.messages import in_lang
from portal.models import Notification, User, YearSubmission
from portal.reports import district_exports, exports
from portal.services import access, credits, district_notices, forecast, notifications, submissions, users
from tests.credits.test_reading_notes_per_month import MID_DECEMBER, YEAR, _asking, _at, _monthly, _note
from tests.support import factories as f
from tests.support.sessions import log_in


def _two_months_written(s1, t1) -> None:
    """One note asked a month; September and October hold one, November none."""
    _asking(s1, 1)
    _note(s1, t1, "《九月》", 9)
    _note(s1, t1, "《十月》", 10)


def test_a_short_month_over_is_behind_schedule_and_none_short_is_not(client, s1, staff, time_machine):
    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    _two_months_written(s1, t1)
    q = _monthly(t1, s1)
    assert (q.done, q.target, q.short) == (2, 3, ("2026-11",))
    ty = credits.teacher_year(t1, s1, YEAR)
    today = datetime(2026, 12, 15).date()
    assert q in forecast.behind(ty.facts, today, status=ty.assessment.status, accepted=())
    log_in(client, t1, s1.id)
    home = client.get("/?lang=zh_Hans_CN").text
    item = home[home.index('data-testid="quota-notes_monthly-0"'):]
    item = item[:item.index("</li>")]
    assert 'data-testid="quota-behind"' in item and "未达标月份" not in item  # named once, in the warning above
    warnings = home[home.index('data-testid="warnings"'):]
    assert "未达标月份：2026年11月" in warnings[:warnings.index("</div>")]
    _note(s1, t1, "《十一月》", 11)
    q = _monthly(t1, s1)
    assert (q.done, q.target, q.short) == (3, 3, ())
    ty = credits.teacher_year(t1, s1, YEAR)
    assert all(b.key != "notes_monthly" for b in forecast.behind(ty.facts, today, status=ty.assessment.status,
                                                                 accepted=()))
    home = client.get("/?lang=zh_Hans_CN").text
    item = home[home.index('data-testid="quota-notes_monthly-0"'):]
    assert 'data-testid="quota-behind"' not in item[:item.index("</li>")]


def test_the_reminder_names_the_short_months_in_both_languages(s1, staff, time_machine):
    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    _two_months_written(s1, t1)
    made = district_notices.remind_quotas(MID_DECEMBER.replace(tzinfo=None))
    told = [n for n in db.session.query(Notification).filter(Notification.id.in_(made)).all()
            if n.user_id == t1.id and n.params["quota"]["en"] == "Months with enough reading notes"]
    assert len(told) == 1
    said = notifications.text(told[0])
    assert in_lang(said, "zh") == "读书笔记达标月数进度落后：已完成 2 / 3 个月。未达标月份：2026年11月"
    assert in_lang(said, "en") == ("Behind schedule: Months with enough reading notes, 2 of 3 months done. "
                                   "Months short: November 2026")


def _pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_record_prints_the_short_months(client, s1, staff, time_machine):
    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    _two_months_written(s1, t1)
    log_in(client, t1, s1.id)
    text = _pdf_text(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}&lang=zh_Hans_CN").data)
    flat = text.replace(" ", "").replace("\n", "")
    assert "读书笔记达标月数" in flat and "未达标月份：2026年11月" in flat
    text = _pdf_text(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}&lang=en").data)
    assert "Months short: November 2026" in " ".join(text.split())


def test_the_submitted_year_keeps_the_short_months(client, s1, staff, time_machine):
    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    _two_months_written(s1, t1)
    sub = submissions.submit(s1, YEAR, by=access.actor(staff["admin"].id, s1.id))
    db.session.commit()
    row = next(r for r in sub.rows if r["user_id"] == t1.id)
    monthly = next(q for q in row["quotas"] if q["key"] == "notes_monthly")
    assert (monthly["done"], monthly["target"], monthly["short"]) == (2, 3, ["2026-11"])
    assert submissions.changed_since(sub) == 0
    reviewer: User = users.create_user("qu.shenhe", f.PASSWORD, "区审核员", None, ["district_reviewer"],
                                       district_id=s1.district_id)
    db.session.commit()
    log_in(client, reviewer)
    page = client.get(f"/district/submissions/{sub.id}/teachers/{t1.id}?lang=zh_Hans_CN").text
    assert "未达标月份：2026年11月" in page
    # a round stored before the short months were kept is not changed for that alone
    sub = db.session.get_one(YearSubmission, sub.id)
    sub.rows = [{**r, "quotas": [{k: v for k, v in q.items() if k != "short"} for q in r["quotas"]]} for r in sub.rows]
    db.session.commit()
    assert submissions.changed_since(sub) == 0
    _note(s1, t1, "《十一月》", 11)  # a figure that did change still shows
    assert submissions.changed_since(db.session.get_one(YearSubmission, sub.id)) == 1


def _cell(html: str, marker: str, end: str = "</td>") -> str:
    start = html.index(marker)
    return html[start:html.index(end, start)]


def test_the_summary_its_exports_and_the_warnings_name_the_short_months(client, s1, staff, time_machine):
    """The summary's CSV and XLSX rows (its quota cell and warnings), the teacher home's warning
    and the district's export of a frozen row; the summary's page gives the figures only."""
    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    _two_months_written(s1, t1)
    for lang, words in (("zh", "未达标月份：2026年11月"), ("en", "Months short: November 2026")):
        rows = list(exports.summary_rows(s1, YEAR, lang))
        column = rows[0].index(year_texts.quota_label(_monthly(t1, s1), lang))
        line = next(r for r in rows[1:] if r[0] == "t1")
        assert words in line[column] and words in line[-1]  # the quota's cell, the warnings
        frozen = {"key": "notes_monthly", "semester": 0, "done": 2, "target": 3, "unit": "months", "met": False,
                  "short": ["2026-11"]}
        assert words in district_exports.quota_text([frozen], lang)
    log_in(client, staff["admin"], s1.id)
    page = client.get("/reports/summary?lang=zh_Hans_CN").text
    row = page[page.index('data-user="t1"'):]
    # the summary's page, a row a teacher printed across A4, gives the figures and leaves the months to the above
    cell, warned = _cell(row, 'data-quota="notes_monthly-0"'), _cell(row, 'data-testid="warnings-t1"')
    assert "2 / 3" in cell and "2 / 3" in warned and "2026年11月" not in cell + warned
    log_in(client, t1, s1.id)
    home = client.get("/?lang=en").text
    assert "Months short: November 2026" in _cell(home, 'data-testid="warning-quota"', "</li>")


CODE = re.compile(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})")


def test_verify_says_when_the_short_months_a_record_printed_changed(client, s1, staff, time_machine):
    """The 学时证明 printed 2 of 3 months, November short; by mid-January December is over and short
    too. ``/verify`` compares the monthly line as it compares every figure printed, and says so."""
    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    _two_months_written(s1, t1)
    log_in(client, t1, s1.id)
    text = _pdf_text(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}&lang=zh_Hans_CN").data)
    code = CODE.search(text.replace(" ", ""))[1].replace("-", "")
    anonymous = client.application.test_client()
    html = anonymous.get(f"/verify/{code}?lang=zh_Hans_CN").text
    assert 'data-testid="verify-figures-changed"' not in html and 'data-testid="verify-unchanged"' in html
    _at(time_machine, datetime(2027, 1, 15, 4, 0, tzinfo=UTC))
    html = anonymous.get(f"/verify/{code}?lang=zh_Hans_CN").text
    changed = _cell(html, 'data-testid="verify-figures-changed"', "</table>")
    row = _cell(changed, 'data-testid="verify-figure-changed"', "</tr>")
    assert "读书笔记达标月数" in row
    assert "2 / 3" in row and "未达标月份：2026年11月" in row
    assert "2 / 4" in row and "未达标月份：2026年11月、12月" in row
