"""A phone (375×667, zh-CN): every main page of every role fits the screen, with no console
error, page error or 5xx; pages a role must not see answer 403/404 in the portal's look."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
NAV_LINKS = "nav a.nav-link[href], nav a.dropdown-item[href]"
NOT_PAGES = ("/logout", "/lang/")  # actions, not pages


def _nav_paths(session) -> list[str]:
    """Same-site pages the navigation offers this person (what they can reach by tapping)."""
    hrefs = session.page.locator(NAV_LINKS).evaluate_all("els => els.map(e => e.getAttribute('href'))")
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if href.startswith("#") or parts.netloc or any(parts.path.startswith(p) for p in NOT_PAGES):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path not in paths:
            paths.append(path)
    return paths


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def _submission_id(live_server) -> int:
    """The demo school's year, submitted to the district."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import YearSubmission

    with live_server.app.app_context():
        found = db.session.execute(select(YearSubmission.id).order_by(YearSubmission.id)).scalars().first()
        db.session.remove()
    assert found is not None, "the demo school has not submitted its year"
    return found


def _visit_all(session, role: str, paths: list[str]) -> list[str]:
    seen = []
    for path in paths:
        session.goto(path)
        assert session.page.evaluate("() => document.documentElement.lang") == "zh-CN", path
        session.assert_fits_width(f"{role} {path}")
        session.screenshot(f"phone-{role}-{_slug(path)}")
        session.assert_no_problems()
        seen.append(path)
    return seen


EXTRA = {  # pages the navigation does not list, visited too (their ids are looked up per run)
    "teacher1": ["/activities/{held}", "/activities/{credited}", "/password"],
    "organizer": ["/activities/new/lecture", "/activities/new/observation", "/activities/{planned}",
                  "/activities/{planned}/attendance", "/activities/{held}"],
    "reviewer": ["/activities/{held}", "/activities/{credited}"],
    "admin": ["/admin/staff/import", "/submission"],
    "district": ["/district/submissions/{submission}"],  # the figures the school submitted
}
MUST_REACH = {
    "teacher1": {"/", "/activities"},
    "organizer": {"/", "/activities", "/activities/new"},
    "reviewer": {"/", "/activities", "/review"},
    "admin": {"/", "/activities", "/activities/new", "/admin/types", "/admin/rules", "/admin/staff"},
    "district": {"/district"},
}


def test_the_login_page_fits_a_phone(browse):
    _visit_all(browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True), "anonymous", ["/login"])


@pytest.mark.slow
@pytest.mark.parametrize("role", list(EXTRA))
def test_every_main_page_fits_a_phone(browse, live_server, role):
    """Every page the role's navigation offers, and the pages of ``EXTRA``, fit a phone."""
    ids = {"held": live_server.activity_id("lecture", "held"),
           "credited": live_server.activity_id("observation", "credited"),
           "planned": live_server.activity_id("lecture", "planned"), "submission": _submission_id(live_server)}
    pages = [p.format(**ids) for p in EXTRA[role]]
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login(role)
    s.assert_fits_width(f"{role} landing page")
    nav = _nav_paths(s)
    assert MUST_REACH[role] <= set(nav) | {urlsplit(s.page.url).path}, (role, nav)
    # the collapsed menu opens on a phone and still fits
    toggle = s.page.get_by_test_id("nav-toggle")
    expect(toggle).to_be_visible()
    toggle.click()
    expect(s.page.locator("#nav-main")).to_be_visible()
    s.assert_fits_width(f"{role} open menu")
    s.screenshot(f"phone-{role}-menu", full_page=False)
    _visit_all(s, role, nav + [p for p in pages if p not in nav])


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("teacher1", "/review", 403),
        ("teacher1", "/admin/types", 403),
        ("teacher1", "/activities/new/lecture", 403),  # a teacher may declare (学时申报), not plan
        ("teacher1", "/district", 403),
        ("organizer", "/activities/999999", 404),
    ],
)
def test_forbidden_pages_answer_in_the_portal_look(browse, role, path, status):
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True)
    s.login(role)
    s.ignore_console(f"status of {status}")  # Chromium logs the refused document itself
    s.goto(path, expect_status=status)
    expect(s.page.get_by_test_id("navbar")).to_be_visible()
    expect(s.page.get_by_test_id("main")).to_contain_text(str(status))
    s.assert_fits_width(f"{role} {path}")


def test_the_width_check_still_fails_a_page_that_stays_too_wide(browse):
    """``assert_fits_width`` waits for the page to settle; a page that stays wider than the
    phone still fails it, naming what sticks out."""
    s = browse(viewport=PHONE)
    s.page.set_content('<body><div data-testid="too-wide" style="width: 900px">宽</div></body>')
    with pytest.raises(AssertionError, match=r"page is 9\d\dpx wide on a 375px screen: .*too-wide"):
        s.assert_fits_width("a wide page")


def test_the_growth_record_in_english_fits_a_phone(browse, live_server):
    """English words are longer: the record's table (date, activity, type, semester, hours,
    remark) was 545 px wide on a 390 px phone and the whole page scrolled sideways."""
    s = browse(locale="en-US", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login("teacher1", lang="en")
    s.goto(f"/teachers/{live_server.user_id('teacher1')}/record?lang=en")
    expect(s.page.locator("table.report-table").first).to_contain_text("Semester")
    s.assert_fits_width("teacher1 record, English")
    s.assert_no_problems()


# Tables that scroll inside their own box (.table-responsive) leave the page's width alone, so
# the check above passes while the figures at their right end sit out of sight: in English the
# participants' "Hours to credit", the home's activity date and the writing's date did.
SCROLLING_TABLES = """() => [...document.querySelectorAll('.table-responsive')]
  .filter(box => box.scrollWidth > box.clientWidth + 1)
  .map(box => (box.querySelector('table') || box).getAttribute('data-testid') || box.className)"""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_figures_of_a_teachers_tables_are_in_view_on_a_phone(browse, live_server, lang):
    """A teacher's home, writing and record, an activity's participants (as its organizer sees
    them) and the district's pages, in both languages: no table hides a column behind sideways
    scrolling."""
    locale = "en-US" if lang == "en" else "zh-CN"
    frozen = {f"/district/submissions/{_submission_id(live_server)}", "/submission"}  # a submission's figures
    pages = {
        "teacher1": ["/", "/writing", f"/teachers/{live_server.user_id('teacher1')}/record",
                     f"/activities/{live_server.activity_id('lecture', 'held')}"],
        "organizer": [*(f"/activities/{live_server.activity_id(key, state)}"
                        for key, state in (("lecture", "held"), ("observation", "credited"), ("lecture", "planned"))),
                      # its sign-in sheet: in English its headings made it 407 px wide (audit)
                      f"/activities/{live_server.activity_id('lecture', 'planned')}/sign-in-sheet"],
        # the district's schools started 不予认定, 免于考核 and 认定学时 off-screen; a submission's
        # figures (every type's hours, the total, absence, status) scrolled sideways (audit)
        "district": ["/district", "/district/submissions?status=accepted", "/district/dashboard",
                     f"/district/submissions/{_submission_id(live_server)}"],
        # the school's own submission: the same figures under its submit form
        "admin": ["/submission"],
        # the 学分认定表: in English its headings ("Hours attended") made it 504 px wide (audit); its
        # roles ("Participant", "Lesson teacher", "Declaring teacher") still scrolled it 5 to 52 px
        "reviewer": [f"/activities/{live_server.activity_id(key, 'credited')}/certificate"
                     for key in ("lecture", "school_visit", "observation", "declared")],
    }
    for role, paths in pages.items():
        s = browse(locale=locale, viewport=PHONE, is_mobile=True, has_touch=True)
        s.login(role, lang=lang)
        for path in paths:
            s.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
            expect(s.page.locator("table").first).to_be_visible()
            assert s.page.evaluate(SCROLLING_TABLES) == [], (role, lang, path)
            s.assert_fits_width(f"{role} {path} {lang}")
            if path in frozen:  # every figure of a teacher's row on the screen, none clipped
                s.screenshot(f"phone-{role}-{_slug(path)}-{lang}")
                _assert_figures_in_view(s, (role, lang, path))


FIGURES = """(w) => {
  const row = document.querySelector('[data-testid=frozen-table] tbody tr[data-testid^=frozen-row-]');
  return [...row.querySelectorAll('td')].map(td => {
    const box = td.getBoundingClientRect();
    return {text: td.innerText.trim(), seen: box.width > 0 && box.height > 0 && box.left >= 0 && box.right <= w};
  });
}"""


def _assert_figures_in_view(s, where) -> None:
    """A submission's first teacher: each cell (name, every type's hours, total, absence, status)
    shows its figure within the phone's width."""
    expect(s.page.get_by_test_id("frozen-table")).to_be_visible()
    cells = s.page.evaluate(FIGURES, PHONE["width"])
    headings = s.page.locator("[data-testid=frozen-table] thead th").count()  # hidden on a phone
    assert len(cells) == headings >= 10, (where, headings, cells)  # name, the types, total, absence, status, comment
    assert all(c["seen"] for c in cells[:-1]), (where, cells)  # the comment may be empty
    figures = [c["text"] for c in cells[1:-2]]  # the types' hours, the total and the absence
    assert all(re.search(r"\d", t) for t in figures), (where, figures)


# Each figure of a card (td[data-label]): where its label (the ::before) and its value (the cell's
# own content, measured with a Range) are drawn.
CARD_PAIRS = """(testid) => {
  const row = document.querySelector(`[data-testid=frozen-table] tbody tr[data-testid^=frozen-row-]`);
  return [...row.querySelectorAll('td[data-label]')].filter(td => td.dataset.testid).map(td => {
    const range = document.createRange();
    range.selectNodeContents(td);
    const value = range.getBoundingClientRect(), cell = td.getBoundingClientRect();
    return {id: td.dataset.testid, top: cell.top, left: cell.left, valueTop: value.top,
            valueBottom: value.bottom, valueLeft: value.left};
  });
}"""


@pytest.mark.parametrize("width", [360, 375, 414])
@pytest.mark.parametrize("role", ["district", "admin"])
def test_a_cards_figures_stand_level_under_their_labels(browse, live_server, role, width):
    """A submission's teacher on a phone is a card: 合计学时 and 未请假缺席学时（第一 / 第二学期）
    side by side. The absence label wraps to two lines, and the cards aligned their first lines:
    the absence's figure sat a line below the total's. Figures of one line of the card now stand
    level, each under its own label, on 360 to 414 px screens."""
    path = "/submission" if role == "admin" else f"/district/submissions/{_submission_id(live_server)}"
    s = browse(locale="zh-CN", viewport={"width": width, "height": 740}, is_mobile=True, has_touch=True)
    s.login(role)
    s.goto(path)
    s.assert_fits_width(f"{role} {path} at {width}")
    pairs = {p["id"].rsplit("-", 1)[0]: p for p in s.page.evaluate(CARD_PAIRS)}
    total, absent = pairs["total"], pairs["absent"]
    assert total["left"] + 100 < absent["left"], (width, total, absent)  # side by side
    assert abs(total["valueBottom"] - absent["valueBottom"]) < 2, (width, total, absent)  # level
    for pair in (total, absent):  # under its label (a line of .75rem or two above), not beside it
        assert pair["top"] + 8 < pair["valueTop"] < pair["top"] + 40, (width, pair)
        assert abs(pair["valueLeft"] - pair["left"]) < 2, (width, pair)
    s.screenshot(f"phone-{role}-card-{width}", full_page=False)


# What a thumb taps: buttons, fields, toggles, page links, and check boxes with their labels
# (links in running text or in a table's cells are read, not aimed at, and are left out).
SMALL_TARGETS = r"""() => {
  const seen = e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden'; };
  const out = [];
  for (const e of document.querySelectorAll(
      'button, .btn, input:not([type=hidden]), select, textarea, summary, .page-link')) {
    if (!seen(e)) continue;
    let {width, height} = e.getBoundingClientRect();
    if (e.type === 'checkbox' || e.type === 'radio') {
      const label = e.closest('label') || (e.id && document.querySelector(`label[for="${e.id}"]`));
      if (label) {
        const r = label.getBoundingClientRect();
        width = Math.max(width, r.width);
        height = Math.max(height, r.height);
      }
    }
    if (height < 39.5 || width < 39.5)
      out.push(`${e.dataset.testid || e.name || e.tagName} "${(e.innerText || '').trim().slice(0, 12)}"`
               + ` ${Math.round(width)}x${Math.round(height)}`);
  }
  return out;
}"""
TAP_PAGES = {
    "teacher1": ["/activities", "/notifications", "/notifications/settings", "/writing", "/calendar"],
    "organizer": ["/activities/new/lecture"],
    "reviewer": ["/review", "/activities/{held}"],
    "admin": ["/admin/staff", "/admin/types", "/admin/groups", "/activities/{credited}/certificate"],
    "district": ["/district", "/district/dashboard"],
}


@pytest.mark.parametrize("role", list(TAP_PAGES))
def test_what_a_thumb_taps_is_40_px_on_a_phone(browse, live_server, role):
    """At 375 px the small buttons (标为已读, 修改, 删除, 新密码) were 31 px high, small fields and
    selects (the filters, the district's year) 31, fields 38, check boxes with their labels 18-24,
    a review card's check box 16 and the 修改角色 / 查看流程图 toggles 18-21: each is now 40 px or
    more high and wide."""
    ids = {"held": live_server.activity_id("lecture", "held"), "credited": live_server.activity_id("observation", "credited")}
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login(role)
    for path in (p.format(**ids) for p in TAP_PAGES[role]):
        s.goto(path)
        assert s.page.evaluate(SMALL_TARGETS) == [], (role, path)
        s.assert_fits_width(f"{role} {path}")


# Where the to-do list's first item is drawn in the page (not the screen); the height of the
# credited hours' 学时 heading's text (a Range: the cell is as high as its row's tallest heading)
# beside its line height; how many folded activities of the forecast are shown.
HOME_LAYOUT = """() => {
  const first = document.querySelector('[data-testid=waiting-list] > li');
  const th = document.querySelector('[data-testid=credit-entries-hours]');
  const text = document.createRange();
  text.selectNodeContents(th);
  return {todo: first && first.getBoundingClientRect().top + window.scrollY,
          th: text.getBoundingClientRect().height, line: parseFloat(getComputedStyle(th).lineHeight),
          folded: [...document.querySelectorAll('[data-testid=forecast-rest] > li')].filter(e => e.checkVisibility()).length};
}"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_homes_to_do_list_is_near_the_top_on_a_phone(browse, lang):
    """At 390×844 the demo teacher's 待办事项 (「考察报告：还需上传 1 份」) came after the forecast's
    seventeen activities, the personal plan and the hours by type: two and a half screens down.
    It now follows the hours card, within the first two screens; the forecast shows five activities
    and folds the rest until asked; and the credited table's 学时 heading is one line high (it
    wrapped to 学 / 时)."""
    phone = {"width": 390, "height": 844}
    s = browse(locale="en-US" if lang == "en" else "zh-CN", viewport=phone, is_mobile=True, has_touch=True)
    s.login("teacher1", lang=lang)
    s.goto(f"/?lang={lang}")
    s.assert_fits_width(f"teacher1 home {lang}")
    s.screenshot(f"phone-teacher1-home-order-{lang}")
    found = s.page.evaluate(HOME_LAYOUT)
    assert found["todo"] is not None and found["todo"] < 2 * phone["height"], found
    assert 0 < found["th"] < 1.5 * found["line"], found  # one line, not one a character
    assert found["folded"] == 0, found
    expect(s.page.get_by_test_id("forecast-pending").locator("> li")).to_have_count(5)
    more = s.page.get_by_test_id("forecast-more-summary")
    count = int(more.get_attribute("data-count") or 0)
    assert count > 0 and re.search(rf"\b{count}\b", more.inner_text()), more.inner_text()
    more.click()  # the fold opens on a tap, no script
    expect(s.page.get_by_test_id("forecast-rest").locator("> li").first).to_be_visible()
    assert s.page.evaluate(HOME_LAYOUT)["folded"] == count
    s.assert_fits_width(f"teacher1 home, forecast unfolded, {lang}")
    s.assert_no_problems()


def _roles(live_server, act_id: int) -> tuple[str, str]:
    """The main role and the leading role of the activity's type."""
    from portal.demo import main_and_lead
    from portal.extensions import db
    from portal.models import Activity
    from portal.registry import registry

    with live_server.app.app_context():
        roles = main_and_lead(registry().types[db.session.get(Activity, act_id).type_key])
        db.session.remove()
    return roles


CUT_OFF = """() => [...document.querySelectorAll(
    '[data-testid=participants-list] select, [data-testid=participants-list] button, [data-testid=participants-add] input,'
    + ' [data-testid=participants-add] button')]
  .filter(e => e.checkVisibility())
  .filter(e => { const r = e.getBoundingClientRect(); return r.left < 0 || r.right > window.visualViewport.width + 1; })
  .map(e => e.dataset.testid || e.name)"""


def test_the_participants_page_on_a_phone_adds_changes_a_role_and_takes_off(browse, live_server):
    """The list of the talk tomorrow changed on a 390×844 phone, by taps and one question: someone
    added with the picker (searched by pinyin initials), a role changed on their row, someone taken
    off after accepting the "are you sure?" question (the keyboard alone: focus and Enter). No step
    scrolls the page sideways, and no field or button of a row is cut off at the screen's edge."""
    act_id = live_server.talk_tomorrow()
    main, lead = _roles(live_server, act_id)
    s = browse(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = s.page
    s.login("organizer")
    path = f"/activities/{act_id}/participants"
    s.goto(path)
    s.assert_fits_width("participants, as planned and changed")
    assert page.evaluate(CUT_OFF) == []
    s.screenshot("phone-organizer-participants")
    rows = page.get_by_test_id("participants-list").locator("tbody tr")
    before = rows.count()
    expect(page.get_by_test_id("participant-row-teacher6")).to_be_visible()  # the demo's late joiner
    # add: 郑佳慧 (teacher5), sent on a course since, is back; found by her pinyin initials
    page.get_by_test_id(f"picker-filter-{main}").fill("zjh")
    expect(page.get_by_test_id(f"pick-{main}-teacher1")).to_be_hidden()
    page.get_by_test_id(f"pick-{main}-teacher5").check()
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id("participants-add-submit").click()
    expect(page.get_by_test_id("participant-row-teacher5")).to_be_visible()
    expect(rows).to_have_count(before + 1)
    s.assert_fits_width("participants, someone added")
    assert page.evaluate(CUT_OFF) == []
    # a role changed on its row
    page.get_by_test_id("role-teacher6").select_option(lead)
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id("role-submit-teacher6").click()
    expect(page.get_by_test_id("role-teacher6")).to_have_value(lead)
    expect(page.locator(".alert-success")).to_be_visible()
    s.assert_fits_width("participants, a role changed")
    # taken off: the question is asked, accepted, and the row is gone
    questions: list[str] = []

    def accept(dialog) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_test_id("remove-teacher4").focus()
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    assert len(questions) == 1 and "移出" in questions[0], questions
    expect(page.get_by_test_id("participant-row-teacher4")).to_have_count(0)
    expect(rows).to_have_count(before)
    s.assert_fits_width("participants, someone taken off")
    assert page.evaluate(CUT_OFF) == []
    s.screenshot("phone-organizer-participants-changed")
    s.assert_no_problems()
