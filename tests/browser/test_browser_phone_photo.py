"""A teacher's 17 MB phone photo (Chromium at 390×844, touch, zh-CN). Before, it was refused
(最大 10 MB) and the teacher had nothing to do about it on the phone. Now the evidence form's
script (``static/js/photo.js``) draws a photo larger than the limit on a canvas at most 3200
pixels on its longer side and uploads that JPEG instead, saying so under the file's field; the
server keeps it. Without JavaScript the photo is sent as chosen and the server refuses it as
before, nothing stored."""

from __future__ import annotations

import io
import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Evidence

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LIMIT = 10 * 1024 * 1024


def _big_photo(tmp_path) -> tuple[str, int]:
    """A phone camera's 20-megapixel photo of 17 MB or so (noise: it compresses as badly as a
    photo ever does)."""
    from PIL import Image

    w, h = 5000, 4000
    out = io.BytesIO()
    Image.frombytes("RGB", (w, h), os.urandom(w * h * 3)).save(out, "JPEG", quality=90)
    path = tmp_path / "IMG_5001.JPG"
    path.write_bytes(out.getvalue())
    assert path.stat().st_size > 16 * 1024 * 1024
    return str(path), path.stat().st_size


def _evidence(live_server, activity_id: int) -> list[tuple]:
    with live_server.app.app_context():
        rows = db.session.execute(select(Evidence.filename, Evidence.size, Evidence.content_type)
                                  .where(Evidence.activity_id == activity_id).order_by(Evidence.id)).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def _choose_and_send(page, path: str) -> None:
    form = page.locator("form[data-testid=evidence-form]")
    form.locator("input[name=title]").fill("现场照片")
    form.locator("input[type=file]").set_input_files(path)


def test_a_big_phone_photo_is_made_smaller_and_kept(browse, live_server, tmp_path):
    path, size = _big_photo(tmp_path)
    act = live_server.activity_id("school_visit", "held")  # teacher1 owes it a report
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    s.login("teacher1")
    page = s.page
    s.goto(f"/activities/{act}")
    before = _evidence(live_server, act)
    _choose_and_send(page, path)
    said = page.get_by_test_id("photo-note")
    expect(said).to_contain_text("上限为 10 MB", timeout=30_000)  # drawn: it says what it did
    text = said.inner_text()
    assert f"这张照片（{size / 1048576:.1f} MB）较大，将缩小为 3200 × 2560 像素的 JPEG（" in text, text
    assert "文件名 IMG_5001.jpg" in text
    submit = page.get_by_test_id("evidence-submit")
    expect(submit).to_be_enabled()
    s.assert_fits_width("the photo's note")
    with page.expect_navigation(wait_until="load"):
        submit.tap()
    after = _evidence(live_server, act)
    assert len(after) == len(before) + 1
    name, stored, kind = after[-1]
    assert name == "IMG_5001.jpg" and kind == "image/jpeg" and 0 < stored <= LIMIT, after[-1]
    expect(page.locator("[data-testid^=evidence-download-]").filter(has_text="IMG_5001.jpg")).to_be_visible()
    expect(page.locator("form[data-testid=evidence-form] .invalid-feedback")).to_have_count(0)


def test_without_javascript_the_server_refuses_it_as_before(browse, live_server, tmp_path):
    path, _size = _big_photo(tmp_path)
    act = live_server.activity_id("school_visit", "held")
    s = browse(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False)
    s.login("teacher1")
    page = s.page
    s.goto(f"/activities/{act}")
    before = _evidence(live_server, act)
    s.ignore_console("422")
    _choose_and_send(page, path)
    with page.expect_navigation(wait_until="load"):
        page.get_by_test_id("evidence-submit").tap()
    expect(page.locator("form[data-testid=evidence-form] .invalid-feedback").first).to_contain_text("最大 10 MB")
    assert page.get_by_test_id("photo-note").count() == 0
    assert _evidence(live_server, act) == before
