"""Real-browser fixtures: the app served on 127.0.0.1 in a thread, Debian's Chromium driven by
Playwright for Python.

* ``live_server`` — a fresh app on its own copy of the demo database (real CSRF), served by
  werkzeug in a thread; shut down after the test.
* ``chromium`` — one Chromium per test session, launched from ``/usr/bin/chromium`` (never a
  downloaded browser). Missing Chromium is a failure, not a skip.
* ``browse`` — a factory of :class:`BrowserSession`: a fresh browser context (cookies, locale,
  viewport) that records every console error, page error, failed request and 5xx response;
  the fixture asserts at teardown that none happened.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Response
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from werkzeug.serving import BaseWSGIServer, make_server

CHROMIUM = os.environ.get("YANXIU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
DEMO_PASSWORD = "yanxiu-demo"
TIMEOUT_MS = 15_000


@dataclass
class LiveServer:
    app: Flask
    url: str

    def __call__(self, path: str = "/") -> str:
        return self.url + path

    def activity_id(self, type_key: str, state: str) -> int:
        """The first demo activity of ``type_key`` in ``state``."""
        from sqlalchemy import select

        from portal.extensions import db
        from portal.models import Activity

        with self.app.app_context():
            query = select(Activity.id).where(Activity.type_key == type_key, Activity.state == state)
            found = db.session.execute(query.order_by(Activity.id)).scalars().first()
            db.session.remove()
        assert found is not None, f"the demo has no {type_key} activity in state {state}"
        return found

    def talk_tomorrow(self) -> int:
        """The demo's talk tomorrow, whose list its organizer changed after planning (``demo_reach``)."""
        from sqlalchemy import select

        from portal.demo_reach import tomorrow_title
        from portal.extensions import db
        from portal.models import Activity

        with self.app.app_context():
            found = db.session.execute(select(Activity.id).where(Activity.title == tomorrow_title())).scalar_one()
            db.session.remove()
        return found

    def user_id(self, username: str) -> int:
        """The demo person's id."""
        from sqlalchemy import select

        from portal.extensions import db
        from portal.models import User

        with self.app.app_context():
            found = db.session.execute(select(User.id).where(User.username == username)).scalar_one()
            db.session.remove()
        return found


@pytest.fixture
def live_server(make_app) -> Iterator[LiveServer]:
    """A fresh app with the DEMO school (a copy of the session's demo database) and real CSRF,
    served on a free port of 127.0.0.1."""
    app = make_app(demo=True, WTF_CSRF_ENABLED=True)
    request_log = logging.getLogger("werkzeug")
    level = request_log.level
    request_log.setLevel(logging.WARNING)  # one line per request would drown a failure report
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    # a short poll: shutdown() waits for the loop to notice (half a second by default)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        request_log.setLevel(level)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright; fails (does not skip) when it is not installed."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package "
            "(apt-get install chromium fonts-noto-cjk) or set YANXIU_CHROMIUM. "
            "The browser tests never download a browser.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class BrowserSession:
    """One person's browser context (own cookies) with a problem recorder."""

    server: LiveServer
    context: BrowserContext
    page: Page
    problems: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # console texts expected on this page

    def ignore_console(self, text: str) -> None:
        """Expect console errors containing ``text`` (e.g. Chromium's note on a 403 document)."""
        self.ignored.append(text)

    def goto(self, path: str, *, expect_status: int | None = 200) -> Response | None:
        """Open ``path``; assert the response status (None: do not check)."""
        response = self.page.goto(self.server(path), wait_until="load")
        if expect_status is not None:
            assert response is not None, f"no response for {path}"
            status = response.status
            assert status == expect_status, f"GET {path}: {status}, expected {expect_status}"
        self.assert_no_external_urls(path)
        return response

    def assert_no_external_urls(self, label: str) -> None:
        """No link, asset or form target on the page points to another host (school intranets)."""
        found = self.page.evaluate(
            r"""(origin) => [...document.querySelectorAll('[src],[href],[action],[srcset]')]
                .flatMap(e => ['src', 'href', 'action', 'srcset'].map(a => e.getAttribute(a)))
                .filter(u => u && /^(https?:)?\/\//i.test(u.trim()) && !u.trim().startsWith(origin))""",
            self.server.url,
        )
        assert not found, f"{label}: external URLs in the page: {found}"

    def login(self, username: str, password: str = DEMO_PASSWORD, lang: str | None = None) -> None:
        """Log in through the login form (real CSRF token); lands on the person's home page."""
        self.goto("/login" + (f"?lang={lang}" if lang else ""))
        page = self.page
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        with page.expect_navigation(wait_until="load"):
            page.locator("form [type=submit]").first.click()
        failed = f"login as {username} failed on {page.url}:\n"
        assert "/login" not in page.url, failed + page.inner_text("body")

    def preview_roster(self, roster: Path) -> None:
        """Upload ``roster`` on the staff import page and open its preview (nothing imported yet)."""
        self.goto("/admin/staff/import")
        self.page.get_by_test_id("roster-file").set_input_files(str(roster))
        with self.page.expect_navigation():
            self.page.get_by_test_id("roster-preview").click()

    def logout(self) -> None:
        self.context.clear_cookies()

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=full_page)
        return target

    def assert_reads_down(self, label: str) -> None:
        """On a phone the page reads down the screen: it fits the width (:meth:`assert_fits_width`)
        and no box inside it scrolls sideways with more than it shows — the document can fit while
        a table's box scrolls (the 学时汇总表's English cards, the audit trail's, the review queue's
        reviewed rows). The activity page's workflow diagram scrolls on purpose and says so: not
        for a page that shows one."""
        self.assert_fits_width(label)
        scrolled = self.page.evaluate("""() => [...document.querySelectorAll('main *')]
          .filter(e => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1)
          .map(e => `${e.className} ${e.scrollWidth}>${e.clientWidth}`)""")
        assert scrolled == [], (label, scrolled)

    def assert_fits_width(self, label: str) -> None:
        """No horizontal scrolling: the document is not wider than the viewport — once the page
        has settled (a slow machine can measure it mid-layout, wider than it ends up, with no
        element sticking out: waited for up to 3 s, as Playwright's own assertions wait).
        The screen is the viewport the browser was given, not ``window.innerWidth``: on a phone
        (``is_mobile``) the layout viewport widens to a page that is too wide, so a page 545 px
        wide had an ``innerWidth`` of 545 on a 375 px screen and passed."""
        screen = (self.page.viewport_size or {"width": 0})["width"]
        fits = "(w) => document.documentElement.scrollWidth <= w"
        try:
            self.page.wait_for_function(fits, arg=screen, timeout=3000)
        except PlaywrightTimeout:
            pass  # still too wide: measured and reported below
        widths = [self.page.evaluate("() => document.documentElement.scrollWidth"), screen]
        if widths[0] > widths[1]:  # name the elements that stick out (not clipped by a scrolling box)
            wide = self.page.evaluate(
                """(w) => {
                  const clipped = (e) => {
                    for (let a = e.parentElement; a; a = a.parentElement) {
                      if (['auto', 'hidden', 'scroll', 'clip'].includes(getComputedStyle(a).overflowX)
                          && a.getBoundingClientRect().right <= w + 1) return true;
                    }
                    return false;
                  };
                  return [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > w + 1 && !clipped(e))
                    .slice(0, 5)
                    .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`
                              + `[${e.dataset.testid || ''}] right=${Math.round(e.getBoundingClientRect().right)}`);
                }""",
                widths[1],
            )
            raise AssertionError(f"{label}: page is {widths[0]}px wide on a {widths[1]}px screen: {wide}")

    def assert_no_problems(self) -> None:
        problems, self.problems[:] = list(self.problems), []
        assert not problems, "browser reported problems:\n" + "\n".join(problems)


def _record(session: BrowserSession) -> None:
    page = session.page

    def on_console(msg) -> None:
        if msg.type == "error" and not any(t in msg.text for t in session.ignored):
            session.problems.append(f"console error on {page.url}: {msg.text}")

    def on_response(response) -> None:
        if response.status >= 500:
            session.problems.append(f"{response.status} from {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: session.problems.append(f"page error on {page.url}: {exc}"))
    def on_request_failed(request) -> None:
        # ERR_ABORTED: the page moved on before a request (a favicon, say) finished; not a fault.
        # External requests are aborted by the route guard and reported on their own.
        if "ERR_ABORTED" not in (request.failure or ""):
            session.problems.append(f"request failed: {request.url} ({request.failure})")

    page.on("requestfailed", on_request_failed)
    page.on("response", on_response)


@pytest.fixture
def browse(chromium: Browser, live_server: LiveServer) -> Iterator[Callable[..., BrowserSession]]:
    """Factory: ``browse(locale='zh-CN', viewport=None)`` → a fresh :class:`BrowserSession`.

    Every session is checked at teardown: no console error, page error, failed request or 5xx.
    Requests to any host other than the live server are refused (no external URL in a page).
    """
    sessions: list[BrowserSession] = []
    external: list[str] = []
    origin = live_server.url

    def factory(locale: str = "zh-CN", viewport: dict | None = None, **options) -> BrowserSession:
        kwargs = {"locale": locale, **options}
        if viewport:
            kwargs["viewport"] = viewport
        context = chromium.new_context(**kwargs)
        context.set_default_timeout(TIMEOUT_MS)

        def guard(route) -> None:
            url = route.request.url
            if url.startswith(origin) or url.startswith("data:") or url.startswith("blob:"):
                route.continue_()
            else:
                external.append(url)
                route.abort()

        context.route(re.compile(r".*"), guard)
        session = BrowserSession(live_server, context, context.new_page())
        _record(session)
        sessions.append(session)
        return session

    yield factory
    problems: list[str] = []
    for session in sessions:
        problems.extend(session.problems)
        session.context.close()
    problems = [p for p in problems if not any(u in p for u in external)]
    assert not external, "pages asked for external URLs: " + ", ".join(sorted(set(external)))
    assert not problems, "browser reported problems:\n" + "\n".join(problems)


@pytest.fixture
def district_demo(live_server):
    """The live server with the demo district: schools in every stage of submission (demo_district)."""
    from portal.demo_district import load_district_demo
    from portal.extensions import db

    with live_server.app.app_context():
        load_district_demo()
        db.session.remove()
    return live_server
