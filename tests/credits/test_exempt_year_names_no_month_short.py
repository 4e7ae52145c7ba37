"""An exempt year asks nothing of the teacher: the home names no month short of reading notes
(hDB), but the printed 学时证明 still listed them, the ``/verify`` record kept the same list, and
the summary's spreadsheets and the district's exports named them; the API's ``Quota.short`` still
listed them after (hDT). One rule now (``year_texts.names_months_short``) for the home, the
writing page, the 学时证明, what ``/verify`` compares, every export and the API; a 学时证明 printed
before keeps its code and still verifies."""

from __future__ import annotations

from sqlalchemy import select

from portal import year_texts
from portal.extensions import db
from portal.models import IssuedDocument
from portal.reports import district_exports, exports
from portal.services import access, exemptions, submissions, users, verification
from tests.credits.test_monthly_notes_everywhere import CODE, _pdf_text, _two_months_written
from tests.credits.test_reading_notes_per_month import MID_DECEMBER, YEAR, _at, _monthly
from tests.support import factories as f
from tests.support.sessions import log_in

SHORT_ZH, SHORT_EN = "未达标月份", "Months short"


def _exempt_t1(s1, staff, time_machine):
    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    _two_months_written(s1, t1)
    assert _monthly(t1, s1).short == ("2026-11",)  # the fact stays: November holds no note
    exemptions.set_exemption(s1, staff["admin"], t1.id, YEAR, "长期病假")
    db.session.commit()
    return t1


def _api_months_short(client, who, school) -> dict[str, list[str]]:
    """The months the API names short of notes for t1: their own ``/me/writing`` (teacher) or the
    school's ``/reports/credits`` row (school admin)."""
    api = client.application.test_client()
    token = api.post("/api/v1/auth/token", json={"username": who.username, "password": f.PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}", "X-School": school.code}
    if who.username == "t1":
        quotas = api.get(f"/api/v1/me/writing?year={YEAR}", headers=headers).get_json()["quotas"]
    else:
        rows = api.get(f"/api/v1/reports/credits?year={YEAR}", headers=headers).get_json()["teachers"]
        quotas = next(r for r in rows if r["username"] == "t1")["quotas"]
    return {q["key"]: q.get("short", []) for q in quotas}


def _record_code(client, t1) -> str:
    text = _pdf_text(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}&lang=zh_Hans_CN").data)
    assert SHORT_ZH not in text.replace(" ", "").replace("\n", "") and "读书笔记达标月数" not in text.replace(" ", "")
    return CODE.search(text.replace(" ", ""))[1].replace("-", "")


def test_an_exempt_year_names_no_month_short_anywhere(client, s1, staff, time_machine):
    t1 = _exempt_t1(s1, staff, time_machine)
    log_in(client, t1, s1.id)
    for path in ("/?lang=zh_Hans_CN", "/writing?lang=zh_Hans_CN"):
        page = client.get(path).text
        assert 'data-testid="quota-notes_monthly-0"' in page and SHORT_ZH not in page, path
    for who in (t1, staff["admin"]):  # the API, as the teacher and as the school admin: no month short either
        short = _api_months_short(client, who, s1)
        assert "notes_monthly" in short and short["notes_monthly"] == [], (who.username, short)
    code = _record_code(client, t1)
    text = _pdf_text(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}&lang=en").data)
    assert SHORT_EN not in " ".join(text.split())
    doc = db.session.execute(select(IssuedDocument).where(IssuedDocument.code_hash == verification.digest(code))).scalar_one()
    assert doc.content["status"] == "exempt" and doc.content["lines"][0]["figures"]["quotas"] == {}
    html = client.application.test_client().get(f"/verify/{code}?lang=zh_Hans_CN").text
    assert 'data-testid="verify-unchanged"' in html and SHORT_ZH not in html
    for lang, words in (("zh", SHORT_ZH), ("en", SHORT_EN)):
        line = next(r for r in exports.summary_rows(s1, YEAR, lang) if r[0] == "t1")
        assert not any(words in str(cell) for cell in line), line
        assert ("2 / 3 个月" if lang == "zh" else "2 of 3 months") in line  # the figures stay
    # the figures a submission froze, on the district's page of the teacher and in its export
    sub = submissions.submit(s1, YEAR, by=access.actor(staff["admin"].id, s1.id))
    db.session.commit()
    row = next(r for r in sub.rows if r["user_id"] == t1.id)
    assert row["status"] == "exempt"
    assert SHORT_ZH not in district_exports._teacher_line(row, "zh")[-1]
    reviewer = users.create_user("qu.shenhe", f.PASSWORD, "区审核员", None, ["district_reviewer"],
                                 district_id=s1.district_id)
    db.session.commit()
    log_in(client, reviewer)
    page = client.get(f"/district/submissions/{sub.id}/teachers/{t1.id}?lang=zh_Hans_CN").text
    assert 'data-testid="teacher-quotas"' in page and SHORT_ZH not in page
    code_s1 = s1.code
    for lang, words in (("zh", SHORT_ZH), ("en", SHORT_EN)):  # the district's export of the schools' summaries
        district = [r for r in exports.district_rows(YEAR, lang) if r[0] == code_s1 and r[2] == "t1"]
        assert district and words not in district[0][-1], district


def test_the_rule_is_the_assessments(s1, staff, time_machine):
    """Only an exempt year: the same words for a year assessed otherwise, or not assessed here."""
    t1 = _exempt_t1(s1, staff, time_machine)
    q = _monthly(t1, s1)
    assert year_texts.quota_short(q, "zh", "exempt") == "" and year_texts.quota_cell(q, "zh", "exempt") == "2 / 3 个月"
    for status in ("short", "met", "not_recognised", None):
        assert year_texts.quota_short(q, "zh", status) == "未达标月份：2026年11月"


def test_the_api_names_the_months_of_a_year_not_exempt(client, s1, staff, time_machine):
    """The API names November short for t1 while the year is not exempt: the rule above, not an
    API that never names a month."""
    _at(time_machine, MID_DECEMBER)
    t1 = staff["t1"]
    _two_months_written(s1, t1)
    db.session.commit()
    for who in (t1, staff["admin"]):
        assert _api_months_short(client, who, s1)["notes_monthly"] == ["2026-11"], who.username


def test_a_record_printed_before_still_verifies_unchanged(client, s1, staff, time_machine):
    """A 学时证明 of the exempt year printed before the rule kept its short months (its code is an
    HMAC of that content): the code is still found, and what it printed is read by today's rule,
    so nothing is called changed that did not change."""
    t1 = _exempt_t1(s1, staff, time_machine)
    log_in(client, t1, s1.id)
    code = _record_code(client, t1)
    doc = db.session.execute(select(IssuedDocument).where(IssuedDocument.code_hash == verification.digest(code))).scalar_one()
    old = dict(doc.content)
    line = dict(old["lines"][0])
    q = _monthly(t1, s1)
    line["figures"] = {**line["figures"], "quotas": {"notes_monthly-0": {
        "key": q.key, "semester": q.semester, "done": q.done, "target": q.target, "unit": q.unit, "short": list(q.short)}}}
    old["lines"] = [line]
    old.pop("taken_at", None)
    old_code = verification.issue("record", s1, YEAR, doc.issued_by, old, user_id=t1.id)
    db.session.commit()
    assert old_code != code and verification.find(old_code) is not None
    html = client.application.test_client().get(f"/verify/{old_code}?lang=zh_Hans_CN").text
    assert 'data-testid="verify-unchanged"' in html and 'data-testid="verify-figures-changed"' not in html
