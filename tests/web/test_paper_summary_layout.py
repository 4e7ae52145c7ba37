"""The printed 学时汇总表's layout, read back from the PDF as a reader sees it: the words with
their positions (``pdftotext -bbox``) and the page as pixels (``pdftoppm``, 72 dpi: a pixel is
a point), for what is drawn rather than written (the signature lines)."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from portal.activity_types import ActivityType, Role
from portal.extensions import db
from portal.hookspecs import hookimpl
from portal.models import Activity, School, SchoolActivityType
from tests.support import factories as f
from tests.web.conftest import login
from tests.web.test_paper_headings import Word, _heading_words, _pages

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "paper"
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


#: four more types than the demo's eight, with names as long as schools give them
LONG_NAMES = {"contest": ("青年教师基本功大赛", "Young teachers' contest"),
              "forum": ("网络研修与校本研讨", "Online forum"),
              "it_skills": ("信息技术应用能力提升", "IT skills"),
              "class_teacher": ("班主任工作坊", "Class teachers' workshop")}


def _long_named_types() -> object:
    class Types:
        @hookimpl
        def portal_activity_types(self):
            return [type(key.title(), (ActivityType,), {"key": key, "name_zh": zh, "name_en": en,
                                                          "roles": {"member": Role("成员", "Member")}})()
                    for key, (zh, en) in LONG_NAMES.items()]

    return Types()


def _twelve_type_summary(make_app, lang: str, more_teachers: int = 0) -> bytes:
    """The demo school running twelve types (its eight and :data:`LONG_NAMES`), printed
    (with ``more_teachers`` more on its staff)."""
    demo = make_app(demo=True)  # the demo's database, opened with the four types installed
    app = make_app(SQLALCHEMY_DATABASE_URI=demo.config["SQLALCHEMY_DATABASE_URI"],
                   EXTRA_PLUGINS=[("long_names", _long_named_types())])
    with app.app_context():
        school = db.session.execute(select(School).where(School.code == "DEMO")).scalar_one()
        db.session.add_all(SchoolActivityType(school_id=school.id, type_key=key, enabled=True) for key in LONG_NAMES)
        for n in range(more_teachers):
            f.person(school, f"extra{n:02d}", "teacher", name=f"欧阳{n:02d}")
        db.session.commit()
    client = app.test_client()
    assert login(client, "admin").status_code == 302
    if lang == "en":
        client.get("/lang/en")
    r = client.get("/reports/summary.pdf?year=2026-2027")
    assert r.status_code == 200
    return r.data


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_school_of_twelve_types_prints_readably(make_app, tmp_path, lang):
    """Twelve type columns of a fixed 15 mm did not fit: the note (说明) was squeezed to a
    character or two a line and 青年教师基本功大赛 broke wherever it ran out of room. The types now
    go on two lines of six columns (a heading row each, each teacher's row two lines): the note
    keeps its width, and a long Chinese name is cut into even lines, never a character alone."""
    data = _twelve_type_summary(make_app, lang)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"summary-12-types-{lang}.pdf").write_bytes(data)  # for a person to look at
    pages = _pages(data, tmp_path)
    assert len(pages) == 1  # nine teachers, two lines each
    width, words = pages[0]
    assert all(w.x1 <= width - 20 for w in words)  # nothing runs off the paper
    # the heading's words (a teacher's number stands between its two lines: the first line's figures go)
    heads = [w for w in _heading_words(words, "序号" if lang == "zh" else "No.") if not w.text[0].isdigit()]
    for a in heads:  # no heading runs into another
        for b in heads:
            if a is not b and abs(a.y1 - b.y1) < 1:
                assert a.x1 <= b.x0 or b.x1 <= a.x0, (a.text, b.text)
    if lang == "zh":
        for name, _en in LONG_NAMES.values():  # whole, or in even lines stacked in its column
            lines = [w for w in heads if w.text in name and len(w.text) > 1]
            assert "".join(w.text for w in sorted(lines, key=lambda w: w.y0)) == name, (name, [w.text for w in lines])
            assert max(len(w.text) for w in lines) - min(len(w.text) for w in lines) <= 1, [w.text for w in lines]
            assert max(w.x0 for w in lines) - min(w.x0 for w in lines) < 15, name  # one column
        assert not [w.text for w in heads if len(w.text) == 1], "a character alone on a heading's line"
    # the exempt teachers' note reads as a line of words, not a column of characters
    note = "临近退休" if lang == "zh" else "Near"
    first = next(w for w in words if w.text.startswith(note))
    assert width - 10 * MM - first.x0 >= 38 * MM, (first, "the note column is squeezed")  # 40 mm, 1 mm padding
    line = [w for w in words if abs(w.y0 - first.y0) < 1 and w.x0 >= first.x0]
    assert len("".join(w.text for w in line)) >= 12, [w.text for w in line]


def test_twelve_types_over_pages_keep_each_teachers_lines_together(make_app, tmp_path):
    """Fifty teachers of a twelve-type school: several pages, each with the whole heading (both
    bands), and no teacher's two lines split over two pages."""
    pages = _pages(_twelve_type_summary(make_app, "zh", more_teachers=41), tmp_path)
    assert len(pages) >= 2
    numbers: list[int] = []
    for _width, words in pages:
        texts = {w.text for w in words}
        assert {"序号", "专题讲座", "同课异构", "青年教师基", "本功大赛", "合计学时", "说明"} <= texts, sorted(texts)
        no = next(w for w in words if w.text == "序号")
        lecture = next(w for w in words if w.text == "专题讲座")
        mine = [int(w.text) for w in words if w.text.isdigit() and w.x0 < no.x1 + 5 and w.y0 > no.y1]
        # the first type column's figures (right-aligned under 专题讲座): two lines a teacher
        figures = [w for w in words if w.y0 > no.y1 and re.fullmatch(r"[\d.]+", w.text)
                   and lecture.x0 < w.x1 < lecture.x1 + 30]
        assert len(figures) == 2 * len(mine), (mine, len(figures))
        numbers += mine
    assert numbers == list(range(1, 51))
