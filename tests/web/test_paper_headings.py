"""The printed 学时汇总表 (WeasyPrint) of the demo school, which has every activity type, read back
with the position of each word (``pdftotext -bbox``): its column headings never break inside a
word. An audit saw 第一学期未请假缺席学时 broken 缺|席 over two lines, and in English
"Observa-tion" and "Mentor-ship" hyphenated."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from portal.registry import registry


@dataclass(frozen=True)
class Word:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def _pages(data: bytes, folder: Path) -> list[tuple[float, list[Word]]]:
    """Each page's width and words (pdftotext's words: split at spaces, a line of Chinese is one)."""
    assert data.startswith(b"%PDF-")
    (folder / "summary.pdf").write_bytes(data)
    out = subprocess.run(["pdftotext", "-bbox", str(folder / "summary.pdf"), "-"], capture_output=True,
                         text=True, check=True).stdout
    pages = []
    for page in re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', out, re.S):
        words = [Word(float(a), float(b), float(c), float(d), unescape(t)) for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page[1])]
        pages.append((float(page[0]), words))
    return pages


def _heading_words(words: list[Word], first: str) -> list[Word]:
    """The words of the table's heading: from its first heading (序号, No.) down to the first row,
    whose number 1 stands under that heading."""
    top = next(w for w in words if w.text == first)
    one = next(w for w in words if w.text == "1" and w.y0 > top.y1 and w.x0 < top.x1 and w.x1 > top.x0)
    return [w for w in words if top.y0 - 20 <= w.y0 < one.y0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_summarys_headings_keep_every_word_whole(as_user, site, tmp_path, lang):
    client: FlaskClient = as_user("admin")
    if lang == "en":
        client.get("/lang/en")
    r = client.get("/reports/summary.pdf?year=2026-2027")
    assert r.status_code == 200
    pages = _pages(r.data, tmp_path)
    assert len(pages) == 1  # the demo's nine teachers, on one landscape page
    width, words = pages[0]
    assert width > 800  # A4 landscape: 842 pt
    assert all(w.x1 <= width - 20 for w in words)  # nothing runs off the paper (margin 10 mm)
    with site.app_context():
        types = [reg.decl.name(lang) for reg in registry().types.values()]
    assert len(types) >= 8
    if lang == "zh":
        heads = _heading_words(words, "序号")
        lines = {w.text for w in heads}
        assert not [w.text for w in heads if w.text in ("缺", "席") or w.text.endswith("缺") or w.text.startswith("席")]
        # a Chinese heading on one line, whole: 未请假缺席学时 over 第一学期 and 第二学期
        for heading in [*types, "姓名", "合计学时", "应修学时", "未请假缺席学时", "第一学期", "第二学期", "考核结果", "说明"]:
            assert heading in lines, (heading, sorted(lines))
    else:
        heads = _heading_words(words, "No.")
        texts = [w.text for w in heads]
        assert not [t for t in texts if t.endswith(("-", "\u2010", "\u00ad"))], texts  # never hyphenated
        for heading in [*types, "Name", "Total hours", "Required hours", "Hours of unexcused absence",
                        "First semester", "Second semester", "Status", "Note"]:
            for word in heading.split():
                assert word in texts, (word, texts)
        assert "Observation" in texts and "Mentorship" in texts
    # no heading runs into the next one (a word wider than its column would overflow the cell)
    for a in heads:
        for b in heads:
            if a is not b and abs(a.y1 - b.y1) < 1:  # on the same line
                assert a.x1 <= b.x0 or b.x1 <= a.x0, (a.text, b.text)
