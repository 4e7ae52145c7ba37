"""One switch for the language of every CSV/XLSX export's headings: ``?headings=en`` (its alias
``?lang=en``, which ``/district/submitted.*`` once read alone, still works), Chinese without it
whatever the interface's language. ``/district/submitted.*`` read only ``?lang`` (the interface's
language) and the others only ``?headings``: the same link gave English headings from one and
Chinese from the other. A value the portal does not speak, or the two asking for different
languages, is a 400 that makes nothing and queues nothing. The frozen copy of a submitted year is
the file as submitted (Chinese): neither argument changes it."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.extensions import db
from portal.messages import heading
from portal.models import ExportJob
from portal.models.district import WHOLE_YEAR
from portal.policy import Actor
from portal.services import access, submissions
from tests.credits.helpers import login
from tests.district.conftest import YEAR

#: every export taking the switch: who asks, its URL, a heading it always has
EXPORTS = {
    "summary_csv": ("admin", "/reports/summary.csv?year={year}", "total"),
    "summary_xlsx": ("admin", "/reports/summary.xlsx?year={year}", "total"),
    "school_summary_by_district": ("district", "/reports/summary.xlsx?year={year}&school=S1", "total"),
    "certificate_xlsx": ("admin", "/activities/{act}/certificate.xlsx", "certificate"),
    "district_csv": ("district", "/district/export.csv?year={year}", "school_code"),
    "district_xlsx": ("district", "/district/export.xlsx?year={year}", "school_code"),
    "ledger_csv": ("district", "/district/export.csv?year={year}&ledger=1", "activity"),
    "ledger_xlsx": ("district", "/district/export.xlsx?year={year}&ledger=1", "activity"),
    "submitted_csv": ("district", "/district/submitted.csv?year={year}", "school_code"),
    "submitted_xlsx": ("district", "/district/submitted.xlsx?year={year}", "school_code"),
}


def _texts(data: bytes) -> set[str]:
    """Every sheet title and cell of an XLSX, or every cell of a CSV, as text."""
    if data[:2] == b"PK":
        book = load_workbook(io.BytesIO(data))
        return {ws.title for ws in book.worksheets} | {
            str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None}
    return {c for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for c in row}


@pytest.fixture
def client_of(app, world):
    sub = submissions.submit(world.s1, YEAR, by=access.actor(world.staff["admin"].id, world.s1.id))
    submissions.decide(sub.id, True, by=Actor.of(world.reviewer1.id, ["district_reviewer"]), district_id=world.d1.id)
    db.session.commit()
    people = {"admin": (world.staff["admin"], world.s1), "district": (world.admin1, None)}
    return lambda who: login(app.test_client(), *people[who])


def _url(world, name: str, extra: str = "") -> str:
    url = EXPORTS[name][1].format(year=YEAR, act=world.act.id)
    return url + ("&" if "?" in url else "?") + extra if extra else url


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_headings_and_lang_ask_the_same_of_every_export(client_of, world, name):
    who, _, key = EXPORTS[name]
    client = client_of(who)
    client.get("/lang/en")  # the interface in English: the files stay Chinese unless asked
    files = {}
    for asked in ("", "headings=en", "lang=en", "headings=en-US", "headings=zh", "lang=zh-CN", "headings=en&lang=en"):
        r = client.get(_url(world, name, asked))
        assert r.status_code == 200, (name, asked, r.status_code)
        files[asked] = _texts(r.data)
    for asked in ("headings=en", "lang=en", "headings=en-US", "headings=en&lang=en"):
        assert heading(key, "en") in files[asked] and heading(key, "zh") not in files[asked], (name, asked)
    for asked in ("", "headings=zh", "lang=zh-CN"):
        assert heading(key, "zh") in files[asked] and heading(key, "en") not in files[asked], (name, asked)
    assert files["headings=en"] == files["lang=en"] and files[""] == files["headings=zh"] == files["lang=zh-CN"]


@pytest.mark.parametrize("name", sorted(EXPORTS))
@pytest.mark.parametrize("asked", ["headings=fr", "lang=xx", "headings=", "headings=en&lang=zh"])
def test_a_bad_headings_language_is_a_400_that_queues_nothing(app, client_of, world, name, asked):
    client = client_of(EXPORTS[name][0])
    app.config["EXPORT_JOB_THRESHOLD"] = 0  # every export would be a job: a refused one queues none
    jobs = db.session.scalar(select(func.count()).select_from(ExportJob))
    r = client.get(_url(world, name, asked))
    assert r.status_code == 400, (name, asked, r.status_code)
    page = r.get_data(as_text=True)
    assert "只能是 zh（中文，默认）或 en（英文）" in page or "要求的语言不同" in page
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ExportJob)) == jobs


def test_the_frozen_copy_is_the_file_as_submitted(client_of, world):
    """The stored workbook is the record of what the school submitted (in Chinese): the switch
    does not rewrite it; its figures in English are ``/district/submitted.xlsx?headings=en``."""
    sub = submissions.latest(world.s1.id, YEAR, WHOLE_YEAR)
    assert sub is not None
    client = client_of("district")
    for asked in ("", "?headings=en", "?lang=en"):
        r = client.get(f"/district/submissions/{sub.id}/summary.xlsx{asked}")
        assert r.status_code == 200 and r.data == sub.summary_xlsx
    assert heading("total", "zh") in _texts(sub.summary_xlsx)
