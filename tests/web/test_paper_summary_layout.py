"""The printed 学时汇总表's layout, read back from the PDF as a reader sees it: the words with
their positions (``pdftotext -bbox``) and the page as pixels (``pdftoppm``, 72 dpi: a pixel is
a point), for what is drawn rather than written (the signature lines)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.models import Activity
from tests.web.test_paper_headings import Word, _pages

MM = 72 / 25.4  # points in a millimetre
#: a form's signature row, by language: its labels from left to right
SIGNATURES = {
    ("summary", "zh"): ["制表人：", "审核人：", "学校盖章：", "日期："],
    ("summary", "en"): ["Prepared by:", "Checked by:", "School seal:", "Date:"],
    ("certificate", "zh"): ["审核人：", "签名：", "审核日期："],  # the reviewer's row: 签名 had 5 mm
}


def _page_pixels(data: bytes, folder: Path, page: int) -> Image.Image:
    """Page ``page`` (1-based) in grey, one pixel a point."""
    (folder / "paper.pdf").write_bytes(data)
    png = subprocess.run(["pdftoppm", "-r", "72", "-gray", "-png", "-f", str(page), "-l", str(page),
                          str(folder / "paper.pdf")], capture_output=True, check=True).stdout
    return Image.open(io.BytesIO(png)).convert("L")


def _dark_runs(image: Image.Image, y0: float, y1: float, x0: float, x1: float) -> int:
    """The longest run of dark pixels along one row between ``y0``..``y1`` and ``x0``..``x1``."""
    longest = 0
    for y in range(int(y0), int(y1) + 1):
        run = 0
        for x in range(max(int(x0), 0), min(int(x1), image.width)):
            run = run + 1 if image.getpixel((x, y)) < 128 else 0
            longest = max(longest, run)
    return longest


def _signature_labels(words: list[Word], labels: list[str]) -> list[Word]:
    """The signature row's labels, left to right (an English label's words joined: a space apart)."""
    row = max(w.y0 for w in words if w.text == labels[-1].split()[-1])
    found: list[Word] = []
    for w in sorted((w for w in words if abs(w.y0 - row) < 1), key=lambda w: w.x0):
        if found and w.x0 - found[-1].x1 < 4:
            last = found.pop()
            w = Word(last.x0, last.y0, w.x1, w.y1, f"{last.text} {w.text}")
        found.append(w)
    found = [w for w in found if w.text in labels]  # not what is written on a line (a name, a day)
    assert [w.text for w in found] == labels, [w.text for w in found]
    return found


@pytest.mark.parametrize(("form", "lang"), list(SIGNATURES))
def test_each_signature_has_a_line_of_its_own_with_space_before_the_next(as_user, site, tmp_path, form, lang):
    """制表人 ____审核人: each line ran up to the next label, and on the 学分认定表 an empty
    签名 line beside a filled one shrank to 5 mm. Now every label has a line of at least 25 mm
    after it, and the 5 mm before the next label are blank."""
    client: FlaskClient = as_user("admin")
    if lang == "en":
        client.get("/lang/en")
    if form == "summary":
        data = client.get("/reports/summary.pdf?year=2026-2027").data
    else:
        with site.app_context():
            act = db.session.execute(select(Activity.id).where(Activity.state == "credited")
                                     .order_by(Activity.id)).scalars().first()
        data = client.get(f"/activities/{act}/certificate.pdf").data
    pages = _pages(data, tmp_path)
    width, words = pages[-1]
    labels = _signature_labels(words, SIGNATURES[form, lang])
    image = _page_pixels(data, tmp_path, len(pages))
    for n, label in enumerate(labels):
        end = labels[n + 1].x0 if n + 1 < len(labels) else width
        band = (label.y0, label.y1 + 4)  # the line is drawn along the label's foot
        assert _dark_runs(image, *band, label.x1, end) >= 25 * MM, (form, lang, label.text, "no line to sign on")
        if n + 1 < len(labels):
            assert _dark_runs(image, *band, end - 5 * MM, end - 0.5) == 0, (form, lang, label.text, "runs into the next")
