"""Pages obey the Content-Security-Policy ``default-src 'self'`` and the intranet rule:
no inline scripts, styles or event handlers, no external URL, every asset served locally;
and each page's title is plain words."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity, CorrectionRequest

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.I)
STYLE_TAG = re.compile(r"<style[\s>]", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
EXTERNAL = re.compile(r"(?:src|href|action)\s*=\s*[\"']?(?:https?:)?//", re.I)
ASSET = re.compile(r"(?:src|href)=\"(/static/[^\"]+)\"")
TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def _pages(site) -> list[tuple[str, str]]:
    with site.app_context():
        acts = db.session.execute(select(Activity.id).order_by(Activity.id)).scalars().all()
        asked = db.session.execute(select(CorrectionRequest.id, CorrectionRequest.activity_id)).all()
    pages = [("teacher1", "/"), ("teacher1", "/activities"), ("organizer", "/activities/new"),
             ("organizer", "/activities/new/observation"), ("reviewer", "/review"), ("admin", "/admin/types"),
             ("admin", "/admin/rules"), ("admin", "/admin/staff"), ("admin", "/admin/staff/import"),
             ("admin", "/admin/plugins"), ("district", "/district"), ("teacher1", "/password"),
             ("teacher1", "/nowhere"), ("organizer", f"/activities/{acts[0]}/attendance")]
    pages += [("organizer", f"/activities/{a}") for a in acts]
    # correction requests (the demo's waiting and declined ones): the list, each, the form, the audit's view
    pages += [("admin", "/corrections"), ("teacher3", "/corrections"), ("admin", "/admin/audit?view=corrections")]
    pages += [("admin", f"/corrections/{r}") for r, _a in asked]
    pages += [("teacher4", f"/activities/{a}/corrections/new?kind=row") for a in sorted({a for _r, a in asked})]
    assert len(asked) == 4  # waiting, declined, closed by the credit, closed as year over (demo_corrections)
    return pages


def test_no_inline_code_and_no_external_urls(site, as_user):
    clients = {}
    assets: set[str] = set()
    login_page = site.test_client().get("/login").get_data(as_text=True)
    for username, url in [("", "/login")] + _pages(site):
        if username:
            clients.setdefault(username, as_user(username))
            html = clients[username].get(url).get_data(as_text=True)
        else:
            html = login_page
        for lang_html in (html,):
            assert not INLINE_SCRIPT.search(lang_html), url
            assert not STYLE_ATTR.search(lang_html), (url, STYLE_ATTR.search(lang_html))
            assert not STYLE_TAG.search(lang_html), url
            assert not HANDLER.search(lang_html), (url, HANDLER.search(lang_html))
            assert not EXTERNAL.search(lang_html), (url, EXTERNAL.search(lang_html))
            assets.update(ASSET.findall(lang_html))
            title = TITLE.search(lang_html)  # plain words: a tag there is shown as text in the tab
            assert title is not None and "<" not in title.group(1), (url, title and title.group(1))
    assert {"/static/vendor/bootstrap.min.css", "/static/vendor/bootstrap.bundle.min.js", "/static/js/portal.js",
            "/static/css/portal.css"} <= assets
    c = site.test_client()
    for asset in assets:
        r = c.get(asset)
        assert r.status_code == 200, asset
        r.close()


def test_pages_are_made_for_phones(site):
    html = site.test_client().get("/login").get_data(as_text=True)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    css = site.test_client().get("/static/css/portal.css").get_data(as_text=True)
    assert "Noto Sans CJK SC" in css and "PingFang SC" in css
