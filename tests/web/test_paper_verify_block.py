"""A printed form's verification block (QR code and code) stays with the signatures it
certifies: 王雅琴's 学时证明 (teacher1, six credited activities and one absence) printed its
totals, signatures and seal on page 1 and the QR code alone on page 2 — a second sheet for a
code, and a signed page without the code that proves it. Read back from the PDF
(``pdftotext -bbox``) as a reader sees each page."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import User
from tests.web.test_paper_headings import _pages

#: per language: a word of the verification block's hint, the seal's label (the signatures)
WORDS = {"zh": ("扫描二维码或访问", "学校盖章："), "en": ("scan", "seal:")}


@pytest.mark.parametrize(("username", "lang"), [("teacher1", "zh"), ("teacher1", "en"), ("teacher4", "en")])
def test_the_record_prints_its_qr_code_on_the_page_of_its_signatures(as_user, site, tmp_path, username, lang):
    client: FlaskClient = as_user(username)
    if lang == "en":
        client.get("/lang/en")
    with site.app_context():
        uid = db.session.execute(select(User.id).where(User.username == username)).scalar_one()
    r = client.get(f"/teachers/{uid}/record.pdf?year=2026-2027")
    assert r.status_code == 200
    hint, seal = WORDS[lang]
    pages = [{w.text for w in words} for _width, words in _pages(r.data, tmp_path)]
    with_hint = [n for n, words in enumerate(pages, 1) if hint in words]
    with_seal = [n for n, words in enumerate(pages, 1) if seal in words]
    assert len(with_hint) == 1 and len(with_seal) == 1, (with_hint, with_seal)
    assert with_hint == with_seal, f"the QR code on page {with_hint[0]}, the signatures on page {with_seal[0]}"
