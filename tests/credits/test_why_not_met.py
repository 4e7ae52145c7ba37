"""A year not met says why, in figures, on the teacher's record, their 学时证明 and ``/verify``.

The record page and the printed 学时证明 showed 未达标 with the 说明 empty: the teacher, and the
district auditor reading the paper, were not told that 44 of the 50 学时 required were missing,
nor by how much the unexcused absence reached its limit, nor which writing quota (and how much
of it) was not done when the school's quotas decide. Now both say it in one set of sentences
(``assessment.shortfalls``, put in words by ``year_texts.shortfall_text``; the absence in the
words of the home's warning), and ``/verify`` compares what a 学时证明 printed of it as every other
figure — a document printed before it kept none and is not compared.

The world (``test_paper._build_world``): one lecture credited; 何立新 its speaker (6 学时 of the
50 required), 周建国 absent without leave for 3 学时 (the limit is 5).
"""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import IssuedDocument
from portal.policy import SYSTEM
from portal.services import credits, exemptions, schools, verification
from tests.credits.helpers import credited, login
from tests.credits.test_paper import YEAR, _code, _pdf
from tests.credits.test_reading_notes_per_month import MID_DECEMBER, _at, _note
from tests.credits.test_verify_figures import prepared, world  # noqa: F401 (fixtures: the lecture's world)

pytestmark = pytest.mark.usefixtures("world")

HOURS_ZH = "还差 44 学时：应修 50 学时，已认定 6 学时。"
HOURS_EN = "44 hours short: 6 of the 50 hours required were credited."
ABSENT_ZH = "第一学期：未请假缺席累计 5 学时，已达 5 学时，本学年学时不予认定。"
ABSENT_EN = "First semester: 5 hours of unexcused absence reached the limit of 5 hours."


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _why(html: str) -> list[str]:
    """The record page's reasons of the year, one an item."""
    found = re.search(rf'data-testid="record-why-{YEAR}"[^>]*>(.*?)</ul>', html, re.S)
    return [re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)] if found else []


def _absent_again(s1, staff) -> None:
    """周建国 misses a second lecture without leave: 5 学时 of unexcused absence, the limit."""
    t3 = staff["t3"]
    credited(s1, staff, "lecture", [(t3, "attendee")], hours="2", attended={t3.id: "0"}, absent={t3.id: "2"},
             title="第二次讲座")
    db.session.commit()


def test_the_record_page_says_how_far_the_year_is_from_met(client, staff, s1):
    """Short of hours: by how many; not recognised: the absence, as the home warns of it; exempt:
    the exemption's reason, with no reason of a year not met."""
    t1, t3, t4 = staff["t1"], staff["t3"], staff["t4"]
    login(client, staff["admin"], s1)
    assert _why(client.get(f"/teachers/{t1.id}/record?lang=zh_Hans_CN").text) == [HOURS_ZH]
    assert _why(client.get(f"/teachers/{t1.id}/record?lang=en").text) == [HOURS_EN]
    _absent_again(s1, staff)
    assert credits.teacher_year(t3, s1, YEAR).assessment.status == "not_recognised"
    html = client.get(f"/teachers/{t3.id}/record?lang=zh_Hans_CN").text
    assert _why(html) == [ABSENT_ZH]
    assert _why(client.get(f"/teachers/{t3.id}/record?lang=en").text) == [ABSENT_EN]
    exemptions.set_exemption(s1, staff["admin"], t4.id, YEAR, "长期病假")
    db.session.commit()
    html = client.get(f"/teachers/{t4.id}/record?lang=zh_Hans_CN").text
    assert "长期病假" in html and 'data-status="exempt"' in html and _why(html) == []


def test_the_record_page_names_each_quota_not_met_when_the_quotas_decide(client, staff, s1):
    """With 6 学时 required 何立新's hours are met; the school's quotas decide: each quota not met,
    with what is done of it, not only the first the verdict named."""
    schools.update_rules(s1, {"required_hours": 6, "quotas_decide": True, "reflections_per_semester": 0,
                              "books_per_semester": 0}, by=SYSTEM)
    db.session.commit()
    t1 = staff["t1"]
    login(client, staff["admin"], s1)
    assert _why(client.get(f"/teachers/{t1.id}/record?lang=zh_Hans_CN").text) == [
        "未达标：读书笔记（0 / 10,000 字）。", "未达标：论文或教学心得（0 / 1 篇）。"]
    assert _why(client.get(f"/teachers/{t1.id}/record?lang=en").text) == [
        "Not met: Reading notes (0 of 10,000 characters).", "Not met: Paper or teaching essay (0 of 1)."]


def test_the_record_pdf_says_why_in_its_note(client, staff, s1):
    """The 说明 of the 学时证明 (empty before for a year short of hours) holds the same sentences as
    the record page, in the language printed."""
    t1, t3 = staff["t1"], staff["t3"]
    login(client, staff["admin"], s1)
    _reader, text = _pdf(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}&lang=zh_Hans_CN").data)
    assert _flat(HOURS_ZH) in _flat(text)
    _reader, text = _pdf(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}&lang=en").data)
    assert HOURS_EN in " ".join(text.split())
    _absent_again(s1, staff)
    _reader, text = _pdf(client.get(f"/teachers/{t3.id}/record.pdf?year={YEAR}&lang=zh_Hans_CN").data, "record-why.pdf")
    assert _flat(ABSENT_ZH) in _flat(text)
    _reader, text = _pdf(client.get(f"/teachers/{t3.id}/record.pdf?year={YEAR}&lang=en").data)
    assert ABSENT_EN in " ".join(text.split())


def _verify_why(html: str, uid: int) -> list[str]:
    return [re.sub(r"<[^>]+>", "", s).strip()
            for s in re.findall(rf'data-testid="verify-why-{uid}">(.*?)</span>', html, re.S)]


def _figures_changed(html: str) -> list[list[str]]:
    if 'data-testid="verify-figures-changed"' not in html:
        return []
    changed = html.split('data-testid="verify-figures-changed"')[1].split("</div>")[0]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", changed, re.S)]
    return [cells[i:i + 3] for i in range(0, len(cells), 3)]


def test_verify_shows_and_compares_why_a_record_printed(client, staff, s1):
    """The page shows the reason the paper printed, in the reader's language, and says when it is
    no longer the year's (another lecture credited: 41 学时 short, not 44). A 学时证明 printed before
    the reason was kept (its figures with no ``why``) is not said to have changed for that."""
    t1 = staff["t1"]
    login(client, staff["admin"], s1)
    code = _code(_pdf(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}").data)[1]).replace("-", "")
    doc = verification.find(code)
    assert doc is not None
    old_content = {**doc.content, "lines": [{**line, verification.FIGURES: {
        k: v for k, v in line[verification.FIGURES].items() if k != "why"}} for line in doc.content["lines"]]}
    before = db.session.query(IssuedDocument).count()
    old = verification.issue("record", s1, YEAR, staff["admin"].id, old_content, user_id=t1.id)
    assert db.session.query(IssuedDocument).count() == before + 1
    anonymous = client.application.test_client()
    html = anonymous.get(f"/verify/{code}?lang=zh_Hans_CN").text
    assert _verify_why(html, t1.id) == [HOURS_ZH] and 'data-testid="verify-unchanged"' in html
    assert _verify_why(anonymous.get(f"/verify/{code}?lang=en").text, t1.id) == [HOURS_EN]
    html = anonymous.get(f"/verify/{old}?lang=zh_Hans_CN").text
    assert _verify_why(html, t1.id) == [] and 'data-testid="verify-unchanged"' in html

    credited(s1, staff, "lecture", [(t1, "attendee")], hours="3", attended={t1.id: "3"}, title="第二次讲座")
    db.session.commit()
    assert credits.teacher_year(t1, s1, YEAR).facts.total_hours == 9
    html = anonymous.get(f"/verify/{code}?lang=zh_Hans_CN").text
    assert _verify_why(html, t1.id) == [HOURS_ZH]  # as printed
    assert ["未达标原因", HOURS_ZH, "还差 41 学时：应修 50 学时，已认定 9 学时。"] in _figures_changed(html)
    english = anonymous.get(f"/verify/{code}?lang=en").text
    assert ["Why not met", HOURS_EN, "41 hours short: 9 of the 50 hours required were credited."] in _figures_changed(
        english)
    assert all(row[0] != "未达标原因" for row in _figures_changed(anonymous.get(f"/verify/{old}?lang=zh_Hans_CN").text))


def test_a_year_short_of_monthly_notes_says_so_in_words_with_the_months(client, staff, s1, time_machine):
    """The school asks a reading note each month and its quotas decide; 何立新 wrote September's and
    October's, not November's. The 说明 named the reason by its code (``quota_notes_monthly``); now it
    is words, and the reason in figures names the month short."""
    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    schools.update_rules(s1, {"required_hours": 6, "quotas_decide": True, "reading_notes_chars": 0,
                              "papers_per_year": 0, "reflections_per_semester": 0, "books_per_semester": 0,
                              "reading_notes_per_month": 1}, by=SYSTEM)
    _note(s1, t1, "《九月》", 9)
    _note(s1, t1, "《十月》", 10)
    ty = credits.teacher_year(t1, s1, YEAR)
    assert (ty.assessment.status, ty.assessment.reason) == ("short", "quota_notes_monthly")
    login(client, staff["admin"], s1)
    html = client.get(f"/teachers/{t1.id}/record?lang=zh_Hans_CN").text
    assert "未完成写作任务：每月读书笔记" in html and "quota_notes_monthly" not in html
    assert _why(html) == ["未达标：读书笔记达标月数（2 / 3 个月）。 未达标月份：2026年11月"]
    _reader, text = _pdf(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}&lang=en").data)
    said = " ".join(text.split())
    assert "Writing quota not met: reading notes every month" in said and "quota_notes_monthly" not in said
    assert "Not met: Months with enough reading notes (2 of 3 months). Months short: November 2026" in said
