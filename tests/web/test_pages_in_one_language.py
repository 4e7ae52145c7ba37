"""Every page in one language, as a Chinese school secretary and a district auditor read them.

Each demo login (the list ``flask demo`` prints) crawls the demo site — the DEMO school and the
demo district — from ``/`` and the navigation's pages, following every link to a page of the
portal, in Chinese and in English. What a person reads on a Chinese page (its text, not its
attributes, nor ``<code>``, ``<script>``, ``<style>`` or a textarea being edited) holds no Latin
word but the few names everybody writes so (PDF, Word, Excel …) and the people's and schools'
own codes (usernames, school codes, a file's name as uploaded); an English page holds no Chinese
but the data (names, titles, comments: every run of Chinese stored in the database), the
language switch 中文, and, where the roster import's help quotes a sheet, the Chinese headings
and values the sheet is written with.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from portal.cli.demo import demo_logins
from portal.extensions import db
from portal.models import District, Evidence, School, User
from portal.services.staff import GENDER_ALIASES, HEADER_ALIASES, ROLE_ALIASES

#: Latin words a Chinese page may show: names of formats and programs written so in Chinese too,
#: the unit of a file's size, and the language switch's own name.
LATIN_ALLOWED = {"PDF", "XLSX", "CSV", "ZIP", "Word", "Excel", "PowerPoint", "Outlook", "UTF", "docx", "txt",
                 "iCal", "API", "KB", "MB", "English"}
LATIN_WORD = re.compile(r"[A-Za-z_]{3,}")
ADDRESS = re.compile(r"https?://\S+")  # the sign-in QR code's address, shown for the admin to check
CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
#: Chinese an English page may show: the switch back to Chinese.
CJK_ALLOWED = {"中文"}
#: Elements quoting what a roster sheet's cells may say (the import's help names the headings and
#: values it takes, and a date written 1970年5月1日), and the Chinese they may quote.
QUOTING_A_SHEET = {"roster-help"}
SHEET_WORDS = ({"年", "月", "日"} | {a for names in HEADER_ALIASES.values() for a in names} | set(ROLE_ALIASES)
               | set(GENDER_ALIASES))
#: Pages the navigation links to that a role may not see, tried by every role (403 is skipped).
SEEDS = ("/", "/admin/exemptions", "/admin/audit?view=ledger", "/verify", "/signups", "/plans", "/school-plan",
         "/submission", "/district/settings", "/district/deadlines", "/notifications/settings", "/calendar")
SKIPPED_ENDPOINTS = {"static", "auth.lang", "reports.static"}
DOWNLOAD = re.compile(r"\.(csv|xlsx|pdf|ics|json|zip)$")
#: Pages of one kind visited per role (one kind: an endpoint and the names of its query):
#: every activity (each type and state words its page), a few of the rest.
EVERY = {"activities.show", "district.activity"}
A_FEW = 4


class _Reading(HTMLParser):
    """The text a person reads on a page (apart: what it quotes of a roster sheet), and its links."""

    UNREAD = {"script", "style", "code", "textarea"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.quoting: list[int] = []  # depths of the open elements quoting a sheet
        self.text: list[str] = []
        self.quoted: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href, testid = dict(attrs).get("href"), dict(attrs).get("data-testid")
        if tag == "a" and href:
            self.links.append(href.split("#")[0])
        if tag not in self.VOID:
            self.open.append(tag)
            if testid in QUOTING_A_SHEET:
                self.quoting.append(len(self.open))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open.pop() != tag:
                pass
        while self.quoting and self.quoting[-1] > len(self.open):
            self.quoting.pop()

    def handle_data(self, data: str) -> None:
        if not self.UNREAD & set(self.open):
            (self.quoted if self.quoting else self.text).append(data)


def _read(html: str) -> tuple[str, str, list[str]]:
    """(the text read, the text quoting a roster sheet, the links) of a page."""
    page = _Reading()
    page.feed(html)
    page.close()
    return " ".join(page.text), " ".join(page.quoted), page.links


def _crawl(site: Flask, client, lang: str) -> Iterator[tuple[str, str, str, str]]:
    """(endpoint, url, text read, text quoting a sheet) of every page reachable from the seeds, in ``lang``;
    a page refused (403) or not found is read too: it is in the portal's look and words."""
    client.get(f"/lang/{lang}")  # as the language link does
    adapter = site.url_map.bind("localhost")
    queue, seen = list(SEEDS), set()
    per_kind: dict[tuple[str, tuple[str, ...]], int] = defaultdict(int)
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc or not parts.path.startswith("/") or url in seen or DOWNLOAD.search(parts.path):
            continue
        seen.add(url)
        try:
            rule, _args = adapter.match(parts.path, method="GET", return_rule=True)
        except HTTPException:
            continue
        kind = (rule.endpoint, tuple(sorted({k for k, _v in parse_qsl(parts.query)})))
        if rule.endpoint in SKIPPED_ENDPOINTS or rule.rule.startswith("/api/") or (
                rule.endpoint not in EVERY and per_kind[kind] >= A_FEW):
            continue
        per_kind[kind] += 1
        r = client.get(url)
        if r.status_code in (301, 302, 303):
            queue.append(r.headers["Location"])
        if r.status_code not in (200, 403, 404) or r.mimetype != "text/html":
            continue
        text, quoted, links = _read(r.get_data(as_text=True))
        yield rule.endpoint, url, text, quoted
        queue.extend(link for link in links if link not in seen)


@pytest.fixture
def district_site(site) -> Flask:
    from portal.demo_district import load_district_demo

    with site.app_context():
        load_district_demo()
    return site


def _their_own_codes(site: Flask) -> list[str]:
    """Codes people and schools chose (usernames, school and district codes, uploaded files'
    names), longest first: shown as they are on every page."""
    with site.app_context():
        codes = set(db.session.execute(select(User.username)).scalars())
        codes |= set(db.session.execute(select(School.code)).scalars())
        codes |= set(db.session.execute(select(District.code)).scalars())
        codes |= set(db.session.execute(select(Evidence.filename).where(Evidence.filename.is_not(None))).scalars())
    return sorted(codes, key=len, reverse=True)


def _chinese_data(site: Flask) -> set[str]:
    """Every run of Chinese stored in the database: names, titles, comments, plans' texts."""
    runs: set[str] = set()
    with site.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()):
                for value in row:
                    if isinstance(value, (dict, list)):
                        value = json.dumps(value, ensure_ascii=False)
                    if isinstance(value, str):
                        runs.update(CJK_RUN.findall(value))
    return runs


def _pages(site: Flask, as_user, lang: str, reached: set[str]) -> Iterator[tuple[str, str, str, str]]:
    """(login, url, text read, text quoting a sheet) of each page, for nobody logged in and each
    demo login; ``reached`` gathers the pages' endpoints."""
    for login in ["", *demo_logins()]:
        for endpoint, url, text, quoted in _crawl(site, as_user(login) if login else site.test_client(), lang):
            reached.add(endpoint)
            yield login, url, text, quoted


#: Pages of every part of the portal: the crawl must reach them all (it works, and goes everywhere).
MUST_REACH = {"auth.login", "reports.verify_form", "home.index", "activities.index", "activities.show",
              "activities.new", "activities.attendance", "checkin.sheet", "review.queue", "admin.plugins",
              "admin.staff_list", "admin.roster", "admin.types", "admin.rules", "audit.log", "year.group_list",
              "reports.exemptions_page", "reports.summary", "reports.teacher_record", "reports.certificate",
              "calendar.page", "notifications.index", "notifications.settings", "writing.index", "writing.edit",
              "year.my_plan", "year.plan_list", "year.my_signups", "district.school_plan",
              "district.school_submission", "district.overview", "district.dashboard", "district.queue",
              "district.submission", "district.teacher", "district.activity", "district.school_plan_review",
              "district.settings", "deadlines.index"}


@pytest.mark.slow
def test_chinese_pages_show_no_codes_and_no_english(district_site, as_user):
    codes = _their_own_codes(district_site)
    found, reached = [], set()
    for login, url, read, quoted in _pages(district_site, as_user, "zh_Hans_CN", reached):
        text = ADDRESS.sub(" ", f"{read} {quoted}")
        for code in codes:
            text = text.replace(code, " ")
        found += [(login, url, m.group(), text[max(0, m.start() - 30):m.end() + 30].strip())
                  for m in LATIN_WORD.finditer(text) if m.group() not in LATIN_ALLOWED]
    assert MUST_REACH <= reached, MUST_REACH - reached
    assert not found, "\n".join(map(repr, found[:30]))


@pytest.mark.slow
def test_english_pages_leave_no_chinese_but_the_data(district_site, as_user):
    data = _chinese_data(district_site) | CJK_ALLOWED
    found, reached = [], set()
    for login, url, text, quoted in _pages(district_site, as_user, "en", reached):
        found += [(login, url, m.group(), text[max(0, m.start() - 30):m.end() + 30].strip())
                  for m in CJK_RUN.finditer(text) if m.group() not in data]
        found += [(login, url, m.group(), "quoting a sheet") for m in CJK_RUN.finditer(quoted)
                  if m.group() not in SHEET_WORDS]
    assert MUST_REACH <= reached, MUST_REACH - reached
    assert not found, "\n".join(map(repr, found[:30]))


def test_the_plugins_page_names_plugins_and_types_in_words(site, as_user):
    """Audit: /admin/plugins listed each type's key and each plugin's entry-point name
    (``lecture``, ``self_declared``) and the budget's setting (``PLUGIN_CALL_BUDGET_MS``) on
    the Chinese page: the types are named, and where each comes from, in the reader's words."""
    admin = as_user("admin")
    zh, _quoted, _links = _read(admin.get("/admin/plugins?lang=zh_Hans_CN").get_data(as_text=True))
    assert "专题讲座" in zh and "学时申报" in zh and "平台自带" in zh
    assert not [w for w in LATIN_WORD.findall(zh) if w not in LATIN_ALLOWED], zh
    en, _quoted, _links = _read(admin.get("/admin/plugins?lang=en").get_data(as_text=True))
    assert "Lecture" in en and "Comes with the portal" in en
    assert "专题讲座" not in en and "平台自带" not in en
    for code in ("lecture", "self_declared", "PLUGIN_CALL_BUDGET_MS"):
        assert code not in en
