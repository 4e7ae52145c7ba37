"""HTML to PDF through WeasyPrint, with the Noto CJK font and nothing fetched from outside.

The printed forms are their own templates (``templates/paper/``) with their own stylesheet
(``reports/static/paper.css``), inlined: WeasyPrint is handed one HTML string and a URL
fetcher that serves only ``data:`` URLs, so a school intranet without Internet access prints
the same document. The font is found through fontconfig (Debian's ``fonts-noto-cjk``) and
embedded as a subset in every PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import segno
from flask import render_template

from portal.services import verification
from portal.url_rules import public_url

if TYPE_CHECKING:
    from weasyprint.document import Document

CSS_PATH = Path(__file__).resolve().parent / "static" / "paper.css"


@lru_cache(maxsize=1)
def paper_css() -> str:
    return CSS_PATH.read_text(encoding="utf-8")


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as an SVG ``data:`` URI (segno, error correction M)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def verification_block(code: str) -> dict[str, str]:
    """What every form prints to be checked: the code, the portal's own verify URL, its QR."""
    url = public_url("reports.verify", code=code)
    return {"code": verification.grouped(code), "url": url, "qr": qr_svg(url)}


def render_document(template: str, **context: Any) -> Document:
    """The laid-out form (its pages), before it is written: forms can be printed alone or merged."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_template(template, paper_css=paper_css(), **context)
    # only data: URLs (the QR code): a form never reaches the network or the file system
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).render()


def render_pdf(template: str, **context: Any) -> bytes:
    return render_document(template, **context).write_pdf()


def merged_pdf(documents: Sequence[Document]) -> bytes:
    """One PDF of several laid-out forms, each starting on a new page with its own page
    numbers, footer code and QR (WeasyPrint copies the pages; nothing is laid out again)."""
    if not documents:
        raise ValueError("nothing to merge")
    return documents[0].copy([page for doc in documents for page in doc.pages]).write_pdf()
