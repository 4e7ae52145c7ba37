"""Paper and screen in a real Chromium (zh-CN).

* Each printable form (学分认定表, 学时汇总表, 成长档案) printed by Chromium itself to PDF
  (``page.pdf``, print media) and read back: page count, every row and column heading in the
  text, the CJK font embedded. The portal's own PDFs (WeasyPrint) are fetched through the
  page's download buttons and verified at ``/verify/<code>`` with no login.
* Screenshots of every main page at 1366×768 and 375×667 into ``test-artifacts/screenshots/``;
  on the phone the summary keeps 合计 and 考核结果 on screen and an activity page says its state
  and next step in words before the (folded) diagram.
"""

from __future__ import annotations

import io
import re
import unicodedata

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from portal import jobs
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 667}
CODE = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){7}")


# Chromium's PDFs map some glyphs to radicals (⽰ for 示, ⻆ for 角): read them as the characters
RADICALS = str.maketrans("⻆⻅⻓⻔⻋⻚⻢⻝⻬⻰⻄⻩⻘⻛⻜⻦⻥⻨⻤", "角见长门车页马食齐龙西黄青风飞鸟鱼麦鬼")


def _chars(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(RADICALS)


def _read(data: bytes, name: str) -> tuple[PdfReader, str]:
    assert data.startswith(b"%PDF-"), name
    target = SCREENSHOTS.parent / "paper" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    reader = PdfReader(io.BytesIO(data))
    return reader, _chars("\n".join(p.extract_text() for p in reader.pages))


def _cjk_embedded(reader: PdfReader, type3: bool = False) -> bool:
    """The Noto CJK font is embedded (a FontFile of a font named …CJK…). Chromium (Skia)
    embeds the glyphs of the CFF collection as Type3 glyph programs instead: with ``type3``,
    those count when the text extracted is Chinese."""
    for page in reader.pages:
        for ref in page["/Resources"].get_object().get("/Font", {}).values():
            font = ref.get_object()
            if type3 and font.get("/Subtype") == "/Type3" and font.get("/CharProcs"):
                if re.search(r"[\u4e00-\u9fff]", page.extract_text()):
                    return True
            if "CJK" not in str(font.get("/BaseFont", "")):
                continue
            for desc in [font, *(d.get_object() for d in font.get("/DescendantFonts", []))]:
                fd = desc.get("/FontDescriptor")
                if fd is not None and any(k in fd.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    return True
    return False


def _visible_names(session, selector: str) -> list[str]:
    return session.page.locator(selector).evaluate_all("els => els.map(e => e.textContent.trim())")


def test_chromium_prints_each_form(browse, live_server):
    credited = live_server.activity_id("observation", "credited")
    s = browse(locale="zh-CN", viewport=DESKTOP)
    s.login("admin")
    forms = [
        (f"/activities/{credited}/certificate", "certificate", False,
         ["序号", "姓名", "角色", "实到学时", "认定学时", "备注", "签名", "2026—2027学年第一学期"],
         "#participants tbody td:nth-child(2)"),
        ("/reports/summary", "summary", True,
         ["姓名", "合计", "应修", "考核结果", "说明"], "#summary tbody td.name-cell"),
    ]
    for path, name, landscape, headings, names_selector in forms:
        s.goto(path)
        names = _visible_names(s, names_selector)
        assert names, name
        s.page.emulate_media(media="print")
        pdf = s.page.pdf(format="A4", landscape=landscape, print_background=True)
        s.page.emulate_media(media="screen")
        reader, text = _read(pdf, f"chromium-{name}.pdf")
        # the summary laid out across A4 (summary-print.css), no longer shrunk from a portrait layout: a page more
        # (the summary's columns sized to their content: its nine teachers took four pages of three rows)
        assert 1 <= len(reader.pages) <= (2 if landscape else 3), (name, len(reader.pages))
        flat = text.replace(" ", "").replace("\n", "")
        for heading in headings:
            assert heading in flat, (name, heading)
        for person in names:
            assert person.replace(" ", "") in flat, (name, person)  # nothing clipped at the right edge
        assert _cjk_embedded(reader, type3=True), name
    # the teacher's record: printed from their own page
    t = browse(locale="zh-CN", viewport=DESKTOP)
    t.login("teacher1")
    t.goto("/")
    record = t.page.locator("a[href*='/record']").first.get_attribute("href")
    t.goto(record)
    t.page.emulate_media(media="print")
    reader, text = _read(t.page.pdf(format="A4"), "chromium-record.pdf")
    assert _cjk_embedded(reader, type3=True) and "合计" in text.replace(" ", "")


def test_portal_pdfs_download_and_verify(browse, live_server):
    credited = live_server.activity_id("observation", "credited")
    s = browse(locale="zh-CN", viewport=DESKTOP)
    s.login("admin")
    s.goto(f"/activities/{credited}/certificate")
    href = s.page.get_by_test_id("certificate-pdf").get_attribute("href")
    r = s.page.request.get(live_server(href))
    assert r.status == 200 and r.headers["content-type"] == "application/pdf"
    reader, text = _read(r.body(), "portal-certificate.pdf")
    assert len(reader.pages) == 1 and _cjk_embedded(reader)
    code = CODE.search(text.replace(" ", "")).group(0)
    s.goto("/reports/summary")
    r = s.page.request.get(live_server(s.page.get_by_test_id("summary-pdf").get_attribute("href")))
    reader, _text = _read(r.body(), "portal-summary.pdf")
    assert float(reader.pages[0].mediabox.width) > float(reader.pages[0].mediabox.height)
    # all 学分认定表 of the year as one PDF, prepared by the real worker behind the progress page
    with s.page.expect_navigation():
        s.page.get_by_test_id("certificates-pdf").click()
    with jobs.running_worker(live_server.app):
        expect(s.page.get_by_test_id("export-download")).to_be_visible(timeout=60_000)
    s.screenshot("main-desktop-admin-export-job")
    r = s.page.request.get(live_server(s.page.get_by_test_id("export-download").get_attribute("href")))
    assert r.status == 200 and r.headers["content-type"] == "application/pdf"
    reader, text = _read(r.body(), "portal-certificates-merged.pdf")
    assert len(set(CODE.findall(text.replace(" ", "")))) >= 2 and _cjk_embedded(reader)
    # anyone holding the paper: no login
    anyone = browse(locale="zh-CN", viewport=PHONE, is_mobile=True)
    anyone.goto(f"/verify/{code.replace('-', '')}")
    expect(anyone.page.get_by_test_id("verify-genuine")).to_be_visible()
    anyone.assert_fits_width("verify page")
    anyone.screenshot("main-phone-anonymous-verify")
    anyone.ignore_console("404")
    anyone.goto("/verify/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", expect_status=404)
    expect(anyone.page.get_by_test_id("verify-unknown")).to_be_visible()
    anyone.goto("/verify")
    anyone.page.fill("#code", code.lower())
    with anyone.page.expect_navigation():
        anyone.page.locator("form [type=submit]").click()
    expect(anyone.page.get_by_test_id("verify-genuine")).to_be_visible()


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


@pytest.mark.slow
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_screenshots_of_every_main_page(browse, live_server, size):
    held = live_server.activity_id("lecture", "held")
    planned = live_server.activity_id("lecture", "planned")
    credited = live_server.activity_id("observation", "credited")
    teacher1 = live_server.user_id("teacher1")
    pages = {
        # 成长档案 (the teacher's record), notifications, check-in (before the scan)
        "teacher1": ["/", "/activities", f"/activities/{held}", f"/teachers/{teacher1}/record", "/notifications",
                     f"/checkin/{planned}"],
        "organizer": ["/activities/new/lecture", f"/activities/{held}"],
        "reviewer": ["/review", f"/activities/{credited}"],
        "admin": ["/reports/summary", f"/activities/{credited}/certificate", "/admin/staff", "/admin/types",
                  "/admin/staff/import", "/admin/audit", "/admin/audit?view=staff", "/admin/exemptions", "/admin/rules",
                  "/admin/groups",
                  "/school-plan", f"/activities/{planned}/checkin/screen"],
        "district": ["/district", "/district/dashboard"],
    }
    viewport, options = (DESKTOP, {}) if size == "desktop" else (PHONE, {"is_mobile": True, "has_touch": True})
    for old in SCREENSHOTS.glob(f"main-{size}-*.png"):  # count this run's pictures, not an earlier run's
        old.unlink()
    for role, paths in pages.items():
        s = browse(locale="zh-CN", viewport=viewport, **options)
        s.login(role)
        for path in paths:
            s.goto(path)
            s.assert_fits_width(f"{size} {role} {path}")
            s.screenshot(f"main-{size}-{role}-{_slug(path)}")
        s.assert_no_problems()
    assert len(list(SCREENSHOTS.glob(f"main-{size}-*.png"))) >= 15


def test_phone_summary_keeps_total_and_status_on_screen(browse):
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login("admin")
    s.goto("/reports/summary")
    s.assert_fits_width("summary")
    row = s.page.locator("#summary tbody tr").first
    for cell in (row.locator("td.total"), row.locator("td.status-cell")):
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5
    assert s.page.locator("#summary").evaluate("t => t.closest('.table-responsive').scrollWidth") <= PHONE["width"]


def test_phone_activity_page_says_state_and_next_step_first(browse, live_server):
    held = live_server.activity_id("lecture", "held")
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login("reviewer")
    s.goto(f"/activities/{held}")
    now = s.page.get_by_test_id("workflow-now")
    expect(now).to_contain_text("已举行")
    expect(s.page.get_by_test_id("workflow-next")).to_contain_text("（")
    expect(s.page.get_by_test_id("workflow-diagram")).to_be_hidden()
    assert now.bounding_box()["y"] < s.page.get_by_test_id("workflow-details").bounding_box()["y"]
    timeline = s.page.get_by_test_id("timeline").inner_text()
    assert not re.search(r"(\S+) → \1", timeline), timeline


A4_PORTRAIT = {"width": 718, "height": 1000}  # 190 mm between 10 mm margins, at 96 px an inch
SCREEN_ONLY = "nav.navbar, [data-testid=district-tabs], .pagination, form[method=get], .btn"
CUT_BOXES = """() => [...document.querySelectorAll('.table-responsive, .workflow-scroll')]
  .filter(b => b.getBoundingClientRect().width > 0 && b.scrollWidth > b.clientWidth + 1)
  .map(b => (b.querySelector('[data-testid]') || b).getAttribute('data-testid') || b.className)"""
SHOWN = """(sel) => [...document.querySelectorAll(sel)].filter(e => e.getBoundingClientRect().width > 0)
  .map(e => e.getAttribute('data-testid') || e.className).slice(0, 5)"""


@pytest.mark.parametrize(("role", "paths"), [
    ("district", ["/district/submissions/{submission}", "/district/dashboard", "/district"]),
    ("admin", ["/submission", "/admin/audit", "/activities", "/"]),
    ("reviewer", ["/activities/{held}", "/activities/{credited}/certificate"]),
    ("teacher1", ["/teachers/{teacher1}/record"]),  # 成长档案 and 学分认定表 printed from their pages (the
])                                                 # 学时汇总表 prints across: test_chromium_prints_each_form)
def test_pages_print_within_the_paper(browse, live_server, role, paths):
    """Printed (print media, A4 portrait): a page is no wider than the paper, no table is cut at
    a scrolling box's edge, and the screen's controls stay off the paper. A submission's figures
    (1153 px in a box of 718) lost 考核结果 and the district's comment; the district's tabs, forms
    and pages links were printed (their .no-print was defined only in reports.css); a row's
    gutter ran 8 px past the edge; the workflow diagram (868 px) was cut."""
    from tests.browser.test_browser_phone import _submission_id

    ids = {"submission": _submission_id(live_server), "held": live_server.activity_id("lecture", "held"),
           "credited": live_server.activity_id("observation", "credited"), "teacher1": live_server.user_id("teacher1")}
    s = browse(locale="zh-CN", viewport=DESKTOP)
    s.login(role)
    for path in (p.format(**ids) for p in paths):
        s.goto(path)
        s.page.locator("details.workflow-details").evaluate_all("els => els.forEach(d => d.open = true)")
        s.page.emulate_media(media="print")
        s.page.set_viewport_size(A4_PORTRAIT)
        assert s.page.evaluate("() => document.documentElement.scrollWidth") <= A4_PORTRAIT["width"], path
        assert s.page.evaluate(CUT_BOXES) == [], path
        assert s.page.evaluate(SHOWN, SCREEN_ONLY) == [], path
        if "frozen" in s.page.content():  # every figure of the first teacher within the paper
            cells = s.page.locator("[data-testid=frozen-table] tbody tr").first.locator("td")
            for n in range(cells.count()):
                box = cells.nth(n).bounding_box()
                assert box and box["x"] + box["width"] <= A4_PORTRAIT["width"] + 0.5, (path, n, box)
        s.page.emulate_media(media="screen")
        s.page.set_viewport_size(DESKTOP)


def test_paper_says_what_the_hidden_filters_chose(browse):
    """Print CSS hides the filters and year pickers: a printed activities list did not say which
    type or year it was filtered to, nor the district's overview which year it counted. On paper
    the list now says what it was filtered by, in words, and the overview's heading has its year;
    on screen the filters say it themselves."""
    s = browse(locale="zh-CN", viewport=DESKTOP)
    s.login("admin")
    s.goto("/activities?type=lecture&year=2026-2027&semester=1")
    chosen = s.page.get_by_test_id("filters-printed")
    expect(chosen).to_be_hidden()
    s.page.emulate_media(media="print")
    expect(chosen).to_be_visible()
    expect(chosen).to_have_text("类型 专题讲座 · 学年 2026-2027 · 学期 第一学期")
    d = browse(locale="zh-CN", viewport=DESKTOP)
    d.login("district")
    d.goto("/district?year=2026-2027")
    d.page.emulate_media(media="print")
    expect(d.page.locator("h1")).to_contain_text("2026—2027学年")  # as the school writes it


def test_a_records_verify_page_fits_the_phone_that_scanned_it(browse, live_server):
    """The QR code of a teacher's 学时证明 opens /verify on a phone: its table of totals
    (合计学时 · 应修学时 · each semester's absence · 考核结果 · 说明, four columns) made the page
    406 px wide on a 390 px screen, the 应修学时 off its edge. Each figure now has its own row."""
    t = browse(locale="zh-CN", viewport=DESKTOP)
    t.login("teacher1")
    r = t.page.request.get(live_server(f"/teachers/{live_server.user_id('teacher1')}/record.pdf"))
    assert r.status == 200 and r.headers["content-type"] == "application/pdf"
    _reader, text = _read(r.body(), "portal-record.pdf")
    code = CODE.search(text.replace(" ", "")).group(0).replace("-", "")
    for locale, lang in (("zh-CN", "zh"), ("en-US", "en")):
        anyone = browse(locale=locale, viewport={"width": 390, "height": 844}, is_mobile=True)
        anyone.goto(f"/verify/{code}?lang={lang}")
        expect(anyone.page.get_by_test_id("verify-genuine")).to_be_visible()
        expect(anyone.page.locator("#verify-lines")).to_be_visible()
        anyone.assert_fits_width(f"a record's verify page ({lang})")


def test_the_summary_page_prints_across_the_paper(browse):
    """The 学时汇总表's web page printed in portrait squeezed its many columns; it asks for A4
    landscape (summary-print.css), as its PDF is — the other report pages stay portrait."""
    s = browse(locale="zh-CN", viewport=DESKTOP)
    s.login("admin")

    def first_page(path: str) -> tuple[float, float]:
        s.goto(path)
        s.page.emulate_media(media="print")
        box = PdfReader(io.BytesIO(s.page.pdf(prefer_css_page_size=True))).pages[0].mediabox
        s.page.emulate_media(media="screen")
        return float(box.width), float(box.height)

    width, height = first_page("/reports/summary")
    assert width > height and round(width / 72 * 25.4) == 297, (width, height)  # A4 across, in mm
    width, height = first_page("/admin/exemptions")
    assert width < height, (width, height)


A4_LANDSCAPE = {"width": 1032, "height": 700}  # 273 mm between 12 mm margins
ROW_HEIGHTS = """() => [...document.querySelectorAll('#summary tbody tr')].map(tr => {
  const warn = tr.querySelector('td.warnings'), line = parseFloat(getComputedStyle(tr.querySelector('td')).lineHeight);
  return {name: tr.querySelector('td.name-cell').innerText.trim(), lines: tr.getBoundingClientRect().height / line,
          warnings: warn.getBoundingClientRect().width, note: tr.querySelector('td.note-cell').getBoundingClientRect().width,
          badges: warn.querySelectorAll('.badge').length};
})"""


def test_the_printed_summarys_notes_and_warnings_have_room(browse):
    """Printed from its page (A4 across) the 学时汇总表's columns were an equal share each: the
    figures' columns as wide as the warnings', which wrapped one character a line (读/书/笔/记…),
    so a teacher's row was eleven lines high. Columns now take their content's width: the note
    and the warnings read in lines of words and a row is a few lines high."""
    s = browse(locale="zh-CN", viewport=DESKTOP)
    s.login("admin")
    s.goto("/reports/summary")
    s.page.emulate_media(media="print")
    s.page.set_viewport_size(A4_LANDSCAPE)
    assert s.page.evaluate("() => document.documentElement.scrollWidth") <= A4_LANDSCAPE["width"]
    rows = s.page.evaluate(ROW_HEIGHTS)
    assert len(rows) >= 9
    for row in rows:
        assert row["warnings"] >= 140 and row["note"] >= 80, row  # 16% / 10% of the paper's width
        # two lines a warning at most (the demo's teachers have up to four: an absence and three quotas behind)
        assert row["lines"] <= 2 * max(row["badges"], 3) + 0.5, row


#: each heading of the summary's figures (types, quotas): its text and the lines it takes
HEADING_LINES = """() => [...document.querySelectorAll('#summary thead th.num:not(.absence)')].map(th => {
  const range = document.createRange();
  range.selectNodeContents(th);
  return {text: th.innerText.replace(/\\s/g, ''), lines: new Set([...range.getClientRects()].map(r => Math.round(r.top))).size};
})"""


def test_the_printed_summarys_figure_headings_keep_two_characters_a_line(browse):
    """Printed from its page (A4 across) the narrow figures' headings broke one character a line
    (专/题/讲/座, 应/修): each now holds two characters a line (专题/讲座) and the table still
    fits the paper."""
    s = browse(locale="zh-CN", viewport=DESKTOP)
    s.login("admin")
    s.goto("/reports/summary")
    s.page.emulate_media(media="print")
    s.page.set_viewport_size(A4_LANDSCAPE)
    headings = s.page.evaluate(HEADING_LINES)
    assert len(headings) >= 8 and any(h["text"] == "专题讲座" for h in headings), headings
    for heading in headings:
        assert heading["lines"] <= -(-len(heading["text"]) // 2), heading
    assert s.page.evaluate("() => document.documentElement.scrollWidth") <= A4_LANDSCAPE["width"]


def test_the_printed_home_lists_every_activity_of_the_forecast(browse):
    """On screen the home's forecast folds all but five activities in a <details>; Chromium
    prints a closed <details> as its summary alone (「其余 12 项活动」 and none of the twelve).
    Paper lists them all, without the toggle, and the to-do list before the forecast."""
    s = browse(locale="zh-CN", viewport=DESKTOP)
    s.login("teacher1")
    s.goto("/")
    titles = _visible_names(s, "[data-testid=forecast-pending] > li > a")
    folded = s.page.locator("[data-testid=forecast-rest] > li > a").evaluate_all(
        "els => els.map(e => e.textContent.trim())")
    summary = s.page.get_by_test_id("forecast-more-summary").inner_text()
    todo = _visible_names(s, "[data-testid=waiting-list] > li > a")
    assert len(titles) == 5 and folded and todo, (titles, folded, todo)
    s.page.emulate_media(media="print")
    seen = "els => els.filter(e => e.checkVisibility()).length"
    assert s.page.locator("[data-testid=forecast-rest] > li").evaluate_all(seen) == len(folded)
    assert s.page.locator("[data-testid=forecast-more-summary]").evaluate_all(seen) == 0
    tops = [s.page.get_by_test_id(t).bounding_box()["y"] for t in ("hours-card", "waiting-list", "forecast")]
    assert tops == sorted(tops), tops  # the hours, what is to do, then what is coming
    reader, text = _read(s.page.pdf(format="A4"), "chromium-home.pdf")
    s.page.emulate_media(media="screen")
    flat = text.replace(" ", "").replace("\n", "")
    assert _chars(summary).replace(" ", "") not in flat
    for title in titles + folded + todo:
        assert _chars(title).replace(" ", "") in flat, title


def test_the_printed_record_table_is_boxed_and_its_columns_fit_their_content(browse, live_server):
    """成长档案 printed by the browser: the table's right border was lost (the table ran past the
    paper's width) and its six columns were all one width (a fixed layout with none given), so
    学期 took as much as the activity's title. Now, in print media at A4's width, every cell's
    right border is drawn inside the page and the activity's column is wider than the semester's."""
    t = browse(locale="zh-CN", viewport={"width": 700, "height": 1000})  # A4 less its margins: ~703 px
    t.login("teacher1")
    t.goto(f"/teachers/{live_server.user_id('teacher1')}/record")
    t.page.emulate_media(media="print")
    box = t.page.evaluate("""() => {
      const table = document.querySelector('table.record-table');
      const row = table.querySelector('tbody tr');
      const cells = [...row.children].map(c => {
        const r = c.getBoundingClientRect(), s = getComputedStyle(c);
        return {w: r.width, right: r.right, border: parseFloat(s.borderRightWidth), style: s.borderRightStyle};
      });
      return {cells, page: document.documentElement.clientWidth, right: table.getBoundingClientRect().right};
    }""")
    cells = box["cells"]
    assert len(cells) == 6, box
    last = cells[-1]
    assert last["border"] >= 1 and last["style"] == "solid", box
    # the collapsed right border is drawn half beyond the table's box: the box ends inside the page
    assert box["right"] + last["border"] / 2 <= box["page"] - 0.5, box
    _read(t.page.pdf(format="A4"), "chromium-record-table.pdf")
    date, title, kind, semester, hours, _remark = (c["w"] for c in cells)
    assert title > semester * 1.5 and title > hours * 1.5, box
