"""Whether two certificate files are the same certificate: the same bytes, or two PDFs whose
pages hold the same words.

A declared training's certificate may stand on one of the teacher's declarations only
(``activities._require_file_not_declared``). Comparing bytes alone let the same certificate
through a second time once it was printed to PDF again, saved from another viewer or had its
metadata changed: other bytes, the same words. Two PDFs are the same certificate when their
first pages hold the same words (:func:`pdf_words`: letters and digits only, so spacing and
line breaks do not tell them apart), and there are enough of them to say so. A scan (a PDF of
pictures, no words) or a photo is compared by its bytes only.
"""

from __future__ import annotations

import io
import logging
import unicodedata

#: The pages read of a certificate (one or two pages; a long file is not read further).
PAGES_READ = 3
#: Fewer letters and digits than this say too little to call two files one certificate.
WORDS_AT_LEAST = 12

PDF_MAGIC = b"%PDF-"

#: pypdf's bounds while a certificate is read (its defaults let a 10 KB file that unpacks into
#: a million text operators take seconds of a worker): a certificate's page holds some hundred
#: operators and unpacks to kilobytes. A file past a bound has no words: compared by its bytes.
READING_BOUNDS: dict[str, int] = {
    "stream_parsing_work_maximum_count": 50_000,
    "stream_decoding_work_maximum_length": 4_000_000,
    "zlib_maximum_output_length": 2_000_000,
    "lzw_maximum_output_length": 2_000_000,
    "run_length_maximum_output_length": 2_000_000,
    "brotli_maximum_output_length": 2_000_000,
    "array_based_stream_maximum_output_length": 2_000_000,
    "xform_maximum_invocations_per_extraction": 50,
}


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(PDF_MAGIC)


def pdf_words(data: bytes) -> str:
    """The letters and digits of a PDF's first :data:`PAGES_READ` pages, in order (NFKC: a
    full-width "３２" reads as "32"), or "" for a file that is no PDF, holds no words or cannot be
    read (pypdf's many errors on a broken or hostile file: it is then compared by its bytes)."""
    if not is_pdf(data):
        return ""
    from pypdf import PdfReader, apply_configuration  # imported when a certificate comes, not at start-up

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a broken file's warnings are no one's to read
    try:
        with apply_configuration(None, **READING_BOUNDS):
            reader = PdfReader(io.BytesIO(data))
            text = "".join(page.extract_text() or "" for page in reader.pages[:PAGES_READ])
    except Exception:  # a bound reached, a broken or hostile file
        return ""
    return "".join(c for c in unicodedata.normalize("NFKC", text) if c.isalnum())


def same_certificate(data: bytes, other: bytes, words: str | None = None) -> bool:
    """Whether ``other`` is the certificate ``data`` is: the same bytes, or two PDFs with the
    same words, enough of them (``words``: ``data``'s, when the caller compares it with several)."""
    if data == other:
        return True
    if not (is_pdf(data) and is_pdf(other)):
        return False
    mine = pdf_words(data) if words is None else words
    return len(mine) >= WORDS_AT_LEAST and pdf_words(other) == mine
