"""The words a file handed in as writing holds: a ``.txt`` file (UTF-8 or GB18030: :func:`decode_text`), or a Word ``.docx`` file
(what most teachers write their reading notes and reflections in). Any other file — a scan, a
photo, a PDF, an old binary ``.doc`` — is not read: it holds no words the portal can count.

A ``.docx`` is a ZIP archive. It is read only when its parts together stay within
:data:`DOCX_UNPACKED_MAX` once unpacked, so a small upload cannot unpack into gigabytes, and its
body is read as a stream, a paragraph at a time, by a parser that resolves no entities and
fetches nothing: a 200 KB upload whose body unpacks to 60 MB of one-character paragraphs took
1.2 GB of a web worker read whole (python-docx builds the document's tree first). Its words are
those of the body — paragraphs and tables, as Word's 字数 counts them — without headers, footers
or comments.
"""

from __future__ import annotations

import io
import os
import posixpath
import zipfile
from collections.abc import Iterator
from typing import IO

DOCX = ".docx"
TXT = ".txt"
#: The extensions whose words are read: what a teacher may hand in as their own writing.
READABLE = (TXT, DOCX)
#: The most a ``.docx`` may unpack to (all its parts, pictures included) before it is read.
DOCX_UNPACKED_MAX = 64 * 1024 * 1024
#: The most the package's parts that say where the body is may unpack to (they are a few KB).
DOCX_INDEX_MAX = 1024 * 1024
#: The most elements a body may hold (a book of 300 pages, richly formatted, has some hundreds of
#: thousands): past it, the file is not read (a small upload of millions of empty paragraphs).
DOCX_ELEMENTS_MAX = 500_000

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
#: The body of a Word document (what python-docx opens; not a template's, not a macro document's).
WORD_BODY = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


class Unreadable(ValueError):
    """The file claims a readable kind (``.txt``, ``.docx``) but its words cannot be read."""


def decode_text(data: bytes) -> str:
    """The one rule for text a school uploads (a ``.txt`` handed in, a ``.csv`` roster): UTF-8,
    with or without a byte-order mark, else GB18030 — what Notepad and Excel save on a Chinese
    Windows (GBK and GB2312 are its subsets). UTF-8 is tried first: a valid UTF-8 file of Chinese
    text is almost never valid GB18030 of the same length, and never the other way round.

    Raises :class:`Unreadable` for bytes that are neither (a binary file, another encoding)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unreadable(TXT)


def readable(filename: str | None) -> bool:
    """Whether a file of this name is read for its words."""
    return os.path.splitext(filename or "")[1].lower() in READABLE


def words_of(filename: str | None, data: bytes | None) -> str:
    """The text of a readable file, or "" for any other (or no) file.

    Raises :class:`Unreadable` for a ``.txt`` that is not text (:func:`decode_text`) or a ``.docx`` that is not a
    Word document (or unpacks to too much): the caller says so to the teacher, or counts it as
    a file without words."""
    if data is None or not readable(filename):
        return ""
    if os.path.splitext(filename or "")[1].lower() == TXT:
        return decode_text(data)
    return _docx_text(data)


def words_or_nothing(filename: str | None, data: bytes | None) -> str:
    """:func:`words_of`, with an unreadable file read as holding no words."""
    try:
        return words_of(filename, data)
    except Unreadable:
        return ""


def _docx_text(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > DOCX_UNPACKED_MAX:
                raise Unreadable(DOCX)
            with archive.open(_body_part(archive)) as body:
                words = io.StringIO()
                for n, line in enumerate(_paragraphs(body)):
                    words.write(f"\n{line}" if n else line)
                return words.getvalue()
    except Unreadable:
        raise
    except Exception:  # not a ZIP, not a Word document, a broken part: lxml's and zipfile's many errors
        raise Unreadable(DOCX) from None


def _parse(archive: zipfile.ZipFile, name: str) -> object:
    """A small part of the package as a tree (:data:`DOCX_INDEX_MAX` at most)."""
    from lxml import etree

    if archive.getinfo(name).file_size > DOCX_INDEX_MAX:
        raise Unreadable(DOCX)
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(archive.read(name), parser)


def _body_part(archive: zipfile.ZipFile) -> str:
    """The name of the part holding the document's body: the package's officeDocument, if it
    is a Word document's body (its content type), else :class:`Unreadable`."""
    rels = _parse(archive, "_rels/.rels")
    target = next((r.get("Target") for r in rels.iter(_RELATIONSHIPS)  # type: ignore[attr-defined]
                   if r.get("Type") == _OFFICE_DOCUMENT), None)
    if not target:
        raise Unreadable(DOCX)
    name = posixpath.normpath(target.lstrip("/"))
    types = _parse(archive, "[Content_Types].xml")
    by_part = {o.get("PartName", "").lstrip("/").lower(): o.get("ContentType")
               for o in types.iter(_CONTENT_TYPES + "Override")}  # type: ignore[attr-defined]
    by_ext = {d.get("Extension", "").lower(): d.get("ContentType")
              for d in types.iter(_CONTENT_TYPES + "Default")}  # type: ignore[attr-defined]
    kind = by_part.get(name.lower()) or by_ext.get(posixpath.splitext(name)[1].lstrip(".").lower())
    if kind != WORD_BODY:
        raise Unreadable(DOCX)
    return name


def _paragraphs(body: IO[bytes]) -> Iterator[str]:
    """The text of every paragraph of the body, those inside tables too (a paragraph inside
    another's text box is in both, told after it, as python-docx read them). Each element is
    dropped from the tree once it ends (its words taken), so memory stays flat whatever the
    body's shape; past :data:`DOCX_ELEMENTS_MAX` elements the file is :class:`Unreadable`."""
    from lxml import etree

    paragraph, text = _W + "p", _W + "t"
    words: list[list[str]] = [[]]  # the words of the paragraph open at each depth (0: the body's)
    inner: list[str] = []  # paragraphs inside the open paragraph of the body, ended
    for ended, (_event, el) in enumerate(etree.iterparse(body, resolve_entities=False, no_network=True), 1):
        if ended > DOCX_ELEMENTS_MAX:
            raise Unreadable(DOCX)
        tag = el.tag
        if tag == text or tag == paragraph:
            depth = sum(1 for _ in el.iterancestors(paragraph))  # the paragraphs around it
            while len(words) <= depth:
                words.append([])
            if tag == text:
                for parts in words[:depth]:
                    parts.append(el.text or "")
                    if len(parts) > 1000:  # a paragraph of many runs: its words kept as one string
                        parts[:] = ["".join(parts)]
            else:
                told = "".join(words[depth])
                words[depth] = []
                if depth:
                    inner.append(told)
                else:
                    yield told
                    yield from inner
                    inner.clear()
        el.clear(keep_tail=True)
        if el.getprevious() is not None:  # the sibling before it ended (and was emptied) already
            del el.getparent()[0]
