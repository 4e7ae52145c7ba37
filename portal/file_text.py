"""The words a file handed in as writing holds: a UTF-8 ``.txt`` file, or a Word ``.docx`` file
(what most teachers write their reading notes and reflections in). Any other file — a scan, a
photo, a PDF, an old binary ``.doc`` — is not read: it holds no words the portal can count.

A ``.docx`` is a ZIP archive. It is read only when its parts together stay within
:data:`DOCX_UNPACKED_MAX` once unpacked, so a small upload cannot unpack into gigabytes, and
through python-docx (its XML parser resolves no entities). Its words are those of the body —
paragraphs and tables, as Word's 字数 counts them — without headers, footers or comments.
"""

from __future__ import annotations

import io
import os
import zipfile

DOCX = ".docx"
TXT = ".txt"
#: The extensions whose words are read: what a teacher may hand in as their own writing.
READABLE = (TXT, DOCX)
#: The most a ``.docx`` may unpack to (all its parts, pictures included) before it is read.
DOCX_UNPACKED_MAX = 64 * 1024 * 1024


class Unreadable(ValueError):
    """The file claims a readable kind (``.txt``, ``.docx``) but its words cannot be read."""


def readable(filename: str | None) -> bool:
    """Whether a file of this name is read for its words."""
    return os.path.splitext(filename or "")[1].lower() in READABLE


def words_of(filename: str | None, data: bytes | None) -> str:
    """The text of a readable file, or "" for any other (or no) file.

    Raises :class:`Unreadable` for a ``.txt`` that is not UTF-8 or a ``.docx`` that is not a
    Word document (or unpacks to too much): the caller says so to the teacher, or counts it as
    a file without words."""
    if data is None or not readable(filename):
        return ""
    if os.path.splitext(filename or "")[1].lower() == TXT:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Unreadable(filename) from None
    return _docx_text(data)


def words_or_nothing(filename: str | None, data: bytes | None) -> str:
    """:func:`words_of`, with an unreadable file read as holding no words."""
    try:
        return words_of(filename, data)
    except Unreadable:
        return ""


def _docx_text(data: bytes) -> str:
    from docx import Document  # python-docx: imported when a Word file comes, not at start-up
    from docx.oxml.ns import qn

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > DOCX_UNPACKED_MAX:
                raise Unreadable(DOCX)
        body = Document(io.BytesIO(data)).element.body
    except Unreadable:
        raise
    except Exception:  # not a ZIP, not a Word document, a broken part: python-docx's many errors
        raise Unreadable(DOCX) from None
    # every paragraph of the body, those inside tables too, in the order they stand
    paragraphs = ("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p")))
    return "\n".join(paragraphs)
