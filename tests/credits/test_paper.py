"""The printed forms (WeasyPrint PDFs) read back with pypdf, and the verification page.

Each PDF: page count, every row and column heading in the extracted text (nothing cut),
the Noto CJK font embedded, a verification code that ``/verify/<code>`` answers without a
login, and that later says when hours were revoked.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from portal.extensions import db
from portal.models import Activity, IssuedDocument, School
from portal.reports import exports
from portal.services import exemptions, verification
from tests.credits.conftest import build_school_and_staff
from tests.credits.helpers import credited, login
from tests.support import factories as f
from tests.support.sessions import forged_host

YEAR = "2026-2027"
CODE = re.compile(r"([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})")
# 何立新 is the name the issue saw broken one character per line
NAMES = ["何立新", "吴晓燕", "周建国", "孙丽华"]


ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "paper"


def _pdf(data: bytes, name: str | None = None) -> tuple[PdfReader, str]:
    """The PDF read back (and kept under test-artifacts/paper/ for a person to look at)."""
    assert data.startswith(b"%PDF-")
    if name:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / name).write_bytes(data)
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _embedded_fonts(reader: PdfReader) -> set[str]:
    """Base names of the fonts whose program is embedded in the PDF (FontFile, 2 or 3)."""
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            for desc in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
                fd = desc.get("/FontDescriptor")
                if fd is not None and any(k in fd.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    names.add(str(font["/BaseFont"]))
    return names


def _assert_cjk_embedded(reader: PdfReader) -> None:
    fonts = _embedded_fonts(reader)
    assert any("NotoSansCJK" in n.replace("-", "") or "Noto-Sans-CJK" in n for n in fonts), fonts


def _code(text: str) -> str:
    found = CODE.search(text.replace(" ", ""))
    assert found, "no verification code printed"
    return found.group(1)


def _build_world() -> dict:
    """A lecture: t1 speaker, t2 attendee on leave (请假 3 h), t3 absent without leave 3 h: ids."""
    facts = build_school_and_staff()
    s1 = db.session.get(School, facts["s1"])
    staff = f.people_of(facts["staff"])
    t1, t2, t3 = staff["t1"], staff["t2"], staff["t3"]
    for user, name in zip((t1, t2, t3, staff["t4"]), NAMES, strict=True):
        user.display_name = name
    act = credited(s1, staff, "lecture", [(t1, "speaker"), (t2, "attendee"), (t3, "attendee")], hours="3",
                   attended={t1.id: "3", t2.id: "0", t3.id: "0"}, excused={t2.id: "3"}, absent={t3.id: "3"},
                   title="新课标专题讲座")
    return {**facts, "act": act.id}


@pytest.fixture
def prepared(request):
    """The ``app`` fixture's database: the lecture's world for the tests that use it, else S1 and staff."""
    return _build_world if "world" in request.fixturenames else build_school_and_staff


@pytest.fixture
def world(s1, staff, make_app, prepared):
    return {"act": db.session.get(Activity, make_app.facts(prepared)["act"])}


def test_certificate_pdf(client, world, staff, s1):
    login(client, staff["admin"], s1)
    r = client.get(f"/activities/{world['act'].id}/certificate.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    reader, text = _pdf(r.data, "certificate.pdf")
    assert len(reader.pages) == 1
    _assert_cjk_embedded(reader)
    for heading in ("序号", "姓名", "角色", "实到学时", "认定学时", "备注", "签名", "审核人", "学校盖章", "日期"):
        assert heading in text, heading
    for name in NAMES[:3]:
        assert name in text
    assert "2026—2027学年 第一学期" in text
    assert "请假 3 学时" in text and "未请假缺席 3 学时" in text
    assert "2026-2027 / 1" not in text
    # the speaker heads the form, the attendees (the type's default role) follow by pinyin
    assert text.index(NAMES[0]) < text.index(NAMES[1]) < text.index(NAMES[2])  # 何立新 (speaker), 吴晓燕, 周建国


def test_certificate_pdf_verifies_and_then_shows_the_revocation(client, world, staff, s1):
    login(client, staff["admin"], s1)
    _reader, text = _pdf(client.get(f"/activities/{world['act'].id}/certificate.pdf").data)
    code = _code(text)
    assert f"/verify/{code.replace('-', '')}" in text.replace(" ", "").replace("\n", "")
    anonymous = client.application.test_client()
    page = anonymous.get(f"/verify/{code.replace('-', '')}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="verify-genuine"' in html and "新课标专题讲座" in html and "何立新" in html
    assert 'data-testid="verify-unchanged"' in html
    # typed by hand, lower case with the dashes: the same document
    assert anonymous.get(f"/verify/{code.lower()}").status_code == 200
    f.fire(world["act"], staff["reviewer"], "revoke", "出勤有误")
    html = anonymous.get(f"/verify/{code.replace('-', '')}").get_data(as_text=True)
    assert 'data-testid="verify-changed"' in html and "何立新" in html.split('data-testid="verify-changed"')[1]


def test_a_certificate_not_listing_a_teacher_credited_since_says_so_on_verification(client, world, staff, s1):
    """Auditor: the 学分认定表 was printed, then the lecture revoked, returned, 孙丽华 added to its
    roster and credited again. Every printed line kept its hours, so ``/verify`` said "unchanged"
    beside a form that no longer lists everyone the activity credits."""
    from portal.services import activities

    login(client, staff["admin"], s1)
    act = world["act"]
    code = _code(_pdf(client.get(f"/activities/{act.id}/certificate.pdf").data)[1]).replace("-", "")
    anonymous = client.application.test_client()
    assert 'data-testid="verify-unchanged"' in anonymous.get(f"/verify/{code}").get_data(as_text=True)
    f.fire(act, staff["reviewer"], "revoke", "漏登一位教师")
    f.fire(act, staff["reviewer"], "return", "请补登")
    activities.set_participants(act, staff["organizer"], [{"user_id": staff["t4"].id, "role": "attendee"}])
    f.attend(act, staff["organizer"], hours={staff["t2"].id: "0", staff["t3"].id: "0"},
             excused={staff["t2"].id: "3"}, absent={staff["t3"].id: "3"})
    for trigger in ("approve", "credit"):
        f.fire(act, staff["reviewer"], trigger)
    db.session.commit()
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-testid="verify-unchanged"' not in html and 'data-testid="verify-changed"' not in html
    since = html.split('data-testid="verify-not-listed"')[1].split("</div>")[0]
    assert "本表未列出、但现已获本活动学时的教师" in since and NAMES[3] in since and ">3<" in since
    assert all(name not in since for name in NAMES[:3])


def test_the_verification_link_is_on_the_public_address_whatever_the_host_header(client, world, staff, s1):
    """The printed link and its QR point at ``PUBLIC_URL``: a request with a forged ``Host``
    must not print a certificate whose link leads to the forger's site."""
    client.application.config["PUBLIC_URL"] = "https://yanxiu.example.edu.cn/portal/"
    login(client, staff["admin"], s1)
    r = client.get(f"/activities/{world['act'].id}/certificate.pdf", headers=forged_host(client, "evil.example"))
    assert r.status_code == 200, (r.status_code, r.headers)
    _reader, text = _pdf(r.data)
    flat = text.replace(" ", "").replace("\n", "")
    assert "evil.example" not in flat
    assert f"https://yanxiu.example.edu.cn/portal/verify/{_code(text).replace('-', '')}" in flat


def test_codes_are_unguessable_and_stored_as_a_digest(client, world, staff, s1):
    login(client, staff["admin"], s1)
    codes = {_code(_pdf(client.get(f"/activities/{world['act'].id}/certificate.pdf").data)[1]) for _ in range(3)}
    assert len(codes) == 1  # the same paper printed again: its code (a code per version of the figures)
    from portal.extensions import db

    stored = {d.code_hash for d in db.session.query(IssuedDocument)}
    assert len(stored) == 1
    for code in codes:
        plain = code.replace("-", "")
        assert len(plain) * 5 >= 160  # base32: 5 bits a character
        assert plain not in stored and verification.digest(plain) in stored
    anonymous = client.application.test_client()
    for bad in ("A" * 32, "nonsense", "1" * 40):
        r = anonymous.get(f"/verify/{bad}")
        assert r.status_code == 404
        assert 'data-testid="verify-unknown"' in r.get_data(as_text=True)



@pytest.mark.parametrize("typed", ["../../x", "a/b", "..", "/", "ABCD-EFGH?x=1", "A" * 100, "验证码"])
def test_a_typed_code_that_is_no_code_is_answered_on_the_verify_page(client, typed):
    """``/verify?code=../../x`` went on to ``/verify/../../x``, which the browser reads as ``/x``:
    the site's own 404, not "no such code". A typed value that is no code is answered where it
    was typed (404, the verify page's words), with nothing issued or looked up."""
    r = client.get("/verify", query_string={"code": typed})
    assert r.status_code == 404 and r.location is None
    html = r.get_data(as_text=True)
    assert 'data-testid="verify-unknown"' in html and "验证码" in html
    assert r.headers["Cache-Control"] == "no-store"


def test_a_typed_code_goes_on_to_its_page(client, world, staff, s1):
    login(client, staff["admin"], s1)
    code = _code(_pdf(client.get(f"/activities/{world['act'].id}/certificate.pdf").data)[1])
    anonymous = client.application.test_client()
    r = anonymous.get("/verify", query_string={"code": f" {code.lower().replace('-', ' ')} "})
    assert r.status_code == 302 and r.location.endswith(f"/verify/{code.replace('-', '')}")
    assert 'data-testid="verify-genuine"' in anonymous.get(r.location).get_data(as_text=True)



def _words_drawn_over_each_other(data: bytes, folder: Path) -> list[tuple[str, str]]:
    """Pairs of words of one line (pdftotext's boxes) drawn over each other, on any page."""
    import subprocess
    from html import unescape

    (folder / "form.pdf").write_bytes(data)
    out = subprocess.run(["pdftotext", "-bbox", str(folder / "form.pdf"), "-"], capture_output=True, text=True,
                         check=True).stdout
    found = []
    for page in re.findall(r"<page [^>]*>(.*?)</page>", out, re.S):
        words = [(float(a), float(b), float(c), float(d), unescape(t)) for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)]
        for i, (x0, y0, x1, y1, text) in enumerate(words):
            for u0, v0, u1, v1, other in words[i + 1:]:
                if abs((y0 + y1) - (v0 + v1)) < 2 and x0 < u1 - 0.5 and u0 < x1 - 0.5:  # one line, boxes cross
                    found.append((text, other))
    return found


#: names a school has: a Uyghur name with its middle dot, a foreign teacher's, a formula-like one
LONG_NAMES = ["阿卜杜热合曼·买买提明", "Alexandria Montgomery-Featherstonehaugh", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_long_name_wraps_in_its_column_on_every_form(client, s1, staff, tmp_path, lang):
    """A name wider than its column (24 mm) was printed on one line across the next columns: on
    the 学分认定表 and the 学时汇总表 the role and the hours stood on top of it, unreadable. A
    name now wraps within its column (between words, inside one only where it does not fit)."""
    people = [f.person(s1, f"long{i}", "teacher", name=name) for i, name in enumerate(LONG_NAMES)]
    act = credited(s1, staff, "lecture", [(p, "attendee") for p in people], hours="2.5", title="专题讲座")
    login(client, staff["admin"], s1)
    if lang == "en":
        client.get("/lang/en")
    for url in (f"/activities/{act.id}/certificate.pdf", f"/reports/summary.pdf?year={YEAR}"):
        data = client.get(url).data
        assert _words_drawn_over_each_other(data, tmp_path) == [], url
        flat = _pdf(data)[1].replace(" ", "").replace("\n", "")
        for name in LONG_NAMES:
            assert name.replace(" ", "") in flat, (url, name)


def test_summary_pdf_landscape_many_rows_per_page(client, s1, staff):
    # 64 teachers, a third of them exempt (a long note), one credited activity for everyone
    people = [f.person(s1, f"p{i:02d}", "teacher", name=f"{NAMES[i % 4]}{i:02d}") for i in range(64)]
    admin = staff["admin"]
    for p in people[::3]:
        exemptions.set_exemption(s1, admin, p.id, YEAR, "临近退休，经学校培训领导小组研究同意免于考核")
    old = f.person(s1, "old", "teacher", name="欧阳建国", gender="F", birth_date=date(1970, 5, 1))
    credited(s1, staff, "lecture", [(p, "attendee") for p in people[:20]] + [(old, "attendee")], hours="2")
    login(client, staff["reviewer"], s1)
    r = client.get(f"/reports/summary.pdf?year={YEAR}")
    assert r.status_code == 200
    reader, text = _pdf(r.data, "summary.pdf")
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    rows = 64 + 1 + 7  # the people, 欧阳建国, the staff fixture
    assert len(reader.pages) <= -(-rows // 30)  # 30+ rows a page, the signatures included
    numbered = re.compile(r"^(\d+) \S", re.M)  # a row starts with its number
    assert [len(numbered.findall(page.extract_text())) >= 30 for page in reader.pages[:-1]] == [True] * (len(reader.pages) - 1)
    for page in reader.pages:  # the header on every page; the signatures never alone on a page
        assert numbered.search(page.extract_text())
        assert "合计学时" in page.extract_text() and "考核结果" in page.extract_text()
    for p in people:
        assert p.display_name in text  # never broken one character per line
    assert "欧阳建国" in text
    for heading in ("姓名", "专题讲座", "应修学时", "说明", "制表人", "审核人", "学校盖章", "日期"):
        assert heading in text, heading
    last = reader.pages[-1].extract_text()
    assert "制表人" in last and "学校盖章" in last
    _assert_cjk_embedded(reader)
    _code(text)


def test_record_pdf(client, world, staff, s1):
    login(client, staff["t1"], s1)
    r = client.get(f"/teachers/{staff['t1'].id}/record.pdf?year={YEAR}")
    assert r.status_code == 200
    reader, text = _pdf(r.data, "record.pdf")
    assert len(reader.pages) == 1
    _assert_cjk_embedded(reader)
    for heading in ("学时证明", "何立新", "新课标专题讲座", "专题讲座", "合计学时", "应修学时", "考核结果", "学校盖章"):
        assert heading in text, heading
    assert "2026-10-15" in text and "2026—2027学年" in text
    # its semester in words, as every page writes it, never a bare number (hCY's phone walk saw "1")
    line = next(ln for ln in text.splitlines() if "2026-10-15" in ln)
    assert "第一学期" in line and not re.search(r"(?<![\d.])1(?![\d.])", line.replace("2026-10-15", "")), line
    code = _code(text).replace("-", "")
    html = client.application.test_client().get(f"/verify/{code}").get_data(as_text=True)
    assert "何立新" in html and "6" in html
    # the activities the paper lists are on the verification page too, with their dates and hours:
    # a line altered on the paper, its total kept, shows
    listed = re.search(r'data-testid="verify-entries">(.*?)</table>', html, re.S)
    assert listed and "所列活动" in html
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", listed[1], re.S)]
    assert cells == ["2026-10-15", "新课标专题讲座", "专题讲座", "第一学期", "6", ""]  # as printed: its type and semester too
    # someone else's record: refused like the page
    assert client.get(f"/teachers/{staff['t2'].id}/record.pdf?year={YEAR}").status_code == 403


def test_the_record_says_where_an_absence_happened(client, world, staff, s1):
    """The year's absence is a sum; the record (page and paper) lists the activity it comes from,
    with leave and unexcused absence told apart as on the certification form (t1 missed nothing)."""
    login(client, staff["admin"], s1)
    act = world["act"]
    for who, said in (("t2", "请假 3 学时"), ("t3", "未请假缺席 3 学时")):
        html = client.get(f"/teachers/{staff[who].id}/record").get_data(as_text=True)
        row = re.search(rf'<tr data-testid="record-absence-of-{act.id}"[^>]*>(.*?)</tr>', html, re.S)
        assert row, who
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)]
        assert cells == ["2026-10-15", "新课标专题讲座", "第一学期", said], who
        assert "缺勤记录" in html
        reader, text = _pdf(client.get(f"/teachers/{staff[who].id}/record.pdf?year={YEAR}").data, f"record-{who}.pdf")
        assert len(reader.pages) == 1 and "缺勤记录" in text and said in text, who
        printed = [ln for ln in text.splitlines() if "2026-10-15" in ln]
        assert printed and all("第一学期" in ln for ln in printed), (who, printed)  # as the page writes it
    html = client.get(f"/teachers/{staff['t1'].id}/record").get_data(as_text=True)
    assert "record-absence-of-" not in html and "缺勤记录" not in html


def test_the_form_of_an_activity_over_several_days_gives_its_first_and_last_day(client, world, staff, s1):
    """A 40-hour research project runs over days: the form said only the day it began."""
    t1 = staff["t1"]
    act = credited(s1, staff, "research", [(t1, "leader")], hours="40", title="多日课题",
                   start=datetime(2026, 11, 16, 0, 30))
    first, last = (exports.local_day(t, s1.timezone) for t in (act.starts_at, act.ends_at))
    assert first == "2026-11-16" and last > first
    login(client, staff["admin"], s1)
    _reader, text = _pdf(client.get(f"/activities/{act.id}/certificate.pdf").data)
    assert f"{first} 至 {last}" in text
    _reader, text = _pdf(client.get(f"/activities/{world['act'].id}/certificate.pdf?lang=en").data)
    assert "2026-10-15" in text and " to 2026" not in text  # one day: its day alone


def test_certificates_zip(client, world, staff, s1):
    credited(s1, staff, "research", [(staff["t1"], "leader")], hours="2", title="课题")
    login(client, staff["admin"], s1)
    r = client.get(f"/reports/certificates.zip?year={YEAR}")
    assert r.status_code == 200 and r.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.data)) as zf:
        names = zf.namelist()
        assert len(names) == 2 and all(n.endswith(".pdf") for n in names)
        texts = [_pdf(zf.read(n))[1] for n in names]
    assert any("新课标专题讲座" in t for t in texts) and any("课题" in t for t in texts)
    assert client.get("/reports/certificates.zip?year=2026-2028").status_code == 422


def test_the_zip_names_each_form_by_the_day_it_prints(client, s1, staff):
    """1 September 00:30 in Beijing is 31 August in UTC: the form, the record and the ledger
    export date the activity 1 September, and so does its file in the ZIP."""
    act = credited(s1, staff, "lecture", [(staff["t4"], "attendee")], hours="2", title="开学第一课",
                   start=datetime(2026, 9, 1, 0, 30))
    assert exports.local_day(act.starts_at, s1.timezone) == "2026-09-01"
    login(client, staff["admin"], s1)
    with zipfile.ZipFile(io.BytesIO(client.get(f"/reports/certificates.zip?year={YEAR}").data)) as zf:
        assert zf.namelist() == [f"2026-09-01-{act.id}.pdf"]


def test_teacher_may_not_print_certificates(client, world, staff, s1):
    login(client, staff["t1"], s1)
    assert client.get(f"/activities/{world['act'].id}/certificate.pdf").status_code == 403
    assert client.get(f"/reports/certificates.zip?year={YEAR}").status_code == 403
    assert client.get(f"/reports/summary.pdf?year={YEAR}").status_code == 403


def test_certificate_xlsx_has_signature_rows_and_remarks(world):
    ws = load_workbook(io.BytesIO(exports.certificate_xlsx(world["act"]))).worksheets[0]
    values = [c for r in ws.iter_rows(values_only=True) for c in r if isinstance(c, str)]
    assert "2026—2027学年 第一学期" in values
    assert any("请假 3 学时" in v for v in values) and any("未请假缺席 3 学时" in v for v in values)
    assert "签名" in values and "学校盖章" in values


def test_a_record_whose_assessment_changed_since_it_was_printed_says_so_on_verification(client, world, staff, s1):
    """何立新's 学时证明 printed 50 h, 达标. A lecture she missed without leave (5 h) is then
    confirmed: her hours stay 50 but the year is 不予认定. The verification page went on saying
    "no hours have been revoked or changed" beside a certificate saying 达标; now it shows the
    assessment printed and the one of today."""
    t1 = staff["t1"]
    credited(s1, staff, "lecture", [(t1, "attendee")], hours="44")
    login(client, staff["admin"], s1)
    _reader, text = _pdf(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}").data)
    assert "达标" in text and "未达标" not in text
    code = _code(text).replace("-", "")
    anonymous = client.application.test_client()
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-testid="verify-unchanged"' in html and 'data-testid="verify-status">达标<' in html
    assert "<th>考核结果</th>" in html
    credited(s1, staff, "lecture", [(t1, "attendee")], hours="5", attended={t1.id: "0"}, absent={t1.id: "5"})
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-testid="verify-unchanged"' not in html
    changed = html.split('data-testid="verify-status-changed"')[1].split("</div>")[0]
    assert "达标" in changed and "不予认定" in changed
    english = anonymous.get(f"/verify/{code}?lang=en").get_data(as_text=True)
    assert "printed Met, now Not recognised." in english


def test_a_summary_whose_assessments_changed_since_it_was_printed_says_so_on_verification(client, world, staff, s1):
    """The printed 学时汇总表 gives each teacher's 考核结果 beside the hours. After it was printed, a
    lecture 孙丽华 missed without leave (5 h) is confirmed and 周建国 is exempted: no hours move,
    but both assessments do. ``/verify`` compared the hours alone and went on saying "no hours
    have been revoked or changed" beside a form saying 未达标 for both (the 学时证明 was checked
    for its assessment, the summary was not); now it names each teacher whose assessment changed,
    printed and today's, today's as the summary page shows it."""
    t3, t4 = staff["t3"], staff["t4"]
    login(client, staff["admin"], s1)
    _reader, text = _pdf(client.get(f"/reports/summary.pdf?year={YEAR}").data)
    code = _code(text).replace("-", "")
    anonymous = client.application.test_client()
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-testid="verify-unchanged"' in html and 'data-testid="verify-status-changed"' not in html
    credited(s1, staff, "lecture", [(t4, "attendee")], hours="5", attended={t4.id: "0"}, absent={t4.id: "5"},
             until="reviewed")
    exemptions.set_exemption(s1, staff["admin"], t3.id, YEAR, "长期病假")
    db.session.commit()
    summary = client.get(f"/reports/summary?year={YEAR}").get_data(as_text=True)
    now = {u.username: re.search(rf'data-testid="status-{u.username}" data-status="(\w+)"', summary).group(1)
           for u in (t3, t4)}
    assert now == {t3.username: "exempt", t4.username: "not_recognised"}, now
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-testid="verify-unchanged"' not in html and 'data-testid="verify-changed"' not in html
    changed = html.split('data-testid="verify-status-changed"')[1].split("</div>")[0]
    # printed while the year is under way: short so far reads in progress (assessment.so_far)
    for name, printed, today in ((NAMES[2], "进行中（学年结束时评定）", "免于考核"),
                                 (NAMES[3], "进行中（学年结束时评定）", "不予认定")):
        assert re.search(rf"{name}\W*打印时为“{printed}”，现为“{today}”", changed), changed
    assert NAMES[0] not in changed and NAMES[1] not in changed  # the others' assessments are as printed
    english = anonymous.get(f"/verify/{code}?lang=en").get_data(as_text=True)
    was = "printed In progress (not judged before the year ends), now"
    assert f"{was} Exempt." in english and f"{was} Not recognised." in english



def test_the_verify_page_shows_the_assessment_each_summary_line_printed(client, world, staff, s1):
    """An auditor holds a 学时汇总表 and its ``/verify`` page side by side: the page listed each
    teacher's printed hours but not the 考核结果 printed beside them, so a printout whose 未达标
    was altered to 达标 matched everything the page showed. Each line now shows the assessment
    it printed (in the reader's language); a 学分认定表, which prints none, has no such column."""
    login(client, staff["admin"], s1)
    code = _code(_pdf(client.get(f"/reports/summary.pdf?year={YEAR}").data)[1]).replace("-", "")
    doc = verification.find(code)
    assert doc is not None
    printed = {int(line["user_id"]): line["status"] for line in doc.content["lines"]}
    anonymous = client.application.test_client()
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    lines = html.split('id="verify-lines"')[1].split("</table>")[0]
    assert "<th>考核结果</th>" in lines
    for user_id, status in printed.items():
        cell = re.search(rf'data-testid="verify-status-{user_id}">([^<]*)<', lines)
        assert cell and cell.group(1) == {"in_progress": "进行中（学年结束时评定）", "met": "达标"}[status], (user_id, status)
    assert "in_progress" in printed.values()  # the year under way: short so far is not printed 未达标
    english = anonymous.get(f"/verify/{code}?lang=en").get_data(as_text=True)
    assert re.search(r'data-testid="verify-status-\d+">In progress \(not judged before the year ends\)<', english)
    cert = _code(_pdf(client.get(f"/activities/{world['act'].id}/certificate.pdf").data)[1]).replace("-", "")
    lines = anonymous.get(f"/verify/{cert}").get_data(as_text=True).split('id="verify-lines"')[1].split("</table>")[0]
    assert "verify-status-" not in lines and "考核结果" not in lines


def test_the_english_forms_headings_wrap_in_their_columns(client, world, staff, s1):
    """Auditor: on the English 学分认定表 "Hours attended", "Hours credited" and "Remark" were
    kept on one line each in 19 mm columns and printed over one another ("Hours atteHdedrs
    creditRedmark" as the text reads)."""
    login(client, staff["admin"], s1)
    _reader, text = _pdf(client.get(f"/activities/{world['act'].id}/certificate.pdf?lang=en").data)
    words = set(text.split())
    assert {"Hours", "attended", "credited", "Remark", "Signature"} <= words, text[:400]


def test_a_record_whose_activities_changed_with_its_total_kept_says_so_on_verification(client, world, staff, s1):
    """Auditor: 何立新's 学时证明 lists 教研活动甲 (4 h). It is revoked and 教研活动乙 (4 h) credited:
    her total is what the paper says, and ``/verify`` said "no hours have been revoked or
    changed" beside a list with an activity she no longer has credit for. It compares the
    activities listed now, line by line."""
    t1 = staff["t1"]
    first = credited(s1, staff, "lecture", [(t1, "attendee")], hours="4", title="教研活动甲")
    login(client, staff["admin"], s1)
    _reader, text = _pdf(client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}").data)
    code = _code(text).replace("-", "")
    anonymous = client.application.test_client()
    assert 'data-testid="verify-unchanged"' in anonymous.get(f"/verify/{code}").get_data(as_text=True)
    f.fire(first, staff["reviewer"], "revoke", "签到表有误")
    credited(s1, staff, "lecture", [(t1, "attendee")], hours="4", title="教研活动乙")
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-testid="verify-changed"' not in html  # the total is as printed ...
    assert 'data-testid="verify-unchanged"' not in html  # ... the list is not
    changed = html.split('data-testid="verify-entries-changed"')[1].split("</div>")[0]
    new = [row for row in changed.split("<tr") if 'data-testid="verify-entry-new"' in row]
    assert len(new) == 2 and "记录中新增" in new[0]
    assert any("教研活动甲" in row and "已撤销" in row for row in new), new  # its reversal
    assert any("教研活动乙" in row for row in new)
    assert 'data-testid="verify-entry-gone"' not in changed  # the ledger keeps the line printed
    english = anonymous.get(f"/verify/{code}?lang=en").get_data(as_text=True)
    assert "The activities listed changed since this document was issued" in english


def test_a_summary_without_a_teacher_of_the_year_says_so_on_verification(client, world, staff, s1):
    """Auditor: a 学时汇总表 printed before a teacher joined (or was given credit for the year)
    stayed "unchanged" though the school's year has a teacher it does not list."""
    login(client, staff["admin"], s1)
    _reader, text = _pdf(client.get(f"/reports/summary.pdf?year={YEAR}").data)
    code = _code(text).replace("-", "")
    anonymous = client.application.test_client()
    assert 'data-testid="verify-unchanged"' in anonymous.get(f"/verify/{code}").get_data(as_text=True)
    newcomer = f.person(s1, "newcomer", "teacher", name="郑新来")
    credited(s1, staff, "lecture", [(newcomer, "attendee")], hours="6", title="新教师培训")
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-testid="verify-unchanged"' not in html
    missing = html.split('data-testid="verify-not-listed"')[1].split("</div>")[0]
    assert "本学年有下列教师未列入本文件" in missing and "郑新来" in missing and ">6<" in missing
    assert all(name not in missing for name in NAMES)


def test_a_summary_listing_a_teacher_no_longer_on_the_year_says_so_on_verification(client, world, staff, s1):
    """Auditor: 孙丽华 is on the printed 学时汇总表 with 0 h, then leaves the school with nothing
    that year, so the year no longer lists her. ``/verify`` compared 0 with 0 and said
    "unchanged" beside a form listing a teacher the school's year no longer has."""
    from portal.services import access
    from portal.services import staff as staff_service

    login(client, staff["admin"], s1)
    _reader, text = _pdf(client.get(f"/reports/summary.pdf?year={YEAR}").data)
    code = _code(text).replace("-", "")
    anonymous = client.application.test_client()
    assert 'data-testid="verify-unchanged"' in anonymous.get(f"/verify/{code}").get_data(as_text=True)
    staff_service.deactivate(s1, staff["t4"].id, by=access.actor(staff["admin"].id, s1.id))
    db.session.commit()
    html = anonymous.get(f"/verify/{code}").get_data(as_text=True)
    assert 'data-testid="verify-unchanged"' not in html and 'data-testid="verify-changed"' not in html
    gone = html.split('data-testid="verify-no-longer"')[1].split("</div>")[0]
    assert "本文件所列下列教师已不在本学年名单中" in gone and NAMES[3] in gone
    assert all(name not in gone for name in NAMES[:3])


def test_a_whole_schools_certificate_runs_over_pages_readably(client, s1, staff):
    """A lecture for the whole staff (sixty teachers) is a 学分认定表 of several pages: each page
    repeats the column headings, no teacher's row is split between two pages (the number, name,
    hours and the signature box stay together) and the signatures under the table are not left
    alone on a page of their own."""
    people = [f.person(s1, f"w{i:02d}", "teacher", name=f"{NAMES[i % 4]}{i:02d}") for i in range(60)]
    act = credited(s1, staff, "lecture", [(p, "attendee") for p in people], hours="2", title="全校专题讲座")
    login(client, staff["reviewer"], s1)
    r = client.get(f"/activities/{act.id}/certificate.pdf")
    assert r.status_code == 200
    reader, text = _pdf(r.data, "certificate-long.pdf")
    assert len(reader.pages) >= 2
    names, numbers = [p.display_name for p in people], []
    for n, page in enumerate(reader.pages):
        page_text = page.extract_text()
        for heading in ("序号", "姓名", "实到学时", "认定学时", "签名"):
            assert heading in page_text, (n, heading)  # the headings on every page
        # each row whole on its page: its number, the name, the role and both hours on one line
        for name in names:
            if name in page_text:
                line = next(line for line in page_text.splitlines() if name in line)
                row = re.fullmatch(rf"\s*(\d+) {name} 听讲教师 2 2\s*", line)
                assert row, (n, name, line)
                numbers.append(int(row[1]))
    assert sorted(numbers) == list(range(1, 61))  # every teacher once, numbered in order
    last = reader.pages[-1].extract_text()
    assert "审核人" in last and any(name in last for name in names)  # the signatures follow a row, not alone
    _assert_cjk_embedded(reader)


def test_a_long_record_repeats_its_headings_on_every_page(client, s1, staff):
    """A teacher's 学时证明 of forty activities runs over pages: each repeats the columns'
    headings, every activity is printed once and whole, and the totals and verdict stay together."""
    t1 = staff["t1"]
    t1.display_name = "何立新"
    for i in range(40):
        credited(s1, staff, "lecture", [(t1, "attendee")], hours="1", title=f"校本讲座第{i + 1:02d}讲",
                 start=datetime(2026, 9, 7 + i // 8, 6 + i % 8))
    login(client, t1, s1)
    r = client.get(f"/teachers/{t1.id}/record.pdf?year={YEAR}")
    assert r.status_code == 200
    reader, text = _pdf(r.data, "record-long.pdf")
    assert len(reader.pages) >= 2
    for n, page in enumerate(reader.pages):
        page_text = page.extract_text().replace(" ", "")
        if "校本讲座" in page_text:
            for heading in ("活动时间", "活动名称", "活动类型", "学时"):
                assert heading in page_text, (n, heading)
    titles = [f"校本讲座第{i + 1:02d}讲" for i in range(40)]
    flat = text.replace(" ", "")
    assert all(flat.count(t) == 1 for t in titles), [t for t in titles if flat.count(t) != 1]
    holding = [n for n, page in enumerate(reader.pages) if "合计学时" in page.extract_text()]
    assert len(holding) == 1 and "考核结果" in reader.pages[holding[0]].extract_text()
