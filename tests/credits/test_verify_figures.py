"""What ``/verify/<code>`` keeps and shows of a printed form: every figure it states.

A district auditor compares the paper with the page line by line. Only each line's total and
assessment were kept with the code, so a forger who altered a type's hours on a 学时汇总表, or
an absence on a 学时证明, was not caught. Now every figure the form prints that an assessment
reads is kept — from the very objects the form is rendered from, read once — and shown, in the
reader's language; a later change of the year does not change what an old code shows (the page
says which figures differ now, and since when). The rows are append-only, as the ledger. Any
text that is no code gets the verify page's 404, never an error.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from portal.extensions import db
from portal.models import Activity, IssuedDocument
from portal.services import credits, verification
from portal.services.ledger import AppendOnlyViolation
from tests.credits.helpers import credited, login
from tests.credits.test_paper import NAMES, YEAR, _build_world, _code, _pdf
from tests.support import factories as f
from tests.support.spies import calls_of


@pytest.fixture
def prepared():
    return _build_world


@pytest.fixture
def world(s1, staff, make_app, prepared) -> dict[str, Any]:
    return {"act": db.session.get(Activity, make_app.facts(prepared)["act"])}


def _cell(html: str, testid: str) -> str | None:
    found = re.search(rf'data-testid="{re.escape(testid)}"[^>]*>(.*?)</td>', html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else None


def _printed(client, staff, s1, path: str) -> str:
    login(client, staff["admin"], s1)
    return _code(_pdf(client.get(path).data)[1]).replace("-", "")


def _absence_recorded_as_leave(act: Activity, staff) -> None:
    """周建国's 3 h of unexcused absence from the lecture recorded as leave instead: revoked,
    returned, attendance corrected, approved and credited again (his 0 h credited unchanged)."""
    org, rev, t3 = staff["organizer"], staff["reviewer"], staff["t3"]
    f.fire(act, rev, "revoke", "请假条补交")
    f.fire(act, rev, "return", "请更正周建国的缺勤")
    f.attend(act, org, {staff["t1"].id: "3", staff["t2"].id: "0", t3.id: "0"}, {}, {staff["t2"].id: "3", t3.id: "3"})
    f.fire(act, rev, "approve", "材料齐全")
    f.fire(act, rev, "credit")


def test_a_summary_keeps_and_shows_each_type_s_hours_and_each_semester_s_absence(client, world, staff, s1, monkeypatch):
    """何立新 (speaker) printed 6 h of 专题讲座, 周建国 3 h of unexcused absence in semester 1: a
    forger changing either on the paper finds the page showing the printed figure. The year was
    read once for the form and what its code keeps (the same rows)."""
    read = calls_of(monkeypatch, credits, "school_summary")
    code = _printed(client, staff, s1, f"/reports/summary.pdf?year={YEAR}")
    assert len(read) == 1
    doc = verification.find(code)
    assert doc is not None and doc.content["types"] == credits.type_keys_for_year(YEAR, s1.id)
    t1, t2, t3 = staff["t1"].id, staff["t2"].id, staff["t3"].id
    html = client.application.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert _cell(html, f"verify-type-{t1}-lecture") == "6" and _cell(html, f"verify-type-{t1}-observation") == "0"
    assert _cell(html, f"verify-absent-{t3}-1") == "3" and _cell(html, f"verify-absent-{t3}-2") == "0"
    assert _cell(html, f"verify-absent-{t2}-1") == "0"  # on leave: no unexcused absence
    required = credits.teacher_year(staff["t1"], s1, YEAR).facts.required_hours
    assert _cell(html, f"verify-required-{t1}") == verification.hours_text(required)
    assert "专题讲座" in html.split('id="verify-lines"')[1].split("</thead>")[0]
    assert 'data-testid="verify-taken-at"' in html and 'data-testid="verify-unchanged"' in html
    english = client.application.test_client().get(f"/verify/{code}?lang=en").get_data(as_text=True)
    assert "Lecture" in english.split('id="verify-lines"')[1].split("</thead>")[0] and "专题讲座" not in english


def test_a_record_keeps_its_absences_and_shows_them_as_printed_after_the_year_changed(client, world, staff, s1, monkeypatch):
    """周建国's 学时证明 printed 3 h of unexcused absence in semester 1. Another lecture he missed
    (2 h) is credited after: the page still shows what the paper printed, and says which figures
    differ now and since when."""
    t3 = staff["t3"]
    read = calls_of(monkeypatch, credits, "teacher_year")
    code = _printed(client, staff, s1, f"/teachers/{t3.id}/record.pdf?year={YEAR}")
    assert len(read) == 1  # the figures printed and kept: one reading of the year
    doc = verification.find(code)
    assert doc is not None
    kept = dict(doc.content)
    anonymous = client.application.test_client()
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert _cell(html, f"verify-absent-{t3.id}-1") == "3" and _cell(html, f"verify-hours-{t3.id}") == "0"
    absences = html.split('data-testid="verify-absences"')[1].split("</table>")[0]
    assert "新课标专题讲座" in absences and "未请假缺席 3 学时" in absences
    assert 'data-testid="verify-differ-since"' not in html

    credited(s1, staff, "lecture", [(t3, "attendee")], hours="2", attended={t3.id: "0"}, absent={t3.id: "2"},
             title="第二次讲座")
    db.session.commit()
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert _cell(html, f"verify-absent-{t3.id}-1") == "3"  # as printed, not today's 5
    assert "第二次讲座" not in html.split('data-testid="verify-absences"')[1].split("</table>")[0]
    changed = html.split('data-testid="verify-figures-changed"')[1].split("</div>")[0]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", changed)]
    rows = [cells[i:i + 3] for i in range(0, len(cells), 3)]
    assert ["第一学期未请假缺席学时", "3", "5"] in rows, rows  # and the reason (说明) it now has, with it
    assert 'data-testid="verify-differ-since"' in html and 'data-testid="verify-unchanged"' not in html
    db.session.expire_all()
    assert verification.find(code).content == kept  # type: ignore[union-attr]
    english = anonymous.get(f"/verify/{code}?lang=en").get_data(as_text=True)
    assert "unexcused absence 3 h" in english and "The current figures differ from this document since" in english


def test_a_certificate_keeps_each_line_s_role_attended_hours_and_remark(client, world, staff, s1):
    """The 学分认定表 prints each teacher's role, hours attended, hours credited and 备注 (leave,
    absence): all on the page, in the reader's language, with the days it was approved and credited."""
    act = world["act"]
    code = _printed(client, staff, s1, f"/activities/{act.id}/certificate.pdf")
    t1, t2, t3 = staff["t1"].id, staff["t2"].id, staff["t3"].id
    anonymous = client.application.test_client()
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    lines = html.split('id="verify-lines"')[1].split("</table>")[0]
    assert "主讲人" in lines and "听讲教师" in lines
    assert _cell(html, f"verify-attended-{t1}") == "3" and _cell(html, f"verify-hours-{t1}") == "6"
    assert _cell(html, f"verify-remark-{t2}") == "请假 3 学时" and _cell(html, f"verify-remark-{t3}") == "未请假缺席 3 学时"
    assert _cell(html, "verify-type") == "专题讲座" and _cell(html, "verify-planned") == "3"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", _cell(html, "verify-credited-on") or "")
    assert "2026—2027学年 第一学期" in html
    english = anonymous.get(f"/verify/{code}?lang=en").get_data(as_text=True)
    assert _cell(english, f"verify-remark-{t2}") == "excused absence (leave) 3 h" and "Speaker" in english


def test_a_certificate_whose_absences_changed_since_it_was_printed_says_so(client, world, staff, s1):
    """Attack: the 学分认定表 printed 周建国 absent without leave 3 h (the absence that counts
    towards voiding his year). The credits were revoked, the lecture returned, his 3 h recorded
    as leave instead, and it was approved and credited again: the same 0 h credited. Only the
    credited hours were compared, so ``/verify`` still said nothing had changed, and a district
    auditor holding the paper took its absence for today's. Each line's role, hours attended
    and 备注 are compared too: the page names what differs now, and since when."""
    act, t3 = world["act"], staff["t3"]
    code = _printed(client, staff, s1, f"/activities/{act.id}/certificate.pdf")
    anonymous = client.application.test_client()
    assert 'data-testid="verify-unchanged"' in anonymous.get(f"/verify/{code}").get_data(as_text=True)
    _absence_recorded_as_leave(act, staff)
    db.session.commit()
    assert credits.activity_net_hours(act.id).get(t3.id, 0) == 0  # his credited hours did not move
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-testid="verify-unchanged"' not in html and 'data-testid="verify-differ-since"' in html
    assert _cell(html, f"verify-remark-{t3.id}") == "未请假缺席 3 学时"  # what the paper printed
    changed = html.split('data-testid="verify-figures-changed"')[1].split("</div>")[0]
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", changed)]
    rows = [cells[i:i + 4] for i in range(0, len(cells), 4)]
    assert rows == [[NAMES[2], "备注", "未请假缺席 3 学时", "请假 3 学时"]], rows
    english = anonymous.get(f"/verify/{code}?lang=en").get_data(as_text=True)
    assert "unexcused absence 3 h" in english.split('data-testid="verify-figures-changed"')[1].split("</div>")[0]


def test_a_document_printed_before_the_figures_were_kept_shows_what_it_had(client, world, staff, s1):
    """Old rows keep working: a 学时汇总表 and a 学时证明 kept with their totals and assessments
    only show those, with no empty columns and nothing said changed that was never kept."""
    t1 = staff["t1"]
    summary = verification.issue("summary", s1, YEAR, staff["admin"].id, {
        "title": s1.name, "lines": [{"user_id": t1.id, "name": NAMES[0], "hours": "6", "status": "short"}]})
    record = verification.issue("record", s1, YEAR, staff["admin"].id, {
        "title": NAMES[0], "status": "short", "lines": [{"user_id": t1.id, "name": NAMES[0], "hours": "6"}],
        "entries": [{"day": "2026-10-15", "title": "新课标专题讲座", "hours": "6", "kind": "credit"}]})
    anonymous = client.application.test_client()
    for code in (summary, record):
        r = anonymous.get(f"/verify/{code}")
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and 'data-testid="verify-genuine"' in html
        assert _cell(html, f"verify-hours-{t1.id}") == "6"
        assert f"verify-required-{t1.id}" not in html and "verify-figures-changed" not in html
        assert 'data-testid="verify-taken-at"' not in html
    html = anonymous.get(f"/verify/{record}").get_data(as_text=True)
    entries = html.split('data-testid="verify-entries"')[1].split("</table>")[0]
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", entries)] == [
        "2026-10-15", "新课标专题讲座", "6"]


def test_what_a_code_certified_cannot_be_changed_or_deleted(client, world, staff, s1):
    """The snapshot is append-only like the ledger: the ORM refuses, and so does the database
    (SQL past the ORM; PostgreSQL's TRUNCATE too). What the code shows stays as printed."""
    code = verification.issue("summary", s1, YEAR, staff["admin"].id, {
        "title": s1.name, "lines": [{"user_id": staff["t1"].id, "name": NAMES[0], "hours": "6", "status": "met"}]})
    db.session.commit()
    doc = verification.find(code)
    assert doc is not None
    doc.content = {**doc.content, "lines": []}
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyViolation):
        db.session.execute(IssuedDocument.__table__.delete().where(IssuedDocument.id == doc.id))  # type: ignore[arg-type]
    db.session.rollback()
    db.session.remove()
    statements = ["UPDATE issued_document SET content = '{}'", "DELETE FROM issued_document"]
    if db.engine.dialect.name == "postgresql":
        statements += ["TRUNCATE issued_document", "TRUNCATE school CASCADE"]
    for statement in statements:
        with db.engine.connect() as conn:
            with pytest.raises(DBAPIError, match="append-only"):
                conn.execute(text(statement))
            conn.rollback()
    found = verification.find(code)
    assert found is not None and found.content["lines"][0]["hours"] == "6"


BAD = ["A" * 10_000, "ABCD" * 8 + "A", "ABCD-" * 20, "Ａ" * 31, "验证码", "\u3000", " \t\n ", "A" * 31 + "é",
       "ß" * 16, "１２３", "../../x", "A\u200bB" * 16, "ABCD\u2014EFGH", "A" * 32 + "\u0301"]


@pytest.mark.parametrize("bad", BAD)
def test_text_that_is_no_code_gets_the_verify_page_s_404(client, bad):
    """Overlong, non-ASCII, whitespace: typed in the form or put in the address, the verify
    page's 404 (or, for nothing but spaces typed, the form again), never an error or a redirect
    elsewhere. (A NUL character is refused before any page, by the portal's request guard.)"""
    r = client.get("/verify", query_string={"code": bad})
    if bad.strip():
        assert r.status_code == 404 and r.location is None, bad
        assert 'data-testid="verify-unknown"' in r.get_data(as_text=True)
    else:
        assert r.status_code == 200 and 'name="code"' in r.get_data(as_text=True)
    if "/" in bad:
        return  # not one path segment: the route is not reached
    r = client.get(f"/verify/{bad}")
    assert r.status_code == 404 and 'data-testid="verify-unknown"' in r.get_data(as_text=True), bad
    assert r.headers["Cache-Control"] == "no-store"


def test_a_genuine_code_typed_in_full_width_is_found(client, world, staff, s1):
    """A Chinese input method in full-width mode types ＡＢＣＤ－ＥＦＧＨ: the same letters, found
    (NFKC); a letter outside ASCII that only looks like one is no code."""
    code = verification.issue("summary", s1, YEAR, staff["admin"].id, {"title": s1.name, "lines": []})
    wide = "".join(chr(ord(c) + 0xFEE0) for c in verification.grouped(code))
    assert verification.normalise(wide) == code
    assert verification.normalise("\u3000".join(code[i:i + 4] for i in range(0, 32, 4))) == code
    assert verification.normalise(code[:-1] + "Ä") is None
    r = client.get("/verify", query_string={"code": wide})
    assert r.status_code == 302 and r.location.endswith(f"/verify/{code}")


def test_codes_are_160_bits_keyed_by_the_secret_and_text_far_longer_is_not_worked_on(app):
    """Enumeration: 32 base32 letters of an HMAC-SHA256 keyed from ``SECRET_KEY`` (2^160; no rate
    limit makes guessing any less hopeless, and without the key no one can work a code out from
    the figures). A text longer than any typed code is refused before it is searched."""
    args = ("summary", 1, YEAR, 1, {"title": "S", "lines": []})
    code = verification.code_for(*args)
    assert verification.CODE_BYTES * 8 == 160 and len(code) == 32 and verification.normalise(code) == code
    assert verification.code_for(*args) == code  # the same paper, the same code
    app.config["SECRET_KEY"] = "another-secret-key-of-the-same-length-as-any"
    assert verification.code_for(*args) != code  # keyed: not to be worked out without the key
    spaced = " ".join(code)
    assert len(spaced) <= verification.TYPED_MOST and verification.normalise(spaced) == code
    assert verification.normalise(code + " " * verification.TYPED_MOST) is None


def test_the_migration_protects_documents_printed_before_it_and_keeps_them_as_they_were(app, s1, staff):
    """``d3b8f2a6c4e1`` adds only triggers: a document issued before it (no triggers yet, its
    snapshot of that time) is kept as it was, still verifies, and can no longer be changed;
    downgraded, the triggers are gone again (SQLite and PostgreSQL alike)."""
    from flask_migrate import downgrade, upgrade

    db.session.remove()
    downgrade(revision="d2b6f8a4c1e7")  # the revision before it
    code = verification.issue("summary", s1, YEAR, staff["admin"].id, {
        "title": s1.name, "lines": [{"user_id": staff["t1"].id, "name": NAMES[0], "hours": "6", "status": "met"}]})
    with db.engine.begin() as conn:  # unprotected before the migration
        conn.execute(text("UPDATE issued_document SET school_year = school_year"))
    db.session.remove()
    upgrade()
    with db.engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("UPDATE issued_document SET school_year = school_year"))
        conn.rollback()
    doc = verification.find(code)
    assert doc is not None and doc.content["lines"][0]["hours"] == "6"
    assert _cell(app.test_client().get(f"/verify/{code}").get_data(as_text=True), f"verify-hours-{staff['t1'].id}") == "6"


def test_a_record_whose_absences_were_swapped_for_others_of_the_same_hours_says_so(client, world, staff, s1):
    """Attack: 周建国's 学时证明 printed his 3 h of unexcused absence from 新课标专题讲座. That
    absence was recorded as leave instead (revoked, returned, corrected, credited again: 0 h
    still), and 3 h he missed of another lecture in the same semester were recorded: each
    semester's total, his hours and his assessment are those printed, so ``/verify`` compared
    only those and said nothing had changed. The absences are compared line by line — which
    activity, which day, how many hours — and the page names the one gone and the one new."""
    act, t3 = world["act"], staff["t3"]
    code = _printed(client, staff, s1, f"/teachers/{t3.id}/record.pdf?year={YEAR}")
    anonymous = client.application.test_client()
    assert 'data-testid="verify-unchanged"' in anonymous.get(f"/verify/{code}").get_data(as_text=True)
    _absence_recorded_as_leave(act, staff)
    credited(s1, staff, "lecture", [(t3, "attendee")], hours="3", attended={t3.id: "0"}, absent={t3.id: "3"},
             title="第二次讲座")
    db.session.commit()
    ty = credits.teacher_year(t3, s1, YEAR)
    assert ty.facts.total_hours == 0 and ty.facts.absent_hours.get(1) == 3  # the totals printed
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-testid="verify-unchanged"' not in html and 'data-testid="verify-differ-since"' in html
    changed = html.split('data-testid="verify-absences-changed"')[1].split("</div>")[0]
    gone = changed.split('data-testid="verify-absence-gone"')[1].split("</tr>")[0]
    new = changed.split('data-testid="verify-absence-new"')
    assert "新课标专题讲座" in gone and "未请假缺席 3 学时" in gone
    assert len(new) == 3  # the lecture now on leave, and the other one
    assert any("第二次讲座" in row and "未请假缺席 3 学时" in row for row in new[1:])
    assert any("新课标专题讲座" in row and "请假 3 学时" in row for row in new[1:])
    assert "verify-figures-changed" not in html  # no total differs
